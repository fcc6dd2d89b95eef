#pragma once

#include "proto/sasl/mechanism.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace boshmux::proto::sasl {

/// The server side of ANONYMOUS (RFC 4505; XEP-0175). The optional trace token is checked
/// (UTF-8, at most max_trace_characters code points) and then ignored: it is never the
/// identity. The identity is a fresh random localpart in the form of a version 4 UUID
/// (XEP-0175 section 3 recommends one), e.g. "6f1c0d6e-3f52-4c2a-9b0e-5d8a7c3e2b1f".
class anonymous_mechanism final : public mechanism {
public:
  /// The mechanism name.
  static constexpr std::string_view name = "ANONYMOUS";
  /// Longest trace token, in characters (RFC 4505 section 3: `token = 1*255TCHAR`).
  static constexpr std::size_t max_trace_characters = 255;

  /// Draws the localpart from `options.random_bytes` (16 bytes) when the exchange succeeds.
  explicit anonymous_mechanism(const mechanism_options& options);
  anonymous_mechanism(const anonymous_mechanism&) = delete;
  anonymous_mechanism& operator=(const anonymous_mechanism&) = delete;

  /// With or without a trace token: success, or malformed-request for a token that is not
  /// UTF-8 or is too long. No challenge is ever needed (the trace is optional, RFC 4505).
  [[nodiscard]] step start(std::optional<std::string_view> initial_response) override;
  /// Always malformed-request: the exchange ends in start().
  [[nodiscard]] step next(std::string_view response) override;

private:
  /// Checks the trace token and assigns the identity.
  step finish(std::string_view trace);

  /// Where the exchange stands.
  enum class state { initial, done };

  /// The injected randomness.
  std::function<std::string(std::size_t)> random_bytes_;
  /// Where the exchange stands.
  state state_ = state::initial;
};

} // namespace boshmux::proto::sasl
