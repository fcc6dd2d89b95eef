#pragma once

#include <chrono>

namespace boshmux::proto::component {

/// Reconnect delays: exponential growth from `initial` to `maximum`, with jitter.
struct backoff_policy {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds maximum{30'000};
  /// Fraction of the delay that is randomised: the delay is drawn uniformly from
  /// [d * (1 - jitter), d]. 0 disables jitter; clamped to [0, 1].
  double jitter = 0.5;

  /// Delay before reconnect attempt number `attempt` (0 for the first retry). `unit_random`
  /// is a draw from [0, 1) supplied by the caller (sans-IO: no randomness in here).
  std::chrono::milliseconds delay(unsigned attempt, double unit_random) const noexcept;
  /// The delay used after a failure that retrying soon cannot fix (wrong secret, unknown
  /// host): the maximum, jittered the same way.
  std::chrono::milliseconds maximum_delay(double unit_random) const noexcept;
};

} // namespace boshmux::proto::component
