#include "proto/component/handshake.hpp"

#include "proto/common/sha1.hpp"
#include "proto/xml/escape.hpp"

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
  return sha1_hex(input);
}

std::string handshake_element(std::string_view stream_id, std::string_view secret) {
  return "<handshake>" + handshake_digest(stream_id, secret) + "</handshake>";
}

} // namespace boshmux::proto::component
