#include "proto/bosh/condition.hpp"

namespace boshmux::proto::bosh {

std::string_view to_string(condition c) noexcept {
  switch (c) {
  case condition::none:
    return "";
  case condition::bad_request:
    return "bad-request";
  case condition::host_gone:
    return "host-gone";
  case condition::host_unknown:
    return "host-unknown";
  case condition::improper_addressing:
    return "improper-addressing";
  case condition::internal_server_error:
    return "internal-server-error";
  case condition::item_not_found:
    return "item-not-found";
  case condition::other_request:
    return "other-request";
  case condition::policy_violation:
    return "policy-violation";
  case condition::remote_connection_failed:
    return "remote-connection-failed";
  case condition::remote_stream_error:
    return "remote-stream-error";
  case condition::see_other_uri:
    return "see-other-uri";
  case condition::system_shutdown:
    return "system-shutdown";
  case condition::undefined_condition:
    return "undefined-condition";
  }
  return "undefined-condition";
}

unsigned legacy_status(condition c) noexcept {
  switch (c) {
  case condition::bad_request:
    return 400;
  case condition::policy_violation:
    return 403;
  case condition::item_not_found:
    return 404;
  default:
    return 0;
  }
}

http_answer terminal_answer(condition c, bool legacy, std::string_view payloads) {
  if (legacy && legacy_status(c) != 0) {
    return {legacy_status(c), {}};
  }
  std::string body = "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate'";
  if (c != condition::none) {
    body.append(" condition='").append(to_string(c)).append("'");
  }
  if (c == condition::remote_stream_error || payloads.find("<stream:") != std::string_view::npos) {
    body.append(" xmlns:stream='http://etherx.jabber.org/streams'");
  }
  if (payloads.empty()) {
    body.append("/>");
  } else {
    body.append(">").append(payloads).append("</body>");
  }
  return {200, std::move(body)};
}

} // namespace boshmux::proto::bosh
