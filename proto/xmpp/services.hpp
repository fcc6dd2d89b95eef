#pragma once

#include "proto/xml/dom.hpp"

#include <string>
#include <string_view>

namespace boshmux::proto::xmpp {

inline constexpr std::string_view ping_namespace = "urn:xmpp:ping";
inline constexpr std::string_view disco_info_namespace = "http://jabber.org/protocol/disco#info";
inline constexpr std::string_view disco_items_namespace = "http://jabber.org/protocol/disco#items";
inline constexpr std::string_view roster_namespace = "jabber:iq:roster";

/// Who answers an iq get/set that the server handles itself.
enum class service_target {
  domain,             ///< the domain itself (identity server/im)
  registered_account, ///< a user's bare JID, answered on the account's behalf
  anonymous_account,  ///< the same for an account that only exists while logged in
};

/// The server's answer to the iq get/set `iq` addressed to the domain or, on its behalf, to
/// an account (RFC 6120 sections 8.4 and 10.3.3): a result for XEP-0199 ping and XEP-0030
/// disco#info/#items, else `service-unavailable`. The answer goes from `from` (omitted when
/// empty) to `to`, in namespace `ns` (none when empty).
std::string answer_service_iq(const xml::node& iq, service_target target, std::string_view from,
                              std::string_view to, std::string_view ns);

/// The only element child of `n`, or nullptr when it has none or several.
const xml::node* only_child(const xml::node& n);

} // namespace boshmux::proto::xmpp
