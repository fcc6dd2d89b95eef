#pragma once

#include "proto/sasl/mechanism.hpp"

#include <cstddef>
#include <string_view>

namespace boshmux::proto::sasl {

/// The server side of PLAIN (RFC 4616): one message `[authzid] NUL authcid NUL passwd`.
///
/// Outcomes, in the order they are checked:
/// - malformed-request: not exactly two NULs, an empty authcid or password, an authcid or
///   password over max_plain_field_bytes, an authzid over max_authzid_bytes;
/// - not-authorized: the authcid fails SASLprep or Nodeprep (it cannot name an account; the
///   same answer as a wrong password, so nothing is learnt about accounts), or
///   credential_store::verify_plain rejects the password;
/// - invalid-authzid: the authzid is not empty and not a bare JID whose localpart is the
///   authenticated user's (see detail::check_authzid);
/// - success, with no additional data.
class plain_mechanism final : public mechanism {
public:
  /// The mechanism name.
  static constexpr std::string_view name = "PLAIN";
  /// Longest authcid and password, in bytes (RFC 4616 section 2 requires at least 255).
  static constexpr std::size_t max_plain_field_bytes = max_authcid_bytes;
  /// Largest password accepted: a JWT given as the password is often longer than 255 bytes.
  static constexpr std::size_t max_password_bytes = 8192;

  /// `store` must outlive the mechanism.
  explicit plain_mechanism(credential_store& store);
  plain_mechanism(const plain_mechanism&) = delete;
  plain_mechanism& operator=(const plain_mechanism&) = delete;

  /// With an initial response: the outcome. Without one: an empty challenge (RFC 4616
  /// section 2: the client then sends the message as its response).
  [[nodiscard]] step start(std::optional<std::string_view> initial_response) override;
  /// The message after an empty challenge.
  [[nodiscard]] step next(std::string_view response) override;

private:
  /// Parses and verifies the message.
  step finish(std::string_view message);

  /// Where the exchange stands.
  enum class state { initial, awaiting_message, done };

  /// The accounts.
  credential_store& store_;
  /// Where the exchange stands.
  state state_ = state::initial;
};

} // namespace boshmux::proto::sasl
