#pragma once

#include <cstddef>
#include <string>

namespace boshmux::ops {

/// `bytes` raw bytes from OpenSSL's CSPRNG. Throws std::runtime_error if the generator fails.
std::string random_bytes(std::size_t bytes);

/// `bytes` bytes from OpenSSL's CSPRNG, as lowercase hex. Throws std::runtime_error if the
/// generator fails (it never silently degrades to a weak source).
std::string random_hex(std::size_t bytes);

} // namespace boshmux::ops
