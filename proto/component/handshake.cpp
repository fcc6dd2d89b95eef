#include "proto/component/handshake.hpp"

#include "proto/xml/escape.hpp"

#include <array>
#include <openssl/sha.h>

namespace boshmux::proto::component {

std::string open_stream(std::string_view domain) {
  std::string out = "<stream:stream xmlns='jabber:component:accept' "
                    "xmlns:stream='http://etherx.jabber.org/streams' to='";
  xml::append_escaped_attribute(out, domain);
  out += "'>";
  return out;
}

std::string handshake_digest(std::string_view stream_id, std::string_view secret) {
  std::string input;
  input.reserve(stream_id.size() + secret.size());
  input.append(stream_id).append(secret);
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * digest.size());
  for (unsigned char byte : digest) {
    out += hex[byte >> 4];
    out += hex[byte & 0x0f];
  }
  return out;
}

std::string handshake_element(std::string_view stream_id, std::string_view secret) {
  return "<handshake>" + handshake_digest(stream_id, secret) + "</handshake>";
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = static_cast<unsigned char>(
        diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
  }
  return diff == 0;
}

} // namespace boshmux::proto::component
