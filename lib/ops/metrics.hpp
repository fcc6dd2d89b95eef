#pragma once

#include "lib/auth/auth_backend.hpp"
#include "lib/bosh/session_table.hpp"
#include "lib/http/server.hpp"
#include "lib/xmpp/c2s_layer.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace boshmux::ops {

/// What one process reports to Prometheus: its parts' counters, read at scrape time.
struct metrics_sources {
  const http::server_stats* http = nullptr;
  const bosh::table_stats* bosh = nullptr;
  std::size_t sessions_active = 0;
  std::size_t requests_held = 0;
  const xmpp::c2s_stats* c2s = nullptr;
  const proto::router::router_stats* routing = nullptr;
  std::size_t bound_resources = 0;
  const auth::auth_counters* auth = nullptr;
  bool link_up = false;
  std::uint64_t link_connections = 0; ///< successful handshakes since start
  std::size_t link_queued_bytes = 0;  ///< waiting to be written or confirmed
  std::size_t link_unconfirmed = 0;   ///< stanzas written, not yet confirmed by the server
  std::uint64_t link_requeued = 0;    ///< taken back unconfirmed from lost streams
  bool draining = false;
};

/// The Prometheus text exposition (format 0.0.4) of `sources` plus the process metrics
/// (resident memory, CPU seconds, open file descriptors, start time; from /proc).
std::string render_metrics(const metrics_sources& sources);

/// The Content-Type of render_metrics()' output.
inline constexpr const char* metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

} // namespace boshmux::ops
