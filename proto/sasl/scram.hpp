#pragma once

#include "proto/sasl/mechanism.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace boshmux::proto::sasl {

/// The stored credentials for `password` (RFC 5802 section 3): SaltedPassword =
/// PBKDF2-HMAC-H(SASLprep(password) as a query string, salt, iterations); StoredKey =
/// H(HMAC(SaltedPassword, "Client Key")); ServerKey = HMAC(SaltedPassword, "Server Key").
/// @return nullopt when the password fails SASLprep, `iterations` is 0 or above INT_MAX,
/// or OpenSSL fails.
std::optional<scram_credentials> derive_scram_credentials(std::string_view password,
                                                          std::string_view salt,
                                                          unsigned iterations, hash_kind h);

/// The server side of SCRAM-SHA-1 (RFC 5802) and SCRAM-SHA-256 (RFC 7677), without channel
/// binding (no -PLUS variant is ever offered).
///
/// Exchange: client-first (initial response, or the response to an empty challenge when the
/// client sent none) -> challenge server-first `r=<cnonce><snonce>,s=<salt>,i=<n>` ->
/// client-final -> success with `v=<ServerSignature>`, or failure.
///
/// Failures:
/// - malformed-request: a message over max_message_bytes or not matching the RFC 5802
///   section 7 grammar (bad gs2 header, an `=` escape other than =2C and =3D, a NUL,
///   invalid UTF-8, an empty or non-printable nonce, a mandatory `m=` extension, attributes
///   out of order, bad base64); a gs2 flag `p=...` (the client wants channel binding, which
///   is never offered, so the request is unusable as sent); a username over
///   max_authcid_bytes or an authzid over max_authzid_bytes; a `c=` that is not the base64
///   of the gs2 header exactly; an `r=` that is not the full nonce; a proof of the wrong
///   length; any call after the exchange ended.
/// - not-authorized, only in answer to client-final: a wrong proof, or a username that names
///   no account with credentials for this hash (including one failing SASLprep or
///   Nodeprep). An unknown user gets a server-first of the same shape as a real one: a salt
///   derived from the name with mechanism_options::scram_unknown_user_key (stable per name,
///   unpredictable without the key) and scram_iterations_for_unknown_users.
/// - invalid-authzid, only after a correct proof: see detail::check_authzid.
/// - temporary-auth-failure: random_bytes is unset or returned the wrong length.
class scram_mechanism final : public mechanism {
public:
  /// Largest client-first or client-final message, in bytes.
  static constexpr std::size_t max_message_bytes = 4096;
  /// Random bytes in the server nonce (base64-encoded: 24 characters, never a ',').
  static constexpr std::size_t server_nonce_bytes = 18;

  /// `store` must outlive the mechanism; `options` is copied.
  scram_mechanism(hash_kind h, credential_store& store, const mechanism_options& options);
  scram_mechanism(const scram_mechanism&) = delete;
  scram_mechanism& operator=(const scram_mechanism&) = delete;

  /// With an initial response: handles it as client-first. Without: an empty challenge.
  [[nodiscard]] step start(std::optional<std::string_view> initial_response) override;
  /// Handles client-first (after an empty challenge) or client-final.
  [[nodiscard]] step next(std::string_view response) override;

  /// Uses `nonce` as the server part of the nonce instead of drawing one, so that tests can
  /// replay published exchanges. It must be printable ASCII without ','.
  void set_server_nonce_for_test(std::string nonce);

private:
  /// Parses client-first, looks up the account and builds server-first.
  step on_client_first(std::string_view message);
  /// Parses client-final and checks the proof.
  step on_client_final(std::string_view message);
  /// Fills credentials_ with the stand-in for an unknown `name`.
  void use_unknown_user_credentials(std::string_view name);

  /// Where the exchange stands.
  enum class state { initial, awaiting_client_first, awaiting_client_final, done };

  /// The hash function.
  hash_kind hash_;
  /// The accounts.
  credential_store& store_;
  /// The injected randomness.
  std::function<std::string(std::size_t)> random_bytes_;
  /// Iteration count shown for unknown users.
  unsigned unknown_iterations_;
  /// Salt length shown for unknown users.
  std::size_t unknown_salt_bytes_;
  /// Key of the fake salts of unknown users.
  std::string unknown_user_key_;
  /// The test override of the server nonce.
  std::optional<std::string> server_nonce_for_test_;

  /// Where the exchange stands.
  state state_ = state::initial;
  /// The gs2 header exactly as received, which `c=` must repeat.
  std::string gs2_header_;
  /// The decoded authzid, empty when none was given.
  std::string authzid_;
  /// The prepared localpart, empty when the username cannot name an account.
  std::string username_;
  /// client-first-message-bare, for AuthMessage.
  std::string client_first_bare_;
  /// The server-first message, for AuthMessage.
  std::string server_first_;
  /// Client nonce followed by server nonce.
  std::string nonce_;
  /// The account's credentials, or the stand-in for an unknown user.
  scram_credentials credentials_;
  /// True when credentials_ belong to a real account.
  bool known_user_ = false;
};

} // namespace boshmux::proto::sasl
