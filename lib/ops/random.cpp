#include "lib/ops/random.hpp"

#include <openssl/rand.h>
#include <stdexcept>
#include <vector>

namespace boshmux::ops {

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    throw std::runtime_error("the system random generator failed");
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes);
  for (unsigned char b : raw) {
    out += hex[b >> 4];
    out += hex[b & 0x0f];
  }
  return out;
}

} // namespace boshmux::ops
