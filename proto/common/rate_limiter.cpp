#include "proto/common/rate_limiter.hpp"

#include <algorithm>

namespace boshmux::proto {

namespace {

/// Rounding allowance of the token count.
constexpr double epsilon = 1e-9;

} // namespace

void token_bucket::refill(const rate_limit& limit, time_point now) noexcept {
  if (now <= last_) {
    return; // time never runs backwards here: an older `now` adds nothing
  }
  const std::chrono::duration<double> elapsed = now - last_;
  tokens_ = std::min(limit.burst, tokens_ + elapsed.count() * limit.rate);
  last_ = now;
}

bool token_bucket::try_take(const rate_limit& limit, time_point now) noexcept {
  refill(limit, now);
  // Refills add fractions: allow for their rounding (ten refills of 0.1 make 0.999...).
  if (tokens_ < 1.0 - epsilon) {
    return false;
  }
  tokens_ = std::max(0.0, tokens_ - 1.0);
  return true;
}

bool token_bucket::full_at(const rate_limit& limit, time_point now) const noexcept {
  if (now <= last_) {
    return tokens_ >= limit.burst - epsilon;
  }
  const std::chrono::duration<double> elapsed = now - last_;
  return tokens_ + elapsed.count() * limit.rate >= limit.burst - epsilon;
}

bool keyed_rate_limiter::allow(std::string_view key, time_point now) {
  if (!limit_.enabled()) {
    return true;
  }
  // Heterogeneous lookup needs C++20 transparent hashing; one string per call is cheap next
  // to a session creation.
  std::string k(key);
  auto it = buckets_.find(k);
  if (it == buckets_.end()) {
    if (buckets_.size() >= std::min(sweep_at_, max_keys_) && now >= no_sweep_before_) {
      sweep(now);
    }
    if (buckets_.size() >= max_keys_) {
      return false; // every tracked key is active: refuse rather than grow
    }
    it = buckets_.emplace(std::move(k), token_bucket(limit_, now)).first;
  }
  return it->second.try_take(limit_, now);
}

void keyed_rate_limiter::sweep(time_point now) {
  std::erase_if(buckets_, [&](const auto& entry) { return entry.second.full_at(limit_, now); });
  // Sweep again once the table has doubled: amortised O(1) per call.
  sweep_at_ = std::max<std::size_t>(1024, 2 * buckets_.size());
  sweep_at_ = std::min(sweep_at_, max_keys_);
  // A table full of active keys would be swept for every new key of a flood: at most ten
  // sweeps a second then.
  no_sweep_before_ = now + std::chrono::milliseconds(100);
}

} // namespace boshmux::proto
