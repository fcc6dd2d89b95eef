#pragma once

#include "proto/jid/jid.hpp"
#include "proto/xml/dom.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

namespace boshmux::proto::router {

/// A stanza on its way through the router. `xml` is the serialised element with no default
/// namespace declared on it (the stream it leaves by adds its own: `jabber:client` towards a
/// session, `jabber:component:accept` towards the server) and every prefix it uses declared.
struct stanza {
  std::string xml;
  std::string name; ///< "message", "presence" or "iq"
  std::string type; ///< the type attribute ("" when absent)
  std::string id;
  jid::jid from;
  jid::jid to; ///< domain empty when absent
};

/// What the router asks of its caller.
namespace action {
/// Deliver `xml` to the client of BOSH session `sid`.
struct to_session {
  std::string sid;
  std::string xml;
};
/// Send `xml` to the XMPP server over the component link.
struct to_server {
  std::string xml;
};
} // namespace action
using router_action = std::variant<action::to_session, action::to_server>;
using router_actions = std::vector<router_action>;

/// Settings of the router of one domain.
struct router_options {
  std::string domain; ///< the component domain: every local user is `user@domain`
  /// Stanzas between two sessions of this instance are delivered directly instead of
  /// travelling through the server and back; the rules applied are the same.
  bool local_short_circuit = true;
  /// Bound on the directed-presence recipients remembered per session; beyond it directed
  /// available presence is refused with `resource-constraint` (it could not be cleaned up).
  std::size_t max_directed = 1000;
  /// Bound on unanswered iq get/set remembered per session (answered with errors when the
  /// session ends); the oldest is forgotten first.
  std::size_t max_pending_iqs = 64;
};

/// Counters of the router (read by metrics).
struct router_stats {
  /// Stanza kinds, the index of the per-kind counters.
  static constexpr std::array<std::string_view, 3> kinds{"message", "presence", "iq"};
  std::array<std::uint64_t, 3> from_sessions{}; ///< stanzas from bound clients, by kind
  std::array<std::uint64_t, 3> from_server{};   ///< stanzas from the server, by kind
  std::array<std::uint64_t, 3> to_sessions{};   ///< stanzas delivered to a session, by kind
  std::array<std::uint64_t, 3> to_server{};     ///< stanzas sent to the server, by kind
  std::uint64_t short_circuited = 0;   ///< of those to sessions, from a local session directly
  std::uint64_t errors_sent = 0;       ///< error stanzas written by the router
  std::uint64_t dropped = 0;           ///< stanzas RFC 6121 says to ignore (errors, presence, ...)
  std::uint64_t presence_cleanups = 0; ///< sessions that ended with presence to clean up
};

/// Routing for the users of one domain, sans-IO: the table of bound resources, RFC 6121
/// delivery for full and bare JIDs (section 8.5), presence broadcast and directed-presence
/// tracking (section 4), the cleanup when a session ends, probes, and answers given on an
/// account's behalf. Stanzas in, actions out.
class router {
public:
  explicit router(router_options options);

  /// Session `sid` is now `full` (a JID of this domain). When another session held `full`,
  /// it is unbound first (its presence cleaned up) and its sid returned: the caller ends it.
  std::optional<std::string> bind(const std::string& sid, const jid::jid& full, bool anonymous,
                                  router_actions& out);
  /// Session `sid` ended: unavailable presence to everyone who saw it available, errors for
  /// the iqs it left unanswered. Nothing happens for a sid that is not bound.
  void unbind(const std::string& sid, router_actions& out);

  /// A stanza from bound session `sid`, its `from` already stamped.
  void from_session(const std::string& sid, stanza s, router_actions& out);
  /// A stanza from the server.
  void from_server(stanza s, router_actions& out);
  /// `xml` (on its way to the server) could not be sent: the error `condition` goes back to
  /// its sender when the sender is a session here and the rules allow an error.
  void undeliverable(std::string_view xml, std::string_view condition, router_actions& out);

  /// The full JID bound by `sid` (nullptr when none).
  const jid::jid* bound_jid(const std::string& sid) const;
  std::size_t bound() const noexcept { return by_full_.size(); }
  const router_stats& stats() const noexcept { return stats_; }
  const router_options& options() const noexcept { return options_; }

private:
  struct pending_iq {
    std::string asker; ///< full JID that sent the iq
    std::string id;
  };
  struct resource {
    std::string sid;
    jid::jid full;
    bool anonymous = false;
    bool available = false; ///< sent available broadcast presence
    int priority = 0;
    std::string presence;            ///< its last broadcast available presence
    std::set<std::string> directed;  ///< who got directed available presence from it
    std::vector<pending_iq> pending; ///< iq get/set delivered to it, not answered yet
  };

  void dispatch(stanza s, bool from_local, router_actions& out);
  void deliver_here(stanza s, bool from_local, router_actions& out);
  void to_domain(const stanza& s, router_actions& out);
  void to_account(const stanza& s, const std::vector<resource*>& resources, bool from_local,
                  router_actions& out);
  void deliver(resource& r, const stanza& s, bool from_local, router_actions& out);
  void reply_error(const stanza& s, std::string_view condition, router_actions& out);
  void broadcast_presence(resource& from, stanza s, router_actions& out);
  void directed_presence(resource& from, stanza s, router_actions& out);
  void end_presence(const resource& r, router_actions& out);
  /// `xml` (presence) to every available resource of `bare`, each as its `to`.
  void to_available_resources(const std::string& bare, std::string_view xml, router_actions& out);
  /// `xml` with `to` set, routed like any stanza of this domain's users.
  void send_to(std::string_view xml, std::string_view to, router_actions& out);
  std::vector<resource*>* resources_of(const std::string& bare);
  void forget(resource& r);

  router_options options_;
  std::unordered_map<std::string, resource> by_full_;               ///< full JID -> resource
  std::unordered_map<std::string, std::string> by_sid_;             ///< sid -> full JID
  std::unordered_map<std::string, std::vector<resource*>> by_bare_; ///< bare JID -> resources
  router_stats stats_;
};

/// Parses `xml` into a stanza: name, type, id and the addresses. Nullopt when it is not
/// well-formed or an address is not a valid JID.
std::optional<stanza> make_stanza(std::string xml);
/// The same for `xml` already parsed as `root` (which may come from another text: only its
/// name and attributes are read).
std::optional<stanza> make_stanza(std::string xml, const xml::node& root);

} // namespace boshmux::proto::router
