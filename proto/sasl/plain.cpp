#include "proto/sasl/plain.hpp"

#include "proto/jid/jid.hpp"

namespace boshmux::proto::sasl {

plain_mechanism::plain_mechanism(credential_store& store)
    : store_(store) {}

step plain_mechanism::start(std::optional<std::string_view> initial_response) {
  if (state_ != state::initial) {
    state_ = state::done;
    return step::failure(failure_condition::malformed_request);
  }
  if (!initial_response) {
    state_ = state::awaiting_message;
    return step::challenge({});
  }
  return finish(*initial_response);
}

step plain_mechanism::next(std::string_view response) {
  if (state_ != state::awaiting_message) {
    state_ = state::done;
    return step::failure(failure_condition::malformed_request);
  }
  return finish(response);
}

step plain_mechanism::finish(std::string_view message) {
  state_ = state::done;
  // RFC 4616 section 2: message = [authzid] UTF8NUL authcid UTF8NUL passwd.
  const auto first = message.find('\0');
  if (first == std::string_view::npos) {
    return step::failure(failure_condition::malformed_request);
  }
  const auto second = message.find('\0', first + 1);
  if (second == std::string_view::npos ||
      message.find('\0', second + 1) != std::string_view::npos) {
    return step::failure(failure_condition::malformed_request);
  }
  const auto authzid = message.substr(0, first);
  const auto authcid = message.substr(first + 1, second - first - 1);
  const auto password = message.substr(second + 1);
  if (authcid.empty() || password.empty() || authcid.size() > max_plain_field_bytes ||
      password.size() > max_password_bytes || authzid.size() > max_authzid_bytes) {
    return step::failure(failure_condition::malformed_request);
  }

  // RFC 4616 section 2 and RFC 6120 section 6.3.6: SASLprep, then the XMPP localpart rules.
  const auto sasl_name = jid::saslprep(authcid);
  const auto local = sasl_name ? jid::nodeprep(*sasl_name) : std::nullopt;
  if (!local || local->empty()) {
    return step::failure(failure_condition::not_authorized);
  }
  auto username = store_.verify_plain(*local, password);
  if (!username) {
    return step::failure(failure_condition::not_authorized);
  }
  auto authorized = detail::check_authzid(authzid, *username);
  if (!authorized) {
    return step::failure(failure_condition::invalid_authzid);
  }
  return step::success({}, std::move(*username), std::move(*authorized));
}

} // namespace boshmux::proto::sasl
