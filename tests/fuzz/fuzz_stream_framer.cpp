// Fuzz target: proto/xml/stream_framer (incremental XML stream splitter).
//
// Input: byte 0 picks the limits, byte 1 the chunk size; the rest is the stream. The stream is
// framed whole and in chunks, and both runs must give the same header, elements, close and
// error. Invariants: every element is a verbatim slice of the input within max_element_bytes,
// the header has at most max_attributes attributes, the buffered bytes never exceed what the
// limits allow for one unit, an error is sticky, nothing follows `closed` but errors.

#include "proto/xml/stream_framer.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

using boshmux::fuzz::input_reader;
namespace xml = boshmux::proto::xml;

/// Everything one run produced, as comparable strings.
struct outcome {
  std::vector<std::string> units;
  std::error_code error;
};

outcome run(std::string_view stream, std::size_t chunk, const boshmux::proto::xml_limits& limits) {
  outcome out;
  xml::stream_framer framer(limits);
  std::size_t pos = 0;
  bool closed = false;
  // The largest unit the limits allow, plus one chunk of lookahead.
  const std::size_t buffer_bound = std::max(limits.max_element_bytes, limits.max_header_bytes) +
                                   (chunk == 0 ? stream.size() : chunk) + 64;
  for (;;) {
    std::error_code ec;
    const auto f = framer.next(ec);
    if (f == xml::frame::need_more) {
      BOSHMUX_FUZZ_CHECK(framer.buffered_bytes() <= buffer_bound, "framer buffers without bound");
      if (pos == stream.size()) {
        out.units.emplace_back("need_more");
        return out;
      }
      const std::size_t n = chunk == 0 ? stream.size() - pos : std::min(chunk, stream.size() - pos);
      framer.feed(stream.substr(pos, n));
      pos += n;
      continue;
    }
    if (f == xml::frame::error) {
      BOSHMUX_FUZZ_CHECK(static_cast<bool>(ec), "error frame without an error code");
      std::error_code ec2;
      BOSHMUX_FUZZ_CHECK(framer.next(ec2) == xml::frame::error && ec2 == ec,
                         "an error is not sticky");
      out.error = ec;
      return out;
    }
    BOSHMUX_FUZZ_CHECK(!ec, "error code set on a good frame");
    if (f == xml::frame::header) {
      BOSHMUX_FUZZ_CHECK(!closed, "header after close");
      const auto& h = framer.header();
      BOSHMUX_FUZZ_CHECK(!h.name.empty(), "header without a name");
      BOSHMUX_FUZZ_CHECK(h.attributes.size() <= limits.max_attributes, "too many attributes");
      std::string s = "header " + h.name;
      for (const auto& [name, value] : h.attributes) {
        BOSHMUX_FUZZ_CHECK(h.attribute(name) != nullptr, "attribute lookup fails");
        s += ' ' + name + '=' + value;
      }
      out.units.push_back(std::move(s));
    } else if (f == xml::frame::element) {
      BOSHMUX_FUZZ_CHECK(!closed, "element after close");
      const auto e = framer.element();
      BOSHMUX_FUZZ_CHECK(e.size() >= 3 && e.front() == '<' && e.back() == '>', "not an element");
      BOSHMUX_FUZZ_CHECK(e.size() <= limits.max_element_bytes, "element over the limit");
      BOSHMUX_FUZZ_CHECK(stream.find(e) != std::string_view::npos, "element not verbatim");
      out.units.emplace_back(e);
    } else if (f == xml::frame::closed) {
      closed = true;
      out.units.emplace_back("closed");
    }
    if (out.units.size() > stream.size() + 2) {
      BOSHMUX_FUZZ_CHECK(false, "more units than input bytes");
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input_reader in(data, size);
  const auto choice = in.byte();
  const std::size_t chunk = in.byte() % 9;
  boshmux::proto::xml_limits limits;
  if ((choice & 1U) != 0) {
    limits.max_element_bytes = 8U + (choice >> 1U);
    limits.max_header_bytes = 8U + (choice >> 1U);
    limits.max_depth = 1U + (choice >> 5U);
    limits.max_attributes = 1U + (choice >> 4U);
  }
  const std::string stream(in.rest());
  const auto whole = run(stream, 0, limits);
  if (chunk != 0) {
    const auto pieces = run(stream, chunk, limits);
    BOSHMUX_FUZZ_CHECK(pieces.units == whole.units, "chunking changed the units");
    BOSHMUX_FUZZ_CHECK(pieces.error == whole.error, "chunking changed the error");
  }
  // reset() must give a framer that behaves like a new one.
  xml::stream_framer framer(limits);
  framer.feed(stream);
  std::error_code ec;
  (void)framer.next(ec);
  framer.reset();
  BOSHMUX_FUZZ_CHECK(framer.buffered_bytes() == 0, "reset keeps input");
  return 0;
}
