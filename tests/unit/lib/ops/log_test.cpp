#include "lib/ops/log.hpp"

#include <boost/test/unit_test.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sstream>
#include <string>
#include <vector>

namespace {

using boshmux::ops::log_format;
using boshmux::ops::make_logger;

/// A logger writing into a string.
struct captured {
  explicit captured(log_format format, const char* level = "trace")
      : logger(make_logger(std::make_shared<spdlog::sinks::ostream_sink_st>(out), level, format)) {}
  /// The lines written so far.
  std::vector<std::string> lines() const {
    std::vector<std::string> result;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) {
      result.push_back(line);
    }
    return result;
  }
  /// The only line written so far, parsed as JSON.
  nlohmann::json only_json() const {
    const auto all = lines();
    BOOST_TEST_REQUIRE(all.size() == 1u);
    return nlohmann::json::parse(all.front());
  }
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> logger;
};

/// Makes a logger the default for the test and restores the previous one.
struct default_logger_guard {
  default_logger_guard()
      : previous(spdlog::default_logger()) {}
  default_logger_guard(const default_logger_guard&) = delete;
  default_logger_guard& operator=(const default_logger_guard&) = delete;
  ~default_logger_guard() { spdlog::set_default_logger(previous); }
  std::shared_ptr<spdlog::logger> previous;
};

} // namespace

BOOST_AUTO_TEST_SUITE(log_tests)

BOOST_AUTO_TEST_CASE(json_lines_carry_time_level_and_message) {
  captured c(log_format::json);
  c.logger->info("component {} authenticated", "bosh.example");
  c.logger->warn("degraded");
  const auto all = c.lines();
  BOOST_TEST_REQUIRE(all.size() == 2u);
  const auto first = nlohmann::json::parse(all[0]);
  BOOST_TEST(first.size() == 3u);
  BOOST_TEST(first["level"] == "info");
  BOOST_TEST(first["msg"] == "component bosh.example authenticated");
  const std::regex rfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  BOOST_TEST(std::regex_match(first["time"].get<std::string>(), rfc3339),
             first["time"].get<std::string>());
  BOOST_TEST(all[0].starts_with("{\"time\":")); // time first, for people reading the raw lines
  BOOST_TEST(nlohmann::json::parse(all[1])["level"] == "warning");
}

BOOST_AUTO_TEST_CASE(json_escapes_quotes_backslashes_newlines_and_control_characters) {
  const std::string nasty = "say \"hi\" \\ path C:\\x\nsecond line\ttab\x01 \x1f end";
  captured c(log_format::json);
  c.logger->error("{}", nasty);
  BOOST_TEST(c.lines().size() == 1u); // the newline did not split the record
  BOOST_TEST(c.only_json()["msg"] == nasty);
}

BOOST_AUTO_TEST_CASE(json_keeps_utf8_and_replaces_invalid_bytes) {
  captured c(log_format::json);
  c.logger->info("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80");
  BOOST_TEST(c.only_json()["msg"] == "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80");
  BOOST_TEST(c.out.str().find("caf\xc3\xa9") != std::string::npos); // not \u-escaped

  captured bad(log_format::json);
  bad.logger->info("peer sent \xff\xfe bytes");
  BOOST_TEST(bad.only_json()["msg"] == "peer sent \xef\xbf\xbd\xef\xbf\xbd bytes");
}

BOOST_AUTO_TEST_CASE(json_moves_a_sid_prefix_to_its_own_key) {
  captured c(log_format::json);
  c.logger->debug("[sid={}] session created for {} (wait {} hold {})", "n1-abc", "a.example", 60,
                  1);
  const auto line = c.only_json();
  BOOST_TEST(line["sid"] == "n1-abc");
  BOOST_TEST(line["msg"] == "session created for a.example (wait 60 hold 1)");
  BOOST_TEST(line["level"] == "debug");
}

BOOST_AUTO_TEST_CASE(json_sid_extraction_leaves_other_lines_alone) {
  struct row {
    std::string message;
    std::string sid; ///< empty: no sid key
    std::string msg;
  };
  const std::vector<row> rows{
      {"[sid=x1] a \"quoted\" word", "x1", "a \"quoted\" word"},
      {"[sid=x1 rid=5] held", "x1", "[rid=5] held"},
      {"[sid=x1]", "x1", ""},
      {"[sid=] empty", "", "[sid=] empty"},
      {"[sid=x1 no close", "", "[sid=x1 no close"},
      {"[up=127.0.0.1:5347] link down", "", "[up=127.0.0.1:5347] link down"},
      {"plain [sid=x1] later", "", "plain [sid=x1] later"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.message) {
      captured c(log_format::json);
      c.logger->info("{}", r.message);
      const auto line = c.only_json();
      BOOST_TEST(line.contains("sid") == !r.sid.empty());
      if (!r.sid.empty()) {
        BOOST_TEST(line["sid"] == r.sid);
      }
      BOOST_TEST(line["msg"] == r.msg);
    }
  }
}

BOOST_AUTO_TEST_CASE(text_format_is_local_time_level_message) {
  captured c(log_format::text);
  c.logger->info("[sid=x1] hello");
  const std::regex text(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} info \[sid=x1\] hello)");
  BOOST_TEST_REQUIRE(c.lines().size() == 1u);
  BOOST_TEST(std::regex_match(c.lines().front(), text), c.lines().front());
}

BOOST_AUTO_TEST_CASE(the_level_filters_records) {
  captured c(log_format::json, "warn");
  c.logger->info("dropped");
  c.logger->warn("kept");
  BOOST_TEST(c.only_json()["msg"] == "kept");
  BOOST_CHECK_THROW(make_logger(std::make_shared<spdlog::sinks::ostream_sink_st>(c.out), "loud",
                                log_format::text),
                    std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(names_of_formats_and_levels) {
  BOOST_TEST((boshmux::ops::parse_log_format("text") == log_format::text));
  BOOST_TEST((boshmux::ops::parse_log_format("json") == log_format::json));
  BOOST_TEST(!boshmux::ops::parse_log_format("JSON").has_value());
  for (const auto* name : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    BOOST_TEST(boshmux::ops::parse_log_level(name).has_value(), name);
  }
  BOOST_TEST(!boshmux::ops::parse_log_level("loud").has_value());
  BOOST_TEST(!boshmux::ops::parse_log_level("").has_value());
}

BOOST_AUTO_TEST_CASE(set_log_level_changes_the_default_logger_at_run_time) {
  const default_logger_guard guard;
  captured c(log_format::json, "info");
  spdlog::set_default_logger(c.logger);
  spdlog::debug("hidden");
  BOOST_TEST(boshmux::ops::set_log_level("debug"));
  spdlog::debug("shown");
  BOOST_TEST(!boshmux::ops::set_log_level("verbose"));
  BOOST_TEST(spdlog::default_logger()->level() == spdlog::level::debug);
  BOOST_TEST(boshmux::ops::set_log_level("off"));
  spdlog::error("silenced");
  BOOST_TEST(c.only_json()["msg"] == "shown");
}

BOOST_AUTO_TEST_SUITE_END()
