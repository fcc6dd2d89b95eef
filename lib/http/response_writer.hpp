#pragma once

#include "lib/http/exchange.hpp"

#include <string>
#include <string_view>

namespace boshmux::http {

/// How the connection frames one response on the wire.
struct framing {
  bool keep_alive = true;        ///< `Connection: keep-alive`, else `Connection: close`
  bool head = false;             ///< the answer to HEAD: headers only, Content-Length of the body
  std::string_view allow_origin; ///< Access-Control-Allow-Origin value; empty: no CORS headers
};

/// The interim response to `Expect: 100-continue`.
inline constexpr std::string_view continue_response = "HTTP/1.1 100 Continue\r\n\r\n";

/// The reason phrase of a status code ("Not Found"), or "Unknown" for codes it does not know.
std::string_view reason_phrase(unsigned status) noexcept;

/// True when responses with this status carry neither body nor Content-Length (1xx, 204, 304).
bool status_has_body(unsigned status) noexcept;

/// Appends `r` serialised as HTTP/1.1 to `out`: status line with reason phrase, Content-Type,
/// Content-Length (in bytes), `Cache-Control: no-store`, Connection, the CORS headers when
/// `f.allow_origin` is set, then the response's own headers, each as `Name: value\r\n`.
/// Headers the framing owns (Content-Length, Transfer-Encoding, Connection, Cache-Control,
/// Content-Type) are dropped from r.headers, and so is a header whose name is not a token; CR,
/// LF and NUL in a value are replaced by spaces, so a response can never split.
void write_response(const response& r, const framing& f, std::string& out);

/// write_response() into a new string.
std::string serialize_response(const response& r, const framing& f);

/// A small text/plain response for an error status: "404 Not Found\n".
response error_response(unsigned status);

} // namespace boshmux::http
