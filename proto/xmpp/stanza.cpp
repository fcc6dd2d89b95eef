#include "proto/xmpp/stanza.hpp"

#include "proto/xml/escape.hpp"

namespace boshmux::proto::xmpp {

std::size_t start_tag_end(std::string_view raw) noexcept {
  char quote = 0;
  for (std::size_t i = 1; i < raw.size(); ++i) {
    const char ch = raw[i];
    if (quote != 0) {
      if (ch == quote) {
        quote = 0;
      }
    } else if (ch == '\'' || ch == '"') {
      quote = ch;
    } else if (ch == '>') {
      return i + 1;
    }
  }
  return raw.size();
}

std::string with_default_namespace(std::string_view stanza, std::string_view ns) {
  const std::size_t name_end = stanza.find_first_of(" \t\r\n/>", 1);
  const std::size_t at = name_end == std::string_view::npos ? stanza.size() : name_end;
  std::string out;
  out.reserve(stanza.size() + ns.size() + 10);
  out.append(stanza.substr(0, at)).append(" xmlns='");
  xml::append_escaped_attribute(out, ns);
  out.append("'").append(stanza.substr(at));
  return out;
}

std::string restamp(std::string_view raw, const xml::node& root, std::string_view from,
                    std::string_view xmlns, const xml::namespace_scope& outer) {
  const std::size_t end = start_tag_end(raw);
  const bool self_closing = end >= 2 && raw[end - 2] == '/';
  std::string out;
  out.reserve(raw.size() + from.size() + 64);
  out.append("<").append(xml::qname(root));
  if (!xmlns.empty()) {
    out.append(" xmlns='");
    xml::append_escaped_attribute(out, xmlns);
    out.append("'");
  }
  for (const auto* a = root.first_attribute(); a != nullptr; a = a->next_attribute()) {
    const std::string_view name(a->name(), a->name_size());
    if (name == "xmlns" || name == "from") {
      continue;
    }
    out.append(" ").append(name).append("='");
    xml::append_escaped_attribute(out, {a->value(), a->value_size()});
    out.append("'");
  }
  for (const auto& [prefix, uri] : outer) {
    if (prefix.empty() || prefix == "xml") {
      continue;
    }
    const std::string declaration = "xmlns:" + prefix;
    const std::string use = prefix + ":";
    if (xml::find_attribute(root, declaration) == nullptr &&
        raw.find(use) != std::string_view::npos) {
      out.append(" ").append(declaration).append("='");
      xml::append_escaped_attribute(out, uri);
      out.append("'");
    }
  }
  if (!from.empty()) {
    out.append(" from='");
    xml::append_escaped_attribute(out, from);
    out.append("'");
  }
  out.append(self_closing ? "/>" : ">");
  out.append(raw.substr(end));
  return out;
}

} // namespace boshmux::proto::xmpp
