#include "proto/xmpp/services.hpp"

#include "proto/xmpp/stanza_error.hpp"

namespace boshmux::proto::xmpp {

const xml::node* only_child(const xml::node& n) {
  const xml::node* found = nullptr;
  for (const auto* c = n.first_node(); c != nullptr; c = c->next_sibling()) {
    if (c->type() != rapidxml::node_element) {
      continue;
    }
    if (found != nullptr) {
      return nullptr;
    }
    found = c;
  }
  return found;
}

std::string answer_service_iq(const xml::node& iq, service_target target, std::string_view from,
                              std::string_view to, std::string_view ns) {
  const xml::node* query = only_child(iq);
  const std::string_view type = xml::attribute_value(iq, "type");
  const std::string_view id = xml::attribute_value(iq, "id");
  const std::string_view child = query ? xml::local_name(*query) : std::string_view();
  const std::string_view child_ns = query ? xml::namespace_uri(*query) : std::string_view();
  if (child_ns == ping_namespace && child == "ping" && type == "get") {
    return iq_result(ns, id, from, to); // XEP-0199 section 4.2
  }
  if (child_ns == disco_info_namespace && child == "query" && type == "get" &&
      xml::find_attribute(*query, "node") == nullptr) {
    std::string info = "<query xmlns='http://jabber.org/protocol/disco#info'>";
    switch (target) {
    case service_target::domain:
      info.append("<identity category='server' type='im' name='boshmux'/>"
                  "<feature var='http://jabber.org/protocol/disco#info'/>"
                  "<feature var='http://jabber.org/protocol/disco#items'/>"
                  "<feature var='urn:xmpp:ping'/>");
      break;
    case service_target::registered_account:
    case service_target::anonymous_account:
      info.append(target == service_target::anonymous_account
                      ? "<identity category='account' type='anonymous'/>"
                      : "<identity category='account' type='registered'/>");
      info.append("<feature var='http://jabber.org/protocol/disco#info'/>");
      break;
    }
    info.append("</query>");
    return iq_result(ns, id, from, to, info);
  }
  if (child_ns == disco_items_namespace && child == "query" && type == "get") {
    return iq_result(ns, id, from, to, "<query xmlns='http://jabber.org/protocol/disco#items'/>");
  }
  // RFC 6120 section 8.4: a namespace the server does not serve.
  return error_stanza("iq", id, from, to, ns, "cancel", "service-unavailable");
}

} // namespace boshmux::proto::xmpp
