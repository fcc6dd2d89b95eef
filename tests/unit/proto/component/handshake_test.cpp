#include "proto/common/sha1.hpp"
#include "proto/component/handshake.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

namespace component = boshmux::proto::component;
namespace data = boost::unit_test::data;

BOOST_AUTO_TEST_SUITE(handshake)

// Expected digests computed independently with `printf '%s' "$id$secret" | sha1sum`.
struct vector {
  const char* id;
  const char* secret;
  const char* digest;
};
std::ostream& operator<<(std::ostream& os, const vector& v) {
  return os << v.id << "/" << v.secret;
}

const vector vectors[] = {
    // XEP-0114 section 3 example.
    {"3BF96D32", "secret", "b09ea9b3b7f586be8a08d0a3dd7466f110aeb136"},
    {"", "", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
    {"abc", "", "a9993e364706816aba3e25717850c26c9cd0d89d"},
    {"b7e3bd0f-8e3e-4c1a", "s3cr\xc3\xa9t", "d5d1e2514075482f40f65589e1e6144962013133"},
};

BOOST_DATA_TEST_CASE(digest_is_lowercase_hex_sha1_of_id_and_secret, data::make(vectors), v) {
  BOOST_TEST(component::handshake_digest(v.id, v.secret) == v.digest);
}

BOOST_AUTO_TEST_CASE(handshake_element_wraps_digest) {
  BOOST_TEST(component::handshake_element("3BF96D32", "secret") ==
             "<handshake>b09ea9b3b7f586be8a08d0a3dd7466f110aeb136</handshake>");
}

BOOST_AUTO_TEST_CASE(open_stream_names_component_domain_without_version) {
  BOOST_TEST(component::open_stream("bosh.example") ==
             "<stream:stream xmlns='jabber:component:accept' "
             "xmlns:stream='http://etherx.jabber.org/streams' to='bosh.example'>");
}

BOOST_AUTO_TEST_CASE(open_stream_escapes_domain) {
  BOOST_TEST(component::open_stream("a'b") ==
             "<stream:stream xmlns='jabber:component:accept' "
             "xmlns:stream='http://etherx.jabber.org/streams' to='a&apos;b'>");
}

BOOST_AUTO_TEST_CASE(constant_time_equal_compares_bytes) {
  BOOST_TEST(boshmux::proto::constant_time_equal("abc", "abc"));
  BOOST_TEST(!boshmux::proto::constant_time_equal("abc", "abd"));
  BOOST_TEST(!boshmux::proto::constant_time_equal("abc", "ab"));
  BOOST_TEST(boshmux::proto::constant_time_equal("", ""));
}

BOOST_AUTO_TEST_SUITE_END()
