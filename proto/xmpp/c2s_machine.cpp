#include "proto/xmpp/c2s_machine.hpp"

#include "proto/common/base64.hpp"
#include "proto/xml/escape.hpp"
#include "proto/xmpp/services.hpp"
#include "proto/xmpp/stanza.hpp"
#include "proto/xmpp/stanza_error.hpp"

namespace boshmux::proto::xmpp {

namespace {

constexpr std::string_view httpbind_namespace = "http://jabber.org/protocol/httpbind";

std::string sasl_element(std::string_view name, std::string_view data) {
  std::string out = "<";
  out.append(name).append(" xmlns='urn:ietf:params:xml:ns:xmpp-sasl'");
  if (data.empty()) {
    return out + "/>";
  }
  out.append(">").append(base64_encode(data)).append("</").append(name).append(">");
  return out;
}

std::string sasl_failure(sasl::failure_condition c) {
  std::string out = "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><";
  out.append(sasl::to_string(c)).append("/></failure>");
  return out;
}

} // namespace

c2s_machine::c2s_machine(const c2s_options& options, sasl::credential_store& store)
    : options_(options)
    , store_(store) {}

void c2s_machine::opened(c2s_actions& out, std::string_view lang) {
  if (!lang.empty()) {
    lang_ = std::string(lang);
  }
  std::string features = "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>";
  for (const auto& name : sasl::mechanism_names(options_.sasl)) {
    features.append("<mechanism>").append(name).append("</mechanism>");
  }
  features.append("</mechanisms></stream:features>");
  out.push_back(c2s::to_client{std::move(features)});
}

void c2s_machine::restarted(c2s_actions& out) {
  if (state_ != c2s_state::authenticated) {
    // A restart before SASL success changes nothing: the same features again.
    if (state_ == c2s_state::connected) {
      opened(out);
    }
    return;
  }
  state_ = c2s_state::restarted;
  out.push_back(c2s::to_client{
      "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><required/></bind>"
      "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>"
      "</stream:features>"});
}

void c2s_machine::close(std::string condition, std::string text, c2s_actions& out) {
  state_ = c2s_state::closed;
  out.push_back(c2s::stream_error{std::move(condition), std::move(text)});
}

void c2s_machine::received(std::string_view element, const xml::namespace_scope& scope,
                           c2s_actions& out) {
  if (state_ == c2s_state::closed) {
    return;
  }
  std::error_code ec;
  const auto doc = xml::document::parse(element, ec);
  if (!doc) {
    close("not-well-formed", {}, out);
    return;
  }
  const xml::node& root = doc->root();
  const std::string_view ns = xml::namespace_uri(root, scope);
  if (ns == sasl_namespace) {
    on_sasl(root, out);
    return;
  }
  // XEP-0206 section 2: stanzas without a namespace of their own inherit httpbind's.
  if (ns != client_namespace && ns != httpbind_namespace && !ns.empty()) {
    // RFC 6120 sections 4.9.3.10 and 4.9.3.24: another content namespace is
    // invalid-namespace; a first-level child qualified by some other namespace (say
    // <pubsub:publish/>) is an element the server does not understand.
    close(xml::prefix(root).empty() ? "invalid-namespace" : "unsupported-stanza-type", {}, out);
    return;
  }
  const std::string_view name = xml::local_name(root);
  if (name != "message" && name != "presence" && name != "iq") {
    close("unsupported-stanza-type", {}, out);
    return;
  }
  if (state_ == c2s_state::restarted && name == "iq") {
    on_bind(root, out);
    return;
  }
  if (state_ != c2s_state::bound) {
    // RFC 6120 section 7: nothing is routed before a resource is bound.
    close("not-authorized", "authenticate and bind a resource first", out);
    return;
  }
  on_stanza(root, element, scope, out);
}

void c2s_machine::on_sasl(const xml::node& element, c2s_actions& out) {
  const std::string_view name = xml::local_name(element);
  if (state_ != c2s_state::connected) {
    close("policy-violation", "SASL after authentication", out);
    return;
  }
  if (name == "abort") {
    mechanism_.reset();
    sasl_step(sasl::step::failure(sasl::failure_condition::aborted), out);
    return;
  }
  const std::string data = xml::text(element);
  if (name == "auth") {
    mechanism_name_ = std::string(xml::attribute_value(element, "mechanism"));
    mechanism_ = sasl::make_mechanism(mechanism_name_, store_, options_.sasl);
    if (!mechanism_) {
      sasl_step(sasl::step::failure(sasl::failure_condition::invalid_mechanism), out);
      return;
    }
    std::optional<std::string> initial;
    if (data == "=") {
      initial = std::string();
    } else if (!data.empty()) {
      initial = base64_decode(data);
      if (!initial) {
        sasl_step(sasl::step::failure(sasl::failure_condition::incorrect_encoding), out);
        return;
      }
    }
    sasl_step(mechanism_->start(initial), out);
    return;
  }
  if (name == "response") {
    if (!mechanism_) {
      sasl_step(sasl::step::failure(sasl::failure_condition::malformed_request), out);
      return;
    }
    const auto decoded = data == "=" ? std::optional<std::string>("") : base64_decode(data);
    if (!decoded) {
      sasl_step(sasl::step::failure(sasl::failure_condition::incorrect_encoding), out);
      return;
    }
    sasl_step(mechanism_->next(*decoded), out);
    return;
  }
  close("unsupported-stanza-type", "unknown SASL element", out);
}

void c2s_machine::sasl_step(const sasl::step& step, c2s_actions& out) {
  switch (step.what) {
  case sasl::step::kind::challenge:
    out.push_back(c2s::to_client{sasl_element("challenge", step.data)});
    return;
  case sasl::step::kind::success: {
    // The authorization identity, when given, must name this domain (RFC 6120 6.3.8).
    if (!step.authzid.empty() && step.authzid != step.username + "@" + options_.domain) {
      sasl_step(sasl::step::failure(sasl::failure_condition::invalid_authzid), out);
      return;
    }
    mechanism_.reset();
    username_ = step.username;
    state_ = c2s_state::authenticated;
    out.push_back(c2s::authenticated{mechanism_name_, username_});
    out.push_back(c2s::to_client{sasl_element("success", step.data)});
    return;
  }
  case sasl::step::kind::failure:
    mechanism_.reset();
    ++failures_;
    out.push_back(c2s::auth_failed{mechanism_name_, step.condition});
    out.push_back(c2s::to_client{sasl_failure(step.condition)});
    if (failures_ >= options_.max_auth_failures) {
      close("policy-violation", "too many failed authentication attempts", out);
    }
    return;
  }
}

void c2s_machine::on_bind(const xml::node& iq, c2s_actions& out) {
  const std::string_view id = xml::attribute_value(iq, "id");
  const xml::node* child = only_child(iq);
  if (xml::attribute_value(iq, "type") != "set" || child == nullptr ||
      xml::local_name(*child) != "bind" || xml::namespace_uri(*child) != bind_namespace) {
    close("not-authorized", "bind a resource first", out);
    return;
  }
  std::string resource;
  if (const xml::node* r = child->first_node("resource")) {
    const auto prepared = jid::resourceprep(xml::text(*r));
    if (!prepared) {
      out.push_back(c2s::to_client{error_reply(iq, client_namespace, "modify", "bad-request")});
      return;
    }
    resource = *prepared;
  }
  state_ = c2s_state::binding;
  out.push_back(c2s::bind_requested{std::move(resource), std::string(id)});
}

void c2s_machine::bind_granted(const jid::jid& full, std::string_view iq_id, c2s_actions& out) {
  jid_ = full;
  state_ = c2s_state::bound;
  std::string child = "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>";
  xml::append_escaped_text(child, full.full());
  child.append("</jid></bind>");
  out.push_back(c2s::to_client{iq_result(client_namespace, iq_id, {}, full.full(), child)});
}

void c2s_machine::bind_refused(std::string_view condition, std::string_view iq_id,
                               c2s_actions& out) {
  state_ = c2s_state::restarted;
  std::string reply = "<iq xmlns='jabber:client' type='error' id='";
  xml::append_escaped_attribute(reply, iq_id);
  reply.append("'><error type='cancel'><").append(condition);
  reply.append(" xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
  out.push_back(c2s::to_client{std::move(reply)});
}

void c2s_machine::on_stanza(const xml::node& element, std::string_view raw,
                            const xml::namespace_scope& scope, c2s_actions& out) {
  const std::string_view name = xml::local_name(element);
  const std::string_view type = xml::attribute_value(element, "type");
  const bool is_iq = name == "iq";
  // RFC 6120 section 8.2.3: get/set carry an id and exactly one child.
  if (is_iq && (type == "get" || type == "set") &&
      (xml::find_attribute(element, "id") == nullptr || only_child(element) == nullptr)) {
    out.push_back(c2s::to_client{error_reply(element, client_namespace, "modify", "bad-request")});
    return;
  }
  if (is_iq && type != "get" && type != "set" && type != "result" && type != "error") {
    out.push_back(c2s::to_client{error_reply(element, client_namespace, "modify", "bad-request")});
    return;
  }
  // The client's `from` is never trusted: absent or its own, else refused (DESIGN: a spoofed
  // `from` must never reach the component stream).
  if (const auto* from = xml::find_attribute(element, "from")) {
    std::error_code ec;
    const auto claimed = jid::parse_jid({from->value(), from->value_size()}, ec);
    if (!claimed || (claimed->full() != jid_.full() && claimed->full() != jid_.bare())) {
      if (!must_not_bounce(element)) {
        out.push_back(c2s::to_client{error_reply(element, client_namespace, "auth", "forbidden")});
      }
      return;
    }
  }
  jid::jid to;
  if (const auto* to_attr = xml::find_attribute(element, "to")) {
    std::error_code ec;
    auto parsed = jid::parse_jid({to_attr->value(), to_attr->value_size()}, ec);
    if (!parsed) {
      if (!must_not_bounce(element)) {
        out.push_back(
            c2s::to_client{error_reply(element, client_namespace, "modify", "jid-malformed")});
      }
      return;
    }
    to = std::move(*parsed);
  }
  if (is_iq && (type == "get" || type == "set") && answer_locally(element, to, out)) {
    return;
  }
  // RFC 6120 8.1.2.1: subscription presence is stamped with the bare JID.
  const bool subscription = name == "presence" && (type == "subscribe" || type == "subscribed" ||
                                                   type == "unsubscribe" || type == "unsubscribed");
  router::stanza routed;
  routed.from = jid_;
  if (subscription) {
    routed.from.resource.clear();
  }
  routed.xml = restamp(raw, element, routed.from.full(), {}, scope);
  if (!lang_.empty() && xml::find_attribute(element, "xml:lang") == nullptr) {
    // RFC 6120 section 4.7.4: the stream's language is the stanza's default; keep it.
    routed.xml = with_attribute(routed.xml, "xml:lang", lang_);
  }
  routed.name = std::string(name);
  routed.type = std::string(type);
  routed.id = std::string(xml::attribute_value(element, "id"));
  routed.to = std::move(to);
  out.push_back(c2s::route_stanza{std::move(routed)});
}

bool c2s_machine::answer_locally(const xml::node& iq, const jid::jid& to, c2s_actions& out) {
  const bool to_server = to.domain.empty() ||
                         (to.local.empty() && to.resource.empty() && to.domain == options_.domain);
  const bool to_account = to.domain.empty() || (to.local == jid_.local &&
                                                to.domain == jid_.domain && to.resource.empty());
  if (!to_server && !to_account) {
    return false;
  }
  const xml::node& query = *only_child(iq);
  const std::string_view ns = xml::namespace_uri(query);
  const std::string_view child = xml::local_name(query);
  const std::string_view type = xml::attribute_value(iq, "type");
  const std::string_view id = xml::attribute_value(iq, "id");
  const std::string from = to.domain.empty() ? std::string() : to.full();
  const std::string me = jid_.full();
  if (ns == session_namespace && child == "session" && type == "set") {
    out.push_back(c2s::to_client{iq_result(client_namespace, id, from, me)}); // legacy: no-op
    return true;
  }
  if (ns == roster_namespace && child == "query" && type == "get" && to_account) {
    // No roster storage: an empty roster (web clients wait for it before going online).
    out.push_back(c2s::to_client{
        iq_result(client_namespace, id, from, me, "<query xmlns='jabber:iq:roster'/>")});
    return true;
  }
  const service_target target = to_server && !to.domain.empty() ? service_target::domain
                                : options_.sasl.anonymous && mechanism_name_ == "ANONYMOUS"
                                    ? service_target::anonymous_account
                                    : service_target::registered_account;
  out.push_back(c2s::to_client{answer_service_iq(iq, target, from, me, client_namespace)});
  return true;
}

} // namespace boshmux::proto::xmpp
