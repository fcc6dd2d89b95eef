#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace boshmux::proto {

/// Lowercase hex of SHA-1(`data`) (40 characters).
std::string sha1_hex(std::string_view data);

/// Compares two byte strings in time that depends only on their lengths (CRYPTO_memcmp).
/// Every check of a secret (SCRAM proofs, PLAIN passwords, JWT signatures) goes through it.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

/// How many times constant_time_equal() has run in this process (tests prove with it that a
/// secret check used it).
std::uint64_t constant_time_equal_calls_for_test() noexcept;

} // namespace boshmux::proto
