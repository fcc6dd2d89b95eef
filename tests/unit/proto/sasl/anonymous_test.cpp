#include "proto/sasl/anonymous.hpp"

#include <boost/test/unit_test.hpp>
#include <set>

namespace sasl = boshmux::proto::sasl;
using sasl::failure_condition;
using kind = sasl::step::kind;

namespace {

/// Options whose random source returns the call number (little-endian) in bytes 0-3, then
/// byte k = k.
sasl::mechanism_options counting_options() {
  sasl::mechanism_options options;
  options.anonymous = true;
  auto calls = std::make_shared<unsigned>(0);
  options.random_bytes = [calls](std::size_t n) {
    std::string out;
    for (std::size_t k = 0; k < n; ++k) {
      out += static_cast<char>(k < 4 ? (*calls >> (8 * k)) & 0xffu : k);
    }
    ++*calls;
    return out;
  };
  return options;
}

std::string repeat(std::string_view unit, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    out += unit;
  }
  return out;
}

/// True for the lower-case 8-4-4-4-12 form of a version 4, RFC 4122 variant UUID.
bool is_uuid_v4(std::string_view s) {
  if (s.size() != 36) {
    return false;
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const char c = s[i];
    if (dash != (c == '-')) {
      return false;
    }
    if (!dash && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return s[14] == '4' && std::string_view("89ab").find(s[19]) != std::string_view::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(anonymous)

BOOST_AUTO_TEST_CASE(empty_trace_succeeds_with_uuid_localpart) {
  sasl::anonymous_mechanism m(counting_options());
  const auto s = m.start(std::string_view());
  BOOST_REQUIRE(s.what == kind::success);
  // Bytes 00 00 00 00 04 05 .. 0f with the version (byte 6) and variant (byte 8) bits set.
  BOOST_TEST(s.username == "00000000-0405-4607-8809-0a0b0c0d0e0f");
  BOOST_TEST(is_uuid_v4(s.username));
  BOOST_TEST(s.data == "");
  BOOST_TEST(s.authzid == "");
}

BOOST_AUTO_TEST_CASE(trace_token_is_never_the_identity) {
  for (const std::string trace : {"sirhc", "juliet@example.com", "admin", "a b c"}) {
    sasl::anonymous_mechanism m(counting_options());
    const auto s = m.start(trace);
    BOOST_REQUIRE(s.what == kind::success);
    BOOST_TEST(is_uuid_v4(s.username));
    BOOST_TEST(s.username.find(trace) == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(each_exchange_gets_a_fresh_identity) {
  const auto options = counting_options();
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    sasl::anonymous_mechanism m(options);
    seen.insert(m.start(std::nullopt).username);
  }
  BOOST_TEST(seen.size() == 20u);
}

BOOST_AUTO_TEST_CASE(no_initial_response_succeeds_at_once) {
  // Strophe.js sends a bare <auth mechanism='ANONYMOUS'/>; the trace is optional.
  sasl::anonymous_mechanism m(counting_options());
  const auto s = m.start(std::nullopt);
  BOOST_REQUIRE(s.what == kind::success);
  BOOST_TEST(is_uuid_v4(s.username));
  BOOST_TEST((m.next("late").condition == failure_condition::malformed_request));
}

BOOST_AUTO_TEST_CASE(trace_limit_is_255_characters) {
  const auto ok = [](const std::string& trace) {
    sasl::anonymous_mechanism m(counting_options());
    return m.start(trace);
  };
  BOOST_TEST((ok(std::string(254, 't')).what == kind::success));
  BOOST_TEST((ok(std::string(255, 't')).what == kind::success));
  BOOST_TEST((ok(std::string(256, 't')).condition == failure_condition::malformed_request));
  // Characters, not bytes (RFC 4505 section 3: token = 1*255TCHAR).
  BOOST_TEST((ok(repeat("\xc3\xa9", 255)).what == kind::success));
  BOOST_TEST((ok(repeat("\xf0\x9f\x98\x80", 255)).what == kind::success));
  BOOST_TEST((ok(repeat("\xc3\xa9", 256)).condition == failure_condition::malformed_request));
}

BOOST_AUTO_TEST_CASE(trace_that_is_not_utf8_is_malformed) {
  for (const std::string trace : {"\xc0\xaf", "\xff", "abc\xe2\x82", "\xed\xa0\x80"}) {
    sasl::anonymous_mechanism m(counting_options());
    BOOST_TEST((m.start(trace).condition == failure_condition::malformed_request));
  }
}

BOOST_AUTO_TEST_CASE(missing_or_short_randomness_is_a_temporary_failure) {
  auto options = counting_options();
  options.random_bytes = nullptr;
  sasl::anonymous_mechanism unset(options);
  BOOST_TEST((unset.start("").condition == failure_condition::temporary_auth_failure));
  options.random_bytes = [](std::size_t n) { return std::string(n / 2, 'x'); };
  sasl::anonymous_mechanism short_source(options);
  BOOST_TEST((short_source.start("").condition == failure_condition::temporary_auth_failure));
}

BOOST_AUTO_TEST_CASE(calls_after_the_end_fail_malformed_request) {
  sasl::anonymous_mechanism done(counting_options());
  BOOST_REQUIRE(done.start("").what == kind::success);
  BOOST_TEST((done.next("").condition == failure_condition::malformed_request));
  BOOST_TEST((done.start("").condition == failure_condition::malformed_request));

  sasl::anonymous_mechanism not_started(counting_options());
  BOOST_TEST((not_started.next("").condition == failure_condition::malformed_request));

  sasl::anonymous_mechanism twice(counting_options());
  BOOST_REQUIRE(twice.start(std::nullopt).what == kind::success);
  BOOST_TEST((twice.start("").condition == failure_condition::malformed_request));
}

BOOST_AUTO_TEST_SUITE_END()
