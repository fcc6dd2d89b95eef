#include "proto/common/base64.hpp"

#include <array>
#include <cstdint>

namespace boshmux::proto {

namespace {

constexpr std::string_view standard_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view url_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Marks a byte that is not in the alphabet.
constexpr std::uint8_t invalid = 0xff;

/// Maps each byte to its 6-bit value in `alphabet`, or `invalid`.
constexpr std::array<std::uint8_t, 256> make_table(std::string_view alphabet) {
  std::array<std::uint8_t, 256> table{};
  table.fill(invalid);
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}

constexpr auto standard_table = make_table(standard_alphabet);
constexpr auto url_table = make_table(url_alphabet);

/// Encodes `data` with `alphabet`, padding the last group with '=' when `pad`.
std::string encode(std::string_view data, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t group =
        static_cast<std::uint32_t>(static_cast<unsigned char>(data[i])) << 16 |
        static_cast<std::uint32_t>(static_cast<unsigned char>(data[i + 1])) << 8 |
        static_cast<unsigned char>(data[i + 2]);
    out += alphabet[group >> 18];
    out += alphabet[(group >> 12) & 0x3f];
    out += alphabet[(group >> 6) & 0x3f];
    out += alphabet[group & 0x3f];
  }
  const std::size_t rest = data.size() - i;
  if (rest == 1) {
    const auto b0 = static_cast<unsigned>(static_cast<unsigned char>(data[i]));
    out += alphabet[b0 >> 2];
    out += alphabet[(b0 & 0x03U) << 4];
    if (pad) {
      out += "==";
    }
  } else if (rest == 2) {
    const auto b0 = static_cast<unsigned>(static_cast<unsigned char>(data[i]));
    const auto b1 = static_cast<unsigned>(static_cast<unsigned char>(data[i + 1]));
    out += alphabet[b0 >> 2];
    out += alphabet[((b0 & 0x03U) << 4) | (b1 >> 4)];
    out += alphabet[(b1 & 0x0fU) << 2];
    if (pad) {
      out += '=';
    }
  }
  return out;
}

/// Decodes unpadded `text` (length not 1 modulo 4) with `table`; nullopt on a character
/// outside the alphabet or non-zero unused bits in a final partial group.
std::optional<std::string> decode(std::string_view text,
                                  const std::array<std::uint8_t, 256>& table) {
  if (text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t bits = 0;
  unsigned bit_count = 0;
  for (char c : text) {
    const std::uint8_t value = table[static_cast<unsigned char>(c)];
    if (value == invalid) {
      return std::nullopt;
    }
    bits = (bits << 6) | value;
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out += static_cast<char>((bits >> bit_count) & 0xff);
      bits &= (1u << bit_count) - 1;
    }
  }
  // A final group of 2 or 3 characters leaves 4 or 2 unused bits; the canonical encoding
  // sets them to zero.
  if (bits != 0) {
    return std::nullopt;
  }
  return out;
}

} // namespace

std::string base64_encode(std::string_view data) {
  return encode(data, standard_alphabet, true);
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
    ++padding;
  }
  // Whatever padding remains (a third '=' or one in the middle) fails the alphabet check.
  return decode(text.substr(0, text.size() - padding), standard_table);
}

std::string base64url_encode(std::string_view data) {
  return encode(data, url_alphabet, false);
}

std::optional<std::string> base64url_decode(std::string_view text) {
  return decode(text, url_table);
}

} // namespace boshmux::proto
