#include "proto/xmpp/stanza_error.hpp"

#include "proto/xml/escape.hpp"

namespace boshmux::proto::xmpp {

bool must_not_bounce(const xml::node& stanza) {
  return must_not_bounce(xml::local_name(stanza), xml::attribute_value(stanza, "type"));
}

bool must_not_bounce(std::string_view name, std::string_view type) noexcept {
  if (type == "error" || name == "presence") {
    return true;
  }
  return name == "iq" && type != "get" && type != "set";
}

std::string error_stanza(std::string_view name, std::string_view id, std::string_view from,
                         std::string_view to, std::string_view ns, std::string_view error_type,
                         std::string_view condition) {
  std::string out;
  out.reserve(160 + from.size() + to.size() + id.size());
  out.append("<").append(name);
  if (!ns.empty()) {
    xml::append_attribute(out, "xmlns", ns);
  }
  out.append(" type='error'");
  for (const auto& [attr, value] : {std::pair{"from", from}, {"to", to}, {"id", id}}) {
    if (!value.empty()) {
      xml::append_attribute(out, attr, value);
    }
  }
  out.append("><error type='").append(error_type).append("'><").append(condition);
  out.append(" xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></").append(name).append(">");
  return out;
}

std::string error_reply(const xml::node& stanza, std::string_view ns, std::string_view error_type,
                        std::string_view condition) {
  return error_stanza(xml::local_name(stanza), xml::attribute_value(stanza, "id"),
                      xml::attribute_value(stanza, "to"), xml::attribute_value(stanza, "from"), ns,
                      error_type, condition);
}

std::string_view error_type_of(std::string_view condition) noexcept {
  if (condition == "resource-constraint" || condition == "recipient-unavailable" ||
      condition == "remote-server-timeout" || condition == "unexpected-request") {
    return "wait";
  }
  if (condition == "bad-request" || condition == "jid-malformed" || condition == "not-acceptable" ||
      condition == "policy-violation") {
    return "modify";
  }
  if (condition == "forbidden" || condition == "not-authorized" ||
      condition == "subscription-required") {
    return "auth";
  }
  return "cancel";
}

std::string iq_result(std::string_view ns, std::string_view id, std::string_view from,
                      std::string_view to, std::string_view child) {
  std::string out = "<iq";
  if (!ns.empty()) {
    xml::append_attribute(out, "xmlns", ns);
  }
  out.append(" type='result'");
  xml::append_attribute(out, "id", id);
  if (!from.empty()) {
    xml::append_attribute(out, "from", from);
  }
  xml::append_attribute(out, "to", to);
  if (child.empty()) {
    return out + "/>";
  }
  return out.append(">").append(child).append("</iq>");
}

} // namespace boshmux::proto::xmpp
