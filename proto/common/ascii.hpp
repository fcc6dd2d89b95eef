#pragma once

#include <string_view>

namespace boshmux::proto {

/// `c` with A-Z mapped to a-z (no locale: protocol tokens are ASCII).
constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Case-insensitive comparison of ASCII text (header names, tokens, hex digests).
constexpr bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) {
      return false;
    }
  }
  return true;
}

} // namespace boshmux::proto
