#pragma once

#include "proto/common/limits.hpp"
#include "proto/xml/dom.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace boshmux::proto::bosh {

/// XEP-0124's namespace of the <body/> wrapper.
inline constexpr std::string_view httpbind_namespace = "http://jabber.org/protocol/httpbind";
/// XEP-0206's namespace of the xmpp:version, xmpp:restart and xmpp:restartlogic attributes.
inline constexpr std::string_view xbosh_namespace = "urn:xmpp:xbosh";
/// Largest rid a client may use (XEP-0124 section 14.1: 2^53 - 1).
inline constexpr std::uint64_t max_rid = 9007199254740991ULL;

/// A parsed client request: the <body/> attributes a connection manager uses and its payloads.
struct request_body {
  std::uint64_t rid = 0;
  std::string sid; ///< empty on a session creation request
  std::optional<std::string> to;
  std::optional<std::string> route;
  std::optional<std::string> from;
  std::optional<std::string> xml_lang;
  std::optional<std::string> content;
  std::optional<std::string> ver;
  std::optional<std::string> key;
  std::optional<std::string> newkey;
  std::optional<std::string> type;
  std::optional<std::string> stream;
  std::optional<std::string> xmpp_version;
  std::optional<unsigned> wait;
  std::optional<unsigned> hold;
  std::optional<unsigned> pause;
  std::optional<std::uint64_t> ack;
  bool restart = false; ///< xmpp:restart='true'
  /// Raw bytes of each child element, in document order.
  std::vector<std::string> payloads;
  /// Namespace declarations of the <body> element itself; payloads inherit them.
  xml::namespace_scope scope;

  /// True for type='terminate' (and gloox's misspelt 'terminal').
  bool is_terminate() const { return type == "terminate" || type == "terminal"; }
};

/// Errors of the BOSH wrapper (category "boshmux.bosh"). Every one ends the exchange with the
/// `bad-request` terminal condition.
enum class error {
  not_body = 1,      ///< the root is not <body/> in the httpbind namespace
  missing_rid,       ///< no rid attribute
  invalid_attribute, ///< rid, wait, hold, pause, ack or xmpp:restart malformed or out of range
};

const std::error_category& error_category() noexcept;
inline std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

/// Parses one HTTP request body. XML problems come back as proto::xml::error codes,
/// wrapper problems as bosh::error codes; `out` is meaningful only on success.
std::error_code parse_request(std::string_view bytes, const xml_limits& limits, request_body& out);

/// Parses a non-negative decimal integer of at most `max`; nullopt when malformed.
std::optional<std::uint64_t> parse_decimal(std::string_view text, std::uint64_t max);

} // namespace boshmux::proto::bosh

template <> struct std::is_error_code_enum<boshmux::proto::bosh::error> : std::true_type {};
