#include "lib/xmpp/c2s_layer.hpp"

#include "lib/ops/random.hpp"
#include "proto/component/handshake.hpp"
#include "proto/xml/escape.hpp"
#include "proto/xmpp/stanza.hpp"

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

/// A bounded metrics label for a client-chosen mechanism name.
std::string mechanism_label(std::string_view name) {
  for (const std::string_view known : {"ANONYMOUS", "PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"}) {
    if (name == known) {
      return std::string(known);
    }
  }
  return "other";
}

} // namespace

c2s_layer::c2s_layer(px::c2s_options options, proto::router::router_options routing,
                     proto::sasl::credential_store& store, upstream_sender upstream)
    : options_(std::move(options))
    , store_(store)
    , upstream_(std::move(upstream))
    , router_(std::move(routing)) {}

void c2s_layer::session_created(const bosh::session_info& info) {
  auto& s = *sessions_.emplace(info.sid, std::make_unique<session>(options_, store_)).first->second;
  px::c2s_actions out;
  s.machine.opened(out, info.xml_lang);
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
  if (sessions_.erase(sid) == 0) {
    return;
  }
  proto::router::router_actions out;
  router_.unbind(sid, out); // presence cleanup, errors for unanswered iqs
  execute(out);
}

void c2s_layer::run(const std::string& sid, px::c2s_actions& actions) {
  for (auto& a : actions) {
    const auto it = sessions_.find(sid);
    if (it == sessions_.end()) {
      return; // the session ended (a stream error, a conflict) while acting
    }
    session& s = *it->second;
    if (auto* c = std::get_if<px::c2s::to_client>(&a)) {
      table_->send(sid, c->payload);
    } else if (auto* e = std::get_if<px::c2s::stream_error>(&a)) {
      ++stats_.stream_errors;
      spdlog::debug("[sid={}] stream error {}: {}", sid, e->condition, e->text);
      table_->terminate(sid, pb::condition::remote_stream_error,
                        stream_error_element(e->condition, e->text), pb::end_reason::stream_error);
    } else if (auto* ok = std::get_if<px::c2s::authenticated>(&a)) {
      ++stats_.logins_ok;
      ++stats_.logins[{ok->mechanism, "success"}];
      spdlog::debug("[sid={}] authenticated {}@{} with {}", sid, ok->username, options_.domain,
                    ok->mechanism);
    } else if (auto* failed = std::get_if<px::c2s::auth_failed>(&a)) {
      ++stats_.logins_failed;
      ++stats_.logins[{mechanism_label(failed->mechanism),
                       std::string(proto::sasl::to_string(failed->condition))}];
      spdlog::debug("[sid={}] authentication failed ({}): {}", sid, failed->mechanism,
                    proto::sasl::to_string(failed->condition));
    } else if (auto* b = std::get_if<px::c2s::bind_requested>(&a)) {
      px::c2s_actions more;
      bind(sid, s, *b, more);
      run(sid, more);
    } else if (auto* r = std::get_if<px::c2s::route_stanza>(&a)) {
      ++stats_.stanzas_from_clients;
      proto::router::router_actions routed;
      router_.from_session(sid, std::move(r->stanza), routed);
      execute(routed);
    }
  }
}

void c2s_layer::execute(proto::router::router_actions& actions) {
  for (auto& a : actions) {
    if (auto* to = std::get_if<proto::router::action::to_session>(&a)) {
      const std::string xml = px::with_default_namespace(std::move(to->xml), px::client_namespace);
      if (!table_->send(to->sid, xml)) {
        // The recipient's queue is full (it does not poll): the sender hears so.
        undeliverable(xml, "resource-constraint");
      }
    } else if (auto* up = std::get_if<proto::router::action::to_server>(&a)) {
      if (up->xml.size() > options_.max_upstream_stanza_bytes) {
        // The server closes the whole component stream over a stanza beyond its limit (Prosody:
        // 512 KiB): refuse it here, to its sender alone.
        undeliverable(up->xml, "policy-violation");
      } else if (!upstream_(
                     px::with_default_namespace(up->xml, proto::component::accept_namespace))) {
        undeliverable(up->xml, "resource-constraint");
      }
    }
  }
}

void c2s_layer::bind(const std::string& sid, session& s, const px::c2s::bind_requested& request,
                     px::c2s_actions& out) {
  proto::jid::jid full;
  full.local = s.machine.username();
  full.domain = options_.domain;
  full.resource = request.resource.empty() ? ops::random_hex(8) : request.resource;
  proto::router::router_actions routed;
  const bool anonymous = s.machine.mechanism() == "ANONYMOUS";
  if (const auto replaced = router_.bind(sid, full, anonymous, routed)) {
    // DESIGN: the new session wins; the old one ends with a conflict stream error (its
    // presence was cleaned up by the router already).
    ++stats_.conflicts;
    spdlog::debug("[sid={}] resource conflict for {}: ending {}", sid, full.full(), *replaced);
    table_->terminate(*replaced, pb::condition::remote_stream_error,
                      stream_error_element("conflict", "replaced by a new session"),
                      pb::end_reason::conflict);
  }
  execute(routed);
  s.machine.bind_granted(full, request.iq_id, out);
}

void c2s_layer::undeliverable(std::string_view stanza, std::string_view condition) {
  ++stats_.stanzas_undeliverable;
  proto::router::router_actions out;
  router_.undeliverable(stanza, condition, out);
  execute(out);
}

void c2s_layer::from_upstream(std::string_view stanza, const proto::xml::namespace_scope& scope) {
  std::error_code ec;
  const auto doc = proto::xml::document::parse(stanza, ec);
  if (!doc) {
    return;
  }
  ++stats_.stanzas_from_server;
  const auto& root = doc->root();
  auto routed = proto::router::make_stanza(
      px::restamp(stanza, root, proto::xml::attribute_value(root, "from"), {}, scope), root);
  if (!routed) {
    // An address the server let through that is not a JID: nothing sensible to answer.
    spdlog::debug("[up] dropped a stanza with an unusable address: {}", stanza);
    return;
  }
  proto::router::router_actions out;
  router_.from_server(std::move(*routed), out);
  execute(out);
}

} // namespace boshmux::xmpp
