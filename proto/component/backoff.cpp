#include "proto/component/backoff.hpp"

#include <algorithm>

namespace boshmux::proto::component {

namespace {

std::chrono::milliseconds jittered(std::chrono::milliseconds base, double jitter,
                                   double unit_random) noexcept {
  jitter = std::clamp(jitter, 0.0, 1.0);
  unit_random = std::clamp(unit_random, 0.0, 1.0);
  const double factor = 1.0 - jitter * unit_random;
  return std::chrono::milliseconds(
      static_cast<std::chrono::milliseconds::rep>(static_cast<double>(base.count()) * factor));
}

} // namespace

std::chrono::milliseconds backoff_policy::delay(unsigned attempt,
                                                double unit_random) const noexcept {
  const auto lo = std::max(initial, std::chrono::milliseconds(1));
  const auto hi = std::max(maximum, lo);
  auto base = lo;
  for (unsigned i = 0; i < attempt && base < hi; ++i) {
    base *= 2;
  }
  return jittered(std::min(base, hi), jitter, unit_random);
}

std::chrono::milliseconds backoff_policy::maximum_delay(double unit_random) const noexcept {
  return jittered(std::max(maximum, initial), jitter, unit_random);
}

} // namespace boshmux::proto::component
