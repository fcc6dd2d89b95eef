#pragma once

#include "lib/http/exchange.hpp"
#include "proto/bosh/session_machine.hpp"
#include "proto/common/rate_limiter.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/ip/address.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace boshmux::bosh {

namespace pb = proto::bosh;

/// What a new session asked for, passed to the layer above.
struct session_info {
  std::string sid;
  std::string to; ///< the served domain the client addressed
  std::string xml_lang;
  std::string from;          ///< the optional `from` of the creation request
  bool xmpp_version = false; ///< the client sent xmpp:version (XEP-0206)
};

/// The layer above the BOSH engine (the XMPP sessions; a test echo in the tests).
class upper_layer {
public:
  virtual ~upper_layer() = default;
  /// A session was created; the layer may call session_table::send() at once (features).
  virtual void session_created(const session_info& info) = 0;
  /// Payloads from the client, in rid and document order.
  virtual void payloads_received(const std::string& sid, std::vector<std::string>& payloads,
                                 const proto::xml::namespace_scope& scope) = 0;
  /// The client asked for a stream restart (XEP-0206 section 5).
  virtual void restart_requested(const std::string& sid) = 0;
  /// The session is gone (every held request has been answered).
  virtual void session_ended(const std::string& sid, pb::condition cond, pb::end_reason reason) = 0;
};

/// Settings of the session table.
struct table_config {
  std::vector<std::string> domains;  ///< served domains (the creation `to`)
  std::string node_id = "n1";        ///< SID prefix
  std::size_t max_sessions = 100000; ///< beyond it new sessions get policy-violation
  /// Session creations per client address (IPv6: per /64); beyond it policy-violation.
  /// Disabled by default (rate 0).
  proto::rate_limit creations_per_address;
  /// Reverse proxies whose X-Forwarded-For names the client address for that limit; from
  /// any other peer the header is ignored.
  std::vector<asio::ip::address> trusted_proxies;
  pb::session_limits limits;
  proto::xml_limits xml;
  /// Extra attributes of every creation response (XEP-0206's xmpp:version etc.).
  std::string creation_attributes =
      " xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0' xmpp:restartlogic='true'";
};

/// Counters of the BOSH engine (read by metrics).
struct table_stats {
  std::uint64_t sessions_created = 0;
  std::uint64_t sessions_ended = 0;
  std::uint64_t bad_requests = 0;  ///< unparsable bodies
  std::uint64_t unknown_sid = 0;   ///< requests for a session that does not exist
  std::uint64_t refused = 0;       ///< creations refused (host, capacity, link down, rate)
  std::uint64_t rate_limited = 0;  ///< of `refused`: over the per-address creation rate
  std::uint64_t over_capacity = 0; ///< of `refused`: max_sessions reached
  /// Ended sessions by BOSH condition and finer reason.
  std::map<std::pair<pb::condition, pb::end_reason>, std::uint64_t> ended_by;
};

/// sid -> session. Parses each BOSH request, runs the session's machine and executes its
/// actions: answers HTTP exchanges, calls the layer above, arms one deadline timer per session.
/// Single-threaded: everything runs on the executor's thread.
class session_table {
public:
  session_table(asio::any_io_executor executor, table_config config, upper_layer& upper);
  ~session_table();
  session_table(const session_table&) = delete;
  session_table& operator=(const session_table&) = delete;

  /// The HTTP handler for the BOSH path.
  void handle(const std::shared_ptr<http::exchange>& exchange);

  /// Payload for a client. False when the session is unknown/ended or its queue is full.
  bool send(const std::string& sid, std::string_view payload);
  /// Ends a session from the server side (conflict, shutdown, link loss ...).
  void terminate(const std::string& sid, pb::condition cond, std::string_view final_payload = {},
                 pb::end_reason reason = pb::end_reason::server);
  /// Ends every session with `cond` (shutdown).
  void terminate_all(pb::condition cond, pb::end_reason reason = pb::end_reason::server);
  /// Whether new sessions are accepted; when not, they get `refusal` (remote-connection-failed
  /// while the component link is down, system-shutdown while draining).
  void set_accepting(bool accepting,
                     pb::condition refusal = pb::condition::remote_connection_failed);

  std::size_t size() const noexcept { return sessions_.size(); }
  /// Requests held right now across all sessions.
  std::size_t held_requests() const;
  const table_stats& stats() const noexcept { return stats_; }
  bool contains(const std::string& sid) const { return sessions_.contains(sid); }

private:
  struct session;
  void create(const std::shared_ptr<http::exchange>& exchange, pb::request_body body);
  void watch(session& s, const std::string& sid, const std::shared_ptr<http::exchange>& exchange);
  void execute(const std::string& sid, pb::actions& actions);
  void arm(session& s);
  void answer(const std::shared_ptr<http::exchange>& exchange, unsigned status, std::string body,
              const std::string& content_type);
  std::string new_sid() const;
  asio::ip::address client_address(const http::request& req) const;

  asio::any_io_executor executor_;
  table_config config_;
  upper_layer& upper_;
  /// A session the server ended while no request was held: its terminal answer waits for
  /// the client's next request (until `expires`).
  struct tombstone {
    pb::http_answer answer;
    std::string content_type;
  };
  void bury(const std::string& sid, pb::http_answer answer, std::string content_type);
  void purge_tombstones();
  bool answer_from_tombstone(const std::string& sid,
                             const std::shared_ptr<http::exchange>& exchange);

  std::unordered_map<std::string, std::unique_ptr<session>> sessions_;
  proto::keyed_rate_limiter creation_limiter_; ///< creations per client address
  std::unordered_map<std::string, tombstone> tombstones_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> tombstone_expiry_;
  table_stats stats_;
  bool accepting_ = true;
  pb::condition refusal_ = pb::condition::remote_connection_failed;
};

} // namespace boshmux::bosh
