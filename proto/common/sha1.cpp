#include "proto/common/sha1.hpp"

#include <array>
#include <atomic>
#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace boshmux::proto {

std::string sha1_hex(std::string_view data) {
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * digest.size());
  for (unsigned char byte : digest) {
    out += hex[byte >> 4];
    out += hex[byte & 0x0f];
  }
  return out;
}

namespace {

/// Calls of constant_time_equal, for the tests that prove each secret check goes through it.
std::atomic<std::uint64_t> constant_time_calls{0};

} // namespace

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  constant_time_calls.fetch_add(1, std::memory_order_relaxed);
  // Lengths are public (digests and MACs have fixed sizes); the bytes are compared by
  // OpenSSL's CRYPTO_memcmp, whose time depends only on the length.
  if (a.size() != b.size()) {
    return false;
  }
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::uint64_t constant_time_equal_calls_for_test() noexcept {
  return constant_time_calls.load(std::memory_order_relaxed);
}

} // namespace boshmux::proto
