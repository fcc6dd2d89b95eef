// Fuzz target: proto/bosh/body (parse_request: the <body/> wrapper of one BOSH request).
//
// Input: byte 0 picks the XML limits, the rest is the HTTP request body. Invariants: parsing
// is deterministic; on success the rid is in 1..2^53-1 and every payload is a complete
// element taken verbatim from the input, within the element size limit.

#include "proto/bosh/body.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using boshmux::fuzz::input_reader;
namespace bosh = boshmux::proto::bosh;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input_reader in(data, size);
  const auto choice = in.byte();
  boshmux::proto::xml_limits limits;
  if ((choice & 1U) != 0) {
    limits.max_element_bytes = 16U + (choice >> 1U);
    limits.max_header_bytes = 32U + (choice >> 1U);
    limits.max_depth = 1U + (choice >> 5U);
    limits.max_attributes = 1U + (choice >> 4U);
  }
  const std::string_view bytes = in.rest();

  bosh::request_body body;
  const auto ec = bosh::parse_request(bytes, limits, body);
  bosh::request_body again;
  const auto ec2 = bosh::parse_request(bytes, limits, again);
  BOSHMUX_FUZZ_CHECK(ec == ec2, "parse_request is not deterministic");
  if (ec) {
    BOSHMUX_FUZZ_CHECK(!ec.message().empty(), "error without a message");
    return 0;
  }
  BOSHMUX_FUZZ_CHECK(body.payloads == again.payloads && body.rid == again.rid,
                     "parse_request is not deterministic");
  BOSHMUX_FUZZ_CHECK(body.rid <= bosh::max_rid, "rid above 2^53-1");
  for (const auto& p : body.payloads) {
    BOSHMUX_FUZZ_CHECK(p.size() >= 3 && p.front() == '<' && p.back() == '>',
                       "payload is not an element");
    BOSHMUX_FUZZ_CHECK(p.size() <= limits.max_element_bytes, "payload over the element limit");
    BOSHMUX_FUZZ_CHECK(bytes.find(p) != std::string_view::npos, "payload not taken verbatim");
  }
  if (body.ack) {
    BOSHMUX_FUZZ_CHECK(*body.ack <= bosh::max_rid, "ack above 2^53-1");
  }
  return 0;
}
