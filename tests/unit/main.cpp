#define BOOST_TEST_MODULE boshmux unit tests
#include <boost/test/unit_test.hpp>
