#pragma once

#include <string>
#include <string_view>

namespace boshmux::proto::component {

/// The namespace of the component stream (XEP-0114 section 3).
inline constexpr std::string_view accept_namespace = "jabber:component:accept";
/// The namespace of stream-level elements and prefix `stream:`.
inline constexpr std::string_view streams_namespace = "http://etherx.jabber.org/streams";
/// The namespace of stream error conditions (RFC 6120 section 4.9.3).
inline constexpr std::string_view stream_errors_namespace = "urn:ietf:params:xml:ns:xmpp-streams";

/// The stream header the component sends to open its stream for `domain` (XEP-0114
/// section 3): no XML declaration, no version, `to` = the component's own domain.
std::string open_stream(std::string_view domain);

/// The handshake digest (XEP-0114 section 3): lowercase hex of SHA-1(stream id || secret),
/// the id exactly as received (after XML unescaping), the secret as UTF-8 bytes.
std::string handshake_digest(std::string_view stream_id, std::string_view secret);

/// The `<handshake>` element carrying `handshake_digest(stream_id, secret)`.
std::string handshake_element(std::string_view stream_id, std::string_view secret);

} // namespace boshmux::proto::component
