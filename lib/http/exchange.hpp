#pragma once

#include <asio/ip/address.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace boshmux::http {

/// One header field. Request header names are lower-cased by the parser.
struct header {
  std::string name;
  std::string value;
};

/// A complete HTTP request as the server read it.
struct request {
  std::string method;          ///< e.g. "POST"
  std::string target;          ///< request target as sent, e.g. "/http-bind?x"
  std::string path;            ///< target without query string
  unsigned version_minor = 1;  ///< HTTP/1.<minor>
  std::vector<header> headers; ///< names lower-cased, in order received
  std::string body;            ///< decoded body (chunked transfer decoded)
  bool keep_alive = true;      ///< false when the connection closes after the response
  asio::ip::address peer;      ///< remote address

  /// Value of the first header with this lower-case name, or nullptr.
  const std::string* find_header(std::string_view lower_name) const;
};

/// A response a handler produces. The server adds Content-Length, Date-less framing,
/// Connection and (for the BOSH path) CORS headers.
struct response {
  unsigned status = 200;
  std::string content_type = "text/xml; charset=utf-8";
  std::vector<header> headers; ///< extra headers
  std::string body;
};

/// One request/response exchange on a connection. A handler answers it with respond() at once
/// or later (a held BOSH request); the connection writes responses in request order.
/// Single-threaded: use only on the server's executor.
class exchange {
public:
  exchange(std::uint64_t id, request req);
  exchange(const exchange&) = delete;
  exchange& operator=(const exchange&) = delete;

  /// Process-unique id of this exchange (for logs and the BOSH machines' request ids).
  std::uint64_t id() const noexcept { return id_; }
  const request& req() const noexcept { return request_; }

  /// Completes the exchange. Ignored when already answered or aborted.
  void respond(response r);
  /// True once respond() was called.
  bool answered() const noexcept { return answered_; }
  /// True when the connection went away before the response could be written.
  bool aborted() const noexcept { return aborted_; }
  /// Registers the callback run once if the connection dies before respond() (at most one).
  void on_abort(std::function<void()> callback) { on_abort_ = std::move(callback); }

  // --- for the connection that owns the exchange ---
  /// Runs when respond() is called (wakes the connection's writer).
  void on_answer_for_connection(std::function<void()> callback) {
    on_answer_ = std::move(callback);
  }
  /// Marks the exchange aborted and runs the abort callback.
  void abort();
  /// The response given to respond(); valid once answered().
  response& answer() noexcept { return response_; }

private:
  std::uint64_t id_;
  request request_;
  response response_;
  bool answered_ = false;
  bool aborted_ = false;
  std::function<void()> on_abort_;
  std::function<void()> on_answer_;
};

/// Handles requests for one path. Must eventually call respond() on every exchange it keeps
/// (or let it be aborted).
using handler = std::function<void(const std::shared_ptr<exchange>&)>;

} // namespace boshmux::http
