#include "lib/auth/auth_backend.hpp"
#include "proto/common/base64.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <optional>
#include <string>

BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::string>)
BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<boshmux::proto::sasl::scram_credentials>)

namespace {

using boshmux::auth::auth_backend;
using boshmux::auth::jwt_error;
using boshmux::auth::jwt_options;
using boshmux::auth::jwt_verifier;
using boshmux::auth::users_file;
using boshmux::auth::users_file_store;
using boshmux::proto::base64url_encode;
using boshmux::proto::sasl::hash_kind;

namespace fs = std::filesystem;

/// `s` as an engaged optional, for comparisons.
std::optional<std::string> some(std::string s) {
  return s;
}

/// The fixed "now" of every test.
constexpr std::int64_t now = 1'700'000'000;

/// A 32-byte key.
const std::string key = "0123456789abcdef0123456789abcdef";

/// An HS256 token for `sub` expiring at `exp`.
std::string token(const std::string& sub, std::int64_t exp = now + 60) {
  const auto input = base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." +
                     base64url_encode(nlohmann::json{{"sub", sub}, {"exp", exp}}.dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &length);
  return input + "." + base64url_encode({reinterpret_cast<const char*>(mac), length});
}

/// A JWT verifier at `now`.
std::unique_ptr<jwt_verifier> make_jwt() {
  jwt_options options;
  options.key = key;
  return std::make_unique<jwt_verifier>(std::move(options), [] { return now; });
}

/// A users store (never saved) holding alice with password "secret", and bob with a
/// password shaped like a JWT.
std::unique_ptr<users_file_store> make_users() {
  users_file file;
  std::uint8_t next = 0;
  const users_file::random_source random = [&next](std::size_t n) {
    std::string bytes;
    for (std::size_t i = 0; i < n; ++i) {
      bytes.push_back(static_cast<char>(++next));
    }
    return bytes;
  };
  BOOST_REQUIRE(file.add_or_replace("alice", "secret", random, 64) ==
                users_file::add_status::added);
  BOOST_REQUIRE(file.add_or_replace("bob", "eyJ9.eyJ9.abcd", random, 64) ==
                users_file::add_status::added);
  return std::make_unique<users_file_store>("/nonexistent/users", std::move(file));
}

} // namespace

BOOST_AUTO_TEST_SUITE(auth_backend_tests)

BOOST_AUTO_TEST_CASE(routes_jwt_shaped_passwords_to_the_verifier) {
  auth_backend backend(make_users(), make_jwt());
  BOOST_TEST(backend.has_jwt());
  BOOST_TEST(backend.has_users_file());
  BOOST_TEST(backend.verify_plain("carol", token("carol")) == some("carol"));
  BOOST_TEST(!backend.last_jwt_error());
  BOOST_TEST(!backend.verify_plain("carol", token("carol", now - 60)));
  BOOST_TEST((backend.last_jwt_error() == jwt_error::expired));
  BOOST_TEST(!backend.verify_plain("alice", token("carol")));
  BOOST_TEST((backend.last_jwt_error() == jwt_error::user_mismatch));
  BOOST_TEST(backend.verify_plain("alice", "secret") == some("alice"));
  BOOST_TEST(!backend.verify_plain("alice", "wrong"));
  // A users-file password shaped like a JWT goes to the verifier while one is configured.
  BOOST_TEST(!backend.verify_plain("bob", "eyJ9.eyJ9.abcd"));

  const auto& c = backend.counters();
  BOOST_TEST(c.jwt_ok == 1u);
  BOOST_TEST(c.jwt_failed == 3u);
  BOOST_TEST(c.plain_ok == 1u);
  BOOST_TEST(c.plain_failed == 1u);
}

BOOST_AUTO_TEST_CASE(uses_the_users_file_alone_without_jwt) {
  auth_backend backend(make_users(), nullptr);
  BOOST_TEST(!backend.has_jwt());
  BOOST_TEST(!backend.verify_plain("carol", token("carol")));
  BOOST_TEST(backend.verify_plain("bob", "eyJ9.eyJ9.abcd") == some("bob"));
  BOOST_TEST(backend.scram_credentials_for("alice", hash_kind::sha256));
  BOOST_TEST(backend.scram_credentials_for("alice", hash_kind::sha1));
  BOOST_TEST(!backend.scram_credentials_for("carol", hash_kind::sha1));
  BOOST_TEST(backend.counters().plain_ok == 1u);
  BOOST_TEST(backend.counters().plain_failed == 1u);
  BOOST_TEST(backend.counters().jwt_failed == 0u);
}

BOOST_AUTO_TEST_CASE(uses_jwt_alone_without_a_users_file) {
  auth_backend backend(nullptr, make_jwt());
  BOOST_TEST(!backend.has_users_file());
  BOOST_TEST(backend.verify_plain("dave", token("dave")) == some("dave"));
  BOOST_TEST(!backend.verify_plain("dave", "secret"));
  BOOST_TEST(!backend.scram_credentials_for("dave", hash_kind::sha256));
  BOOST_TEST(!backend.reload_users_file());
  BOOST_TEST(backend.counters().jwt_ok == 1u);
  BOOST_TEST(backend.counters().plain_failed == 1u);
}

BOOST_AUTO_TEST_CASE(refuses_everything_without_backends) {
  auth_backend backend(nullptr, nullptr);
  BOOST_TEST(!backend.verify_plain("alice", "secret"));
  BOOST_TEST(!backend.verify_plain("carol", token("carol")));
  BOOST_TEST(!backend.scram_credentials_for("alice", hash_kind::sha256));
  BOOST_TEST(backend.counters().plain_failed == 2u);
}

BOOST_AUTO_TEST_CASE(reload_keeps_accounts_when_the_file_is_missing) {
  auth_backend backend(make_users(), nullptr);
  const auto result = backend.reload_users_file();
  BOOST_REQUIRE(result);
  BOOST_TEST(!result->reloaded);
  BOOST_TEST(result->message.find("/nonexistent/users") != std::string::npos, result->message);
  BOOST_TEST(backend.verify_plain("alice", "secret"));
}

BOOST_AUTO_TEST_SUITE_END()
