#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boshmux::proto::sasl {

/// SASL failure conditions (RFC 6120 section 6.5), sent inside
/// `<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>`.
enum class failure_condition {
  aborted,
  account_disabled,
  credentials_expired,
  encryption_required,
  incorrect_encoding,
  invalid_authzid,
  invalid_mechanism,
  malformed_request,
  mechanism_too_weak,
  not_authorized,
  temporary_auth_failure,
};

/// The element name of `c`, e.g. "not-authorized".
std::string_view to_string(failure_condition c) noexcept;

/// The hash function of a SCRAM mechanism.
enum class hash_kind { sha1, sha256 };

/// The name of the SCRAM mechanism using `h`: "SCRAM-SHA-1" or "SCRAM-SHA-256".
std::string_view scram_mechanism_name(hash_kind h) noexcept;

/// What a server stores for one SCRAM account (RFC 5802 section 3), raw bytes.
struct scram_credentials {
  /// The salt given to PBKDF2.
  std::string salt;
  /// The PBKDF2 iteration count (RFC 7677 section 4: at least 4096).
  unsigned iterations = 0;
  /// H(HMAC(SaltedPassword, "Client Key")).
  std::string stored_key;
  /// HMAC(SaltedPassword, "Server Key").
  std::string server_key;
};

/// The accounts the mechanisms authenticate against. Implemented in lib/ (users file, JWT).
class credential_store {
public:
  virtual ~credential_store() = default;

  /// The SCRAM credentials of `username` (a Nodeprep'd localpart) for hash `h`, or nullopt
  /// when there is no such account or it has none for `h`.
  virtual std::optional<scram_credentials> scram_credentials_for(std::string_view username,
                                                                 hash_kind h) = 0;

  /// Checks a PLAIN password. `authcid` is the Nodeprep'd localpart; `password` is exactly
  /// as the client sent it (the store applies SASLprep where it derives keys from it, as
  /// derive_scram_credentials does).
  /// @return the authenticated localpart, or nullopt when the credentials are wrong.
  virtual std::optional<std::string> verify_plain(std::string_view authcid,
                                                  std::string_view password) = 0;
};

/// One outcome of a mechanism: a challenge to send, or the end of the exchange.
struct step {
  /// Which element the caller sends next.
  enum class kind { challenge, success, failure };

  /// The element to send.
  kind what = kind::failure;
  /// Raw bytes (the caller base64-encodes them): the challenge data, or on success the
  /// additional data (SCRAM's `v=...`, empty for PLAIN and ANONYMOUS).
  std::string data;
  /// On failure: the condition to send. Unspecified otherwise.
  failure_condition condition = failure_condition::not_authorized;
  /// On success: the authenticated localpart (the identity is `username@<domain>`).
  std::string username;
  /// On success: the authorization identity the client asked for, a prepared bare JID
  /// whose localpart equals `username`, or empty when it sent none. The mechanism cannot
  /// know the domain: the caller checks that it names its own.
  std::string authzid;

  /// A challenge carrying `data`.
  static step challenge(std::string data);
  /// A success with additional data `data` for `username`, authorized as `authzid`.
  static step success(std::string data, std::string username, std::string authzid = {});
  /// A failure with condition `c`.
  static step failure(failure_condition c);
};

/// Largest authentication identity (PLAIN authcid, SCRAM username) accepted, in bytes; RFC
/// 4616 section 2 requires at least 255. Longer ones fail with malformed-request.
inline constexpr std::size_t max_authcid_bytes = 255;
/// Largest authorization identity accepted, in bytes: a bare JID (1023 + '@' + 1023).
inline constexpr std::size_t max_authzid_bytes = 2047;

/// The server side of one SASL exchange (RFC 4422 section 3): a step machine that sees
/// only decoded bytes. Base64, `<abort/>` and retries are the caller's business.
class mechanism {
public:
  virtual ~mechanism() = default;

  /// Starts the exchange. `initial_response` is nullopt when the `<auth/>` element was
  /// empty (no initial response), and an empty string when it carried '=' (RFC 6120
  /// section 6.4.2). Calling start twice fails with malformed-request.
  [[nodiscard]] virtual step start(std::optional<std::string_view> initial_response) = 0;

  /// Consumes the decoded content of a `<response/>`. Calling next before start, or after
  /// a success or failure, fails with malformed-request.
  [[nodiscard]] virtual step next(std::string_view response) = 0;
};

/// Which mechanisms to offer, and what they need from the caller.
struct mechanism_options {
  /// Offer ANONYMOUS (RFC 4505; XEP-0175 says not by default).
  bool anonymous = false;
  /// Offer PLAIN (the caller turns it off on channels that are not encrypted).
  bool plain = true;
  /// Offer SCRAM-SHA-256 and SCRAM-SHA-1.
  bool scram = true;
  /// Returns that many bytes from a CSPRNG (tests inject a fixed source). ANONYMOUS and
  /// SCRAM need it: while it is empty they are neither advertised nor created.
  std::function<std::string(std::size_t)> random_bytes;
  /// The PBKDF2 iteration count shown for unknown users: set it to what real accounts use.
  unsigned scram_iterations_for_unknown_users = 4096;
  /// The salt length, in bytes, shown for unknown users (1 to 64): set it to what real
  /// accounts use.
  std::size_t scram_salt_bytes_for_unknown_users = 16;
  /// A secret drawn once per process (32 random bytes) keying the fake salts shown for
  /// unknown users, so that the same name always gets the same salt yet outsiders cannot
  /// compute it. Must be set whenever SCRAM is offered: when empty, the fake salts are
  /// still stable but predictable, which tells an attacker which accounts exist.
  std::string scram_unknown_user_key;
};

/// The mechanism names to advertise, strongest first: SCRAM-SHA-256, SCRAM-SHA-1, PLAIN,
/// ANONYMOUS, each only when enabled. Never a -PLUS variant: over BOSH the TLS channel is
/// not stable enough to bind to.
std::vector<std::string> mechanism_names(const mechanism_options& options);

/// A new exchange for mechanism `name` (matched exactly, as advertised).
/// @param store outlives the returned mechanism.
/// @return nullptr when `name` is unknown or not enabled: the caller answers
/// invalid-mechanism.
std::unique_ptr<mechanism> make_mechanism(std::string_view name, credential_store& store,
                                          const mechanism_options& options);

/// Pieces the mechanisms share; not for other callers.
namespace detail {

/// The authorization identity rule of PLAIN and SCRAM (RFC 6120 section 6.3.8): `authzid`
/// is empty, or a bare JID whose prepared localpart equals the authenticated `username`.
/// @return the prepared bare JID ("" when `authzid` is empty), or nullopt: invalid-authzid.
std::optional<std::string> check_authzid(std::string_view authzid, std::string_view username);

/// Exactly `count` bytes from `random_bytes`; nullopt when it is unset or returns another
/// length (the caller answers temporary-auth-failure).
std::optional<std::string> draw_random(const std::function<std::string(std::size_t)>& random_bytes,
                                       std::size_t count);

/// The number of code points in `text`, or nullopt when it is not UTF-8 (RFC 3629: no
/// overlong forms, surrogates or code points above U+10FFFF).
std::optional<std::size_t> utf8_length(std::string_view text) noexcept;

} // namespace detail

} // namespace boshmux::proto::sasl
