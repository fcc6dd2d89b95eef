#pragma once

#include "proto/xml/dom.hpp"

#include <string>
#include <string_view>

namespace boshmux::proto::xmpp {

/// The namespace of stanza error conditions (RFC 6120 section 8.3.3).
inline constexpr std::string_view stanza_errors_namespace = "urn:ietf:params:xml:ns:xmpp-stanzas";

/// True when RFC 6120 forbids answering `stanza` with an error: it is itself an error, or an
/// iq result (section 8.3.1: no error loops), or a presence (never bounced with an error by
/// the rules this server follows).
bool must_not_bounce(const xml::node& stanza);

/// Builds the error reply to `stanza` (RFC 6120 section 8.3): same element name and id,
/// `to` and `from` swapped, type='error', default namespace `ns`, and
/// <error type='error_type'><condition xmlns='...xmpp-stanzas'/></error>.
std::string error_reply(const xml::node& stanza, std::string_view ns, std::string_view error_type,
                        std::string_view condition);

} // namespace boshmux::proto::xmpp
