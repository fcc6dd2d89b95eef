#include "proto/common/rate_limiter.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

using namespace boshmux::proto;
using namespace std::chrono_literals;
using time_point = std::chrono::steady_clock::time_point;

namespace {

/// A fixed origin for the injected clock.
const time_point t0 = time_point{} + 1000s;

} // namespace

BOOST_AUTO_TEST_SUITE(token_bucket_suite)

BOOST_AUTO_TEST_CASE(starts_full_and_empties_after_burst) {
  const rate_limit limit{1.0, 3.0};
  token_bucket b(limit, t0);
  BOOST_TEST(b.try_take(limit, t0));
  BOOST_TEST(b.try_take(limit, t0));
  BOOST_TEST(b.try_take(limit, t0));
  BOOST_TEST(!b.try_take(limit, t0)); // burst + 1
}

BOOST_AUTO_TEST_CASE(refills_at_rate_and_never_beyond_burst) {
  const rate_limit limit{2.0, 2.0}; // one token every 500 ms
  token_bucket b(limit, t0);
  BOOST_TEST(b.try_take(limit, t0));
  BOOST_TEST(b.try_take(limit, t0));
  BOOST_TEST(!b.try_take(limit, t0 + 499ms));
  BOOST_TEST(b.try_take(limit, t0 + 500ms));
  BOOST_TEST(!b.try_take(limit, t0 + 500ms));
  // A long quiet period refills up to the burst only.
  BOOST_TEST(b.full_at(limit, t0 + 1h));
  BOOST_TEST(b.try_take(limit, t0 + 1h));
  BOOST_TEST(b.try_take(limit, t0 + 1h));
  BOOST_TEST(!b.try_take(limit, t0 + 1h));
}

BOOST_AUTO_TEST_CASE(a_clock_going_backwards_refills_nothing) {
  const rate_limit limit{1.0, 1.0};
  token_bucket b(limit, t0);
  BOOST_TEST(b.try_take(limit, t0));
  BOOST_TEST(!b.try_take(limit, t0 - 10s));
  BOOST_TEST(!b.try_take(limit, t0 + 999ms));
  BOOST_TEST(b.try_take(limit, t0 + 1s));
}

BOOST_AUTO_TEST_CASE(fractional_rates_accumulate) {
  const rate_limit limit{0.1, 1.0}; // one token every 10 s
  token_bucket b(limit, t0);
  BOOST_TEST(b.try_take(limit, t0));
  for (int i = 1; i < 10; ++i) {
    BOOST_TEST(!b.try_take(limit, t0 + std::chrono::seconds(i)));
  }
  BOOST_TEST(b.try_take(limit, t0 + 10s));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(keyed_rate_limiter_suite)

BOOST_AUTO_TEST_CASE(disabled_limit_allows_everything_and_tracks_nothing) {
  keyed_rate_limiter l(rate_limit{0.0, 1.0});
  for (int i = 0; i < 1000; ++i) {
    BOOST_TEST(l.allow("10.0.0.1", t0));
  }
  BOOST_TEST(l.size() == 0U);
}

BOOST_AUTO_TEST_CASE(keys_have_their_own_buckets) {
  keyed_rate_limiter l(rate_limit{1.0, 2.0});
  BOOST_TEST(l.allow("a", t0));
  BOOST_TEST(l.allow("a", t0));
  BOOST_TEST(!l.allow("a", t0)); // burst exhausted for a
  BOOST_TEST(l.allow("b", t0));  // b is untouched
  BOOST_TEST(l.allow("b", t0));
  BOOST_TEST(!l.allow("b", t0));
  BOOST_TEST(l.allow("a", t0 + 1s)); // refilled one
  BOOST_TEST(!l.allow("a", t0 + 1s));
}

BOOST_AUTO_TEST_CASE(full_buckets_are_forgotten_so_memory_stays_bounded) {
  keyed_rate_limiter l(rate_limit{10.0, 1.0}, 100'000);
  // 5000 addresses, each one creation; then all of them are full again 100 ms later.
  for (int i = 0; i < 5000; ++i) {
    BOOST_TEST_REQUIRE(l.allow("k" + std::to_string(i), t0));
  }
  BOOST_TEST(l.size() == 5000U);
  for (int i = 0; i < 3000; ++i) {
    BOOST_TEST_REQUIRE(l.allow("m" + std::to_string(i), t0 + 1s));
  }
  // The sweeps dropped the idle (full) buckets of the first wave.
  BOOST_TEST(l.size() < 5000U);
}

BOOST_AUTO_TEST_CASE(a_table_full_of_active_keys_refuses_new_keys) {
  keyed_rate_limiter l(rate_limit{1.0, 5.0}, 10);
  for (int i = 0; i < 10; ++i) {
    BOOST_TEST_REQUIRE(l.allow("k" + std::to_string(i), t0));
  }
  BOOST_TEST(!l.allow("new", t0)); // all ten still have a spent token: none can be forgotten
  BOOST_TEST(l.size() == 10U);
  BOOST_TEST(l.allow("k0", t0)); // known keys keep their buckets
  // Once the buckets are full again they are forgotten and a new key fits.
  BOOST_TEST(l.allow("new", t0 + 10s));
  BOOST_TEST(l.size() <= 10U);
}

BOOST_AUTO_TEST_SUITE_END()
