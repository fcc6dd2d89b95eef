#include "proto/common/base64.hpp"
#include "proto/sasl/plain.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <map>
#include <vector>

namespace sasl = boshmux::proto::sasl;
namespace data = boost::unit_test::data;
using sasl::failure_condition;
using kind = sasl::step::kind;

namespace {

/// Accounts with passwords. Records every verify_plain call.
class fake_store final : public sasl::credential_store {
public:
  std::optional<sasl::scram_credentials> scram_credentials_for(std::string_view,
                                                               sasl::hash_kind) override {
    return std::nullopt;
  }

  std::optional<std::string> verify_plain(std::string_view authcid,
                                          std::string_view password) override {
    calls.emplace_back(std::string(authcid), std::string(password));
    const auto account = passwords.find(authcid);
    if (account == passwords.end() || account->second != password) {
      return std::nullopt;
    }
    return std::string(authcid);
  }

  std::map<std::string, std::string, std::less<>> passwords{
      {"juliet", "r0m30myr0m30"},
      {std::string(255, 'j'), "pw"},
      {"romeo", std::string(8192, 'p')},
      {"caf\xc3\xa9", "p\xc3\xa4ss w\xc3\xb6rd"},
  };
  /// Every (authcid, password) given to verify_plain.
  std::vector<std::pair<std::string, std::string>> calls;
};

std::string message(std::string_view authzid, std::string_view authcid, std::string_view password) {
  std::string out(authzid);
  out += '\0';
  out += authcid;
  out += '\0';
  out += password;
  return out;
}

sasl::step run(fake_store& store, std::string_view m) {
  sasl::plain_mechanism mechanism(store);
  return mechanism.start(m);
}

} // namespace

BOOST_AUTO_TEST_SUITE(plain)

BOOST_AUTO_TEST_CASE(checklist_vector_succeeds) {
  fake_store store;
  const auto decoded = boshmux::proto::base64_decode("AGp1bGlldAByMG0zMG15cjBtMzA=");
  BOOST_REQUIRE(decoded.has_value());
  BOOST_TEST(*decoded == message("", "juliet", "r0m30myr0m30"));
  const auto s = run(store, *decoded);
  BOOST_REQUIRE(s.what == kind::success);
  BOOST_TEST(s.username == "juliet");
  BOOST_TEST(s.authzid == "");
  BOOST_TEST(s.data == "");
}

BOOST_AUTO_TEST_CASE(no_initial_response_gets_an_empty_challenge_first) {
  fake_store store;
  sasl::plain_mechanism m(store);
  const auto challenge = m.start(std::nullopt);
  BOOST_REQUIRE(challenge.what == kind::challenge);
  BOOST_TEST(challenge.data == "");
  const auto s = m.next(message("", "juliet", "r0m30myr0m30"));
  BOOST_REQUIRE(s.what == kind::success);
  BOOST_TEST(s.username == "juliet");
}

BOOST_AUTO_TEST_CASE(wrong_password_and_unknown_user_fail_alike) {
  fake_store store;
  const auto wrong = run(store, message("", "juliet", "romeo"));
  const auto unknown = run(store, message("", "nurse", "r0m30myr0m30"));
  BOOST_TEST((wrong.what == kind::failure));
  BOOST_TEST((wrong.condition == failure_condition::not_authorized));
  BOOST_TEST((unknown.what == kind::failure));
  BOOST_TEST((unknown.condition == failure_condition::not_authorized));
}

BOOST_AUTO_TEST_CASE(authcid_is_saslprepped_and_nodeprepped_password_is_verbatim) {
  fake_store store;
  const auto s = run(store, message("", "CAF\xc3\x89", "p\xc3\xa4ss w\xc3\xb6rd"));
  BOOST_REQUIRE(s.what == kind::success);
  BOOST_TEST(s.username == "caf\xc3\xa9");
  BOOST_REQUIRE(store.calls.size() == 1u);
  BOOST_TEST(store.calls[0].first == "caf\xc3\xa9");
  BOOST_TEST(store.calls[0].second == "p\xc3\xa4ss w\xc3\xb6rd");
  // SASLprep deletes the soft hyphen and maps U+00A0, Nodeprep folds case.
  const auto mapped = run(store, message("", "Ju\xc2\xadLiet", "r0m30myr0m30"));
  BOOST_REQUIRE(mapped.what == kind::success);
  BOOST_TEST(mapped.username == "juliet");
}

BOOST_AUTO_TEST_CASE(authcid_that_cannot_be_an_account_is_not_authorized) {
  for (const std::string authcid :
       {"ju liet", "ju@liet", "ju/liet", "ju\x07liet", "\xc0\xaf", "\xc2\xad",
        "a\xc2\xa0"
        "b"}) {
    BOOST_TEST_CONTEXT(authcid) {
      fake_store store;
      const auto s = run(store, message("", authcid, "r0m30myr0m30"));
      BOOST_TEST((s.condition == failure_condition::not_authorized));
      BOOST_TEST(store.calls.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(authzid_naming_the_user_is_accepted_and_prepared) {
  fake_store store;
  for (const std::string authzid :
       {"juliet@example.com", "Juliet@Example.COM", "juliet@other.org"}) {
    const auto s = run(store, message(authzid, "juliet", "r0m30myr0m30"));
    BOOST_REQUIRE(s.what == kind::success);
    BOOST_TEST(s.username == "juliet");
    BOOST_TEST(s.authzid.starts_with("juliet@"));
  }
  BOOST_TEST(run(store, message("Juliet@Example.COM", "juliet", "r0m30myr0m30")).authzid ==
             "juliet@example.com");
}

BOOST_AUTO_TEST_CASE(authzid_mismatch_is_invalid_authzid_after_verification) {
  for (const std::string authzid :
       {"romeo@example.com", "juliet@example.com/balcony", "example.com", "juliet", "@example.com",
        "juliet@", "ju liet@example.com", "juliet@exa mple.com"}) {
    BOOST_TEST_CONTEXT(authzid) {
      fake_store store;
      const auto s = run(store, message(authzid, "juliet", "r0m30myr0m30"));
      BOOST_TEST((s.condition == failure_condition::invalid_authzid));
      // The password is checked first: a wrong one is not-authorized whatever the authzid.
      const auto wrong = run(store, message(authzid, "juliet", "nope"));
      BOOST_TEST((wrong.condition == failure_condition::not_authorized));
    }
  }
}

const std::string malformed_messages[] = {
    "",
    "juliet",
    std::string("\0juliet", 7),
    std::string("\0juliet\0", 8),
    std::string("\0\0r0m30myr0m30", 14),
    std::string("\0\0", 2),
    std::string("\0juliet\0r0m30\0myr0m30", 21),
    std::string("a\0juliet\0r0m30myr0m30\0", 22),
    std::string("\0\0\0", 3),
};

BOOST_DATA_TEST_CASE(malformed_messages_fail_malformed_request, data::make(malformed_messages), m) {
  fake_store store;
  const auto s = run(store, m);
  BOOST_TEST((s.what == kind::failure));
  BOOST_TEST((s.condition == failure_condition::malformed_request));
  BOOST_TEST(store.calls.empty());
}

BOOST_AUTO_TEST_CASE(authcid_limit_is_255_bytes_and_password_limit_8192) {
  // A JWT given as the password is often longer than 255 bytes.
  fake_store store;
  BOOST_TEST((run(store, message("", std::string(255, 'j'), "pw")).what == kind::success));
  BOOST_TEST((run(store, message("", std::string(256, 'j'), "pw")).condition ==
              failure_condition::malformed_request));
  BOOST_TEST((run(store, message("", "romeo", std::string(8192, 'p'))).what == kind::success));
  BOOST_TEST((run(store, message("", "romeo", std::string(8193, 'p'))).condition ==
              failure_condition::malformed_request));
  // The two in-limit messages reach the store; the others do not.
  BOOST_TEST(store.calls.size() == 2u);
}

BOOST_AUTO_TEST_CASE(authzid_limit_is_2047_bytes) {
  fake_store store;
  const std::string domain = std::string(62, 'd') + "." + std::string(62, 'd');
  std::string long_authzid = "juliet@" + domain;
  while (long_authzid.size() + 64 <= 2047) {
    long_authzid += "." + std::string(63, 'd');
  }
  long_authzid += "." + std::string(2047 - long_authzid.size() - 1, 'e');
  BOOST_REQUIRE(long_authzid.size() == 2047u);
  // 2047 bytes parse (the domain is too long for a JID, so invalid-authzid, not malformed).
  BOOST_TEST((run(store, message(long_authzid, "juliet", "r0m30myr0m30")).condition ==
              failure_condition::invalid_authzid));
  BOOST_TEST((run(store, message(long_authzid + "e", "juliet", "r0m30myr0m30")).condition ==
              failure_condition::malformed_request));
}

BOOST_AUTO_TEST_CASE(calls_after_the_end_fail_malformed_request) {
  fake_store store;
  sasl::plain_mechanism done(store);
  BOOST_REQUIRE(done.start(message("", "juliet", "r0m30myr0m30")).what == kind::success);
  BOOST_TEST((done.next(message("", "juliet", "r0m30myr0m30")).condition ==
              failure_condition::malformed_request));
  BOOST_TEST((done.start(std::nullopt).condition == failure_condition::malformed_request));

  sasl::plain_mechanism failed(store);
  BOOST_REQUIRE(failed.start("x").what == kind::failure);
  BOOST_TEST((failed.next(message("", "juliet", "r0m30myr0m30")).what == kind::failure));

  sasl::plain_mechanism not_started(store);
  BOOST_TEST((not_started.next(message("", "juliet", "r0m30myr0m30")).condition ==
              failure_condition::malformed_request));

  sasl::plain_mechanism twice(store);
  BOOST_REQUIRE(twice.start(std::nullopt).what == kind::challenge);
  BOOST_TEST((twice.start(message("", "juliet", "r0m30myr0m30")).condition ==
              failure_condition::malformed_request));
}

BOOST_AUTO_TEST_CASE(empty_initial_response_is_malformed) {
  fake_store store;
  sasl::plain_mechanism m(store);
  BOOST_TEST((m.start(std::string_view()).condition == failure_condition::malformed_request));
}

BOOST_AUTO_TEST_SUITE_END()
