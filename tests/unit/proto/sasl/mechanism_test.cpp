#include "proto/sasl/mechanism.hpp"

#include <boost/test/unit_test.hpp>

namespace sasl = boshmux::proto::sasl;
using sasl::failure_condition;
using names = std::vector<std::string>;

namespace {

/// A store with no accounts; make_mechanism never calls it.
class empty_store final : public sasl::credential_store {
public:
  std::optional<sasl::scram_credentials> scram_credentials_for(std::string_view,
                                                               sasl::hash_kind) override {
    return std::nullopt;
  }
  std::optional<std::string> verify_plain(std::string_view, std::string_view) override {
    return std::nullopt;
  }
};

sasl::mechanism_options with_random() {
  sasl::mechanism_options options;
  options.random_bytes = [](std::size_t n) { return std::string(n, '\x42'); };
  return options;
}

} // namespace

BOOST_AUTO_TEST_SUITE(sasl_mechanism)

BOOST_AUTO_TEST_CASE(condition_names_follow_rfc6120) {
  const std::pair<failure_condition, const char*> expected[] = {
      {failure_condition::aborted, "aborted"},
      {failure_condition::account_disabled, "account-disabled"},
      {failure_condition::credentials_expired, "credentials-expired"},
      {failure_condition::encryption_required, "encryption-required"},
      {failure_condition::incorrect_encoding, "incorrect-encoding"},
      {failure_condition::invalid_authzid, "invalid-authzid"},
      {failure_condition::invalid_mechanism, "invalid-mechanism"},
      {failure_condition::malformed_request, "malformed-request"},
      {failure_condition::mechanism_too_weak, "mechanism-too-weak"},
      {failure_condition::not_authorized, "not-authorized"},
      {failure_condition::temporary_auth_failure, "temporary-auth-failure"},
  };
  for (const auto& [condition, name] : expected) {
    BOOST_TEST(sasl::to_string(condition) == name);
  }
}

BOOST_AUTO_TEST_CASE(names_are_strongest_first_and_never_plus) {
  auto options = with_random();
  BOOST_TEST(sasl::mechanism_names(options) == (names{"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"}));
  options.anonymous = true;
  BOOST_TEST(sasl::mechanism_names(options) ==
             (names{"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "ANONYMOUS"}));
  options.plain = false;
  BOOST_TEST(sasl::mechanism_names(options) ==
             (names{"SCRAM-SHA-256", "SCRAM-SHA-1", "ANONYMOUS"}));
  options.scram = false;
  BOOST_TEST(sasl::mechanism_names(options) == (names{"ANONYMOUS"}));
  options.anonymous = false;
  BOOST_TEST(sasl::mechanism_names(options).empty());
}

BOOST_AUTO_TEST_CASE(mechanisms_needing_randomness_are_off_without_a_source) {
  sasl::mechanism_options options;
  options.anonymous = true;
  BOOST_TEST(sasl::mechanism_names(options) == (names{"PLAIN"}));
  empty_store store;
  BOOST_TEST(!sasl::make_mechanism("SCRAM-SHA-256", store, options));
  BOOST_TEST(!sasl::make_mechanism("ANONYMOUS", store, options));
  BOOST_TEST(sasl::make_mechanism("PLAIN", store, options) != nullptr);
}

BOOST_AUTO_TEST_CASE(makes_every_advertised_mechanism) {
  auto options = with_random();
  options.anonymous = true;
  empty_store store;
  for (const auto& name : sasl::mechanism_names(options)) {
    BOOST_TEST_CONTEXT(name) {
      auto m = sasl::make_mechanism(name, store, options);
      BOOST_REQUIRE(m != nullptr);
      // An absent initial response gets an empty challenge, except ANONYMOUS, whose trace
      // is optional: it succeeds at once.
      const auto s = m->start(std::nullopt);
      const auto expected =
          name == "ANONYMOUS" ? sasl::step::kind::success : sasl::step::kind::challenge;
      BOOST_TEST((s.what == expected));
      BOOST_TEST(s.data.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(unknown_or_disabled_names_give_nullptr) {
  auto options = with_random();
  empty_store store;
  for (const char* name : {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "plain", "Plain", "DIGEST-MD5",
                           "X-OAUTH2", "", "ANONYMOUS", "SCRAM-SHA-512"}) {
    BOOST_TEST(!sasl::make_mechanism(name, store, options), name);
  }
  options.plain = false;
  BOOST_TEST(!sasl::make_mechanism("PLAIN", store, options));
  options.scram = false;
  BOOST_TEST(!sasl::make_mechanism("SCRAM-SHA-1", store, options));
}

BOOST_AUTO_TEST_CASE(scram_mechanism_name_per_hash) {
  BOOST_TEST(sasl::scram_mechanism_name(sasl::hash_kind::sha1) == "SCRAM-SHA-1");
  BOOST_TEST(sasl::scram_mechanism_name(sasl::hash_kind::sha256) == "SCRAM-SHA-256");
}

BOOST_AUTO_TEST_CASE(step_constructors_fill_the_right_fields) {
  const auto c = sasl::step::challenge("abc");
  BOOST_TEST((c.what == sasl::step::kind::challenge));
  BOOST_TEST(c.data == "abc");
  const auto s = sasl::step::success("v=x", "juliet", "juliet@example.com");
  BOOST_TEST((s.what == sasl::step::kind::success));
  BOOST_TEST(s.username == "juliet");
  BOOST_TEST(s.authzid == "juliet@example.com");
  const auto f = sasl::step::failure(failure_condition::aborted);
  BOOST_TEST((f.what == sasl::step::kind::failure));
  BOOST_TEST((f.condition == failure_condition::aborted));
}

BOOST_AUTO_TEST_CASE(authzid_rule) {
  using sasl::detail::check_authzid;
  BOOST_TEST(check_authzid("", "juliet").value() == "");
  BOOST_TEST(check_authzid("juliet@example.com", "juliet").value() == "juliet@example.com");
  BOOST_TEST(check_authzid("JULIET@EXAMPLE.COM.", "juliet").value() == "juliet@example.com");
  BOOST_TEST(!check_authzid("romeo@example.com", "juliet"));
  BOOST_TEST(!check_authzid("juliet@example.com/r", "juliet"));
  BOOST_TEST(!check_authzid("juliet", "juliet"));
  BOOST_TEST(!check_authzid("example.com", ""));
  BOOST_TEST(!check_authzid("@example.com", ""));
}

BOOST_AUTO_TEST_CASE(utf8_length_counts_code_points_strictly) {
  using sasl::detail::utf8_length;
  BOOST_TEST(utf8_length("").value() == 0u);
  BOOST_TEST(utf8_length("abc").value() == 3u);
  BOOST_TEST(utf8_length("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80").value() == 3u);
  BOOST_TEST(utf8_length("\xf4\x8f\xbf\xbf").value() == 1u); // U+10FFFF
  BOOST_TEST(utf8_length(std::string("a\0b", 3)).value() == 3u);
  for (const char* bad :
       {"\x80", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf0\x80\x80\xaf",
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xc3", "\xe2\x82", "\xc3\x28"}) {
    BOOST_TEST(!utf8_length(bad).has_value());
  }
}

BOOST_AUTO_TEST_CASE(draw_random_demands_the_exact_length) {
  using sasl::detail::draw_random;
  BOOST_TEST(!draw_random(nullptr, 4));
  BOOST_TEST(draw_random([](std::size_t n) { return std::string(n, 'r'); }, 4).value() == "rrrr");
  BOOST_TEST(!draw_random([](std::size_t n) { return std::string(n + 1, 'r'); }, 4));
  BOOST_TEST(!draw_random([](std::size_t) { return std::string(); }, 4));
}

BOOST_AUTO_TEST_SUITE_END()
