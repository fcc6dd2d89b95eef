// Fuzz target: lib/auth/jwt (HS256 JWTs given as a PLAIN password).
//
// Input: byte 0 picks the mode and the verifier's options. Mode "raw": the rest is the token
// and, after a '\n', the PLAIN authcid. Mode "signed": the rest is the header JSON, '\n', the
// claims JSON, '\n', the authcid; the target encodes and signs them with the right key, as the
// token issuer would, so that the claim checks behind the signature are fuzzed too.
// Invariants: success only with a true HS256 signature under the key and an "HS256" header;
// on success the error is clear, the user is a prepared non-empty localpart and matches a
// given authcid; on failure the error is a jwt_error; verification is deterministic.

#include "lib/auth/jwt.hpp"
#include "proto/common/base64.hpp"
#include "proto/jid/jid.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <cstddef>
#include <cstdint>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string>
#include <string_view>
#include <system_error>

namespace {

using boshmux::auth::jwt_options;
using boshmux::auth::jwt_verifier;
using boshmux::fuzz::input_reader;

/// The fixed "now" of the verifier.
constexpr std::int64_t now = 1'700'000'000;
/// The HMAC key.
const std::string key = "0123456789abcdef0123456789abcdef";

std::string hs256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return {reinterpret_cast<const char*>(out), length};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input_reader in(data, size);
  const auto choice = in.byte();
  jwt_options options;
  options.key = key;
  if ((choice & 2U) != 0) {
    options.issuer = "issuer";
  }
  if ((choice & 4U) != 0) {
    options.audience = "boshmux";
  }
  if ((choice & 8U) != 0) {
    options.user_claim = "user";
  }
  options.clock_skew = std::chrono::seconds((choice >> 4U) * 60);
  options.max_token_bytes = (choice & 0x80U) != 0 ? 8192 : 512;
  const jwt_verifier verifier(options, [] { return now; });

  std::string token;
  std::string authcid;
  if ((choice & 1U) == 0) {
    token = in.until("\n");
    authcid = in.rest();
  } else {
    const std::string header(in.until("\n"));
    const std::string claims(in.until("\n"));
    authcid = in.rest();
    const auto input =
        boshmux::proto::base64url_encode(header) + "." + boshmux::proto::base64url_encode(claims);
    token = input + "." + boshmux::proto::base64url_encode(hs256(input));
  }

  std::error_code ec;
  const auto user = verifier.verify(token, authcid, ec);
  std::error_code ec2;
  const auto user2 = verifier.verify(token, authcid, ec2);
  BOSHMUX_FUZZ_CHECK(user == user2 && ec == ec2, "verify is not deterministic");
  (void)jwt_verifier::looks_like_jwt(token);
  if (!user) {
    BOSHMUX_FUZZ_CHECK(ec && ec.category() == boshmux::auth::jwt_error_category(),
                       "failure without a jwt_error");
    return 0;
  }
  BOSHMUX_FUZZ_CHECK(!ec, "success with an error");
  BOSHMUX_FUZZ_CHECK(token.size() <= options.max_token_bytes, "token over the size limit");
  BOSHMUX_FUZZ_CHECK(jwt_verifier::looks_like_jwt(token), "accepted token not shaped like a JWT");
  const auto dot1 = token.find('.');
  const auto dot2 = token.rfind('.');
  const auto signature = boshmux::proto::base64url_decode(token.substr(dot2 + 1));
  BOSHMUX_FUZZ_CHECK(signature && *signature == hs256(token.substr(0, dot2)),
                     "accepted without a valid HS256 signature");
  const auto header = boshmux::proto::base64url_decode(token.substr(0, dot1));
  BOSHMUX_FUZZ_CHECK(header && header->find("HS256") != std::string::npos,
                     "accepted without alg HS256");
  BOSHMUX_FUZZ_CHECK(!user->empty(), "empty user");
  const auto prepared = boshmux::proto::jid::nodeprep(*user);
  BOSHMUX_FUZZ_CHECK(prepared && *prepared == *user, "user is not a prepared localpart");
  if (!authcid.empty()) {
    const auto a = boshmux::proto::jid::nodeprep(authcid);
    BOSHMUX_FUZZ_CHECK(a && *a == *user, "token of another user than the authcid");
  }
  return 0;
}
