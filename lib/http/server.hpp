#pragma once

#include "lib/http/exchange.hpp"

#include <array>
#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace asio::ssl {
class context;
} // namespace asio::ssl

namespace boshmux::http {

/// Settings of the HTTP server.
struct server_config {
  std::string address = "127.0.0.1"; ///< listen address (IPv4 or IPv6 literal)
  std::uint16_t port = 5280;         ///< listen port; 0 picks a free one (see local_port())
  /// Connections open at once; beyond it a new connection is closed at once (and counted).
  std::size_t max_connections = 10'000;
  /// Largest header section of a request (request line and headers); beyond it: 431.
  std::size_t max_header_bytes = 8 * 1024;
  /// Largest request body (decoded); beyond it: 413.
  std::size_t max_body_bytes = 1024 * 1024;
  /// A request must be complete (headers and body) within this from its first byte, else 408
  /// and the connection closes (slowloris defence).
  std::chrono::milliseconds header_timeout{10'000};
  /// A connection with no request in progress, none waiting for its answer and nothing being
  /// written is closed after this. A response write that stalls this long closes it too.
  std::chrono::milliseconds idle_timeout{60'000};
  /// How long a closing connection, its last response written, drains unread input before
  /// the socket closes (a close with unread input would reset the connection and could
  /// destroy the response before the client read it).
  std::chrono::milliseconds linger_timeout{2'000};
  /// Requests read ahead on one connection while earlier ones wait for their answer; reading
  /// pauses beyond it (pipelining back-pressure).
  std::size_t max_pipelined_requests = 16;
  /// Origins allowed to use the BOSH path from a browser (CORS); empty or "*": any origin.
  std::vector<std::string> cors_origins;
  /// PEM certificate chain and private key: when both are set the listener speaks TLS only
  /// (HTTPS; TLS 1.2 and later). The TLS handshake must end within header_timeout.
  std::string tls_cert_file;
  std::string tls_key_file; ///< see tls_cert_file
};

/// Seconds from a complete request to its response written, in fixed buckets (cumulative
/// counts are made by whoever exports them).
struct latency_histogram {
  static constexpr std::array<double, 12> bounds{0.001, 0.005, 0.01, 0.05, 0.1, 0.5,
                                                 1,     5,     10,   30,   60,  120};
  std::array<std::uint64_t, bounds.size() + 1> counts{}; ///< last: above every bound
  double sum = 0;
  std::uint64_t count = 0;
  void observe(double seconds) noexcept;
};

/// Counters of one server since start(). Read them on the server's executor.
struct server_stats {
  std::uint64_t connections_accepted = 0; ///< accepted from the OS (the rejected included)
  std::uint64_t connections_open = 0;     ///< open now
  std::uint64_t connections_rejected = 0; ///< closed at once because max_connections was reached
  std::uint64_t requests = 0;             ///< complete requests read
  /// Responses written by status class: index 1 for 1xx ... 5 for 5xx (0: below 100).
  std::array<std::uint64_t, 6> responses_by_class{};
  latency_histogram bosh_latency;  ///< BOSH requests (held ones included)
  latency_histogram other_latency; ///< every other path
  std::uint64_t bytes_in = 0;      ///< bytes read from clients
  std::uint64_t bytes_out = 0;     ///< bytes written to clients
  /// Requests refused by the request parser or the timeouts, by the status they got.
  struct {
    std::uint64_t bad_request = 0;         ///< 400
    std::uint64_t request_timeout = 0;     ///< 408
    std::uint64_t payload_too_large = 0;   ///< 413
    std::uint64_t header_too_large = 0;    ///< 431
    std::uint64_t not_implemented = 0;     ///< 501
    std::uint64_t version_unsupported = 0; ///< 505
  } parse_errors;
  std::uint64_t exchanges_aborted = 0; ///< exchanges whose connection died before respond()
  std::uint64_t idle_timeouts = 0;     ///< connections closed by idle_timeout
  std::uint64_t internal_errors = 0;   ///< connections closed by an unexpected exception
  std::uint64_t tls_handshakes = 0;    ///< TLS handshakes completed
  /// TLS handshakes that failed or timed out (plain-HTTP requests to the TLS port included).
  std::uint64_t tls_handshake_failures = 0;
};

/// The HTTP/1.1 server: acceptor, one coroutine set per connection (read loop, write loop,
/// watchdog), keep-alive and pipelining with responses strictly in request order, timeouts,
/// limits, routing and CORS for the BOSH path.
///
/// Requests become `exchange`s passed to the handler of their path; a handler answers with
/// exchange::respond() at once or later (a held BOSH request). When a client goes away, each
/// of its exchanges not answered yet gets exchange::abort().
///
/// Single-threaded: every call, and every handler, runs on the executor's thread. The server
/// must outlive the running of its connections: call stop() and let the executor finish them
/// (or stop the executor) before destroying it.
class server {
public:
  /// Throws std::runtime_error when the TLS certificate or key cannot be used.
  server(asio::any_io_executor executor, server_config config);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Serves the BOSH endpoint at `path` (e.g. "/http-bind"): POST goes to `h`; OPTIONS is the
  /// CORS preflight; GET and HEAD get a short HTML page; other methods get 405. Every response
  /// on this path carries the CORS headers cors_origins allows.
  void set_bosh_handler(std::string path, handler h);

  /// Serves `path` (e.g. "/metrics") with `h` for the listed methods; others get 405.
  void add_route(std::string path, handler h, std::vector<std::string> methods = {"GET", "HEAD"});

  /// Binds, listens and starts accepting. Throws std::system_error when it cannot bind.
  void start();

  /// Stops accepting and closes every connection; their unanswered exchanges are aborted
  /// as the executor runs their coroutines to the end.
  void stop();

  /// Stops accepting and closes each connection once the answers it owes are written (idle
  /// connections at once). Answer or abort the held exchanges first (end the sessions).
  void drain();
  /// The port the server listens on (the one chosen when config.port was 0); 0 before start().
  std::uint16_t local_port() const;

  /// The counters.
  const server_stats& stats() const noexcept { return stats_; }
  /// The settings.
  const server_config& config() const noexcept { return config_; }

private:
  struct connection;
  struct outgoing;
  /// A registered path.
  struct route {
    handler serve;                    ///< the handler
    std::vector<std::string> methods; ///< methods it serves (the BOSH path: POST)
    bool bosh = false;                ///< the BOSH path: preflight, HTML page and CORS
  };

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> run_connection(asio::ip::tcp::socket socket);
  asio::awaitable<bool> tls_handshake(connection& c);
  asio::awaitable<void> guarded(connection& c, asio::awaitable<void> loop);
  asio::awaitable<void> read_loop(connection& c);
  asio::awaitable<void> write_loop(connection& c);
  asio::awaitable<void> watchdog(connection& c);
  void dispatch(connection& c, request req);
  void serve(const route* r, const std::shared_ptr<exchange>& ex);
  void reject(connection& c, unsigned status, std::string_view why);
  void finish(connection& c);
  void count_response(unsigned status);
  const route* find_route(std::string_view path) const;
  std::string allowed_origin(const request& r) const;

  asio::any_io_executor executor_;
  /// What plain connections read into, one at a time (read_loop).
  std::vector<char> read_buffer_ = std::vector<char>(64 * 1024);
  server_config config_;
  bool any_origin_ = true; ///< cors_origins allows every origin
  bool draining_ = false;  ///< drain() was called
  asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<asio::ssl::context> tls_; ///< set when the listener speaks TLS
  std::map<std::string, route, std::less<>> routes_;
  std::unordered_map<std::uint64_t, connection*> connections_; ///< live ones, for stop()
  std::uint64_t next_connection_id_ = 0;
  std::chrono::steady_clock::time_point last_accept_warning_{};
  server_stats stats_;
};

} // namespace boshmux::http
