#include "proto/jid/jid.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <idn-free.h>
#include <idna.h>
#include <optional>
#include <stringprep.h>

namespace boshmux::proto::jid {

namespace {

/// What happened to one part given to a stringprep profile.
enum class prep_outcome { ok, invalid, too_long };

/// A part after a stringprep profile: the text is meaningful only when `outcome` is ok.
struct prepared {
  prep_outcome outcome = prep_outcome::invalid;
  std::string text;
};

Stringprep_profile_flags profile_flags(prep_mode mode) {
  return mode == prep_mode::stored ? STRINGPREP_NO_UNASSIGNED : Stringprep_profile_flags{};
}

/// The three profiles on input that is all ASCII, where their effect is simple: Nameprep and
/// Nodeprep map A-Z to a-z (RFC 3454 table B.2) and Resourceprep maps nothing; Nodeprep
/// prohibits controls (C.2.1), the space (C.1.1) and "&'/:<>@ (RFC 3920 appendix A.5);
/// Resourceprep prohibits controls; Nameprep prohibits no ASCII; NFKC, the bidirectional rule
/// and unassigned code points never apply to ASCII. Nearly every JID on the wire is ASCII, and
/// libidn converts each part to UCS-4 and back: this is several times faster. nullopt when
/// `in` is not all ASCII or `profile` is another one.
std::optional<prepared> ascii_profile(std::string_view in, const Stringprep_profile* profile) {
  const bool nodeprep = profile == stringprep_xmpp_nodeprep;
  const bool fold = nodeprep || profile == stringprep_nameprep;
  if (!fold && profile != stringprep_xmpp_resourceprep) {
    return std::nullopt;
  }
  prepared out{prep_outcome::ok, std::string(in)};
  for (char& c : out.text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      return std::nullopt;
    }
    const bool control = u < 0x20 || u == 0x7f;
    if ((control && profile != stringprep_nameprep) ||
        (nodeprep && std::string_view(" \"&'/:<>@").find(c) != std::string_view::npos)) {
      out.outcome = prep_outcome::invalid; // finish the scan: non-ASCII goes to libidn
    }
    if (fold && c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  if (out.outcome == prep_outcome::ok && out.text.size() > max_part_bytes) {
    out.outcome = prep_outcome::too_long;
  }
  if (out.outcome != prep_outcome::ok) {
    out.text.clear();
  }
  return out;
}

/// Runs `profile` over `in`, limiting input and output to the JID part limits. libidn works
/// in place on a NUL-terminated buffer, so an embedded NUL is rejected first (it is
/// prohibited by every profile used here anyway).
prepared run_profile(std::string_view in, const Stringprep_profile* profile, prep_mode mode) {
  if (in.find('\0') != std::string_view::npos) {
    return {prep_outcome::invalid, {}};
  }
  if (in.size() > max_prep_input_bytes) {
    return {prep_outcome::too_long, {}};
  }
  if (auto fast = ascii_profile(in, profile)) {
    return std::move(*fast);
  }
  // The buffer holds the input and any result up to the limit; a longer result makes
  // stringprep() return STRINGPREP_TOO_SMALL_BUFFER.
  std::string buffer(std::max(in.size(), max_part_bytes) + 1, '\0');
  in.copy(buffer.data(), in.size());
  const int rc = stringprep(buffer.data(), buffer.size(), profile_flags(mode), profile);
  if (rc == STRINGPREP_TOO_SMALL_BUFFER) {
    return {prep_outcome::too_long, {}};
  }
  if (rc != STRINGPREP_OK) {
    return {prep_outcome::invalid, {}};
  }
  buffer.resize(std::strlen(buffer.c_str()));
  if (buffer.size() > max_part_bytes) {
    return {prep_outcome::too_long, {}};
  }
  return {prep_outcome::ok, std::move(buffer)};
}

std::optional<std::string> to_optional(prepared p) {
  if (p.outcome != prep_outcome::ok) {
    return std::nullopt;
  }
  return std::move(p.text);
}

/// A bracketed IPv6 literal ("[::1]", RFC 6122 section 2.2), lower-cased; nullopt otherwise.
std::optional<std::string> ipv6_literal(std::string_view text) {
  if (text.size() < 3 || text.front() != '[' || text.back() != ']') {
    return std::nullopt;
  }
  std::string address(text.substr(1, text.size() - 2));
  in6_addr parsed{};
  if (address.find('\0') != std::string::npos ||
      inet_pton(AF_INET6, address.c_str(), &parsed) != 1) {
    return std::nullopt;
  }
  std::string out = "[";
  for (char c : address) {
    out += (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  out += ']';
  return out;
}

/// Replaces U+3002 IDEOGRAPHIC FULL STOP, which IDNA treats as a label separator (RFC 3490
/// section 3.1) and Nameprep leaves alone, with '.'. (Nameprep's NFKC already turns U+FF0E
/// into '.' and U+FF61 into U+3002.)
void map_ideographic_full_stops(std::string& text) {
  static constexpr std::string_view full_stop = "\xe3\x80\x82";
  if (text.find(full_stop) == std::string::npos) {
    return;
  }
  // Rebuilt rather than replaced in place: GCC 12 warns (-Wrestrict) on replace() here.
  std::string mapped;
  mapped.reserve(text.size());
  const std::string_view in = text;
  std::size_t from = 0;
  for (auto at = in.find(full_stop); at != std::string_view::npos; at = in.find(full_stop, from)) {
    mapped.append(in.substr(from, at - from)).push_back('.');
    from = at + full_stop.size();
  }
  mapped.append(in.substr(from));
  text = std::move(mapped);
}

/// True when `domain` (already Nameprep'd) is a host name under IDNA ToASCII with the STD3
/// ASCII rules (RFC 3490 section 4.1): non-empty labels of letters, digits and hyphens (no
/// leading or trailing hyphen), each at most 63 bytes once ACE-encoded.
bool is_host_name(const std::string& domain, prep_mode mode) {
  if (domain.empty() || domain.back() == '.') {
    return false; // An empty last label (libidn accepts one trailing dot).
  }
  const int flags =
      IDNA_USE_STD3_ASCII_RULES | (mode == prep_mode::query ? IDNA_ALLOW_UNASSIGNED : 0);
  char* ace = nullptr;
  const int rc = idna_to_ascii_8z(domain.c_str(), &ace, flags);
  idn_free(ace);
  return rc == IDNA_SUCCESS;
}

/// Prepares a domainpart: an IPv6 literal, or Nameprep plus host name checks.
std::optional<std::string> prepare_domain(std::string_view text, prep_mode mode,
                                          std::error_code& ec) {
  if (text.empty()) {
    ec = error::domain_missing;
    return std::nullopt;
  }
  if (text.front() == '[') {
    auto literal = ipv6_literal(text);
    if (!literal) {
      ec = error::domain_invalid;
    }
    return literal;
  }
  // RFC 7622 section 3.2: one trailing dot is removed. Strip it before the length check;
  // a dot that only preparation produces (U+FF0E, U+3002) is handled below.
  const bool had_trailing_dot = text.back() == '.';
  if (had_trailing_dot) {
    text.remove_suffix(1);
  }
  prepared p = run_profile(text, stringprep_nameprep, mode);
  if (p.outcome == prep_outcome::too_long) {
    ec = error::domain_too_long;
    return std::nullopt;
  }
  if (p.outcome == prep_outcome::invalid) {
    ec = error::domain_invalid;
    return std::nullopt;
  }
  map_ideographic_full_stops(p.text);
  if (!had_trailing_dot && !p.text.empty() && p.text.back() == '.') {
    p.text.pop_back();
  }
  if (!is_host_name(p.text, mode)) {
    ec = error::domain_invalid;
    return std::nullopt;
  }
  return std::move(p.text);
}

/// Prepares a localpart or resourcepart that is present in the input (possibly empty).
std::optional<std::string> prepare_part(std::string_view text, const Stringprep_profile* profile,
                                        prep_mode mode, error empty, error invalid, error too_long,
                                        std::error_code& ec) {
  if (text.empty()) {
    ec = empty;
    return std::nullopt;
  }
  prepared p = run_profile(text, profile, mode);
  switch (p.outcome) {
  case prep_outcome::ok:
    break;
  case prep_outcome::invalid:
    ec = invalid;
    return std::nullopt;
  case prep_outcome::too_long:
    ec = too_long;
    return std::nullopt;
  }
  if (p.text.empty()) {
    ec = empty;
    return std::nullopt;
  }
  return std::move(p.text);
}

} // namespace

std::string jid::bare() const {
  if (local.empty()) {
    return domain;
  }
  std::string out;
  out.reserve(local.size() + 1 + domain.size());
  out.append(local).append(1, '@').append(domain);
  return out;
}

std::string jid::full() const {
  std::string out = bare();
  if (!resource.empty()) {
    out.append(1, '/').append(resource);
  }
  return out;
}

std::optional<jid> parse_jid(std::string_view text, std::error_code& ec, prep_mode mode) {
  ec.clear();
  // RFC 6122 section 2.1: the resourcepart is everything after the first '/', the
  // localpart everything before the first '@' that precedes it.
  std::string_view rest = text;
  std::optional<std::string_view> resource_text;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    resource_text = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  std::optional<std::string_view> local_text;
  if (const auto at = rest.find('@'); at != std::string_view::npos) {
    local_text = rest.substr(0, at);
    rest = rest.substr(at + 1);
  }

  jid out;
  if (local_text) {
    auto local = prepare_part(*local_text, stringprep_xmpp_nodeprep, mode, error::local_empty,
                              error::local_invalid, error::local_too_long, ec);
    if (!local) {
      return std::nullopt;
    }
    out.local = std::move(*local);
  }
  auto domain = prepare_domain(rest, mode, ec);
  if (!domain) {
    return std::nullopt;
  }
  out.domain = std::move(*domain);
  if (resource_text) {
    auto resource =
        prepare_part(*resource_text, stringprep_xmpp_resourceprep, mode, error::resource_empty,
                     error::resource_invalid, error::resource_too_long, ec);
    if (!resource) {
      return std::nullopt;
    }
    out.resource = std::move(*resource);
  }
  return out;
}

std::optional<std::string> nodeprep(std::string_view text, prep_mode mode) {
  return to_optional(run_profile(text, stringprep_xmpp_nodeprep, mode));
}

std::optional<std::string> resourceprep(std::string_view text, prep_mode mode) {
  return to_optional(run_profile(text, stringprep_xmpp_resourceprep, mode));
}

std::optional<std::string> nameprep(std::string_view text, prep_mode mode) {
  return to_optional(run_profile(text, stringprep_nameprep, mode));
}

std::optional<std::string> saslprep(std::string_view text, prep_mode mode) {
  if (text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string input(text);
  char* output = nullptr;
  const int rc = stringprep_profile(input.c_str(), &output, "SASLprep", profile_flags(mode));
  if (rc != STRINGPREP_OK || output == nullptr) {
    idn_free(output);
    return std::nullopt;
  }
  std::string out(output);
  idn_free(output);
  return out;
}

} // namespace boshmux::proto::jid
