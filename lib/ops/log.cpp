#include "lib/ops/log.hpp"

#include <chrono>
#include <ctime>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <stdexcept>
#include <string>

namespace boshmux::ops {

namespace {

/// The text format: local time with milliseconds, level, message (the format before --log-format).
constexpr const char* text_pattern = "%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v";

/// `t` as RFC 3339 in UTC with milliseconds: 2024-05-01T12:00:00.123Z.
std::string rfc3339_utc(std::chrono::system_clock::time_point t) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(t);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(t - seconds).count();
  const std::time_t tt = std::chrono::system_clock::to_time_t(seconds);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", tm, millis);
}

/// A message split into the sid of its `[sid=X ...]` prefix and the rest.
struct sid_line {
  std::string sid;
  std::string msg;
};

/// Splits `[sid=X] text` into X and `text`, and `[sid=X more] text` into X and `[more] text`;
/// nullopt when the message has no such prefix.
std::optional<sid_line> split_sid(std::string_view message) {
  constexpr std::string_view open = "[sid=";
  if (!message.starts_with(open)) {
    return std::nullopt;
  }
  const auto close = message.find(']');
  if (close == std::string_view::npos) {
    return std::nullopt;
  }
  const auto inside = message.substr(open.size(), close - open.size());
  auto rest = message.substr(close + 1);
  if (rest.starts_with(' ')) {
    rest.remove_prefix(1);
  }
  const auto space = inside.find(' ');
  const auto sid = inside.substr(0, space);
  if (sid.empty()) {
    return std::nullopt;
  }
  if (space == std::string_view::npos) {
    return sid_line{std::string(sid), std::string(rest)};
  }
  return sid_line{std::string(sid),
                  fmt::format("[{}]{}{}", inside.substr(space + 1), rest.empty() ? "" : " ", rest)};
}

} // namespace

std::optional<log_format> parse_log_format(std::string_view name) {
  if (name == "text") {
    return log_format::text;
  }
  if (name == "json") {
    return log_format::json;
  }
  return std::nullopt;
}

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
  // spdlog::level::from_str answers `off` for a name it does not know.
  const auto level = spdlog::level::from_str(std::string(name));
  if (level == spdlog::level::off && name != "off") {
    return std::nullopt;
  }
  return level;
}

void json_formatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  const std::string_view payload(msg.payload.data(), msg.payload.size());
  const auto level = spdlog::level::to_string_view(msg.level);
  nlohmann::ordered_json line;
  line["time"] = rfc3339_utc(msg.time);
  line["level"] = std::string_view(level.data(), level.size());
  if (auto split = split_sid(payload)) {
    line["sid"] = std::move(split->sid);
    line["msg"] = std::move(split->msg);
  } else {
    line["msg"] = payload;
  }
  // Peer bytes may reach a message: invalid UTF-8 becomes U+FFFD instead of throwing.
  const auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  dest.append(text.data(), text.data() + text.size());
  dest.push_back('\n');
}

std::unique_ptr<spdlog::formatter> json_formatter::clone() const {
  return std::make_unique<json_formatter>();
}

std::shared_ptr<spdlog::logger> make_logger(spdlog::sink_ptr sink, std::string_view level,
                                            log_format format) {
  const auto parsed = parse_log_level(level);
  if (!parsed) {
    throw std::invalid_argument("unknown log level '" + std::string(level) + "'");
  }
  auto logger = std::make_shared<spdlog::logger>("boshmux", std::move(sink));
  if (format == log_format::json) {
    logger->set_formatter(std::make_unique<json_formatter>());
  } else {
    logger->set_formatter(std::make_unique<spdlog::pattern_formatter>(text_pattern));
  }
  logger->set_level(*parsed);
  logger->flush_on(spdlog::level::trace);
  return logger;
}

void setup_logging(std::string_view level, log_format format) {
  spdlog::set_default_logger(
      make_logger(std::make_shared<spdlog::sinks::stderr_sink_st>(), level, format));
}

bool set_log_level(std::string_view level) {
  const auto parsed = parse_log_level(level);
  if (!parsed) {
    return false;
  }
  spdlog::set_level(*parsed);
  return true;
}

} // namespace boshmux::ops
