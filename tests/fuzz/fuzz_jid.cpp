// Fuzz target: proto/jid (JID splitting and the stringprep profiles through libidn).
//
// Input: byte 0 picks the prep mode; the rest is the JID text. Invariants: a parsed JID has a
// domain, every part is at most max_part_bytes, preparation is stable (the prepared JID parses
// back to itself), a JID valid as stored is valid as a query and prepares the same, and the
// single profiles agree with parse_jid on each part and with libidn's stringprep() itself
// (boshmux has an ASCII fast path of its own).

#include "proto/jid/jid.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <stringprep.h>
#include <system_error>

namespace {

using boshmux::fuzz::input_reader;
namespace jid = boshmux::proto::jid;

void check_profile(const std::optional<std::string>& prepared) {
  if (prepared) {
    BOSHMUX_FUZZ_CHECK(prepared->size() <= jid::max_part_bytes, "prepared part too long");
  }
}

/// `profile` of `text` by libidn itself, with the part limits applied as jid.hpp documents
/// them: the reference for boshmux's own fast paths.
std::optional<std::string> reference(std::string_view text, const Stringprep_profile* profile,
                                     jid::prep_mode mode) {
  if (text.size() > jid::max_prep_input_bytes || text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  // NFKC expands a code point to at most 18 (RFC 3454 and Unicode 3.2), so this never fills.
  std::string buffer(text);
  buffer.resize(text.size() * 18 + 64, '\0');
  const auto flags =
      mode == jid::prep_mode::stored ? STRINGPREP_NO_UNASSIGNED : Stringprep_profile_flags{};
  if (stringprep(buffer.data(), buffer.size(), flags, profile) != STRINGPREP_OK) {
    return std::nullopt;
  }
  buffer.resize(buffer.find('\0'));
  if (buffer.size() > jid::max_part_bytes) {
    return std::nullopt;
  }
  return buffer;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input_reader in(data, size);
  const auto mode = in.flag() ? jid::prep_mode::stored : jid::prep_mode::query;
  const std::string_view text = in.rest();

  std::error_code ec;
  const auto j = jid::parse_jid(text, ec, mode);
  BOSHMUX_FUZZ_CHECK(j.has_value() == !ec, "result and error disagree");
  if (j) {
    BOSHMUX_FUZZ_CHECK(!j->domain.empty(), "JID without a domain");
    BOSHMUX_FUZZ_CHECK(j->local.size() <= jid::max_part_bytes, "localpart too long");
    BOSHMUX_FUZZ_CHECK(j->domain.size() <= jid::max_part_bytes, "domainpart too long");
    BOSHMUX_FUZZ_CHECK(j->resource.size() <= jid::max_part_bytes, "resourcepart too long");
    BOSHMUX_FUZZ_CHECK(j->is_bare() == j->resource.empty(), "is_bare wrong");
    std::error_code ec2;
    const auto again = jid::parse_jid(j->full(), ec2, mode);
    BOSHMUX_FUZZ_CHECK(again.has_value(), "a prepared JID does not parse again");
    BOSHMUX_FUZZ_CHECK(*again == *j, "preparation is not stable");
    const auto bare = jid::parse_jid(j->bare(), ec2, mode);
    BOSHMUX_FUZZ_CHECK(bare && bare->local == j->local && bare->domain == j->domain &&
                           bare->is_bare(),
                       "bare() does not parse to the bare JID");
    if (mode == jid::prep_mode::stored) {
      const auto query = jid::parse_jid(text, ec2, jid::prep_mode::query);
      BOSHMUX_FUZZ_CHECK(query && *query == *j, "stored-valid JID differs as a query");
    }
    if (!j->local.empty()) {
      const auto local = jid::nodeprep(j->local, mode);
      BOSHMUX_FUZZ_CHECK(local && *local == j->local, "nodeprep not idempotent");
    }
    if (!j->resource.empty()) {
      const auto resource = jid::resourceprep(j->resource, mode);
      BOSHMUX_FUZZ_CHECK(resource && *resource == j->resource, "resourceprep not idempotent");
    }
  } else {
    BOSHMUX_FUZZ_CHECK(!ec.message().empty(), "error without a message");
  }

  // The single profiles on the raw text: bounded, and equal to libidn's (the ASCII fast path
  // of jid.cpp included).
  const auto node = jid::nodeprep(text, mode);
  const auto resource = jid::resourceprep(text, mode);
  const auto name = jid::nameprep(text, mode);
  check_profile(node);
  check_profile(resource);
  check_profile(name);
  BOSHMUX_FUZZ_CHECK(node == reference(text, stringprep_xmpp_nodeprep, mode),
                     "nodeprep differs from libidn");
  BOSHMUX_FUZZ_CHECK(resource == reference(text, stringprep_xmpp_resourceprep, mode),
                     "resourceprep differs from libidn");
  BOSHMUX_FUZZ_CHECK(name == reference(text, stringprep_nameprep, mode),
                     "nameprep differs from libidn");
  if (text.size() <= 4096) {
    (void)jid::saslprep(text, mode);
  }
  return 0;
}
