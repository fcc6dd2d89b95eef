// Fuzz target: lib/http/request_parser (llhttp wrapper).
//
// Input: byte 0 picks the limits, byte 1 the chunk size; the rest is the byte stream of one
// connection. The stream is parsed twice, whole and in chunks, and both must give the same
// requests and the same final error (the parser is incremental: chunking must not matter).
// Invariants: feed() never consumes more than it was given, a complete request respects the
// limits, an error is sticky and consumes nothing, nothing is parsed after a closing request.

#include "lib/http/request_parser.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using boshmux::fuzz::input_reader;
namespace http = boshmux::http;

/// What one parse of the stream produced.
struct outcome {
  std::vector<std::string> requests; ///< each complete request, flattened
  http::parse_error error = http::parse_error::none;
};

/// A request as one string, so that two runs compare with ==.
std::string flatten(const http::request& r) {
  std::string s = r.method + ' ' + r.target + ' ' + r.path + ' ' + std::to_string(r.version_minor) +
                  (r.keep_alive ? " ka\n" : " close\n");
  for (const auto& h : r.headers) {
    s += h.name + ": " + h.value + '\n';
  }
  s += '\n';
  s += r.body;
  return s;
}

/// Parses `stream` fed in pieces of at most `chunk` bytes (0: all at once).
outcome run(std::string_view stream, std::size_t chunk, const http::request_limits& limits) {
  outcome out;
  http::request_parser parser(limits);
  std::size_t pos = 0;
  while (pos < stream.size()) {
    const std::size_t n = chunk == 0 ? stream.size() - pos : std::min(chunk, stream.size() - pos);
    std::string_view piece = stream.substr(pos, n);
    // Feed this piece until it is used up, taking every request it completes.
    while (!piece.empty()) {
      const auto r = parser.feed(piece);
      BOSHMUX_FUZZ_CHECK(r.consumed <= piece.size(), "feed consumed more than given");
      if (r.status == http::parse_status::error) {
        BOSHMUX_FUZZ_CHECK(parser.error() != http::parse_error::none, "error without a reason");
        BOSHMUX_FUZZ_CHECK(http::status_of(parser.error()) >= 400, "error status below 400");
        const auto again = parser.feed(piece);
        BOSHMUX_FUZZ_CHECK(again.status == http::parse_status::error && again.consumed == 0,
                           "an error is not sticky");
        out.error = parser.error();
        return out;
      }
      if (r.status == http::parse_status::complete) {
        const auto req = parser.take();
        BOSHMUX_FUZZ_CHECK(req.body.size() <= limits.max_body_bytes, "body over the limit");
        BOSHMUX_FUZZ_CHECK(!req.method.empty(), "request without a method");
        for (const auto& h : req.headers) {
          for (const char c : h.name) {
            BOSHMUX_FUZZ_CHECK(c < 'A' || c > 'Z', "header name not lower-cased");
          }
        }
        out.requests.push_back(flatten(req));
        if (!req.keep_alive) {
          BOSHMUX_FUZZ_CHECK(parser.closed(), "closing request but parser not closed");
        }
      } else {
        BOSHMUX_FUZZ_CHECK(r.consumed == piece.size(), "need_more without consuming everything");
      }
      if (parser.closed()) {
        BOSHMUX_FUZZ_CHECK(!parser.in_request(), "closed parser inside a request");
      }
      // A complete request that used no byte is only possible if it ended at the previous
      // piece's end; guard against a parser that never advances.
      if (r.consumed == 0 && r.status != http::parse_status::complete) {
        break;
      }
      piece.remove_prefix(r.consumed);
    }
    pos += n;
  }
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input_reader in(data, size);
  const auto limit_choice = in.byte();
  const std::size_t chunk = in.byte() % 17;
  http::request_limits limits;
  if ((limit_choice & 1U) != 0) {
    limits.max_header_bytes = 64 + (limit_choice >> 1U) * 4U;
    limits.max_body_bytes = (limit_choice >> 2U) * 3U;
  }
  const std::string stream(in.rest());
  const auto whole = run(stream, 0, limits);
  if (chunk != 0) {
    const auto pieces = run(stream, chunk, limits);
    BOSHMUX_FUZZ_CHECK(pieces.requests == whole.requests, "chunking changed the requests");
    // One exception: llhttp reports a chunked trailer's bytes when its span ends, which depends
    // on the chunking, so an oversized trailer that is also malformed may be refused as either.
    const bool trailer_race = (pieces.error == http::parse_error::body_too_large &&
                               whole.error == http::parse_error::bad_request) ||
                              (pieces.error == http::parse_error::bad_request &&
                               whole.error == http::parse_error::body_too_large);
    BOSHMUX_FUZZ_CHECK(pieces.error == whole.error || trailer_race, "chunking changed the error");
  }
  return 0;
}
