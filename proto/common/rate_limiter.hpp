#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

namespace boshmux::proto {

/// Settings of a token bucket: `rate` tokens a second refill it up to `burst` tokens.
struct rate_limit {
  double rate = 0;  ///< tokens added per second; 0 (or less): no limit at all
  double burst = 1; ///< capacity: the most taken at once after a quiet period (>= 1)
  bool enabled() const noexcept { return rate > 0; }
};

/// One token bucket. Starts full. Sans-IO: the caller passes the time.
class token_bucket {
public:
  using time_point = std::chrono::steady_clock::time_point;

  token_bucket(const rate_limit& limit, time_point now) noexcept
      : tokens_(limit.burst)
      , last_(now) {}

  /// Takes one token if there is one (after refilling for the time since the last call);
  /// false when the bucket is empty. A `now` earlier than the last one refills nothing.
  bool try_take(const rate_limit& limit, time_point now) noexcept;

  /// True when the bucket would be full at `now` (it remembers nothing a fresh one would not).
  bool full_at(const rate_limit& limit, time_point now) const noexcept;

private:
  void refill(const rate_limit& limit, time_point now) noexcept;
  double tokens_;
  time_point last_;
};

/// Token buckets by key (a client address, for example), with a bound on the keys kept: full
/// buckets are forgotten (a fresh one is identical), so memory follows the keys active within
/// burst/rate seconds. When more than `max_keys` keys are active at once, a new key is refused
/// rather than tracked (the table never grows past the bound, whatever a flood of addresses).
class keyed_rate_limiter {
public:
  using time_point = token_bucket::time_point;

  explicit keyed_rate_limiter(rate_limit limit, std::size_t max_keys = 100'000)
      : limit_(limit)
      , max_keys_(max_keys) {}

  /// Takes a token from `key`'s bucket; false when it has none left (or, for a new key, when
  /// the table is full of active keys). Always true when the limit is disabled.
  bool allow(std::string_view key, time_point now);

  /// Keys tracked now.
  std::size_t size() const noexcept { return buckets_.size(); }
  /// The settings.
  const rate_limit& limit() const noexcept { return limit_; }

private:
  /// Forgets the buckets that are full again.
  void sweep(time_point now);

  rate_limit limit_;
  std::size_t max_keys_;
  std::unordered_map<std::string, token_bucket> buckets_;
  std::size_t sweep_at_ = 1024;  ///< next table size that triggers a sweep
  time_point no_sweep_before_{}; ///< sweeps are at least this far apart
};

} // namespace boshmux::proto
