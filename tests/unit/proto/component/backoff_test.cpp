#include "proto/component/backoff.hpp"

#include <boost/test/unit_test.hpp>

using boshmux::proto::component::backoff_policy;
using std::chrono::milliseconds;

BOOST_AUTO_TEST_SUITE(backoff)

BOOST_AUTO_TEST_CASE(doubles_from_initial_up_to_maximum_without_jitter) {
  backoff_policy p{milliseconds(100), milliseconds(1000), 0.0};
  BOOST_TEST(p.delay(0, 0.7).count() == 100);
  BOOST_TEST(p.delay(1, 0.7).count() == 200);
  BOOST_TEST(p.delay(2, 0.7).count() == 400);
  BOOST_TEST(p.delay(3, 0.7).count() == 800);
  BOOST_TEST(p.delay(4, 0.7).count() == 1000);
  BOOST_TEST(p.delay(1000, 0.7).count() == 1000);
}

BOOST_AUTO_TEST_CASE(jitter_draws_within_lower_fraction_of_the_delay) {
  backoff_policy p{milliseconds(100), milliseconds(1000), 0.5};
  BOOST_TEST(p.delay(2, 0.0).count() == 400);
  BOOST_TEST(p.delay(2, 0.5).count() == 300);
  BOOST_TEST(p.delay(2, 0.999).count() >= 200);
  BOOST_TEST(p.delay(2, 0.999).count() < 201);
}

BOOST_AUTO_TEST_CASE(maximum_delay_is_the_jittered_maximum) {
  backoff_policy p{milliseconds(100), milliseconds(1000), 0.2};
  BOOST_TEST(p.maximum_delay(0.0).count() == 1000);
  BOOST_TEST(p.maximum_delay(0.5).count() == 900);
}

BOOST_AUTO_TEST_CASE(out_of_range_inputs_are_clamped) {
  backoff_policy p{milliseconds(0), milliseconds(0), 7.0};
  BOOST_TEST(p.delay(5, -3.0).count() == 1);
  backoff_policy q{milliseconds(500), milliseconds(100), 0.0};
  BOOST_TEST(q.delay(3, 0.0).count() == 500);
}

BOOST_AUTO_TEST_SUITE_END()
