#include "lib/component/link.hpp"

#include <array>
#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <vector>

namespace boshmux::component {

using namespace asio::experimental::awaitable_operators;
using proto::component::component_stream;
using proto::component::failure_reason;
using proto::component::link_state;
using clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

namespace {

/// Largest batch of queued stanzas handed to one write.
constexpr std::size_t max_write_batch_bytes = 256 * 1024;

asio::awaitable<void> sleep_for(clock::duration d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(use_tuple);
}

std::string seconds(std::chrono::milliseconds d) {
  return fmt::format("{:.1f}s", static_cast<double>(d.count()) / 1000.0);
}

} // namespace

/// One TCP connection and its stream, alive for one connect_once().
struct link::connection {
  explicit connection(asio::any_io_executor ex, const link_config& config)
      : socket(std::move(ex))
      , stream(config.domain, config.secret, config.limits) {}

  asio::ip::tcp::socket socket;
  component_stream stream;
  std::string control; ///< header, handshake, keepalives, pings: written before stanzas
  std::string cause;   ///< why the connection ended
  clock::time_point started = clock::now();
  clock::time_point last_read = started;
  clock::time_point last_write = started;
  bool peer_closed = false;
};

link::link(asio::any_io_executor executor, link_config config, handlers callbacks)
    : executor_(std::move(executor))
    , config_(std::move(config))
    , handlers_(std::move(callbacks))
    , outbox_(config_.max_queue_bytes, config_.checkpoint_interval)
    , wake_(executor_)
    , retry_timer_(executor_)
    , jitter_rng_(std::random_device{}()) {}

link::~link() = default;

void link::start() {
  if (running_) {
    return;
  }
  running_ = true;
  stopping_ = false;
  asio::co_spawn(executor_, run(), asio::detached);
}

void link::stop(std::function<void()> done) {
  stopping_ = true;
  on_stopped_ = std::move(done);
  retry_timer_.cancel();
  wake_.cancel();
  if (!running_ && on_stopped_) {
    asio::post(executor_, std::exchange(on_stopped_, {}));
  }
}

bool link::send(std::string stanza) {
  if (!outbox_.push(std::move(stanza))) {
    return false;
  }
  wake_.cancel();
  return true;
}

std::deque<std::string> link::take_queued() {
  if (up_) {
    return {};
  }
  return outbox_.take_all();
}

std::string link::endpoint() const {
  return fmt::format("{}:{}", config_.host, config_.port);
}

void link::set_up(bool up) {
  if (up_ == up) {
    return;
  }
  up_ = up;
  if (handlers_.on_state) {
    handlers_.on_state(up);
  }
}

void link::report(const outcome& result, std::chrono::milliseconds delay) {
  // A cause that repeats is logged once at error level; the retries go to debug.
  if (result.cause != last_reported_) {
    last_reported_ = result.cause;
    if (result.retry_at_max) {
      spdlog::error("[up={}] component {} refused: {}; retrying in {}", endpoint(), config_.domain,
                    result.cause, seconds(delay));
    } else {
      spdlog::warn("[up={}] component link down: {}; reconnecting in {}", endpoint(), result.cause,
                   seconds(delay));
    }
  } else {
    spdlog::debug("[up={}] component link down: {}; reconnecting in {}", endpoint(), result.cause,
                  seconds(delay));
  }
}

asio::awaitable<void> link::run() {
  unsigned attempt = 0;
  while (!stopping_) {
    const outcome result = co_await connect_once();
    set_up(false);
    if (stopping_) {
      break;
    }
    if (result.was_ready) {
      attempt = 0;
    }
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const double draw = unit(jitter_rng_);
    const auto delay = result.retry_at_max ? config_.backoff.maximum_delay(draw)
                                           : config_.backoff.delay(attempt++, draw);
    report(result, delay);
    retry_timer_.expires_after(delay);
    co_await retry_timer_.async_wait(use_tuple);
  }
  running_ = false;
  if (on_stopped_) {
    std::exchange(on_stopped_, {})();
  }
}

asio::awaitable<std::error_code> link::resolve_and_connect(connection& c) {
  asio::ip::tcp::resolver resolver(executor_);
  auto [rec, endpoints] =
      co_await resolver.async_resolve(config_.host, std::to_string(config_.port), use_tuple);
  if (rec) {
    co_return rec;
  }
  auto [cec, ep] = co_await asio::async_connect(c.socket, endpoints, use_tuple);
  co_return cec;
}

asio::awaitable<link::outcome> link::connect_once() {
  connection c(executor_, config_);
  auto connected = co_await (resolve_and_connect(c) || sleep_for(config_.connect_timeout));
  if (connected.index() == 1) {
    co_return outcome{fmt::format("connecting to {} timed out", endpoint())};
  }
  if (const std::error_code ec = std::get<0>(connected)) {
    co_return outcome{fmt::format("cannot connect to {}: {}", endpoint(), ec.message())};
  }
  spdlog::debug("[up={}] connected; opening component stream for {}", endpoint(), config_.domain);
  c.control = c.stream.open();
  co_await (read_loop(c) || write_loop(c) || watchdog(c));
  if (stopping_) {
    // The server handles a stream in order: its own close means it took everything before
    // ours. Without it, say what may not have arrived (there is no next stream).
    if (!c.peer_closed && outbox_.unconfirmed() > 0) {
      spdlog::warn("[up={}] closed without the server's confirmation of the last {} stanzas",
                   endpoint(), outbox_.unconfirmed());
    }
  } else if (const std::size_t again = outbox_.rewind(); again > 0) {
    // What the server did not confirm may have died with it: written again on the next stream.
    spdlog::warn("[up={}] {} stanzas not confirmed by the server will be written again", endpoint(),
                 again);
  }

  outcome result;
  result.was_ready =
      c.stream.state() == link_state::ready || c.stream.state() == link_state::closed;
  const failure_reason reason = c.stream.failure();
  result.retry_at_max = reason == failure_reason::not_authorized ||
                        reason == failure_reason::host_unknown ||
                        reason == failure_reason::conflict;
  switch (reason) {
  case failure_reason::not_authorized:
    result.cause = "not-authorized: the server rejected the component secret (or, as ejabberd "
                   "says it, does not serve this component domain)";
    break;
  case failure_reason::host_unknown:
    result.cause = fmt::format("host-unknown: the server does not know the component domain {}",
                               config_.domain);
    break;
  case failure_reason::conflict:
    result.cause = fmt::format("conflict: another component is connected as {}", config_.domain);
    break;
  case failure_reason::none:
    result.cause = c.cause;
    break;
  default:
    result.cause =
        fmt::format("{} ({})", proto::component::to_string(reason), c.stream.condition());
    break;
  }
  if (result.cause.empty()) {
    result.cause = "connection closed";
  }
  std::error_code ignored;
  c.socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  c.socket.close(ignored);
  co_return result;
}

void link::ping(connection& c) {
  // It confirms the stanzas written before it when it comes back (proto::component::outbox).
  c.control += proto::component::checkpoint_ping(config_.domain, outbox_.checkpoint(clock::now()));
  wake_.cancel();
}

asio::awaitable<void> link::read_loop(connection& c) {
  std::array<char, 16 * 1024> buffer{};
  std::vector<component_stream::event> events;
  std::string to_write;
  for (;;) {
    auto [ec, n] = co_await c.socket.async_read_some(asio::buffer(buffer), use_tuple);
    if (ec) {
      if (c.cause.empty()) { // a cancelled read reports the cause of whoever cancelled it
        c.cause = ec == asio::error::eof ? "the server closed the connection" : ec.message();
      }
      co_return;
    }
    c.last_read = clock::now();
    events.clear();
    to_write.clear();
    c.stream.received({buffer.data(), n}, events, to_write);
    if (!to_write.empty()) {
      c.control += to_write;
      wake_.cancel();
    }
    for (auto& e : events) {
      switch (e.what) {
      case component_stream::event::kind::ready:
        ++connections_;
        scope_ = c.stream.scope();
        last_reported_.clear();
        spdlog::info("[up={}] component {} authenticated (stream id {})", endpoint(),
                     config_.domain, c.stream.stream_id());
        set_up(true);
        wake_.cancel();
        break;
      case component_stream::event::kind::stanza:
        if (const auto id = proto::component::checkpoint_answer(e.bytes, config_.domain)) {
          outbox_.confirm(*id);
          if (outbox_.checkpoint_due()) {
            wake_.cancel(); // the write loop writes it when due
          }
        } else if (handlers_.on_stanza) {
          handlers_.on_stanza(e.bytes);
        }
        break;
      case component_stream::event::kind::failed:
        co_return;
      case component_stream::event::kind::closed:
        c.peer_closed = true;
        c.cause = "the server closed the stream";
        co_return;
      }
    }
  }
}

asio::awaitable<void> link::write_loop(connection& c) {
  std::vector<asio::const_buffer> buffers;
  std::string control; // control bytes in flight (c.control may grow meanwhile)
  for (;;) {
    const bool ready = c.stream.state() == link_state::ready;
    if (stopping_ && (!ready || outbox_.pending().empty())) {
      control = std::move(c.control);
      c.control.clear();
      if (ready) {
        control += component_stream::close();
      }
      if (!control.empty()) {
        co_await asio::async_write(c.socket, asio::buffer(control), use_tuple);
      }
      if (ready) {
        co_await sleep_for(config_.close_timeout); // the read loop ends first on a clean close
      }
      if (c.cause.empty()) {
        c.cause = "stopped";
      }
      co_return;
    }
    if (ready && outbox_.wants_checkpoint(clock::now())) {
      ping(c); // written first: it covers what was written before
    }
    buffers.clear();
    std::size_t stanzas = 0;
    std::size_t bytes = 0;
    control = std::move(c.control);
    c.control.clear();
    if (!control.empty()) {
      buffers.emplace_back(asio::buffer(control));
      bytes += control.size();
    }
    if (ready) {
      for (const auto& stanza : outbox_.pending()) {
        if (bytes > 0 && bytes + stanza.size() > max_write_batch_bytes) {
          break;
        }
        buffers.emplace_back(asio::buffer(stanza));
        bytes += stanza.size();
        ++stanzas;
      }
    }
    if (buffers.empty()) {
      const auto due = ready ? outbox_.checkpoint_due() : std::nullopt;
      wake_.expires_at(due ? *due : asio::steady_timer::time_point::max());
      auto [ec] = co_await wake_.async_wait(use_tuple);
      if (ec && ec != asio::error::operation_aborted) {
        co_return;
      }
      if ((co_await asio::this_coro::cancellation_state).cancelled() !=
          asio::cancellation_type::none) {
        co_return;
      }
      continue;
    }
    auto [ec, n] = co_await asio::async_write(c.socket, buffers, use_tuple);
    if (ec) {
      if (c.cause.empty()) {
        c.cause = fmt::format("write failed: {}", ec.message());
      }
      co_return; // unwritten stanzas stay queued for the next connection
    }
    c.last_write = clock::now();
    outbox_.written(stanzas);
  }
}

asio::awaitable<void> link::watchdog(connection& c) {
  const auto tick = std::clamp(std::min(config_.keepalive_interval, config_.ping_timeout) / 4,
                               std::chrono::milliseconds(50), std::chrono::milliseconds(5000));
  asio::steady_timer timer(executor_);
  for (;;) {
    timer.expires_after(tick);
    auto [ec] = co_await timer.async_wait(use_tuple);
    if (ec) {
      co_return;
    }
    const auto now = clock::now();
    if (c.stream.state() != link_state::ready) {
      if (now - c.started > config_.connect_timeout) {
        c.cause = fmt::format("no handshake within {}", seconds(config_.connect_timeout));
        co_return;
      }
      continue;
    }
    if (const auto sent = outbox_.checkpoint_sent()) {
      // Dead: silent for a ping timeout since a ping, or a ping unanswered for a keepalive
      // interval more while the server talks of other things.
      const bool silent = now - c.last_read > config_.ping_timeout;
      if ((silent && now - *sent > config_.ping_timeout) ||
          now - *sent > config_.keepalive_interval + config_.ping_timeout) {
        c.cause = fmt::format(
            "the server did not answer a ping for {}",
            seconds(std::chrono::duration_cast<std::chrono::milliseconds>(now - *sent)));
        co_return;
      }
    } else if (now - c.last_read >= config_.keepalive_interval ||
               now - c.last_write >= config_.keepalive_interval) {
      // Nothing heard, or nothing written (an idle link, or a write the server does not
      // read: then the ping goes unanswered too) for a while.
      ping(c);
    }
  }
}

} // namespace boshmux::component
