#pragma once

#include "proto/common/limits.hpp"
#include "proto/component/backoff.hpp"
#include "proto/component/component_stream.hpp"
#include "proto/component/outbox.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace boshmux::component {

/// Settings of the component link.
struct link_config {
  std::string domain;        ///< our component domain (the stream's `to`)
  std::string host;          ///< the XMPP server's host name or address
  std::uint16_t port = 5347; ///< the XMPP server's component port
  std::string secret;        ///< the shared secret
  /// A ping travels through the server when nothing was read or written for this long.
  std::chrono::milliseconds keepalive_interval{30'000};
  /// The peer is declared dead when nothing at all is read for this long after a ping.
  std::chrono::milliseconds ping_timeout{15'000};
  /// Checkpoint pings (which confirm the stanzas written before them) are at least this far
  /// apart: under load one confirms many stanzas instead of costing the server one each.
  std::chrono::milliseconds checkpoint_interval{10};
  /// Upper bound on resolving and connecting, and on the handshake.
  std::chrono::milliseconds connect_timeout{10'000};
  /// How long a clean close waits for the server's own close.
  std::chrono::milliseconds close_timeout{2'000};
  proto::component::backoff_policy backoff;
  /// Bound on stanzas waiting to be written or to be confirmed by the server (bytes); send()
  /// refuses beyond it.
  std::size_t max_queue_bytes = 8 * 1024 * 1024;
  proto::xml_limits limits;
};

/// The XEP-0114 client: one TCP stream to the XMPP server, authenticated as the component,
/// kept up (keepalive, dead-peer detection) and re-established with backoff and jitter.
/// Stanzas are delivered at least once: each stays in the outbox until a checkpoint ping
/// written after it comes back through the server, and is written again on the next stream
/// when the server dies first (proto::component::outbox).
///
/// The protocol decisions live in proto::component::component_stream; this class moves bytes
/// and runs timers. Single-threaded: every call must come from the executor's thread.
class link {
public:
  /// Callbacks into the engine.
  struct handlers {
    /// A stanza from the server (raw bytes; prefixes resolve through scope()).
    std::function<void(std::string_view stanza)> on_stanza;
    /// The link became ready (true) or stopped being ready (false).
    std::function<void(bool up)> on_state;
  };

  link(asio::any_io_executor executor, link_config config, handlers callbacks);
  ~link();
  link(const link&) = delete;
  link& operator=(const link&) = delete;

  /// Starts connecting; reconnects until stop().
  void start();

  /// Closes the stream cleanly (queued stanzas first, then </stream:stream>, then waits up to
  /// close_timeout for the server's close) and stops reconnecting. `done` runs once the
  /// socket is closed.
  void stop(std::function<void()> done);

  /// Queues a stanza for the server. Returns false, queuing nothing, when the queue is full.
  /// Stanzas queued while the link is down are written once it is ready again.
  bool send(std::string stanza);

  /// Removes and returns the stanzas the server has not confirmed, oldest first (to bounce
  /// them when the link stays down). Nothing while the link is up: they are being written.
  std::deque<std::string> take_queued();

  /// True while the stream is authenticated.
  bool up() const noexcept { return up_; }
  /// Bytes of stanzas waiting to be written or confirmed.
  std::size_t queued_bytes() const noexcept { return outbox_.bytes(); }
  /// Stanzas written and not yet confirmed by the server.
  std::size_t unconfirmed() const noexcept { return outbox_.unconfirmed(); }
  /// Stanzas taken back unconfirmed from a lost stream since start, to be written again.
  std::uint64_t requeued() const noexcept { return outbox_.rewound_total(); }
  /// Namespace prefixes declared on the server's stream header.
  const proto::xml::namespace_scope& scope() const noexcept { return scope_; }
  /// Successful handshakes since start (1 after the first connection).
  std::uint64_t connections() const noexcept { return connections_; }

private:
  struct connection;
  /// How one connection ended.
  struct outcome {
    std::string cause;         ///< what went wrong, for the log
    bool retry_at_max = false; ///< retrying soon cannot help (wrong secret, unknown host)
    bool was_ready = false;    ///< the handshake had succeeded
  };
  asio::awaitable<void> run();
  asio::awaitable<outcome> connect_once();
  asio::awaitable<std::error_code> resolve_and_connect(connection& c);
  asio::awaitable<void> read_loop(connection& c);
  asio::awaitable<void> write_loop(connection& c);
  asio::awaitable<void> watchdog(connection& c);
  void set_up(bool up);
  void report(const outcome& result, std::chrono::milliseconds delay);
  void ping(connection& c);
  std::string endpoint() const;

  asio::any_io_executor executor_;
  link_config config_;
  handlers handlers_;
  proto::component::outbox outbox_;
  bool up_ = false;
  bool stopping_ = false;
  bool running_ = false;
  std::uint64_t connections_ = 0;
  proto::xml::namespace_scope scope_;
  std::function<void()> on_stopped_;
  asio::steady_timer wake_; ///< wakes the write loop (cancelled when there is work)
  asio::steady_timer retry_timer_;
  std::string last_reported_; ///< last failure logged at error level (logged once)
  std::minstd_rand jitter_rng_;
};

} // namespace boshmux::component
