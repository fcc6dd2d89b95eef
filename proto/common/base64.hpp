#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace boshmux::proto {

/// Standard base64 (RFC 4648 section 4) of `data`, padded with '=' to a multiple of 4.
std::string base64_encode(std::string_view data);

/// Decodes standard base64 (RFC 4648 section 4), strictly: the length must be a multiple of
/// 4, '=' may appear only as one or two final padding characters, every other character must
/// be in the alphabet (no whitespace, no line breaks, no URL-safe characters), and the unused
/// low bits of the last character must be zero (RFC 4648 section 3.5: only the canonical
/// encoding is accepted). The empty string decodes to the empty string.
/// @return the decoded bytes, or nullopt when `text` is not canonical base64.
std::optional<std::string> base64_decode(std::string_view text);

/// URL-safe base64 (RFC 4648 section 5, '-' and '_') of `data` without padding, as JWT
/// (RFC 7515 section 2) uses it.
std::string base64url_encode(std::string_view data);

/// Decodes URL-safe base64 without padding, strictly: no '=', no '+' or '/', no whitespace,
/// a length that is not 1 modulo 4, and zero unused low bits in the last character.
/// @return the decoded bytes, or nullopt when `text` is not canonical unpadded base64url.
std::optional<std::string> base64url_decode(std::string_view text);

} // namespace boshmux::proto
