#pragma once

#include <string>
#include <string_view>

namespace boshmux::proto {

/// Lowercase hex of SHA-1(`data`) (40 characters).
std::string sha1_hex(std::string_view data);

/// Compares two byte strings in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

} // namespace boshmux::proto
