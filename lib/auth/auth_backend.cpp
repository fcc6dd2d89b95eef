#include "lib/auth/auth_backend.hpp"

#include <spdlog/spdlog.h>
#include <utility>

namespace boshmux::auth {

auth_backend::auth_backend(std::unique_ptr<users_file_store> users,
                           std::unique_ptr<jwt_verifier> jwt)
    : users_(std::move(users))
    , jwt_(std::move(jwt)) {}

std::optional<proto::sasl::scram_credentials>
auth_backend::scram_credentials_for(std::string_view username, proto::sasl::hash_kind h) {
  if (!users_) {
    return std::nullopt;
  }
  return users_->scram_credentials_for(username, h);
}

std::optional<std::string> auth_backend::verify_plain(std::string_view authcid,
                                                      std::string_view password) {
  if (jwt_ && jwt_verifier::looks_like_jwt(password)) {
    auto user = jwt_->verify(password, authcid, last_jwt_error_);
    if (user) {
      ++counters_.jwt_ok;
    } else {
      ++counters_.jwt_failed;
      // The reason only: never the token, which is a bearer credential.
      spdlog::debug("auth: JWT refused: {}", last_jwt_error_.message());
    }
    return user;
  }
  auto user = users_ ? users_->verify_plain(authcid, password) : std::nullopt;
  if (user) {
    ++counters_.plain_ok;
  } else {
    ++counters_.plain_failed;
  }
  return user;
}

std::optional<users_file_store::reload_result> auth_backend::reload_users_file() {
  if (!users_) {
    return std::nullopt;
  }
  return users_->reload();
}

} // namespace boshmux::auth
