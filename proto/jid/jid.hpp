#pragma once

#include "proto/jid/error.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace boshmux::proto::jid {

/// Largest localpart, domainpart or resourcepart after preparation, in bytes (RFC 6122
/// section 2.1; RFC 7622 section 3).
inline constexpr std::size_t max_part_bytes = 1023;

/// Largest part given to a stringprep profile, in bytes. Preparation can only shrink an
/// input by deleting characters (RFC 3454 table B.1), so a longer part is reported as too
/// long without running the profile; this bounds the work libidn does for hostile input.
inline constexpr std::size_t max_prep_input_bytes = 4 * max_part_bytes;

/// A prepared JID. A default-constructed value is not a JID (its domain is empty); values
/// from parse_jid always have a domain.
struct jid {
  /// The localpart after Nodeprep (case-folded), empty when the JID has none.
  std::string local;
  /// The domainpart after Nameprep (lower case, no trailing dot), never empty.
  std::string domain;
  /// The resourcepart after Resourceprep (case kept), empty when the JID has none.
  std::string resource;

  /// `local@domain`, or `domain` when there is no localpart.
  std::string bare() const;
  /// `local@domain/resource`, leaving out the parts that are empty.
  std::string full() const;
  /// True when there is no resourcepart.
  bool is_bare() const noexcept { return resource.empty(); }

  /// Prepared JIDs compare part by part (RFC 6122 section 2.1).
  friend bool operator==(const jid&, const jid&) = default;
};

/// How strictly a profile treats code points unassigned in Unicode 3.2 (RFC 3454 section 7).
enum class prep_mode {
  /// For strings from the network compared against stored ones: unassigned code points pass.
  query,
  /// For strings about to be stored (a new account name): unassigned code points fail.
  stored,
};

/// Splits `text` at the first '/' (resource) and then the first '@' (local) and prepares
/// each part (RFC 6122 section 2): Nodeprep for the localpart, Nameprep for the domainpart
/// (then one trailing '.' removed and the host name checked under IDNA with the STD3 ASCII
/// rules, or a bracketed IPv6 literal), Resourceprep for the resourcepart. Each part must
/// be at most max_part_bytes after preparation; a present '@' or '/' must not have an empty
/// part beside it.
/// @param ec set to a jid::error on failure, cleared on success.
/// @return the prepared JID, or nullopt on failure.
std::optional<jid> parse_jid(std::string_view text, std::error_code& ec,
                             prep_mode mode = prep_mode::query);

/// Nodeprep (RFC 3920 appendix A) of `text`; nullopt when the profile fails or the result
/// (or the input) is too long for a localpart. An empty input gives an empty result.
std::optional<std::string> nodeprep(std::string_view text, prep_mode mode = prep_mode::query);

/// Resourceprep (RFC 3920 appendix B) of `text`; nullopt when the profile fails or the
/// result (or the input) is too long for a resourcepart.
std::optional<std::string> resourceprep(std::string_view text, prep_mode mode = prep_mode::query);

/// Nameprep (RFC 3491) of `text`; nullopt when the profile fails or the result (or the
/// input) is too long for a domainpart. This is the profile only: parse_jid also removes a
/// trailing dot and checks host name syntax.
std::optional<std::string> nameprep(std::string_view text, prep_mode mode = prep_mode::query);

/// SASLprep (RFC 4013) of `text`, as used for SASL user names and passwords; nullopt when
/// the profile fails (prohibited character such as a control, bidi rule, invalid UTF-8, a
/// NUL byte). No length limit: callers bound the input.
std::optional<std::string> saslprep(std::string_view text, prep_mode mode = prep_mode::query);

} // namespace boshmux::proto::jid
