#include "lib/http/server.hpp"

#include "lib/http/request_parser.hpp"
#include "lib/http/response_writer.hpp"
#include "proto/common/ascii.hpp"
#include "proto/common/small_fifo.hpp"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/error.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <exception>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <stdexcept>
#include <system_error>
#include <tuple>
#include <utility>

namespace boshmux::http {

using namespace asio::experimental::awaitable_operators;
using clock = std::chrono::steady_clock;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

namespace {

/// "No deadline".
constexpr clock::time_point never = clock::time_point::max();
/// Bytes read from a socket at once.
/// Read buffer of a TLS connection.
constexpr std::size_t read_buffer_bytes = 8 * 1024;
/// Methods the BOSH path answers, for Allow on a 405.
constexpr std::string_view bosh_allow = "POST, GET, HEAD, OPTIONS";

/// Exchange ids are unique in the process, whatever the number of servers.
std::atomic<std::uint64_t> next_exchange_id{1};

/// The page a browser gets from the BOSH path.
constexpr std::string_view bosh_page =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head><meta charset=\"utf-8\"><title>boshmux: BOSH endpoint</title></head>\n"
    "<body>\n"
    "<h1>It works: this is a BOSH endpoint</h1>\n"
    "<p>boshmux is an XMPP over BOSH connection manager (XEP-0124, XEP-0206). XMPP clients\n"
    "POST &lt;body/&gt; elements to this address; there is nothing else to see here.</p>\n"
    "</body>\n"
    "</html>\n";

bool icontains(std::string_view haystack, std::string_view needle) noexcept {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                     [](char x, char y) {
                       return proto::ascii_lower(x) == proto::ascii_lower(y);
                     }) != haystack.end();
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) {
      out += ", ";
    }
    out += item;
  }
  return out;
}

response method_not_allowed(std::string allow) {
  response r = error_response(405);
  r.headers.push_back({"Allow", std::move(allow)});
  return r;
}

/// The answer to a CORS preflight on the BOSH path (the origin header comes from framing).
response preflight(const request& req, bool origin_allowed) {
  response r;
  r.status = 204;
  r.content_type.clear();
  if (origin_allowed) {
    std::string allow_headers = "Content-Type";
    if (const std::string* asked = req.find_header("access-control-request-headers");
        asked != nullptr && !asked->empty()) {
      allow_headers = icontains(*asked, "content-type") ? *asked : "Content-Type, " + *asked;
    }
    r.headers.push_back({"Access-Control-Allow-Methods", "POST, GET, OPTIONS"});
    r.headers.push_back({"Access-Control-Allow-Headers", std::move(allow_headers)});
    r.headers.push_back({"Access-Control-Max-Age", "86400"});
  }
  return r;
}

response bosh_page_response() {
  response r;
  r.content_type = "text/html; charset=utf-8";
  r.body = bosh_page;
  return r;
}

/// True when the coroutine with this state was cancelled (its parallel group is over).
bool is_cancelled(const asio::cancellation_state& state) {
  return state.cancelled() != asio::cancellation_type::none;
}

} // namespace

/// One response slot of a connection, in request order.
struct server::outgoing {
  std::shared_ptr<exchange> ex; ///< the exchange answered here; null for `bytes`
  std::string bytes;            ///< a response the connection made itself, serialised
  unsigned status = 0;          ///< status of `bytes`
  std::string allow_origin;     ///< CORS origin for the exchange's response; empty: none
  bool keep_alive = true;       ///< false: the connection closes after this response
  bool head = false;            ///< the request was HEAD: no body
  bool bosh = false;            ///< for the BOSH path
  clock::time_point received{}; ///< when the request was complete
};

/// One client connection. Lives in the frame of run_connection(), which owns the socket.
struct server::connection {
  connection(asio::ip::tcp::socket s, std::uint64_t conn_id, const server_config& cfg)
      : socket(std::move(s))
      , id(conn_id)
      , config(cfg)
      , parser(request_limits{cfg.max_header_bytes, cfg.max_body_bytes})
      , writer_wake(socket.get_executor())
      , reader_wake(socket.get_executor())
      , watchdog_timer(socket.get_executor()) {
    std::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    if (!ec) {
      peer = remote.address();
      name = fmt::format("[conn={} peer={}]", id,
                         fmt::format("{}:{}", peer.to_string(), remote.port()));
    } else {
      name = fmt::format("[conn={}]", id);
    }
  }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Detaches the exchanges still queued, in case the frame is destroyed without finish():
  /// a late respond() must not reach this connection.
  ~connection() {
    for (auto& o : queue) {
      if (o.ex) {
        o.ex->on_answer_for_connection(nullptr);
      }
    }
  }

  /// True when nothing happens: no request being read, none queued, nothing being written.
  bool idle() const noexcept {
    return queue.empty() && request_started == never && write_started == never;
  }

  /// When the watchdog must act next.
  clock::time_point deadline() const noexcept {
    clock::time_point d = linger_until;
    if (request_started != never) {
      d = std::min(d, request_started + config.header_timeout);
    }
    if (write_started != never) {
      d = std::min(d, write_started + config.idle_timeout);
    }
    if (idle()) {
      d = std::min(d, idle_since + config.idle_timeout);
    }
    return d;
  }

  /// Wakes the watchdog when the deadline moved earlier than what it waits for.
  void poke() {
    if (deadline() < watchdog_timer.expiry()) {
      watchdog_timer.cancel();
    }
  }

  /// Closes the socket and wakes every loop, which then end.
  void stop() {
    std::error_code ignored;
    socket.close(ignored);
    writer_wake.cancel();
    reader_wake.cancel();
    watchdog_timer.cancel();
  }

  asio::ip::tcp::socket socket;
  std::uint64_t id;
  const server_config& config;
  asio::ip::address peer;
  std::string name; ///< log prefix
  request_parser parser;
  std::vector<outgoing> queue;       ///< responses to write, in request order (a short FIFO)
  std::size_t queued_exchanges = 0;  ///< entries of `queue` that are exchanges
  asio::steady_timer writer_wake;    ///< cancelled when a response may be ready
  asio::steady_timer reader_wake;    ///< cancelled when the pipeline has room again
  asio::steady_timer watchdog_timer; ///< waits for deadline()
  clock::time_point idle_since = clock::now();
  clock::time_point request_started = never; ///< first byte of the request being read
  clock::time_point write_started = never;   ///< start of the write in progress
  clock::time_point linger_until = never;    ///< end of the lingering close
  bool input_closed = false; ///< no more requests are read (closing request, error, timeout)
  bool failed = false;       ///< an unexpected exception ended a loop
  std::string failure;       ///< what it said
  /// The TLS layer over `socket` when the listener speaks TLS; null on the plain path.
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls;

  /// Reads what is there (through TLS when it is on).
  template <typename Buffer> auto read_some(const Buffer& b) {
    return tls ? tls->async_read_some(b, use_tuple) : socket.async_read_some(b, use_tuple);
  }
  /// Writes all of `b` (through TLS when it is on).
  template <typename Buffer> auto write_all(const Buffer& b) {
    return tls ? asio::async_write(*tls, b, use_tuple) : asio::async_write(socket, b, use_tuple);
  }
};

server::server(asio::any_io_executor executor, server_config config)
    : executor_(std::move(executor))
    , config_(std::move(config))
    , acceptor_(executor_) {
  any_origin_ = config_.cors_origins.empty() ||
                std::find(config_.cors_origins.begin(), config_.cors_origins.end(), "*") !=
                    config_.cors_origins.end();
  if (!config_.tls_cert_file.empty() || !config_.tls_key_file.empty()) {
    auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::single_dh_use);
    SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
    std::error_code ec;
    tls->use_certificate_chain_file(config_.tls_cert_file, ec);
    if (ec) {
      throw std::runtime_error("--tls-cert: cannot use '" + config_.tls_cert_file +
                               "': " + ec.message());
    }
    tls->use_private_key_file(config_.tls_key_file, asio::ssl::context::pem, ec);
    if (ec) {
      throw std::runtime_error("--tls-key: cannot use '" + config_.tls_key_file +
                               "': " + ec.message());
    }
    if (SSL_CTX_check_private_key(tls->native_handle()) != 1) {
      throw std::runtime_error("--tls-key: the key does not match the certificate of --tls-cert");
    }
    tls_ = std::move(tls);
  }
}

server::~server() {
  stop();
}

void server::set_bosh_handler(std::string path, handler h) {
  routes_[std::move(path)] = route{std::move(h), {"POST"}, true};
}

void server::add_route(std::string path, handler h, std::vector<std::string> methods) {
  routes_[std::move(path)] = route{std::move(h), std::move(methods), false};
}

void server::start() {
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(config_.address), config_.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  spdlog::info("http: listening on {}:{}{}", config_.address, local_port(), tls_ ? " (TLS)" : "");
  asio::co_spawn(executor_, accept_loop(), asio::detached);
}

void server::stop() {
  std::error_code ignored;
  acceptor_.close(ignored);
  for (auto& [id, c] : connections_) {
    c->stop();
  }
}

void server::drain() {
  draining_ = true;
  std::error_code ignored;
  acceptor_.close(ignored);
  for (auto& [id, c] : connections_) {
    if (c->idle()) {
      c->stop();
    }
  }
}

std::uint16_t server::local_port() const {
  std::error_code ec;
  const auto endpoint = acceptor_.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

asio::awaitable<void> server::accept_loop() {
  while (acceptor_.is_open()) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
        co_return;
      }
      // Out of descriptors, typically: say so now and then, and let connections close.
      const auto now = clock::now();
      if (now - last_accept_warning_ > std::chrono::seconds(10)) {
        last_accept_warning_ = now;
        spdlog::warn("http: accept failed: {}", ec.message());
      }
      asio::steady_timer pause(executor_, std::chrono::milliseconds(100));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    ++stats_.connections_accepted;
    if (stats_.connections_open >= config_.max_connections) {
      ++stats_.connections_rejected;
      spdlog::debug("http: {} connections open: closing a new one", stats_.connections_open);
      std::error_code ignored;
      socket.close(ignored);
      continue;
    }
    ++stats_.connections_open;
    asio::co_spawn(executor_, run_connection(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> server::run_connection(asio::ip::tcp::socket socket) {
  std::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  socket.non_blocking(true, ignored); // read_loop reads plain connections without blocking
  connection c(std::move(socket), ++next_connection_id_, config_);
  connections_.emplace(c.id, &c);
  spdlog::debug("{} open", c.name);
  if (tls_) {
    bool secured = false;
    try {
      secured = co_await tls_handshake(c);
    } catch (const std::exception& e) {
      // Last resort, as for the loops: this connection only.
      ++stats_.internal_errors;
      spdlog::error("{} closing after an internal error in the TLS handshake: {}", c.name,
                    e.what());
    }
    if (!secured) {
      finish(c);
      co_return;
    }
  }
  // The first loop to end ends the others. An exception counts as an end: awaitable
  // operator|| waits for a loop that *succeeds*, so each loop is guarded.
  co_await (guarded(c, read_loop(c)) || guarded(c, write_loop(c)) || guarded(c, watchdog(c)));
  if (c.failed) {
    ++stats_.internal_errors;
    spdlog::error("{} closing after an internal error: {}", c.name, c.failure);
  }
  finish(c);
}

asio::awaitable<bool> server::tls_handshake(connection& c) {
  c.tls = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(c.socket, *tls_);
  // The handshake counts as the start of the first request: a client that stalls in it is
  // closed after header_timeout, like one that stalls in its headers.
  asio::steady_timer limit(executor_, config_.header_timeout);
  auto result = co_await (c.tls->async_handshake(asio::ssl::stream_base::server, use_tuple) ||
                          limit.async_wait(use_tuple));
  std::error_code ec =
      result.index() == 0 ? std::get<0>(std::get<0>(result)) : asio::error::timed_out;
  if (!ec) {
    ++stats_.tls_handshakes;
    c.idle_since = clock::now();
    co_return true;
  }
  ++stats_.tls_handshake_failures;
  spdlog::debug("{} TLS handshake failed: {}", c.name, ec.message());
  if (ec.category() == asio::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_HTTP_REQUEST) {
    // A plain-HTTP request on the TLS port: say so in plain HTTP, then close.
    const std::string reply = serialize_response(
        [] {
          response r = error_response(400);
          r.content_type = "text/plain; charset=utf-8";
          r.body = "This port speaks HTTPS: use https://\n";
          return r;
        }(),
        framing{false, false, {}});
    asio::steady_timer write_limit(executor_, std::chrono::seconds(1));
    auto written = co_await (asio::async_write(c.socket, asio::buffer(reply), use_tuple) ||
                             write_limit.async_wait(use_tuple));
    if (written.index() == 0 && !std::get<0>(std::get<0>(written))) {
      stats_.bytes_out += reply.size();
      count_response(400);
    }
  }
  co_return false;
}

asio::awaitable<void> server::guarded(connection& c, asio::awaitable<void> loop) {
  // Cancellation is control flow here: every loop checks for it after each wait instead of
  // having the next co_await throw.
  co_await asio::this_coro::throw_if_cancelled(false);
  // Last resort: whatever goes wrong in a loop (a handler that throws, an allocation that
  // fails) closes this connection only.
  try {
    co_await std::move(loop);
  } catch (const std::exception& e) {
    c.failed = true;
    c.failure = e.what();
  } catch (...) {
    c.failed = true;
    c.failure = "unknown exception";
  }
}

void server::finish(connection& c) {
  connections_.erase(c.id);
  std::error_code ignored;
  c.socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  c.socket.close(ignored);
  // Detach every unwritten exchange first, then tell the owners: an abort callback may answer
  // or drop other exchanges, but none of them can reach this connection any more.
  std::vector<std::shared_ptr<exchange>> unwritten;
  for (auto& o : c.queue) {
    if (o.ex) {
      o.ex->on_answer_for_connection(nullptr);
      unwritten.push_back(std::move(o.ex));
    }
  }
  c.queue.clear();
  c.queued_exchanges = 0;
  for (const auto& ex : unwritten) {
    if (!ex->answered()) {
      ++stats_.exchanges_aborted;
    }
    try {
      ex->abort();
    } catch (const std::exception& e) {
      ++stats_.internal_errors;
      spdlog::error("{} abort callback of exchange {} failed: {}", c.name, ex->id(), e.what());
    } catch (...) {
      ++stats_.internal_errors;
      spdlog::error("{} abort callback of exchange {} failed", c.name, ex->id());
    }
  }
  --stats_.connections_open;
  spdlog::debug("{} closed", c.name);
}

asio::awaitable<void> server::read_loop(connection& c) {
  // Plain connections read into the server's one buffer once the socket is readable, so that
  // an idle or held connection costs no buffer (all connections run on this one thread, and
  // what is read is parsed before the next wait). Only bytes left unparsed while the pipeline
  // is full are kept, in `unparsed`. A TLS connection reads through its own buffer.
  std::vector<char> tls_buffer(c.tls ? read_buffer_bytes : 0);
  std::string unparsed;
  const char* input = nullptr; // bytes [input, input + size) are read and not parsed yet
  std::size_t size = 0;
  for (;;) {
    while (size > 0 && !c.input_closed && c.queued_exchanges < config_.max_pipelined_requests) {
      const auto result = c.parser.feed({input, size});
      input += result.consumed;
      size -= result.consumed;
      if (result.status == parse_status::need_more && c.parser.take_continue()) {
        c.queue.push_back(outgoing{nullptr, std::string(continue_response), 100, {}, true, false});
        c.writer_wake.cancel();
      }
      if (result.status == parse_status::complete) {
        dispatch(c, c.parser.take());
      } else if (result.status == parse_status::error) {
        reject(c, status_of(c.parser.error()), c.parser.error_reason());
      }
    }
    if (c.input_closed || !c.parser.in_request()) {
      c.request_started = never;
    } else if (c.request_started == never) {
      c.request_started = clock::now();
      c.poke();
    }
    if (size > 0 && !c.input_closed) {
      // The pipeline is full: keep the rest and wait until the writer makes room.
      if (input < unparsed.data() || input >= unparsed.data() + unparsed.size()) {
        unparsed.assign(input, size);
        input = unparsed.data();
      }
      c.reader_wake.expires_at(never);
      co_await c.reader_wake.async_wait(use_tuple);
      if (is_cancelled(co_await asio::this_coro::cancellation_state)) {
        co_return;
      }
      continue;
    }
    std::string().swap(unparsed);
    // Read on even when no more requests are accepted: that is how a client going away is
    // noticed while its requests are held.
    std::error_code ec;
    std::size_t n = 0;
    if (c.tls) {
      std::tie(ec, n) = co_await c.read_some(asio::buffer(tls_buffer));
      input = tls_buffer.data();
    } else {
      for (;;) {
        n = c.socket.read_some(asio::buffer(read_buffer_), ec); // non-blocking
        if (ec != asio::error::would_block && ec != asio::error::try_again) {
          break;
        }
        std::tie(ec) = co_await c.socket.async_wait(asio::socket_base::wait_read, use_tuple);
        if (ec) {
          break;
        }
      }
      input = read_buffer_.data();
    }
    if (ec) {
      spdlog::debug("{} {}", c.name,
                    ec == asio::error::eof ? "closed by the client" : ec.message());
      // A client that only shut down its sending side still gets the responses already
      // answered at the front; what is not answered yet is aborted as soon as it is reached.
      while (ec == asio::error::eof && !c.queue.empty() &&
             (!c.queue.front().ex || c.queue.front().ex->answered())) {
        c.reader_wake.expires_at(never);
        co_await c.reader_wake.async_wait(use_tuple);
        if (is_cancelled(co_await asio::this_coro::cancellation_state)) {
          co_return;
        }
      }
      co_return;
    }
    stats_.bytes_in += n;
    size = c.input_closed ? 0 : n;
  }
}

void server::dispatch(connection& c, request req) {
  ++stats_.requests;
  c.request_started = never;
  req.peer = c.peer;
  auto ex = std::make_shared<exchange>(next_exchange_id++, std::move(req));
  const request& r = ex->req();
  const route* rt = find_route(r.path);
  outgoing o;
  o.ex = ex;
  o.keep_alive = r.keep_alive;
  o.head = r.method == "HEAD";
  o.received = clock::now();
  o.bosh = rt != nullptr && rt->bosh;
  if (o.bosh) {
    o.allow_origin = allowed_origin(r);
  }
  if (!r.keep_alive) {
    c.input_closed = true;
  }
  c.queue.push_back(std::move(o));
  ++c.queued_exchanges;
  connection* owner = &c;
  ex->on_answer_for_connection([owner] { owner->writer_wake.cancel(); });
  if (spdlog::should_log(spdlog::level::trace)) {
    spdlog::trace("{} request {}: {} {} ({} body bytes)", c.name, ex->id(), r.method, r.target,
                  r.body.size());
  }
  serve(rt, ex);
}

void server::serve(const route* rt, const std::shared_ptr<exchange>& ex) {
  const request& r = ex->req();
  if (rt == nullptr) {
    ex->respond(error_response(404));
    return;
  }
  if (rt->bosh) {
    if (r.method == "POST") {
      if (rt->serve) {
        rt->serve(ex);
      } else {
        ex->respond(error_response(503));
      }
    } else if (r.method == "OPTIONS") {
      ex->respond(preflight(r, !allowed_origin(r).empty()));
    } else if (r.method == "GET" || r.method == "HEAD") {
      ex->respond(bosh_page_response());
    } else {
      ex->respond(method_not_allowed(std::string(bosh_allow)));
    }
    return;
  }
  if (std::find(rt->methods.begin(), rt->methods.end(), r.method) == rt->methods.end()) {
    ex->respond(method_not_allowed(join(rt->methods)));
    return;
  }
  rt->serve(ex);
}

void server::reject(connection& c, unsigned status, std::string_view why) {
  switch (status) {
  case 408:
    ++stats_.parse_errors.request_timeout;
    break;
  case 413:
    ++stats_.parse_errors.payload_too_large;
    break;
  case 431:
    ++stats_.parse_errors.header_too_large;
    break;
  case 501:
    ++stats_.parse_errors.not_implemented;
    break;
  case 505:
    ++stats_.parse_errors.version_unsupported;
    break;
  default:
    ++stats_.parse_errors.bad_request;
    break;
  }
  spdlog::debug("{} answering {} and closing: {}", c.name, status, why);
  c.queue.push_back(outgoing{nullptr,
                             serialize_response(error_response(status), framing{false, false, {}}),
                             status,
                             {},
                             false,
                             false});
  c.input_closed = true;
  c.request_started = never;
  c.writer_wake.cancel();
  c.reader_wake.cancel();
}

asio::awaitable<void> server::write_loop(connection& c) {
  std::string out;
  std::vector<unsigned> statuses; // of the responses in `out`
  for (;;) {
    out.clear();
    statuses.clear();
    std::size_t items = 0;
    bool last = false;
    for (const auto& o : c.queue) {
      if (o.ex) {
        if (!o.ex->answered()) {
          break; // responses leave strictly in request order
        }
        const framing f{o.keep_alive, o.head, o.allow_origin};
        write_response(o.ex->answer(), f, out);
        statuses.push_back(o.ex->answer().status);
      } else {
        out += o.bytes;
        statuses.push_back(o.status);
      }
      ++items;
      if (!o.keep_alive) {
        last = true;
        break;
      }
    }
    if (items == 0) {
      c.writer_wake.expires_at(never);
      co_await c.writer_wake.async_wait(use_tuple);
      if (is_cancelled(co_await asio::this_coro::cancellation_state)) {
        co_return;
      }
      continue;
    }
    c.write_started = clock::now();
    c.poke();
    auto [ec, n] = co_await c.write_all(asio::buffer(out));
    c.write_started = never;
    if (ec) {
      spdlog::debug("{} write failed: {}", c.name, ec.message());
      co_return;
    }
    stats_.bytes_out += n;
    for (const unsigned status : statuses) {
      count_response(status);
    }
    const auto written = clock::now();
    for (std::size_t i = 0; i < items; ++i) {
      if (auto& ex = c.queue.front().ex) {
        const std::chrono::duration<double> took = written - c.queue.front().received;
        (c.queue.front().bosh ? stats_.bosh_latency : stats_.other_latency).observe(took.count());
        ex->on_answer_for_connection(nullptr);
        --c.queued_exchanges;
      }
      proto::pop_front(c.queue);
    }
    c.reader_wake.cancel();
    if (draining_ && c.queue.empty()) {
      last = true; // draining: the last answer of this connection is out
    }
    if (last) {
      // Lingering close: send FIN, then let the read loop drain what the client still sends
      // until it closes too or linger_timeout passes; closing with unread input would send a
      // reset that can destroy the response before the client reads it.
      std::error_code ignored;
      c.socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
      c.linger_until = clock::now() + config_.linger_timeout;
      c.poke();
      for (;;) {
        c.writer_wake.expires_at(never);
        co_await c.writer_wake.async_wait(use_tuple);
        if (is_cancelled(co_await asio::this_coro::cancellation_state)) {
          co_return;
        }
      }
    }
    if (c.queue.empty()) {
      c.idle_since = clock::now();
      c.poke();
    }
  }
}

asio::awaitable<void> server::watchdog(connection& c) {
  for (;;) {
    const auto now = clock::now();
    if (now >= c.linger_until) {
      co_return;
    }
    if (c.write_started != never && now >= c.write_started + config_.idle_timeout) {
      spdlog::debug("{} the client does not read its response: closing", c.name);
      co_return;
    }
    if (c.request_started != never && now >= c.request_started + config_.header_timeout) {
      reject(c, 408, "request not complete within the header timeout");
      continue;
    }
    if (c.idle() && now >= c.idle_since + config_.idle_timeout) {
      ++stats_.idle_timeouts;
      spdlog::debug("{} idle: closing", c.name);
      co_return;
    }
    c.watchdog_timer.expires_at(c.deadline());
    co_await c.watchdog_timer.async_wait(use_tuple);
    if (is_cancelled(co_await asio::this_coro::cancellation_state)) {
      co_return;
    }
  }
}

void latency_histogram::observe(double seconds) noexcept {
  const auto* bucket = std::lower_bound(bounds.begin(), bounds.end(), seconds);
  ++counts[static_cast<std::size_t>(bucket - bounds.begin())];
  sum += seconds;
  ++count;
}

void server::count_response(unsigned status) {
  const std::size_t index =
      std::min<std::size_t>(status / 100, stats_.responses_by_class.size() - 1);
  ++stats_.responses_by_class[index];
}

const server::route* server::find_route(std::string_view path) const {
  if (const auto it = routes_.find(path); it != routes_.end()) {
    return &it->second;
  }
  // "/http-bind/" is "/http-bind", as clients configured with a trailing slash expect.
  if (path.size() > 1 && path.ends_with('/')) {
    path.remove_suffix(1);
    if (const auto it = routes_.find(path); it != routes_.end()) {
      return &it->second;
    }
  }
  return nullptr;
}

std::string server::allowed_origin(const request& r) const {
  if (any_origin_) {
    return "*";
  }
  const std::string* origin = r.find_header("origin");
  if (origin == nullptr) {
    return {};
  }
  for (const auto& allowed : config_.cors_origins) {
    if (proto::ascii_iequals(allowed, *origin)) {
      return *origin;
    }
  }
  return {};
}

} // namespace boshmux::http
