#pragma once

#include "lib/bosh/session_table.hpp"
#include "proto/xmpp/c2s_machine.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace boshmux::xmpp {

/// Counters of the XMPP layer (read by metrics).
struct c2s_stats {
  std::uint64_t logins_ok = 0;
  std::uint64_t logins_failed = 0;
  std::uint64_t stream_errors = 0;
  std::uint64_t conflicts = 0;
  std::uint64_t stanzas_from_clients = 0;
  std::uint64_t stanzas_to_clients = 0;
  std::uint64_t stanzas_bounced = 0;
};

/// The XMPP layer on top of the BOSH engine: one c2s_machine per BOSH session, the table of
/// bound full JIDs, and the routing of their stanzas (to another local session, or out over
/// the component link).
class c2s_layer final : public bosh::upper_layer {
public:
  /// Sends a stanza (serialised in jabber:component:accept) over the component link; false
  /// when its queue is full.
  using upstream_sender = std::function<bool(std::string stanza)>;

  c2s_layer(proto::xmpp::c2s_options options, proto::sasl::credential_store& store,
            upstream_sender upstream);

  /// Set once the table exists (the table and this layer refer to each other).
  void attach(bosh::session_table& table) { table_ = &table; }

  // bosh::upper_layer
  void session_created(const bosh::session_info& info) override;
  void payloads_received(const std::string& sid, std::vector<std::string>& payloads,
                         const proto::xml::namespace_scope& scope) override;
  void restart_requested(const std::string& sid) override;
  void session_ended(const std::string& sid, proto::bosh::condition cond,
                     proto::bosh::end_reason reason) override;

  /// A stanza from the component stream; `scope` holds the stream header's prefixes.
  void from_upstream(std::string_view stanza, const proto::xml::namespace_scope& scope);

  const c2s_stats& stats() const noexcept { return stats_; }
  /// Bound full JIDs right now.
  std::size_t bound() const noexcept { return by_jid_.size(); }

private:
  struct session {
    explicit session(const proto::xmpp::c2s_options& o, proto::sasl::credential_store& s)
        : machine(o, s) {}
    proto::xmpp::c2s_machine machine;
  };

  void run(const std::string& sid, proto::xmpp::c2s_actions& actions);
  void bind(const std::string& sid, session& s, const proto::xmpp::c2s::bind_requested& request,
            proto::xmpp::c2s_actions& out);
  void route(const std::string& sid, session& s, proto::xmpp::c2s::route_stanza& stanza);
  bool deliver_local(const std::string& full_jid, std::string_view stanza);
  void bounce_to_client(const std::string& sid, std::string_view stanza,
                        std::string_view condition);

  proto::xmpp::c2s_options options_;
  proto::sasl::credential_store& store_;
  upstream_sender upstream_;
  bosh::session_table* table_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<session>> sessions_; ///< sid -> session
  std::unordered_map<std::string, std::string> by_jid_;                ///< full JID -> sid
  c2s_stats stats_;
};

} // namespace boshmux::xmpp
