#include "proto/xmpp/stanza_error.hpp"

#include "proto/xml/escape.hpp"

namespace boshmux::proto::xmpp {

bool must_not_bounce(const xml::node& stanza) {
  const std::string_view name = xml::local_name(stanza);
  const std::string_view type = xml::attribute_value(stanza, "type");
  if (type == "error" || name == "presence") {
    return true;
  }
  return name == "iq" && type != "get" && type != "set";
}

std::string error_reply(const xml::node& stanza, std::string_view ns, std::string_view error_type,
                        std::string_view condition) {
  const std::string_view name = xml::local_name(stanza);
  std::string out;
  out.reserve(256);
  out.append("<").append(name).append(" xmlns='");
  xml::append_escaped_attribute(out, ns);
  out.append("' type='error'");
  const auto add = [&out](std::string_view attr, std::string_view value) {
    out.append(" ").append(attr).append("='");
    xml::append_escaped_attribute(out, value);
    out.append("'");
  };
  if (const auto* from = xml::find_attribute(stanza, "to")) {
    add("from", {from->value(), from->value_size()});
  }
  if (const auto* to = xml::find_attribute(stanza, "from")) {
    add("to", {to->value(), to->value_size()});
  }
  if (const auto* id = xml::find_attribute(stanza, "id")) {
    add("id", {id->value(), id->value_size()});
  }
  out.append("><error type='").append(error_type).append("'><").append(condition);
  out.append(" xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></").append(name).append(">");
  return out;
}

} // namespace boshmux::proto::xmpp
