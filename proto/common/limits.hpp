#pragma once

#include <cstddef>

namespace boshmux::proto {

/// Hard limits on XML input. Every parser in proto/ enforces the ones that concern it; the
/// values are set through configuration and tested at limit-1, limit and limit+1.
struct xml_limits {
  /// Largest complete top-level element (a stanza), in bytes of raw input.
  std::size_t max_element_bytes = 1024 * 1024;
  /// Largest stream header (the root start tag), in bytes of raw input.
  std::size_t max_header_bytes = 16 * 1024;
  /// Deepest nesting of elements, the root counting as depth 1.
  std::size_t max_depth = 64;
  /// Most attributes (namespace declarations included) on one element.
  std::size_t max_attributes = 64;
};

} // namespace boshmux::proto
