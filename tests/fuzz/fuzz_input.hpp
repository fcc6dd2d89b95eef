#pragma once

// Helpers shared by the fuzz targets: a reader that turns fuzz bytes into decisions, and the
// check that aborts on a broken invariant (a fuzz target must crash, not merely survive).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace boshmux::fuzz {

/// Aborts with `what` when `condition` is false, in every build type (unlike assert).
#define BOSHMUX_FUZZ_CHECK(condition, what)                                                        \
  do {                                                                                             \
    if (!(condition)) {                                                                            \
      std::fprintf(stderr, "fuzz invariant violated at %s:%d: %s (%s)\n", __FILE__, __LINE__,      \
                   what, #condition);                                                              \
      std::abort();                                                                                \
    }                                                                                              \
  } while (false)

/// Reads decisions from the front of the fuzz input; past its end every read returns zero or
/// empty, so a target never runs out of input in the middle of a step.
class input_reader {
public:
  input_reader(const std::uint8_t* data, std::size_t size)
      : bytes_(reinterpret_cast<const char*>(data), size) {}

  /// True once every byte was read.
  bool empty() const noexcept { return bytes_.empty(); }
  /// Bytes not read yet.
  std::size_t remaining() const noexcept { return bytes_.size(); }

  /// One byte, 0 when the input is exhausted.
  std::uint8_t byte() noexcept {
    if (bytes_.empty()) {
      return 0;
    }
    const auto b = static_cast<std::uint8_t>(bytes_.front());
    bytes_.remove_prefix(1);
    return b;
  }

  /// Two bytes, little-endian.
  std::uint16_t u16() noexcept {
    const auto lo = byte();
    return static_cast<std::uint16_t>(lo | (byte() << 8));
  }

  /// Four bytes, little-endian.
  std::uint32_t u32() noexcept {
    const std::uint32_t lo = u16();
    return lo | (static_cast<std::uint32_t>(u16()) << 16);
  }

  /// A value in [0, bound) (bound > 0) from one byte.
  unsigned below(unsigned bound) noexcept { return byte() % bound; }

  /// True with probability about 1/2.
  bool flag() noexcept { return (byte() & 1U) != 0; }

  /// Up to `count` bytes.
  std::string_view take(std::size_t count) noexcept {
    const auto n = count < bytes_.size() ? count : bytes_.size();
    const auto out = bytes_.substr(0, n);
    bytes_.remove_prefix(n);
    return out;
  }

  /// The bytes up to `separator` (or to the end), consuming the separator too.
  std::string_view until(std::string_view separator) noexcept {
    const auto at = bytes_.find(separator);
    if (at == std::string_view::npos) {
      return take(bytes_.size());
    }
    const auto out = bytes_.substr(0, at);
    bytes_.remove_prefix(at + separator.size());
    return out;
  }

  /// Everything not read yet.
  std::string_view rest() noexcept { return take(bytes_.size()); }

private:
  std::string_view bytes_; ///< the unread input
};

} // namespace boshmux::fuzz
