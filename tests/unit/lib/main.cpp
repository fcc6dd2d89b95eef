#define BOOST_TEST_MODULE boshmux lib tests
#include <boost/test/unit_test.hpp>
