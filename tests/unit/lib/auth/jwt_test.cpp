#include "lib/auth/jwt.hpp"
#include "proto/common/base64.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::string>)

namespace {

using boshmux::auth::jwt_error;
using boshmux::auth::jwt_options;
using boshmux::auth::jwt_verifier;
using boshmux::proto::base64url_encode;
using json = nlohmann::json;

namespace fs = std::filesystem;

/// `s` as an engaged optional, for comparisons.
std::optional<std::string> some(std::string s) {
  return s;
}

/// The fixed "now" of every test.
constexpr std::int64_t now = 1'700'000'000;

/// A 32-byte key.
const std::string key = "0123456789abcdef0123456789abcdef";

/// HMAC of `data` with `k` under `md`.
std::string hmac(const EVP_MD* md, const std::string& k, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  HMAC(md, k.data(), static_cast<int>(k.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return {reinterpret_cast<const char*>(out), length};
}

/// A compact JWS of `header` and `payload` (JSON text) signed with HMAC `md` and `k`.
std::string sign(const std::string& header, const std::string& payload, const std::string& k = key,
                 const EVP_MD* md = EVP_sha256()) {
  const auto input = base64url_encode(header) + "." + base64url_encode(payload);
  return input + "." + base64url_encode(hmac(md, k, input));
}

/// The usual HS256 header.
const std::string hs256 = R"({"alg":"HS256","typ":"JWT"})";

/// Claims valid at `now` for alice.
json claims() {
  return json{{"sub", "alice"}, {"exp", now + 300}, {"iat", now - 10}};
}

/// A token for `payload` with the HS256 header.
std::string token(const json& payload) {
  return sign(hs256, payload.dump());
}

/// A verifier at `now` with `options` (the key filled in).
jwt_verifier verifier(jwt_options options = {}) {
  options.key = key;
  return jwt_verifier(std::move(options), [] { return now; });
}

/// The error verify() reports for `t` (cleared on success).
std::error_code error_of(const jwt_verifier& v, const std::string& t,
                         std::string_view authcid = {}) {
  std::error_code ec;
  const auto user = v.verify(t, authcid, ec);
  BOOST_TEST(user.has_value() == !ec);
  return ec;
}

/// A fresh directory, removed with its contents at the end of the test.
using boshmux::test::temp_dir;

} // namespace

BOOST_AUTO_TEST_SUITE(jwt_verifier_tests)

BOOST_AUTO_TEST_CASE(accepts_a_valid_token) {
  std::error_code ec = jwt_error::expired;
  const auto user = verifier().verify(token(claims()), "", ec);
  BOOST_TEST(user == some("alice"));
  BOOST_TEST(!ec);
  // typ is optional.
  BOOST_TEST(!error_of(verifier(), sign(R"({"alg":"HS256"})", claims().dump())));
  BOOST_TEST(
      !error_of(verifier(), sign(R"({"alg":"HS256","kid":"k1","typ":"at+jwt"})", claims().dump())));
}

BOOST_AUTO_TEST_CASE(enforces_exp_with_the_clock_skew) {
  auto c = claims();
  c["exp"] = now - 31;
  BOOST_TEST((error_of(verifier(), token(c)) == jwt_error::expired));
  c["exp"] = now - 30;
  BOOST_TEST((error_of(verifier(), token(c)) == jwt_error::expired));
  c["exp"] = now - 29;
  BOOST_TEST(!error_of(verifier(), token(c)));

  jwt_options strict;
  strict.clock_skew = std::chrono::seconds{0};
  c["exp"] = now;
  BOOST_TEST((error_of(verifier(strict), token(c)) == jwt_error::expired));
  c["exp"] = now + 1;
  BOOST_TEST(!error_of(verifier(strict), token(c)));
  // A fractional NumericDate is rounded towards expiry.
  c["exp"] = static_cast<double>(now) + 0.5;
  BOOST_TEST((error_of(verifier(strict), token(c)) == jwt_error::expired));
  c["exp"] = static_cast<double>(now) + 1.5;
  BOOST_TEST(!error_of(verifier(strict), token(c)));
}

BOOST_AUTO_TEST_CASE(requires_exp) {
  auto c = claims();
  c.erase("exp");
  BOOST_TEST((error_of(verifier(), token(c)) == jwt_error::missing_expiry));
  for (const json& bad : {json("1700000300"), json(nullptr), json(-1), json(1e300),
                          json(std::uint64_t{1} << 63), json::array({now + 300})}) {
    BOOST_TEST_CONTEXT(bad.dump()) {
      c["exp"] = bad;
      BOOST_TEST((error_of(verifier(), token(c)) == jwt_error::missing_expiry));
    }
  }
}

BOOST_AUTO_TEST_CASE(enforces_nbf_and_iat) {
  auto c = claims();
  c["nbf"] = now + 31;
  BOOST_TEST((error_of(verifier(), token(c)) == jwt_error::not_yet_valid));
  c["nbf"] = now + 30;
  BOOST_TEST(!error_of(verifier(), token(c)));
  c["nbf"] = "soon";
  BOOST_TEST((error_of(verifier(), token(c)) == jwt_error::not_yet_valid));
  c.erase("nbf");

  c["iat"] = now + 31;
  BOOST_TEST((error_of(verifier(), token(c)) == jwt_error::issued_in_future));
  c["iat"] = now + 29;
  BOOST_TEST(!error_of(verifier(), token(c)));
  c["iat"] = true;
  BOOST_TEST((error_of(verifier(), token(c)) == jwt_error::issued_in_future));
  c.erase("iat");
  BOOST_TEST(!error_of(verifier(), token(c))); // iat is optional
}

BOOST_AUTO_TEST_CASE(rejects_a_wrong_signature) {
  const auto good = token(claims());
  BOOST_TEST(
      (error_of(verifier(), sign(hs256, claims().dump(), key + "x")) == jwt_error::bad_signature));
  // Another payload under the first token's signature.
  auto c = claims();
  c["sub"] = "mallory";
  const auto forged = token(c);
  const auto spliced = forged.substr(0, forged.rfind('.')) + good.substr(good.rfind('.'));
  BOOST_TEST((error_of(verifier(), spliced) == jwt_error::bad_signature));
  // A truncated signature.
  const auto truncated =
      good.substr(0, good.rfind('.') + 1) + base64url_encode(std::string(31, 'x'));
  BOOST_TEST((error_of(verifier(), truncated) == jwt_error::bad_signature));
}

BOOST_AUTO_TEST_CASE(accepts_only_hs256) {
  const auto payload = claims().dump();
  const auto none_input = base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(payload);
  // "none" with an empty signature is not even three segments; with one it is refused by alg.
  BOOST_TEST((error_of(verifier(), none_input + ".") == jwt_error::malformed));
  BOOST_TEST((error_of(verifier(),
                       none_input + "." + base64url_encode(hmac(EVP_sha256(), key, none_input))) ==
              jwt_error::unsupported_algorithm));
  BOOST_TEST((error_of(verifier(), sign(R"({"alg":"HS512","typ":"JWT"})", payload, key,
                                        EVP_sha512())) == jwt_error::unsupported_algorithm));
  BOOST_TEST((error_of(verifier(), sign(R"({"alg":"RS256","typ":"JWT"})", payload)) ==
              jwt_error::unsupported_algorithm));
  for (const char* header : {R"({"alg":"hs256"})", R"({"alg":"HS256 "})", R"({"typ":"JWT"})",
                             R"({"alg":["HS256"]})", R"({"alg":null})"}) {
    BOOST_TEST_CONTEXT(header) {
      BOOST_TEST((error_of(verifier(), sign(header, payload)) == jwt_error::unsupported_algorithm));
    }
  }
  BOOST_TEST((error_of(verifier(), sign(R"({"alg":"HS256","crit":["exp"]})", payload)) ==
              jwt_error::unsupported_critical_header));
  BOOST_TEST(
      (error_of(verifier(), sign(R"({"alg":"HS256","typ":7})", payload)) == jwt_error::bad_header));
  BOOST_TEST((error_of(verifier(), sign(R"(["HS256"])", payload)) == jwt_error::bad_header));
  BOOST_TEST((error_of(verifier(), sign(R"({"alg":"HS256")", payload)) == jwt_error::bad_header));
}

BOOST_AUTO_TEST_CASE(checks_the_issuer) {
  jwt_options options;
  options.issuer = "https://issuer.example";
  auto c = claims();
  BOOST_TEST((error_of(verifier(options), token(c)) == jwt_error::wrong_issuer));
  c["iss"] = "https://other.example";
  BOOST_TEST((error_of(verifier(options), token(c)) == jwt_error::wrong_issuer));
  c["iss"] = json::array({"https://issuer.example"});
  BOOST_TEST((error_of(verifier(options), token(c)) == jwt_error::wrong_issuer));
  c["iss"] = "https://issuer.example";
  BOOST_TEST(!error_of(verifier(options), token(c)));
  BOOST_TEST(!error_of(verifier(), token(c))); // ignored when not configured
}

BOOST_AUTO_TEST_CASE(checks_the_audience) {
  jwt_options options;
  options.audience = "boshmux";
  auto c = claims();
  BOOST_TEST((error_of(verifier(options), token(c)) == jwt_error::wrong_audience));
  c["aud"] = "boshmux";
  BOOST_TEST(!error_of(verifier(options), token(c)));
  c["aud"] = "other";
  BOOST_TEST((error_of(verifier(options), token(c)) == jwt_error::wrong_audience));
  c["aud"] = json::array({"other", "boshmux"});
  BOOST_TEST(!error_of(verifier(options), token(c)));
  c["aud"] = json::array({"other", "third"});
  BOOST_TEST((error_of(verifier(options), token(c)) == jwt_error::wrong_audience));
  c["aud"] = json::array();
  BOOST_TEST((error_of(verifier(options), token(c)) == jwt_error::wrong_audience));
  c["aud"] = json::array({"boshmux", 7});
  BOOST_TEST((error_of(verifier(options), token(c)) == jwt_error::wrong_audience));
  c["aud"] = 7;
  BOOST_TEST((error_of(verifier(options), token(c)) == jwt_error::wrong_audience));
  // RFC 7519 section 4.1.3: a token for named audiences is refused when none is expected.
  c["aud"] = "boshmux";
  BOOST_TEST((error_of(verifier(), token(c)) == jwt_error::wrong_audience));
}

BOOST_AUTO_TEST_CASE(reads_the_user_from_the_configured_claim) {
  jwt_options options;
  options.user_claim = "preferred_username";
  auto c = claims();
  BOOST_TEST((error_of(verifier(options), token(c)) == jwt_error::missing_user));
  c["preferred_username"] = "Bob";
  std::error_code ec;
  BOOST_TEST(verifier(options).verify(token(c), "", ec) == some("bob"));
  BOOST_TEST(!ec);
}

BOOST_AUTO_TEST_CASE(requires_a_valid_localpart) {
  auto c = claims();
  for (const json& bad : {json(42), json(nullptr), json::array({"alice"})}) {
    c["sub"] = bad;
    BOOST_TEST((error_of(verifier(), token(c)) == jwt_error::missing_user));
  }
  for (const char* bad : {"", "alice@example.org", "a b", "a/b", "\x01"}) {
    BOOST_TEST_CONTEXT(bad) {
      c["sub"] = bad;
      BOOST_TEST((error_of(verifier(), token(c)) == jwt_error::invalid_user));
    }
  }
  c["sub"] = "ALICE";
  std::error_code ec;
  BOOST_TEST(verifier().verify(token(c), "", ec) == some("alice"));
}

BOOST_AUTO_TEST_CASE(requires_the_authcid_to_name_the_token_user) {
  const auto t = token(claims());
  BOOST_TEST(!error_of(verifier(), t, "alice"));
  BOOST_TEST(!error_of(verifier(), t, "Alice"));
  BOOST_TEST(!error_of(verifier(), t, ""));
  BOOST_TEST((error_of(verifier(), t, "bob") == jwt_error::user_mismatch));
  BOOST_TEST((error_of(verifier(), t, "alice@example.org") == jwt_error::user_mismatch));
}

BOOST_AUTO_TEST_CASE(rejects_malformed_tokens) {
  const auto good = token(claims());
  const auto first = good.find('.');
  const auto last = good.rfind('.');
  for (const std::string& bad :
       {std::string(), std::string("abc"), good.substr(0, last), good + ".",
        good + "." + good.substr(last + 1), "." + good.substr(first + 1), good.substr(0, last + 1),
        good.substr(0, first) + ".." + good.substr(last + 1), good + "=", " " + good,
        good.substr(0, first) + "+" + good.substr(first), "a" + good}) {
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST((error_of(verifier(), bad) == jwt_error::malformed));
    }
  }
  BOOST_TEST((error_of(verifier(), sign(hs256, "not json")) == jwt_error::bad_payload));
  BOOST_TEST((error_of(verifier(), sign(hs256, "[1,2]")) == jwt_error::bad_payload));
  BOOST_TEST((error_of(verifier(), sign(hs256, claims().dump() + "x")) == jwt_error::bad_payload));
  BOOST_TEST((error_of(verifier(), sign(hs256, "{\"sub\":\"\xFF\"}")) == jwt_error::bad_payload));
  BOOST_TEST((error_of(verifier(), sign("not json", claims().dump())) == jwt_error::bad_header));

  jwt_options small;
  small.max_token_bytes = good.size() - 1;
  BOOST_TEST((error_of(verifier(small), good) == jwt_error::too_long));
  small.max_token_bytes = good.size();
  BOOST_TEST(!error_of(verifier(small), good));
}

BOOST_AUTO_TEST_CASE(recognises_the_shape_of_a_jwt) {
  BOOST_TEST(jwt_verifier::looks_like_jwt(token(claims())));
  BOOST_TEST(jwt_verifier::looks_like_jwt(sign("{}", "{}")));
  BOOST_TEST(!jwt_verifier::looks_like_jwt("correct horse battery staple"));
  BOOST_TEST(!jwt_verifier::looks_like_jwt("a.b.c"));
  BOOST_TEST(!jwt_verifier::looks_like_jwt("abcd.efgh.ijkl")); // "abcd" is not '{'
  BOOST_TEST(!jwt_verifier::looks_like_jwt("eyJ9.e30.x y"));
  BOOST_TEST(!jwt_verifier::looks_like_jwt(token(claims()) + ".x"));
}

BOOST_AUTO_TEST_CASE(names_every_error) {
  for (int e = static_cast<int>(jwt_error::too_long);
       e <= static_cast<int>(jwt_error::user_mismatch); ++e) {
    const std::error_code ec = static_cast<jwt_error>(e);
    BOOST_TEST(ec.message() != "unknown boshmux.jwt error");
    BOOST_TEST(ec.category().name() == std::string("boshmux.jwt"));
  }
}

BOOST_AUTO_TEST_CASE(refuses_short_keys) {
  jwt_options options;
  options.key = std::string(31, 'k');
  BOOST_CHECK_THROW(jwt_verifier(options, [] { return now; }), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(reads_key_files) {
  const temp_dir dir;
  const auto write = [&dir](const std::string& name, const std::string& content) {
    std::ofstream(dir.path / name, std::ios::binary) << content;
    return dir.path / name;
  };
  std::string error;
  BOOST_TEST(jwt_verifier::read_key_file(write("lf", key + "\n"), error) ==
             std::optional<std::string>(key));
  BOOST_TEST(error == "");
  BOOST_TEST(jwt_verifier::read_key_file(write("crlf", key + "\r\n"), error) ==
             std::optional<std::string>(key));
  BOOST_TEST(jwt_verifier::read_key_file(write("raw", key), error) ==
             std::optional<std::string>(key));
  // Only one line ending is removed; other bytes (NUL included) are key material.
  const std::string binary = std::string("\0\n", 2) + key;
  BOOST_TEST(jwt_verifier::read_key_file(write("bin", binary + "\n\n"), error) ==
             std::optional<std::string>(binary + "\n"));
  BOOST_TEST(!jwt_verifier::read_key_file(write("short", std::string(31, 'k') + "\n"), error));
  BOOST_TEST(error.find("at least 32 bytes") != std::string::npos);
  BOOST_TEST(!jwt_verifier::read_key_file(dir.path / "missing", error));
  BOOST_TEST(error.find("missing") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
