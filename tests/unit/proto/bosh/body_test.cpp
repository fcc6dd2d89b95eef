#include "proto/bosh/body.hpp"
#include "proto/xml/error.hpp"

#include <boost/test/unit_test.hpp>

using namespace boshmux::proto;
using bosh::request_body;

namespace {

std::error_code parse(const std::string& xml, request_body& out) {
  return bosh::parse_request(xml, {}, out);
}

} // namespace

BOOST_AUTO_TEST_SUITE(bosh_body)

BOOST_AUTO_TEST_CASE(creation_request_attributes_are_read) {
  request_body b;
  const auto ec = parse("<body content='text/xml; charset=utf-8' from='user@example.com' "
                        "hold='1' rid='1573741820' to='example.com' route='xmpp:example.com:9999' "
                        "ver='1.6' wait='60' ack='1' xml:lang='en' xmpp:version='1.0' "
                        "xmlns='http://jabber.org/protocol/httpbind' "
                        "xmlns:xmpp='urn:xmpp:xbosh'/>",
                        b);
  BOOST_REQUIRE(!ec);
  BOOST_TEST(b.rid == 1573741820u);
  BOOST_TEST(b.sid.empty());
  BOOST_TEST(*b.to == "example.com");
  BOOST_TEST(*b.route == "xmpp:example.com:9999");
  BOOST_TEST(*b.from == "user@example.com");
  BOOST_TEST(*b.content == "text/xml; charset=utf-8");
  BOOST_TEST(*b.ver == "1.6");
  BOOST_TEST(*b.wait == 60u);
  BOOST_TEST(*b.hold == 1u);
  BOOST_TEST(*b.ack == 1u);
  BOOST_TEST(*b.xml_lang == "en");
  BOOST_TEST(*b.xmpp_version == "1.0");
  BOOST_TEST(b.payloads.empty());
}

BOOST_AUTO_TEST_CASE(payloads_keep_their_raw_bytes_in_order) {
  request_body b;
  BOOST_REQUIRE(!parse("<body rid='2' sid='abc' xmlns='http://jabber.org/protocol/httpbind'>"
                       "<message to='a@b' xmlns='jabber:client'><body>x &amp; y</body></message>\n"
                       "<presence/></body>",
                       b));
  BOOST_TEST(b.sid == "abc");
  BOOST_REQUIRE(b.payloads.size() == 2u);
  BOOST_TEST(b.payloads[0] ==
             "<message to='a@b' xmlns='jabber:client'><body>x &amp; y</body></message>");
  BOOST_TEST(b.payloads[1] == "<presence/>");
  BOOST_REQUIRE(b.scope.size() == 1u);
  BOOST_TEST(b.scope[0].second == "http://jabber.org/protocol/httpbind");
}

BOOST_AUTO_TEST_CASE(restart_and_terminate_flags) {
  request_body b;
  BOOST_REQUIRE(!parse("<body rid='3' sid='s' xmpp:restart='true' xmlns:xmpp='urn:xmpp:xbosh' "
                       "xmlns='http://jabber.org/protocol/httpbind'/>",
                       b));
  BOOST_TEST(b.restart);
  BOOST_REQUIRE(!parse("<body rid='3' sid='s' type='terminal' "
                       "xmlns='http://jabber.org/protocol/httpbind'/>",
                       b));
  BOOST_TEST(b.is_terminate());
}

BOOST_AUTO_TEST_CASE(restart_with_an_unbound_prefix_is_not_a_restart) {
  request_body b;
  BOOST_REQUIRE(!parse("<body rid='3' sid='s' x:restart='true' xmlns:x='urn:other' "
                       "xmlns='http://jabber.org/protocol/httpbind'/>",
                       b));
  BOOST_TEST(!b.restart);
}

BOOST_AUTO_TEST_CASE(prefixed_body_element_is_accepted) {
  request_body b;
  BOOST_TEST(!parse("<h:body rid='1' xmlns:h='http://jabber.org/protocol/httpbind'/>", b));
}

BOOST_AUTO_TEST_CASE(wrong_root_or_namespace_is_rejected) {
  request_body b;
  BOOST_TEST((parse("<body rid='1'/>", b) == bosh::error::not_body));
  BOOST_TEST((parse("<body rid='1' xmlns='jabber:client'/>", b) == bosh::error::not_body));
  BOOST_TEST((parse("<iq rid='1' xmlns='http://jabber.org/protocol/httpbind'/>", b) ==
              bosh::error::not_body));
}

BOOST_AUTO_TEST_CASE(rid_is_required_and_bounded) {
  request_body b;
  const std::string ns = " xmlns='http://jabber.org/protocol/httpbind'/>";
  BOOST_TEST((parse("<body" + ns, b) == bosh::error::missing_rid));
  BOOST_TEST(!parse("<body rid='9007199254740991'" + ns, b));
  BOOST_TEST((parse("<body rid='9007199254740992'" + ns, b) == bosh::error::invalid_attribute));
  BOOST_TEST((parse("<body rid='-1'" + ns, b) == bosh::error::invalid_attribute));
  BOOST_TEST((parse("<body rid='12a'" + ns, b) == bosh::error::invalid_attribute));
  BOOST_TEST((parse("<body rid=''" + ns, b) == bosh::error::invalid_attribute));
}

BOOST_AUTO_TEST_CASE(numeric_attributes_must_be_non_negative_integers) {
  request_body b;
  for (const char* attr :
       {"wait='-5'", "wait='1.5'", "hold='x'", "pause=''", "ack='one'", "wait='99999999999'"}) {
    BOOST_TEST_CONTEXT(attr) {
      BOOST_TEST((parse(std::string("<body rid='1' ") + attr +
                            " xmlns='http://jabber.org/protocol/httpbind'/>",
                        b) == bosh::error::invalid_attribute));
    }
  }
}

BOOST_AUTO_TEST_CASE(restricted_xml_is_rejected) {
  request_body b;
  BOOST_TEST((parse("<body rid='1' xmlns='http://jabber.org/protocol/httpbind'><!-- c --></body>",
                    b) == xml::error::restricted_xml));
  BOOST_TEST((parse("<!DOCTYPE body><body rid='1' xmlns='http://jabber.org/protocol/httpbind'/>",
                    b) == xml::error::restricted_xml));
  BOOST_TEST((parse("<body rid='1' xmlns='http://jabber.org/protocol/httpbind'>text</body>", b) ==
              xml::error::not_well_formed));
  BOOST_TEST((parse("<body rid='1' xmlns='http://jabber.org/protocol/httpbind'><a>", b) ==
              xml::error::not_well_formed));
  BOOST_TEST((parse("", b) == xml::error::not_well_formed));
}

BOOST_AUTO_TEST_CASE(parse_decimal_bounds) {
  BOOST_TEST(*bosh::parse_decimal("0", 10) == 0u);
  BOOST_TEST(*bosh::parse_decimal("10", 10) == 10u);
  BOOST_TEST(!bosh::parse_decimal("11", 10));
  BOOST_TEST(!bosh::parse_decimal("18446744073709551616", UINT64_MAX));
  BOOST_TEST(*bosh::parse_decimal("18446744073709551615", UINT64_MAX) == UINT64_MAX);
}

BOOST_AUTO_TEST_SUITE_END()
