#pragma once

#include "proto/jid/jid.hpp"
#include "proto/router/router.hpp"
#include "proto/sasl/mechanism.hpp"
#include "proto/xml/dom.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace boshmux::proto::xmpp {

inline constexpr std::string_view client_namespace = "jabber:client";
inline constexpr std::string_view sasl_namespace = "urn:ietf:params:xml:ns:xmpp-sasl";
inline constexpr std::string_view bind_namespace = "urn:ietf:params:xml:ns:xmpp-bind";
inline constexpr std::string_view session_namespace = "urn:ietf:params:xml:ns:xmpp-session";

/// Settings of the client streams of one domain.
struct c2s_options {
  std::string domain;             ///< the domain users log in to (`user@domain`)
  sasl::mechanism_options sasl;   ///< mechanisms offered
  unsigned max_auth_failures = 3; ///< failed SASL attempts before the stream is closed
  /// Largest stanza a client may send to the XMPP server (--max-upstream-stanza), to stay under
  /// the server's own limit (Prosody's component_stanza_size_limit: 512 KiB); lib/xmpp's
  /// c2s_layer bounces a larger one to its sender with policy-violation.
  std::size_t max_upstream_stanza_bytes = 512'000;
};

/// Actions of the client stream machine.
namespace c2s {
/// Send this payload (complete elements, `jabber:client` stanzas) to the client.
struct to_client {
  std::string payload;
};
/// Close the stream with this stream error (RFC 6120 section 4.9.3); over BOSH it ends the
/// session with remote-stream-error.
struct stream_error {
  std::string condition;
  std::string text;
};
/// A SASL exchange succeeded.
struct authenticated {
  std::string mechanism;
  std::string username;
};
/// A SASL exchange failed.
struct auth_failed {
  std::string mechanism;
  sasl::failure_condition condition;
};
/// The client asked to bind `resource` (empty: the server picks one); answer with
/// c2s_machine::bind_granted or bind_refused.
struct bind_requested {
  std::string resource;
  std::string iq_id;
};
/// A stanza from the bound client to route: its `from` is already stamped with the full JID
/// (or the bare JID for subscription presence), its top-level namespace is not rewritten.
struct route_stanza {
  router::stanza stanza;
};
} // namespace c2s

using c2s_action = std::variant<c2s::to_client, c2s::stream_error, c2s::authenticated,
                                c2s::auth_failed, c2s::bind_requested, c2s::route_stanza>;
using c2s_actions = std::vector<c2s_action>;

/// Where a client stream stands (RFC 6120 section 4.3; checklist R4).
enum class c2s_state {
  connected,     ///< features sent, not authenticated
  authenticated, ///< SASL succeeded; waiting for the restart
  restarted,     ///< new stream after SASL; waiting for resource binding
  binding,       ///< bind requested; waiting for the engine's answer
  bound,         ///< a full JID: stanzas flow
  closed,        ///< a stream error was sent
};

/// The server side of one client stream over BOSH: stream features, SASL, resource binding,
/// the legacy session iq, the domain's own services (ping, disco, empty roster), stanza
/// validation and from-stamping. Sans-IO: elements in, actions out.
class c2s_machine {
public:
  c2s_machine(const c2s_options& options, sasl::credential_store& store);

  /// The stream opened (BOSH session created): emits the first stream features. `lang` is
  /// the stream's xml:lang (RFC 6120 section 4.7.4), given to stanzas that carry none.
  void opened(c2s_actions& out, std::string_view lang = {});
  /// The client restarted the stream (XEP-0206 section 5): new features.
  void restarted(c2s_actions& out);
  /// One top-level element from the client; `scope` holds the namespaces declared on its
  /// BOSH <body/>.
  void received(std::string_view element, const xml::namespace_scope& scope, c2s_actions& out);
  /// The engine bound `full` for the bind request `iq_id`.
  void bind_granted(const jid::jid& full, std::string_view iq_id, c2s_actions& out);
  /// The engine refused the bind request `iq_id` with a stanza error condition.
  void bind_refused(std::string_view condition, std::string_view iq_id, c2s_actions& out);

  c2s_state state() const noexcept { return state_; }
  /// The authenticated localpart (empty before SASL success).
  const std::string& username() const noexcept { return username_; }
  /// The bound full JID (empty domain before binding).
  const jid::jid& bound_jid() const noexcept { return jid_; }
  /// The mechanism that authenticated the stream ("" before).
  const std::string& mechanism() const noexcept { return mechanism_name_; }

private:
  void on_sasl(const xml::node& element, c2s_actions& out);
  void sasl_step(const sasl::step& step, c2s_actions& out);
  void on_stanza(const xml::node& element, std::string_view raw, const xml::namespace_scope& scope,
                 c2s_actions& out);
  void on_bind(const xml::node& iq, c2s_actions& out);
  bool answer_locally(const xml::node& iq, const jid::jid& to, c2s_actions& out);
  void close(std::string condition, std::string text, c2s_actions& out);

  const c2s_options& options_;
  sasl::credential_store& store_;
  std::unique_ptr<sasl::mechanism> mechanism_;
  std::string mechanism_name_;
  unsigned failures_ = 0;
  c2s_state state_ = c2s_state::connected;
  std::string username_;
  std::string lang_; ///< the stream's default language ("" when none)
  jid::jid jid_;
};

} // namespace boshmux::proto::xmpp
