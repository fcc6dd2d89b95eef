#include "lib/http/response_writer.hpp"

#include "proto/common/ascii.hpp"

#include <array>
#include <charconv>

namespace boshmux::http {

namespace {

/// True for the characters RFC 7230 allows in a header name (tchar).
bool is_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) noexcept {
  if (s.empty()) {
    return false;
  }
  for (const char c : s) {
    if (!is_token_char(c)) {
      return false;
    }
  }
  return true;
}

/// Headers whose value the framing decides; a handler's copy is dropped.
bool framing_owns(std::string_view name) noexcept {
  for (const std::string_view owned :
       {"content-length", "transfer-encoding", "connection", "cache-control", "content-type"}) {
    if (proto::ascii_iequals(name, owned)) {
      return true;
    }
  }
  return false;
}

void append_number(std::string& out, std::size_t n) {
  std::array<char, 24> digits{};
  const auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), n);
  out.append(digits.data(), end);
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  for (const char c : value) {
    out.push_back(c == '\r' || c == '\n' || c == '\0' ? ' ' : c);
  }
  out.append("\r\n");
}

} // namespace

std::string_view reason_phrase(unsigned status) noexcept {
  switch (status) {
  case 100:
    return "Continue";
  case 200:
    return "OK";
  case 201:
    return "Created";
  case 202:
    return "Accepted";
  case 204:
    return "No Content";
  case 301:
    return "Moved Permanently";
  case 302:
    return "Found";
  case 304:
    return "Not Modified";
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 408:
    return "Request Timeout";
  case 409:
    return "Conflict";
  case 411:
    return "Length Required";
  case 413:
    return "Payload Too Large";
  case 414:
    return "URI Too Long";
  case 415:
    return "Unsupported Media Type";
  case 417:
    return "Expectation Failed";
  case 429:
    return "Too Many Requests";
  case 431:
    return "Request Header Fields Too Large";
  case 500:
    return "Internal Server Error";
  case 501:
    return "Not Implemented";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  case 504:
    return "Gateway Timeout";
  case 505:
    return "HTTP Version Not Supported";
  default:
    return "Unknown";
  }
}

bool status_has_body(unsigned status) noexcept {
  // RFC 7230 section 3.3.2: no Content-Length (and no body) in 1xx and 204; 304 has no body.
  return status >= 200 && status != 204 && status != 304;
}

void write_response(const response& r, const framing& f, std::string& out) {
  const bool has_body = status_has_body(r.status);
  out.append("HTTP/1.1 ");
  append_number(out, r.status);
  out.push_back(' ');
  out.append(reason_phrase(r.status));
  out.append("\r\n");
  if (has_body) {
    if (!r.content_type.empty()) {
      append_header(out, "Content-Type", r.content_type);
    }
    out.append("Content-Length: ");
    append_number(out, r.body.size());
    out.append("\r\n");
  }
  out.append("Cache-Control: no-store\r\n");
  out.append(f.keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
  if (!f.allow_origin.empty()) {
    append_header(out, "Access-Control-Allow-Origin", f.allow_origin);
    if (f.allow_origin != "*") {
      out.append("Vary: Origin\r\n"); // the answer depends on the request's Origin
    }
  }
  for (const auto& h : r.headers) {
    if (is_token(h.name) && !framing_owns(h.name)) {
      append_header(out, h.name, h.value);
    }
  }
  out.append("\r\n");
  if (has_body && !f.head) {
    out.append(r.body);
  }
}

std::string serialize_response(const response& r, const framing& f) {
  std::string out;
  out.reserve(256 + r.body.size());
  write_response(r, f, out);
  return out;
}

response error_response(unsigned status) {
  response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  std::string body;
  append_number(body, status);
  body.push_back(' ');
  body.append(reason_phrase(status));
  body.push_back('\n');
  r.body = std::move(body);
  return r;
}

} // namespace boshmux::http
