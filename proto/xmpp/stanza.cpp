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

std::string with_attribute(std::string_view stanza, std::string_view name, std::string_view value) {
  const std::size_t end = start_tag_end(stanza);
  const std::size_t close = end >= 2 && stanza[end - 2] == '/' ? end - 2 : end - 1;
  constexpr std::string_view space = " \t\r\n";
  std::string out;
  out.reserve(stanza.size() + name.size() + value.size() + 4);
  // Copy the element name, then each attribute except `name`, with the space before it.
  std::size_t at = stanza.find_first_of(space, 1);
  at = at == std::string_view::npos || at > close ? close : at;
  out.append(stanza.substr(0, at));
  while (at < close) {
    const std::size_t begin = at;
    const std::size_t attr = stanza.find_first_not_of(space, at);
    if (attr == std::string_view::npos || attr >= close) {
      break;
    }
    const std::size_t eq = stanza.find('=', attr);
    const std::size_t quote = stanza.find_first_of("'\"", eq);
    const std::size_t quote_end = quote == std::string_view::npos
                                      ? std::string_view::npos
                                      : stanza.find(stanza[quote], quote + 1);
    if (eq == std::string_view::npos || quote_end == std::string_view::npos || quote_end >= close) {
      out.append(stanza.substr(begin, close - begin)); // unexpected: keep the rest as it is
      break;
    }
    const std::string_view attr_name = stanza.substr(attr, eq - attr);
    at = quote_end + 1;
    if (attr_name.substr(0, attr_name.find_last_not_of(space) + 1) != name) {
      out.append(stanza.substr(begin, at - begin));
    }
  }
  xml::append_attribute(out, name, value);
  out.append(stanza.substr(close));
  return out;
}

std::string with_default_namespace(std::string stanza, std::string_view ns) {
  const std::size_t name_end = stanza.find_first_of(" \t\r\n/>", 1);
  const std::size_t at = name_end == std::string::npos ? stanza.size() : name_end;
  std::string declaration;
  xml::append_attribute(declaration, "xmlns", ns);
  stanza.insert(at, declaration); // in place: restamp() leaves room for it
  return stanza;
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
