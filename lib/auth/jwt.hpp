#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace boshmux::auth {

/// Reasons a JWT is rejected (category "boshmux.jwt"). They are for debug logs and tests
/// only: the client always gets the same not-authorized.
enum class jwt_error {
  /// The token is longer than jwt_options::max_token_bytes.
  too_long = 1,
  /// Not three dot-separated segments of canonical unpadded base64url (RFC 7515 section 7.1).
  malformed,
  /// The header is not a JSON object, or has a non-string `typ`.
  bad_header,
  /// `alg` is anything but exactly "HS256" ("none", "HS512", "RS256", missing, ...).
  unsupported_algorithm,
  /// The header has `crit` (RFC 7515 section 4.1.11: no extension is understood).
  unsupported_critical_header,
  /// The HMAC-SHA256 signature does not match.
  bad_signature,
  /// The payload is not a JSON object.
  bad_payload,
  /// There is no `exp`, or it is not a NumericDate.
  missing_expiry,
  /// `exp` is in the past, beyond the clock skew.
  expired,
  /// `nbf` is in the future beyond the clock skew, or is not a NumericDate.
  not_yet_valid,
  /// `iat` is in the future beyond the clock skew, or is not a NumericDate.
  issued_in_future,
  /// An issuer is expected and `iss` is missing or different.
  wrong_issuer,
  /// An audience is expected and `aud` does not contain it, or `aud` is present and no
  /// audience is expected (RFC 7519 section 4.1.3), or it is neither a string nor an array
  /// of strings.
  wrong_audience,
  /// The user claim is missing or not a string.
  missing_user,
  /// The user claim fails Nodeprep or is empty.
  invalid_user,
  /// The PLAIN authcid names another user than the token.
  user_mismatch,
};

/// The category of jwt_error.
const std::error_category& jwt_error_category() noexcept;

inline std::error_code make_error_code(jwt_error e) noexcept {
  return {static_cast<int>(e), jwt_error_category()};
}

/// What a jwt_verifier accepts.
struct jwt_options {
  /// The HMAC key, raw bytes (at least min_key_bytes: RFC 7518 section 3.2).
  std::string key;
  /// The claim holding the localpart.
  std::string user_claim = "sub";
  /// When set, `iss` must equal it.
  std::optional<std::string> issuer;
  /// When set, `aud` (a string or an array of strings) must contain it. When not set, a
  /// token carrying `aud` is rejected (RFC 7519 section 4.1.3).
  std::optional<std::string> audience;
  /// Allowance for clocks that disagree, applied to exp, nbf and iat (0 to 1 hour).
  std::chrono::seconds clock_skew{30};
  /// Longest token accepted, in bytes.
  std::size_t max_token_bytes = 8192;
};

/// Verifies JWTs (RFC 7519) signed with HS256 (RFC 7518 section 3.2), given as a PLAIN
/// password. Only HS256 is accepted: the algorithm comes from configuration, never from the
/// token, so "none" and algorithm confusion are impossible.
class jwt_verifier {
public:
  /// Returns the current time in seconds since the Unix epoch.
  using clock = std::function<std::int64_t()>;

  /// Shortest key accepted, in bytes: the size of the SHA-256 output.
  static constexpr std::size_t min_key_bytes = 32;

  /// Throws std::invalid_argument when `options.key` is shorter than min_key_bytes (a
  /// startup error). `now_seconds` defaults to the system clock.
  explicit jwt_verifier(jwt_options options, clock now_seconds = {});

  /// Reads a key file: its raw bytes, with one trailing "\n" or "\r\n" removed.
  /// @return the key, or nullopt with `error` set (unreadable, or shorter than
  /// min_key_bytes).
  static std::optional<std::string> read_key_file(const std::filesystem::path& path,
                                                  std::string& error);

  /// True when `text` has the shape of a compact JWS: three non-empty dot-separated
  /// segments of the base64url alphabet, the first of which decodes to text starting with
  /// '{'. Cheap: no signature check.
  static bool looks_like_jwt(std::string_view text);

  /// Checks `token`: shape, header (`alg` exactly "HS256", no `crit`), signature (constant
  /// time), then the claims: `exp` required, `nbf` and `iat` when present, `iss` and `aud`
  /// as configured, the user claim. The checks stop at the first failure.
  /// @param authcid the PLAIN authentication identity; when not empty, its Nodeprep'd form
  /// must equal the token's user.
  /// @param ec set to a jwt_error on failure, cleared on success.
  /// @return the Nodeprep'd localpart of the token's user, or nullopt.
  std::optional<std::string> verify(std::string_view token, std::string_view authcid,
                                    std::error_code& ec) const;

  /// The options in use.
  const jwt_options& options() const noexcept { return options_; }

private:
  /// What is accepted.
  jwt_options options_;
  /// The injected clock.
  clock now_seconds_;
};

} // namespace boshmux::auth

template <> struct std::is_error_code_enum<boshmux::auth::jwt_error> : std::true_type {};
