#pragma once

#include <string>
#include <string_view>

namespace boshmux::proto::bosh {

/// Terminal binding conditions (XEP-0124 section 17.2), plus `none` for a clean end.
enum class condition {
  none,
  bad_request,
  host_gone,
  host_unknown,
  improper_addressing,
  internal_server_error,
  item_not_found,
  other_request,
  policy_violation,
  remote_connection_failed,
  remote_stream_error,
  see_other_uri,
  system_shutdown,
  undefined_condition,
};

/// The attribute value, e.g. "item-not-found" ("" for none).
std::string_view to_string(condition c) noexcept;

/// The deprecated HTTP status a legacy client (one that sent no `ver`) gets instead of a
/// terminal body (XEP-0124 section 17.1): 400, 403 or 404; 0 when the condition has none.
unsigned legacy_status(condition c) noexcept;

/// A complete HTTP response to a BOSH request.
struct http_answer {
  unsigned status = 200;
  std::string body;
};

/// The answer that ends a request with a terminal condition: a terminal <body/>, or the
/// legacy HTTP status with an empty body when `legacy` and the condition has one.
http_answer terminal_answer(condition c, bool legacy, std::string_view payloads = {});

} // namespace boshmux::proto::bosh
