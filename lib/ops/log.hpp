#pragma once

#include <memory>
#include <optional>
#include <spdlog/common.h>
#include <spdlog/formatter.h>
#include <spdlog/logger.h>
#include <string_view>

namespace boshmux::ops {

/// How log lines are written.
enum class log_format {
  text, ///< `2024-05-01T12:00:00.123 info message` (local time)
  json, ///< one JSON object per line: time (RFC 3339, UTC), level, msg, and sid when there is one
};

/// "text" or "json"; nullopt for anything else.
std::optional<log_format> parse_log_format(std::string_view name);

/// "trace", "debug", "info", "warn", "error", "critical" or "off" (spdlog's names, also
/// "warning" and "err"); nullopt for anything else.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name);

/// Writes each record as one line holding one JSON object:
/// `{"time":"2024-05-01T12:00:00.123Z","level":"info","msg":"..."}`. A message that starts with
/// a `[sid=X]` prefix (the engine's session lines) gets a separate `"sid":"X"` and loses the
/// prefix; other fields in that prefix (`[sid=X rid=5]`) stay in the message as `[rid=5]`.
/// Strings are escaped as RFC 8259 requires; bytes that are not UTF-8 become U+FFFD.
class json_formatter final : public spdlog::formatter {
public:
  /// Appends the JSON line for `msg`, newline included, to `dest`.
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  /// A copy (spdlog gives each sink its own).
  std::unique_ptr<spdlog::formatter> clone() const override;
};

/// A logger named "boshmux" writing every record to `sink` at once (no buffering), at `level`
/// in `format`. Throws std::invalid_argument for a level parse_log_level does not know.
std::shared_ptr<spdlog::logger> make_logger(spdlog::sink_ptr sink, std::string_view level,
                                            log_format format);

/// Makes a logger writing to stderr at `level` in `format` the default (spdlog::info() and
/// friends). Throws std::invalid_argument for an unknown level.
void setup_logging(std::string_view level, log_format format = log_format::text);

/// Changes the default logger's level, e.g. on a SIGHUP reload. Returns false, and changes
/// nothing, for a name parse_log_level does not know.
bool set_log_level(std::string_view level);

} // namespace boshmux::ops
