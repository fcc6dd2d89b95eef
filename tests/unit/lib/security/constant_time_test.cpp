// Secrets are compared in constant time: the comparison helper itself (CRYPTO_memcmp), and
// proof that each check of a secret the server makes goes through it: SCRAM proofs, PLAIN
// passwords against the users file, and JWT signatures. (The component handshake is checked
// by the XMPP server: boshmux only computes and sends its digest.)
#include "lib/auth/jwt.hpp"
#include "lib/auth/users_file.hpp"
#include "proto/common/base64.hpp"
#include "proto/common/sha1.hpp"
#include "proto/sasl/scram.hpp"

#include <boost/test/unit_test.hpp>
#include <optional>
#include <string>
#include <system_error>

namespace {

using boshmux::proto::constant_time_equal;
using boshmux::proto::constant_time_equal_calls_for_test;
namespace sasl = boshmux::proto::sasl;

/// Calls of the helper made while running `f`.
template <typename F> std::uint64_t calls_during(F&& f) {
  const auto before = constant_time_equal_calls_for_test();
  f();
  return constant_time_equal_calls_for_test() - before;
}

/// One account, "user" with password "pencil", for SCRAM (RFC 5802's example).
class one_user_store final : public sasl::credential_store {
public:
  std::optional<sasl::scram_credentials> scram_credentials_for(std::string_view username,
                                                               sasl::hash_kind h) override {
    if (username != "user") {
      return std::nullopt;
    }
    return sasl::derive_scram_credentials(
        "pencil", *boshmux::proto::base64_decode("QSXCR+Q6sek8bf92"), 4096, h);
  }
  std::optional<std::string> verify_plain(std::string_view, std::string_view) override {
    return std::nullopt;
  }
};

sasl::mechanism_options options() {
  sasl::mechanism_options o;
  o.random_bytes = [](std::size_t n) { return std::string(n, 'r'); };
  o.scram_unknown_user_key = std::string(32, 'k');
  return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(constant_time)

BOOST_AUTO_TEST_CASE(helper_compares_every_byte_and_the_length) {
  BOOST_TEST(constant_time_equal("", ""));
  BOOST_TEST(constant_time_equal("secret", "secret"));
  BOOST_TEST(!constant_time_equal("secret", "secreT"));  // last byte
  BOOST_TEST(!constant_time_equal("secret", "Secret"));  // first byte
  BOOST_TEST(!constant_time_equal("secret", "secret2")); // longer
  BOOST_TEST(!constant_time_equal("secret", "secre"));   // shorter
  BOOST_TEST(!constant_time_equal("", "x"));
  const std::string with_nul("a\0b", 3);
  BOOST_TEST(!constant_time_equal(with_nul, std::string("a\0c", 3))); // bytes after a NUL count
  BOOST_TEST(constant_time_equal(with_nul, std::string("a\0b", 3)));
}

BOOST_AUTO_TEST_CASE(scram_proof_is_checked_with_the_helper) {
  one_user_store store;
  const auto o = options();
  for (const bool right : {true, false}) {
    sasl::scram_mechanism m(sasl::hash_kind::sha1, store, o);
    m.set_server_nonce_for_test("3rfcNHYJY1ZVvWVs7j");
    BOOST_REQUIRE(m.start("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL").what ==
                  sasl::step::kind::challenge);
    const std::string proof =
        right ? "v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=" : "v1X8v3Bz2T0CJGbJQyF0X+HI4Ts=";
    sasl::step::kind outcome{};
    const auto n = calls_during([&] {
      outcome = m.next("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=" + proof).what;
    });
    BOOST_TEST(n >= 1U);
    BOOST_TEST((outcome == (right ? sasl::step::kind::success : sasl::step::kind::failure)));
  }
}

BOOST_AUTO_TEST_CASE(plain_password_is_checked_with_the_helper) {
  boshmux::auth::users_file file;
  auto random = [](std::size_t n) { return std::string(n, 's'); };
  BOOST_REQUIRE(file.add_or_replace("alice", "correct horse", random, 64) ==
                boshmux::auth::users_file::add_status::added);
  bool ok = false;
  BOOST_TEST(calls_during([&] { ok = file.verify_password("alice", "correct horse"); }) >= 1U);
  BOOST_TEST(ok);
  BOOST_TEST(calls_during([&] { ok = file.verify_password("alice", "correct horsf"); }) >= 1U);
  BOOST_TEST(!ok);
}

BOOST_AUTO_TEST_CASE(jwt_signature_is_checked_with_the_helper) {
  using boshmux::proto::base64url_encode;
  boshmux::auth::jwt_options o;
  o.key = "0123456789abcdef0123456789abcdef";
  const boshmux::auth::jwt_verifier v(o, [] { return std::int64_t{1'700'000'000}; });
  // A token whose signature has the right length and is wrong in its last byte only.
  const std::string input = base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." +
                            base64url_encode(R"({"sub":"alice","exp":1700000300})");
  const std::string token = input + "." + base64url_encode(std::string(32, 'x'));
  std::error_code ec;
  std::optional<std::string> user;
  BOOST_TEST(calls_during([&] { user = v.verify(token, "", ec); }) >= 1U);
  BOOST_TEST(!user.has_value());
  BOOST_TEST((ec == boshmux::auth::jwt_error::bad_signature));
}

BOOST_AUTO_TEST_SUITE_END()
