#pragma once

#include "lib/bosh/session_table.hpp"
#include "proto/router/router.hpp"
#include "proto/xmpp/c2s_machine.hpp"

#include <cstdint>
#include <functional>
#include <map>
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
  std::uint64_t stanzas_from_server = 0;
  std::uint64_t stanzas_undeliverable = 0; ///< refused by the component link (queue full)
  /// SASL exchanges by (mechanism, outcome): "success" or the RFC 6120 failure condition.
  std::map<std::pair<std::string, std::string>, std::uint64_t> logins;
};

/// The XMPP layer on top of the BOSH engine: one c2s_machine per BOSH session, and the
/// router that delivers their stanzas (to another local session, or over the component link).
class c2s_layer final : public bosh::upper_layer {
public:
  /// Sends a stanza (serialised in jabber:component:accept) over the component link; false
  /// when its queue is full.
  using upstream_sender = std::function<bool(std::string stanza)>;

  c2s_layer(proto::xmpp::c2s_options options, proto::router::router_options routing,
            proto::sasl::credential_store& store, upstream_sender upstream);

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
  /// `stanza` (jabber:component:accept) never reached the server: its sender gets the error
  /// `condition` where the rules allow one.
  void undeliverable(std::string_view stanza, std::string_view condition);

  const c2s_stats& stats() const noexcept { return stats_; }
  const proto::router::router_stats& routing_stats() const noexcept { return router_.stats(); }
  /// Bound full JIDs right now.
  std::size_t bound() const noexcept { return router_.bound(); }

private:
  struct session {
    explicit session(const proto::xmpp::c2s_options& o, proto::sasl::credential_store& s)
        : machine(o, s) {}
    proto::xmpp::c2s_machine machine;
  };

  void run(const std::string& sid, proto::xmpp::c2s_actions& actions);
  void execute(proto::router::router_actions& actions);
  void bind(const std::string& sid, session& s, const proto::xmpp::c2s::bind_requested& request,
            proto::xmpp::c2s_actions& out);

  proto::xmpp::c2s_options options_;
  proto::sasl::credential_store& store_;
  upstream_sender upstream_;
  proto::router::router router_;
  bosh::session_table* table_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<session>> sessions_; ///< sid -> session
  c2s_stats stats_;
};

} // namespace boshmux::xmpp
