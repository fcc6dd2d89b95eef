#pragma once

#include <system_error>

namespace boshmux::proto::xml {

/// Errors of the XML layer (category "boshmux.xml").
enum class error {
  /// Input is not well-formed XML 1.0 (bad syntax, mismatched end tag, stray character data at
  /// stream level, invalid character reference, data after the end of the root element).
  not_well_formed = 1,
  /// Input uses XML that RFC 6120 section 11.1 forbids: a comment, a processing instruction
  /// other than the XML declaration at the very start, a DOCTYPE or an entity declaration.
  restricted_xml,
  /// An entity reference other than the five predefined ones (&lt; &gt; &amp; &quot; &apos;)
  /// or a numeric character reference.
  undefined_entity,
  /// A top-level element is larger than xml_limits::max_element_bytes.
  element_too_large,
  /// The root start tag is larger than xml_limits::max_header_bytes.
  header_too_large,
  /// Elements nest deeper than xml_limits::max_depth.
  too_deep,
  /// An element carries more than xml_limits::max_attributes attributes.
  too_many_attributes,
  /// The same attribute name appears twice on one element.
  duplicate_attribute,
};

/// The category of xml::error.
const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

} // namespace boshmux::proto::xml

template <> struct std::is_error_code_enum<boshmux::proto::xml::error> : std::true_type {};
