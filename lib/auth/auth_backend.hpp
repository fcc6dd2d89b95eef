#pragma once

#include "lib/auth/jwt.hpp"
#include "lib/auth/users_file.hpp"
#include "proto/sasl/mechanism.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace boshmux::auth {

/// Login outcomes since start, for metrics.
struct auth_counters {
  /// PLAIN passwords accepted by the users file.
  std::uint64_t plain_ok = 0;
  /// PLAIN passwords refused (wrong password, unknown user, or no backend for them).
  std::uint64_t plain_failed = 0;
  /// JWTs accepted.
  std::uint64_t jwt_ok = 0;
  /// JWTs refused (expired, bad signature, wrong audience, ...).
  std::uint64_t jwt_failed = 0;
};

/// The credential store the SASL mechanisms use: the configured backends behind one
/// interface. A PLAIN password shaped like a JWT goes to the JWT verifier when one is
/// configured; any other goes to the users file. SCRAM uses the users file only. Every
/// failure looks the same to the client (the mechanisms answer not-authorized); the reason
/// of a JWT failure is kept for debug logs and never includes the token.
class auth_backend final : public proto::sasl::credential_store {
public:
  /// Either backend may be null.
  auth_backend(std::unique_ptr<users_file_store> users, std::unique_ptr<jwt_verifier> jwt);
  auth_backend(const auth_backend&) = delete;
  auth_backend& operator=(const auth_backend&) = delete;

  /// The users file's SCRAM credentials; nullopt when there is no users file.
  std::optional<proto::sasl::scram_credentials>
  scram_credentials_for(std::string_view username, proto::sasl::hash_kind h) override;

  /// Checks a PLAIN password against the JWT verifier or the users file (see the class
  /// comment); nullopt when neither accepts it.
  std::optional<std::string> verify_plain(std::string_view authcid,
                                          std::string_view password) override;

  /// Reloads the users file (on SIGHUP); keeps the old accounts when the file is broken.
  /// @return the result, or nullopt when there is no users file.
  [[nodiscard]] std::optional<users_file_store::reload_result> reload_users_file();

  /// True when a users file is configured (SCRAM can be offered).
  bool has_users_file() const noexcept { return users_ != nullptr; }
  /// True when JWT login is configured.
  bool has_jwt() const noexcept { return jwt_ != nullptr; }

  /// Login outcomes since start.
  const auth_counters& counters() const noexcept { return counters_; }

  /// Why the last JWT was refused (a jwt_error), clear when it was accepted or none was
  /// seen. For debug logs and tests only: never send it to the client.
  std::error_code last_jwt_error() const noexcept { return last_jwt_error_; }

private:
  /// The users file, or null.
  std::unique_ptr<users_file_store> users_;
  /// The JWT verifier, or null.
  std::unique_ptr<jwt_verifier> jwt_;
  /// Login outcomes.
  auth_counters counters_;
  /// The reason of the last JWT refusal.
  std::error_code last_jwt_error_;
};

} // namespace boshmux::auth
