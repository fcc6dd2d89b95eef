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
/// The same, from the stanza's element name and type attribute.
bool must_not_bounce(std::string_view name, std::string_view type) noexcept;

/// Builds the error reply to `stanza` (RFC 6120 section 8.3): same element name and id,
/// `to` and `from` swapped, type='error', default namespace `ns` (none when empty), and
/// <error type='error_type'><condition xmlns='...xmpp-stanzas'/></error>.
std::string error_reply(const xml::node& stanza, std::string_view ns, std::string_view error_type,
                        std::string_view condition);

/// An error stanza `<name type='error' id from to><error type><condition/></error></name>`;
/// `id`, `from` and `to` are omitted when empty, `xmlns` when `ns` is empty.
std::string error_stanza(std::string_view name, std::string_view id, std::string_view from,
                         std::string_view to, std::string_view ns, std::string_view error_type,
                         std::string_view condition);

/// The usual error type of a stanza error condition (RFC 6120 section 8.3.3): "wait" for
/// resource-constraint, recipient-unavailable, remote-server-timeout and unexpected-request,
/// "modify" for bad-request, jid-malformed, not-acceptable and policy-violation, "auth" for
/// forbidden, not-authorized and subscription-required, else "cancel".
std::string_view error_type_of(std::string_view condition) noexcept;

/// An iq result answering `id`, from `from` (omitted when empty) to `to`, in namespace `ns`
/// (none when empty), with optional child XML.
std::string iq_result(std::string_view ns, std::string_view id, std::string_view from,
                      std::string_view to, std::string_view child = {});

} // namespace boshmux::proto::xmpp
