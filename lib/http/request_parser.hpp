#pragma once

#include "lib/http/exchange.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace boshmux::http {

namespace detail {
struct parser_state;
} // namespace detail

/// Size limits a request_parser enforces.
struct request_limits {
  /// Largest header section: request line, header fields and the empty line that ends them
  /// (plus any empty lines before the request line). Beyond it: 431.
  std::size_t max_header_bytes = 8 * 1024;
  /// Largest decoded body (chunked trailers count too). Beyond it: 413.
  std::size_t max_body_bytes = 1024 * 1024;
};

/// Why a request_parser stopped. Each has the HTTP status to answer with (status_of).
enum class parse_error {
  none,                          ///< no error
  bad_request,                   ///< malformed request (400)
  header_too_large,              ///< header section larger than max_header_bytes (431)
  body_too_large,                ///< body larger than max_body_bytes (413)
  unsupported_transfer_encoding, ///< a transfer coding other than chunked (501)
  version_not_supported,         ///< an HTTP major version other than 1 (505)
};

/// The HTTP status code that answers `e` (0 for parse_error::none).
unsigned status_of(parse_error e) noexcept;

/// What one request_parser::feed() call achieved.
enum class parse_status {
  need_more, ///< every byte was consumed; the request is not complete yet
  complete,  ///< a request is complete: take() it, then feed the bytes not consumed yet
  error,     ///< the input is not acceptable: answer status_of(error()) and close
};

/// Result of request_parser::feed().
struct parse_result {
  parse_status status = parse_status::need_more;
  std::size_t consumed = 0; ///< bytes of the input used; feed the rest again after take()
};

/// Incremental HTTP/1.x request parser around llhttp, without I/O (sans-IO): feed it bytes as
/// they arrive and take complete requests out, one at a time, in order.
///
/// Pipelined requests are handled one after another: feed() stops after each complete request
/// and reports how many bytes it used, so the caller can hold the rest back (for instance
/// while its pipeline is full). The parser enforces request_limits, decodes chunked bodies,
/// lower-cases header names and decides keep-alive per HTTP/1.0 and HTTP/1.1 rules. After a
/// request that closes the connection (keep_alive == false), later bytes are discarded.
/// After an error every further feed() reports the same error and consumes nothing.
class request_parser {
public:
  explicit request_parser(request_limits limits = {});
  ~request_parser();
  request_parser(const request_parser&) = delete;
  request_parser& operator=(const request_parser&) = delete;

  /// Parses `bytes` until a request is complete, the bytes run out or an error occurs.
  /// Precondition: no complete request is waiting to be taken.
  [[nodiscard]] parse_result feed(std::string_view bytes);

  /// Moves out the complete request announced by feed(); the parser then accepts the next one.
  request take();

  /// True between the first byte of a request line and the end of that request.
  bool in_request() const noexcept;
  /// True once per request that carries `Expect: 100-continue` and whose body is still to come:
  /// the caller should send `100 Continue` now. Clears the flag.
  bool take_continue() noexcept;
  /// True once a request with keep_alive == false was complete: later bytes are ignored.
  bool closed() const noexcept;

  /// The error that stopped the parser (parse_error::none while it works).
  parse_error error() const noexcept;
  /// A short human-readable cause of the error, for logs.
  const std::string& error_reason() const noexcept;

  /// Forgets everything and starts over as if new.
  void reset();

private:
  std::unique_ptr<detail::parser_state> s_; ///< llhttp and the request being built
};

} // namespace boshmux::http
