#include "proto/xml/dom.hpp"

#include "proto/xml/error.hpp"

#include <cstring>

namespace boshmux::proto::xml {

namespace {

/// RapidXML flags: in-place parsing with entity translation and zero-terminated strings
/// (names and values are still read through their sizes), end tags checked against start tags.
constexpr int parse_flags = rapidxml::parse_validate_closing_tags;

/// The namespace bound to the `xml` prefix by definition (Namespaces in XML 1.0, section 3).
constexpr std::string_view xml_namespace = "http://www.w3.org/XML/1998/namespace";

std::string_view name_of(const attribute& a) {
  return {a.name(), a.name_size()};
}
std::string_view value_of(const attribute& a) {
  return {a.value(), a.value_size()};
}

} // namespace

std::unique_ptr<document> document::parse(std::string_view bytes, std::error_code& ec) {
  // RapidXML reads up to the first NUL, so an embedded one would silently cut the input short.
  if (bytes.find('\0') != std::string_view::npos) {
    ec = error::not_well_formed;
    return nullptr;
  }
  // The constructor is private, so make_unique cannot reach it; ownership is taken at once.
  std::unique_ptr<document> doc{new document};
  doc->text_ = std::make_unique<char[]>(bytes.size() + 1);
  if (!bytes.empty()) {
    std::memcpy(doc->text_.get(), bytes.data(), bytes.size());
  }
  doc->text_[bytes.size()] = '\0';
  try {
    doc->doc_.parse<parse_flags>(doc->text_.get());
  } catch (const rapidxml::parse_error&) {
    ec = error::not_well_formed;
    return nullptr;
  }
  // Exactly one element: RapidXML itself accepts several top-level elements.
  std::size_t elements = 0;
  for (const node* n = doc->doc_.first_node(); n != nullptr; n = n->next_sibling()) {
    if (n->type() == rapidxml::node_element) {
      ++elements;
      doc->root_ = n;
    }
  }
  if (elements != 1) {
    ec = error::not_well_formed;
    return nullptr;
  }
  ec.clear();
  return doc;
}

std::string_view qname(const node& n) {
  return {n.name(), n.name_size()};
}

std::string_view local_name(const node& n) {
  const std::string_view q = qname(n);
  const auto colon = q.find(':');
  return colon == std::string_view::npos ? q : q.substr(colon + 1);
}

std::string_view prefix(const node& n) {
  const std::string_view q = qname(n);
  const auto colon = q.find(':');
  return colon == std::string_view::npos ? std::string_view{} : q.substr(0, colon);
}

const attribute* find_attribute(const node& n, std::string_view qname) {
  for (const attribute* a = n.first_attribute(); a != nullptr; a = a->next_attribute()) {
    if (name_of(*a) == qname) {
      return a;
    }
  }
  return nullptr;
}

std::string_view attribute_value(const node& n, std::string_view qname, std::string_view fallback) {
  const attribute* a = find_attribute(n, qname);
  return a == nullptr ? fallback : value_of(*a);
}

std::string_view namespace_uri(const node& n, const namespace_scope& outer) {
  const std::string_view p = prefix(n);
  if (p == "xml") {
    return xml_namespace;
  }
  std::string declaration = "xmlns";
  if (!p.empty()) {
    declaration += ':';
    declaration += p;
  }
  for (const node* e = &n; e != nullptr && e->type() == rapidxml::node_element; e = e->parent()) {
    if (const attribute* a = find_attribute(*e, declaration)) {
      return value_of(*a);
    }
  }
  for (const auto& [outer_prefix, uri] : outer) {
    if (outer_prefix == p) {
      return uri;
    }
  }
  return {};
}

std::string text(const node& n) {
  std::string out;
  for (const node* c = n.first_node(); c != nullptr; c = c->next_sibling()) {
    if (c->type() == rapidxml::node_data || c->type() == rapidxml::node_cdata) {
      out.append(c->value(), c->value_size());
    }
  }
  return out;
}

} // namespace boshmux::proto::xml
