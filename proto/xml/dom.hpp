#pragma once

#include "proto/common/limits.hpp"

#include <memory>
#include <rapidxml/rapidxml.hpp>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace boshmux::proto::xml {

using node = rapidxml::xml_node<char>;
using attribute = rapidxml::xml_attribute<char>;

/// Namespace prefixes declared outside an element (on the stream header or the BOSH body),
/// as (prefix, uri) pairs; the default namespace has the empty prefix.
using namespace_scope = std::vector<std::pair<std::string, std::string>>;

/// One complete element parsed with RapidXML. Owns the buffer RapidXML parsed in place.
/// The input must already have passed the stream framer (which enforces RFC 6120's restricted
/// XML and the limits); parse() still reports anything RapidXML finds malformed.
class document {
public:
  /// Parses `bytes` (one complete element). On failure returns nullptr and sets `ec`
  /// (xml::error::not_well_formed). Never throws.
  static std::unique_ptr<document> parse(std::string_view bytes, std::error_code& ec);

  /// The element.
  const node& root() const { return *root_; }

  document(const document&) = delete;
  document& operator=(const document&) = delete;

private:
  document() = default;
  std::unique_ptr<char[]> text_;
  rapidxml::xml_document<char> doc_;
  const node* root_ = nullptr;
};

/// Qualified name of an element or attribute, e.g. "stream:error".
std::string_view qname(const node& n);
/// Local part of the qualified name ("error" for "stream:error").
std::string_view local_name(const node& n);
/// Prefix of the qualified name ("stream" for "stream:error", empty when unprefixed).
std::string_view prefix(const node& n);
/// Value of the attribute with this qualified name, or nullptr when absent.
const attribute* find_attribute(const node& n, std::string_view qname);
/// Value of the attribute, or `fallback` when absent.
std::string_view attribute_value(const node& n, std::string_view qname,
                                 std::string_view fallback = {});
/// Namespace URI of the element: resolved through its own and its ancestors' declarations,
/// then `outer`. Empty when the prefix is undeclared.
std::string_view namespace_uri(const node& n, const namespace_scope& outer = {});
/// Text content (concatenated data and CDATA children, entities already decoded).
std::string text(const node& n);

} // namespace boshmux::proto::xml
