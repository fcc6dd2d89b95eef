#include "lib/http/request_parser.hpp"

#include "proto/common/ascii.hpp"

#include <algorithm>
#include <llhttp.h>
#include <string>
#include <utility>

namespace boshmux::http {

namespace detail {

/// Everything a request_parser keeps; the llhttp callbacks below work on it.
struct parser_state {
  llhttp_t parser{};
  request_limits limits;
  request current;               ///< the request being parsed (complete when `ready`)
  std::string field;             ///< header name being received (may arrive in pieces)
  std::string value;             ///< header value being received (may arrive in pieces)
  std::size_t header_bytes = 0;  ///< header-section bytes of the current request so far
  std::size_t trailer_bytes = 0; ///< chunked trailer bytes of the current request so far
  bool in_message = false;       ///< a request has begun and is not complete
  bool headers_done = false;     ///< the current request's header section is complete
  bool ready = false;            ///< a complete request waits in `current`
  bool paused = false;           ///< llhttp is paused after a complete request
  bool want_continue = false;    ///< a 100 Continue is due for the current request
  bool closed = false;           ///< a request that closes the connection was complete
  parse_error error = parse_error::none;
  std::string reason;

  /// Records the first error; callbacks then return an llhttp error code.
  void fail(parse_error e, std::string_view why) {
    if (error == parse_error::none) {
      error = e;
      reason = why;
    }
  }
};

} // namespace detail

namespace {

using detail::parser_state;

parser_state& state_of(llhttp_t* p) {
  return *static_cast<parser_state*>(p->data);
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

/// The path of a request target: origin-form without its query, or the path of an
/// absolute-form target (RFC 7230 section 5.3).
std::string path_of(std::string_view target) {
  for (const std::string_view scheme :
       {std::string_view("http://"), std::string_view("https://")}) {
    if (target.size() >= scheme.size() &&
        proto::ascii_iequals(target.substr(0, scheme.size()), scheme)) {
      target.remove_prefix(scheme.size());
      const auto slash = target.find_first_of("/?#");
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
      if (!target.starts_with('/')) {
        return "/";
      }
      break;
    }
  }
  return std::string(target.substr(0, target.find_first_of("?#")));
}

/// True when every coding listed in the Transfer-Encoding fields is `chunked`.
bool only_chunked(const request& r) {
  for (const auto& h : r.headers) {
    if (h.name != "transfer-encoding") {
      continue;
    }
    std::string_view list = h.value;
    while (!list.empty()) {
      const auto comma = list.find(',');
      const auto coding = trim(list.substr(0, comma));
      if (!coding.empty() && !proto::ascii_iequals(coding, "chunked")) {
        return false;
      }
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
  }
  return true;
}

int on_message_begin(llhttp_t* p) {
  auto& s = state_of(p);
  s.in_message = true;
  s.current = request{};
  s.field.clear();
  s.value.clear();
  return 0;
}

int on_url(llhttp_t* p, const char* at, std::size_t length) {
  state_of(p).current.target.append(at, length);
  return 0;
}

int on_header_field(llhttp_t* p, const char* at, std::size_t length) {
  auto& s = state_of(p);
  if (s.headers_done) { // a chunked trailer: bounded, then ignored
    s.trailer_bytes += length;
    if (s.current.body.size() + s.trailer_bytes > s.limits.max_body_bytes) {
      s.fail(parse_error::body_too_large, "chunked trailers exceed the body limit");
      return HPE_USER;
    }
    return 0;
  }
  for (std::size_t i = 0; i < length; ++i) {
    s.field.push_back(proto::ascii_lower(at[i]));
  }
  return 0;
}

int on_header_value(llhttp_t* p, const char* at, std::size_t length) {
  auto& s = state_of(p);
  if (s.headers_done) {
    s.trailer_bytes += length;
    if (s.current.body.size() + s.trailer_bytes > s.limits.max_body_bytes) {
      s.fail(parse_error::body_too_large, "chunked trailers exceed the body limit");
      return HPE_USER;
    }
    return 0;
  }
  s.value.append(at, length);
  return 0;
}

/// True for the characters RFC 7230 allows in a header name (tchar).
bool is_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

int on_header_value_complete(llhttp_t* p) {
  auto& s = state_of(p);
  if (!s.headers_done) {
    // RFC 7230 section 3.2.4: whitespace before the colon (which llhttp lets through) gets 400.
    if (s.field.empty() || !std::all_of(s.field.begin(), s.field.end(), is_token_char)) {
      s.fail(parse_error::bad_request, "invalid header name");
      return -1;
    }
    s.current.headers.push_back(header{std::move(s.field), std::string(trim(s.value))});
  }
  s.field.clear();
  s.value.clear();
  return 0;
}

int on_headers_complete(llhttp_t* p) {
  auto& s = state_of(p);
  s.headers_done = true;
  auto& r = s.current;
  if (p->http_major != 1) {
    s.fail(parse_error::version_not_supported, "HTTP major version is not 1");
    return -1;
  }
  r.version_minor = p->http_minor;
  r.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
  r.path = path_of(r.target);
  const bool chunked = (p->flags & F_CHUNKED) != 0;
  if ((p->flags & F_TRANSFER_ENCODING) != 0 && !only_chunked(r)) {
    s.fail(parse_error::unsupported_transfer_encoding, "transfer coding other than chunked");
    return -1;
  }
  if (!chunked && (p->flags & F_CONTENT_LENGTH) != 0 &&
      p->content_length > s.limits.max_body_bytes) {
    s.fail(parse_error::body_too_large, "Content-Length exceeds the body limit");
    return -1;
  }
  // RFC 7231 section 5.1.1: 100 Continue only to HTTP/1.1 clients, only when a body follows.
  if (const std::string* expect = r.find_header("expect");
      expect != nullptr && proto::ascii_iequals(*expect, "100-continue") && r.version_minor >= 1 &&
      (chunked || p->content_length > 0)) {
    s.want_continue = true;
  }
  return 0;
}

int on_body(llhttp_t* p, const char* at, std::size_t length) {
  auto& s = state_of(p);
  if (length > s.limits.max_body_bytes - s.current.body.size()) {
    s.fail(parse_error::body_too_large, "body exceeds the body limit");
    return HPE_USER;
  }
  s.current.body.append(at, length);
  return 0;
}

int on_chunk_header(llhttp_t* p) {
  auto& s = state_of(p);
  // The chunk size is known before its data: refuse an oversized chunk at once.
  if (p->content_length > s.limits.max_body_bytes - s.current.body.size()) {
    s.fail(parse_error::body_too_large, "chunked body exceeds the body limit");
    return -1;
  }
  return 0;
}

int on_message_complete(llhttp_t* p) {
  auto& s = state_of(p);
  s.current.keep_alive = llhttp_should_keep_alive(p) != 0 && p->upgrade == 0;
  s.closed = !s.current.keep_alive;
  s.ready = true;
  s.in_message = false;
  s.want_continue = false;
  s.headers_done = false;
  s.header_bytes = 0;
  s.trailer_bytes = 0;
  // Stop here so that pipelined requests come out one at a time (resumed by the next feed).
  return HPE_PAUSED;
}

constexpr llhttp_settings_t settings{
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_status = nullptr,
    .on_method = nullptr,
    .on_version = nullptr,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_chunk_extension_name = nullptr,
    .on_chunk_extension_value = nullptr,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
    .on_url_complete = nullptr,
    .on_status_complete = nullptr,
    .on_method_complete = nullptr,
    .on_version_complete = nullptr,
    .on_header_field_complete = nullptr,
    .on_header_value_complete = on_header_value_complete,
    .on_chunk_extension_name_complete = nullptr,
    .on_chunk_extension_value_complete = nullptr,
    .on_chunk_header = on_chunk_header,
    .on_chunk_complete = nullptr,
    .on_reset = nullptr,
};

/// The error for an llhttp failure no callback explained.
parse_error error_of(llhttp_errno_t err) noexcept {
  // RFC 7230 section 3.3.1: a transfer coding the server does not understand gets 501.
  return err == HPE_INVALID_TRANSFER_ENCODING ? parse_error::unsupported_transfer_encoding
                                              : parse_error::bad_request;
}

} // namespace

unsigned status_of(parse_error e) noexcept {
  switch (e) {
  case parse_error::none:
    return 0;
  case parse_error::bad_request:
    return 400;
  case parse_error::header_too_large:
    return 431;
  case parse_error::body_too_large:
    return 413;
  case parse_error::unsupported_transfer_encoding:
    return 501;
  case parse_error::version_not_supported:
    return 505;
  }
  return 400;
}

request_parser::request_parser(request_limits limits)
    : s_(std::make_unique<detail::parser_state>()) {
  s_->limits = limits;
  reset();
}

request_parser::~request_parser() = default;

void request_parser::reset() {
  const request_limits limits = s_->limits;
  *s_ = detail::parser_state{};
  s_->limits = limits;
  llhttp_init(&s_->parser, HTTP_REQUEST, &settings);
  s_->parser.data = s_.get();
}

parse_result request_parser::feed(std::string_view bytes) {
  auto& s = *s_;
  if (s.error != parse_error::none) {
    return {parse_status::error, 0};
  }
  if (s.ready) {
    return {parse_status::complete, 0};
  }
  if (s.closed) {
    return {parse_status::need_more, bytes.size()};
  }
  if (s.paused) {
    llhttp_resume(&s.parser);
    s.paused = false;
  }
  std::size_t consumed = 0;
  while (consumed < bytes.size()) {
    std::string_view chunk = bytes.substr(consumed);
    // Within the header section llhttp never sees more bytes than the limit leaves, so an
    // endless header is refused after max_header_bytes whatever the chunking.
    const bool counting = !s.headers_done;
    if (counting) {
      if (s.header_bytes >= s.limits.max_header_bytes) {
        s.fail(parse_error::header_too_large, "header section exceeds the limit");
        return {parse_status::error, consumed};
      }
      chunk = chunk.substr(0, s.limits.max_header_bytes - s.header_bytes);
    }
    const llhttp_errno_t err = llhttp_execute(&s.parser, chunk.data(), chunk.size());
    if (err == HPE_OK) {
      consumed += chunk.size();
      if (counting && !s.headers_done) {
        s.header_bytes += chunk.size();
      }
      continue;
    }
    const char* pos = llhttp_get_error_pos(&s.parser);
    consumed += pos != nullptr ? static_cast<std::size_t>(pos - chunk.data()) : 0;
    if (err == HPE_PAUSED && s.ready) {
      s.paused = true;
      return {parse_status::complete, consumed};
    }
    s.fail(error_of(err), llhttp_get_error_reason(&s.parser) != nullptr
                              ? llhttp_get_error_reason(&s.parser)
                              : llhttp_errno_name(err));
    return {parse_status::error, consumed};
  }
  if (!s.headers_done && s.header_bytes >= s.limits.max_header_bytes) {
    s.fail(parse_error::header_too_large, "header section exceeds the limit");
    return {parse_status::error, consumed};
  }
  return {parse_status::need_more, consumed};
}

request request_parser::take() {
  s_->ready = false;
  return std::exchange(s_->current, request{});
}

bool request_parser::in_request() const noexcept {
  return s_->in_message;
}

bool request_parser::take_continue() noexcept {
  return std::exchange(s_->want_continue, false);
}

bool request_parser::closed() const noexcept {
  return s_->closed;
}

parse_error request_parser::error() const noexcept {
  return s_->error;
}

const std::string& request_parser::error_reason() const noexcept {
  return s_->reason;
}

} // namespace boshmux::http
