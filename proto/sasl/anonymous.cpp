#include "proto/sasl/anonymous.hpp"

namespace boshmux::proto::sasl {

namespace {

/// Formats 16 random bytes as a version 4 UUID (RFC 4122 section 4.4), lower-case hex.
std::string uuid_v4(std::string bytes) {
  bytes[6] = static_cast<char>((static_cast<unsigned char>(bytes[6]) & 0x0fu) | 0x40u);
  bytes[8] = static_cast<char>((static_cast<unsigned char>(bytes[8]) & 0x3fu) | 0x80u);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out += '-';
    }
    const auto byte = static_cast<unsigned char>(bytes[i]);
    out += hex[byte >> 4];
    out += hex[byte & 0x0fu];
  }
  return out;
}

} // namespace

anonymous_mechanism::anonymous_mechanism(const mechanism_options& options)
    : random_bytes_(options.random_bytes) {}

step anonymous_mechanism::start(std::optional<std::string_view> initial_response) {
  if (state_ != state::initial) {
    state_ = state::done;
    return step::failure(failure_condition::malformed_request);
  }
  // No initial response (Strophe.js sends a bare <auth mechanism='ANONYMOUS'/>): the trace
  // is optional (RFC 4505 section 2), so there is nothing to ask for; succeed at once.
  return finish(initial_response.value_or(std::string_view{}));
}

step anonymous_mechanism::next(std::string_view) {
  state_ = state::done;
  return step::failure(failure_condition::malformed_request);
}

step anonymous_mechanism::finish(std::string_view trace) {
  state_ = state::done;
  const auto characters = detail::utf8_length(trace);
  if (!characters || *characters > max_trace_characters) {
    return step::failure(failure_condition::malformed_request);
  }
  auto bytes = detail::draw_random(random_bytes_, 16);
  if (!bytes) {
    return step::failure(failure_condition::temporary_auth_failure);
  }
  return step::success({}, uuid_v4(std::move(*bytes)));
}

} // namespace boshmux::proto::sasl
