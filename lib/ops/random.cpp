#include "lib/ops/random.hpp"

#include <openssl/rand.h>
#include <stdexcept>

namespace boshmux::ops {

std::string random_bytes(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size())) != 1) {
    throw std::runtime_error("the system random generator failed");
  }
  return raw;
}

std::string random_hex(std::size_t bytes) {
  const std::string raw = random_bytes(bytes);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes);
  for (const char ch : raw) {
    const auto b = static_cast<unsigned char>(ch);
    out += hex[b >> 4];
    out += hex[b & 0x0f];
  }
  return out;
}

} // namespace boshmux::ops
