#include "lib/xmpp/c2s_layer.hpp"

#include "lib/ops/random.hpp"
#include "proto/component/handshake.hpp"
#include "proto/xml/escape.hpp"
#include "proto/xmpp/stanza.hpp"
#include "proto/xmpp/stanza_error.hpp"

#include <spdlog/spdlog.h>

namespace boshmux::xmpp {

namespace px = proto::xmpp;
namespace pb = proto::bosh;

namespace {

std::string stream_error_element(std::string_view condition, std::string_view text) {
  std::string out = "<stream:error><";
  out.append(condition).append(" xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>");
  if (!text.empty()) {
    out.append("<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>");
    proto::xml::append_escaped_text(out, text);
    out.append("</text>");
  }
  return out + "</stream:error>";
}

} // namespace

c2s_layer::c2s_layer(px::c2s_options options, proto::sasl::credential_store& store,
                     upstream_sender upstream)
    : options_(std::move(options))
    , store_(store)
    , upstream_(std::move(upstream)) {}

void c2s_layer::session_created(const bosh::session_info& info) {
  auto& s = *sessions_.emplace(info.sid, std::make_unique<session>(options_, store_)).first->second;
  px::c2s_actions out;
  s.machine.opened(out);
  run(info.sid, out);
}

void c2s_layer::payloads_received(const std::string& sid, std::vector<std::string>& payloads,
                                  const proto::xml::namespace_scope& scope) {
  for (const auto& payload : payloads) {
    const auto it = sessions_.find(sid);
    if (it == sessions_.end()) {
      return; // ended by an earlier payload
    }
    px::c2s_actions out;
    it->second->machine.received(payload, scope, out);
    run(sid, out);
  }
}

void c2s_layer::restart_requested(const std::string& sid) {
  const auto it = sessions_.find(sid);
  if (it == sessions_.end()) {
    return;
  }
  px::c2s_actions out;
  it->second->machine.restarted(out);
  run(sid, out);
}

void c2s_layer::session_ended(const std::string& sid, pb::condition, pb::end_reason) {
  const auto it = sessions_.find(sid);
  if (it == sessions_.end()) {
    return;
  }
  const auto& bound = it->second->machine.bound_jid();
  if (!bound.domain.empty()) {
    const auto j = by_jid_.find(bound.full());
    if (j != by_jid_.end() && j->second == sid) {
      by_jid_.erase(j);
    }
  }
  sessions_.erase(it);
}

void c2s_layer::run(const std::string& sid, px::c2s_actions& actions) {
  for (auto& a : actions) {
    const auto it = sessions_.find(sid);
    if (it == sessions_.end()) {
      return; // the session ended (a stream error, a conflict) while acting
    }
    session& s = *it->second;
    if (auto* c = std::get_if<px::c2s::to_client>(&a)) {
      ++stats_.stanzas_to_clients;
      table_->send(sid, c->payload);
    } else if (auto* e = std::get_if<px::c2s::stream_error>(&a)) {
      ++stats_.stream_errors;
      spdlog::debug("[sid={}] stream error {}: {}", sid, e->condition, e->text);
      table_->terminate(sid, pb::condition::remote_stream_error,
                        stream_error_element(e->condition, e->text));
    } else if (auto* ok = std::get_if<px::c2s::authenticated>(&a)) {
      ++stats_.logins_ok;
      spdlog::debug("[sid={}] authenticated {}@{} with {}", sid, ok->username, options_.domain,
                    ok->mechanism);
    } else if (auto* failed = std::get_if<px::c2s::auth_failed>(&a)) {
      ++stats_.logins_failed;
      spdlog::debug("[sid={}] authentication failed ({}): {}", sid, failed->mechanism,
                    proto::sasl::to_string(failed->condition));
    } else if (auto* b = std::get_if<px::c2s::bind_requested>(&a)) {
      px::c2s_actions more;
      bind(sid, s, *b, more);
      run(sid, more);
    } else if (auto* r = std::get_if<px::c2s::route_stanza>(&a)) {
      ++stats_.stanzas_from_clients;
      route(sid, s, *r);
    }
  }
}

void c2s_layer::bind(const std::string& sid, session& s, const px::c2s::bind_requested& request,
                     px::c2s_actions& out) {
  proto::jid::jid full;
  full.local = s.machine.username();
  full.domain = options_.domain;
  full.resource = request.resource.empty() ? ops::random_hex(8) : request.resource;
  const std::string key = full.full();
  const auto existing = by_jid_.find(key);
  if (existing != by_jid_.end() && existing->second != sid) {
    // DESIGN: the new session wins; the old one ends with a conflict stream error.
    ++stats_.conflicts;
    const std::string old_sid = existing->second;
    by_jid_.erase(existing);
    spdlog::debug("[sid={}] resource conflict for {}: ending {}", sid, key, old_sid);
    table_->terminate(old_sid, pb::condition::remote_stream_error,
                      stream_error_element("conflict", "replaced by a new session"));
  }
  by_jid_[key] = sid;
  s.machine.bind_granted(full, request.iq_id, out);
}

void c2s_layer::bounce_to_client(const std::string& sid, std::string_view stanza,
                                 std::string_view condition) {
  std::error_code ec;
  const auto doc = proto::xml::document::parse(stanza, ec);
  if (!doc || px::must_not_bounce(doc->root())) {
    return;
  }
  ++stats_.stanzas_bounced;
  table_->send(sid, px::error_reply(doc->root(), px::client_namespace, "cancel", condition));
}

bool c2s_layer::deliver_local(const std::string& full_jid, std::string_view stanza) {
  const auto it = by_jid_.find(full_jid);
  if (it == by_jid_.end()) {
    return false;
  }
  ++stats_.stanzas_to_clients;
  return table_->send(it->second, px::with_default_namespace(stanza, px::client_namespace));
}

void c2s_layer::route(const std::string& sid, session&, px::c2s::route_stanza& stanza) {
  if (stanza.to.domain.empty() && stanza.name == "presence") {
    return; // broadcast presence: nobody subscribes yet (no roster storage)
  }
  if (stanza.to.domain == options_.domain) {
    if (!stanza.to.resource.empty() && deliver_local(stanza.to.full(), stanza.stanza)) {
      return;
    }
    bounce_to_client(sid, stanza.stanza, "service-unavailable");
    return;
  }
  if (stanza.to.domain.empty()) {
    bounce_to_client(sid, stanza.stanza, "service-unavailable");
    return;
  }
  if (!upstream_(px::with_default_namespace(stanza.stanza, proto::component::accept_namespace))) {
    bounce_to_client(sid, stanza.stanza, "resource-constraint");
  }
}

void c2s_layer::from_upstream(std::string_view stanza, const proto::xml::namespace_scope& scope) {
  std::error_code ec;
  const auto doc = proto::xml::document::parse(stanza, ec);
  if (!doc) {
    return;
  }
  const auto& root = doc->root();
  const std::string_view to_text = proto::xml::attribute_value(root, "to");
  const auto to = proto::jid::parse_jid(to_text, ec);
  if (to && !to->resource.empty()) {
    const auto it = by_jid_.find(to->full());
    if (it != by_jid_.end()) {
      ++stats_.stanzas_to_clients;
      table_->send(it->second, px::restamp(stanza, root, proto::xml::attribute_value(root, "from"),
                                           px::client_namespace, scope));
      return;
    }
  }
  // Nobody here by that address (RFC 6121 section 8.5): errors back, never silence.
  if (!px::must_not_bounce(root)) {
    ++stats_.stanzas_bounced;
    upstream_(
        px::error_reply(root, proto::component::accept_namespace, "cancel", "service-unavailable"));
  }
}

} // namespace boshmux::xmpp
