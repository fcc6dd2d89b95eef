#pragma once
// HTTP/1.1 keep-alive connections to one BOSH endpoint, shared by every simulated session.
// A request takes an idle connection (or opens one, bound to the next loopback source address
// so that tens of thousands of connections do not exhaust one address's ephemeral ports) and
// gives it back when the response is complete.

#include <asio.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace boshload {

/// Outcome of one exchange: `error` is set for a transport failure or a timeout, otherwise
/// `status` is the HTTP status and `body` the response body.
struct http_result {
  std::error_code error;
  int status = 0;
  std::string body;
};

class connection;

class http_pool {
public:
  using handler = std::function<void(http_result&&)>;

  /// `sources`: local addresses to bind connections to, used in turn (empty: the kernel picks).
  http_pool(asio::io_context& io, asio::ip::tcp::endpoint server, std::string host_header,
            std::string path, std::vector<asio::ip::address> sources);
  ~http_pool();
  http_pool(const http_pool&) = delete;
  http_pool& operator=(const http_pool&) = delete;

  /// POSTs `body` (text/xml); `done` runs exactly once, on the io_context's thread.
  /// A request that fails on a reused connection before any response byte is retried once on a
  /// new connection (the server may have closed it while idle).
  void post(std::string_view body, std::chrono::seconds timeout, handler done);

  /// Connection counts. Shared with the connections, which may outlive the pool while the
  /// io_context destroys its pending handlers.
  struct counters {
    std::size_t open = 0;
    std::size_t peak = 0;
    std::size_t connects = 0;
    std::size_t connect_failures = 0;
  };
  const counters& stats() const { return *stats_; }

private:
  friend class connection;
  void start(std::shared_ptr<std::string> request, std::chrono::seconds timeout, handler done,
             bool may_retry);
  void release(std::shared_ptr<connection> c);

  asio::io_context& io_;
  asio::ip::tcp::endpoint server_;
  std::string request_head_; // "POST path HTTP/1.1\r\nHost: ...\r\n...Content-Length: "
  std::vector<asio::ip::address> sources_;
  std::size_t next_source_ = 0;
  std::vector<std::shared_ptr<connection>> idle_;
  std::shared_ptr<counters> stats_ = std::make_shared<counters>();
};

} // namespace boshload
