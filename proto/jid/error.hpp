#pragma once

#include <system_error>

namespace boshmux::proto::jid {

/// Reasons a JID is rejected (category "boshmux.jid"). The rules are RFC 6122 (the
/// stringprep profiles Nodeprep, Nameprep and Resourceprep of RFC 3920 appendices A-C) with
/// the 1023-byte part limit of RFC 6122/7622 section 2.
enum class error {
  /// There is no domainpart: the input is empty, starts with '/', or has nothing between
  /// '@' and '/' (or the end).
  domain_missing = 1,
  /// An '@' with nothing before it, or a localpart that Nodeprep maps to nothing.
  local_empty,
  /// A '/' with nothing after it, or a resourcepart that Resourceprep maps to nothing.
  resource_empty,
  /// The localpart fails Nodeprep: a prohibited character (space, control, one of
  /// `" & ' / : < > @`, private use, non-character), the bidi rule, invalid UTF-8, a NUL
  /// byte, or an unassigned code point when preparing a stored string.
  local_invalid,
  /// The domainpart fails Nameprep, is not a host name under IDNA with the STD3 ASCII rules
  /// (letters, digits and hyphens, no empty label, no label over 63 bytes in ACE form), or
  /// is a bracketed literal that is not an IPv6 address.
  domain_invalid,
  /// The resourcepart fails Resourceprep (prohibited character, bidi rule, invalid UTF-8, a
  /// NUL byte, or an unassigned code point when preparing a stored string).
  resource_invalid,
  /// The localpart is longer than max_part_bytes after preparation.
  local_too_long,
  /// The domainpart is longer than max_part_bytes after preparation.
  domain_too_long,
  /// The resourcepart is longer than max_part_bytes after preparation.
  resource_too_long,
};

/// The category of jid::error.
const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

} // namespace boshmux::proto::jid

template <> struct std::is_error_code_enum<boshmux::proto::jid::error> : std::true_type {};
