#include "proto/xmpp/stanza_error.hpp"

#include <boost/test/unit_test.hpp>

using namespace boshmux::proto;

namespace {

std::unique_ptr<xml::document> parse(std::string_view text) {
  std::error_code ec;
  auto doc = xml::document::parse(text, ec);
  BOOST_REQUIRE(doc);
  return doc;
}

} // namespace

BOOST_AUTO_TEST_SUITE(stanza_error)

BOOST_AUTO_TEST_CASE(error_reply_swaps_addresses_and_keeps_id) {
  auto doc = parse("<message from='a@x/r' to='b@bosh.example' id='m&amp;1' type='chat'>"
                   "<body>hi</body></message>");
  BOOST_TEST(
      xmpp::error_reply(doc->root(), "jabber:component:accept", "cancel", "service-unavailable") ==
      "<message xmlns='jabber:component:accept' type='error' from='b@bosh.example' "
      "to='a@x/r' id='m&amp;1'><error type='cancel'><service-unavailable "
      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
}

BOOST_AUTO_TEST_CASE(error_reply_omits_absent_attributes) {
  auto doc = parse("<iq type='get'><ping xmlns='urn:xmpp:ping'/></iq>");
  BOOST_TEST(xmpp::error_reply(doc->root(), "jabber:client", "modify", "bad-request") ==
             "<iq xmlns='jabber:client' type='error'><error type='modify'><bad-request "
             "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
}

BOOST_AUTO_TEST_CASE(errors_results_and_presence_are_never_bounced) {
  BOOST_TEST(xmpp::must_not_bounce(parse("<message type='error'/>")->root()));
  BOOST_TEST(xmpp::must_not_bounce(parse("<iq type='result'/>")->root()));
  BOOST_TEST(xmpp::must_not_bounce(parse("<iq type='error'/>")->root()));
  BOOST_TEST(xmpp::must_not_bounce(parse("<presence/>")->root()));
  BOOST_TEST(!xmpp::must_not_bounce(parse("<iq type='get'/>")->root()));
  BOOST_TEST(!xmpp::must_not_bounce(parse("<iq type='set'/>")->root()));
  BOOST_TEST(!xmpp::must_not_bounce(parse("<message/>")->root()));
  BOOST_TEST(!xmpp::must_not_bounce(parse("<message type='chat'/>")->root()));
}

BOOST_AUTO_TEST_CASE(error_reply_without_namespace_declares_none) {
  auto doc = parse("<iq type='set' id='1' from='a@bosh.example/r' to='b@bosh.example/s'/>");
  BOOST_TEST(xmpp::error_reply(doc->root(), "", "cancel", "service-unavailable") ==
             "<iq type='error' from='b@bosh.example/s' to='a@bosh.example/r' id='1'>"
             "<error type='cancel'><service-unavailable "
             "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
}

BOOST_AUTO_TEST_CASE(error_types_follow_rfc_6120) {
  BOOST_TEST(xmpp::error_type_of("service-unavailable") == "cancel");
  BOOST_TEST(xmpp::error_type_of("item-not-found") == "cancel");
  BOOST_TEST(xmpp::error_type_of("resource-constraint") == "wait");
  BOOST_TEST(xmpp::error_type_of("remote-server-timeout") == "wait");
  BOOST_TEST(xmpp::error_type_of("recipient-unavailable") == "wait");
  BOOST_TEST(xmpp::error_type_of("bad-request") == "modify");
  BOOST_TEST(xmpp::error_type_of("jid-malformed") == "modify");
  BOOST_TEST(xmpp::error_type_of("policy-violation") == "modify");
  BOOST_TEST(xmpp::error_type_of("forbidden") == "auth");
  BOOST_TEST(xmpp::error_type_of("not-authorized") == "auth");
}

BOOST_AUTO_TEST_CASE(iq_result_escapes_and_omits_empty_from) {
  BOOST_TEST(xmpp::iq_result("jabber:client", "a'1", "", "u@d/r") ==
             "<iq xmlns='jabber:client' type='result' id='a&apos;1' to='u@d/r'/>");
  BOOST_TEST(xmpp::iq_result("", "1", "d", "u@d/r", "<query/>") ==
             "<iq type='result' id='1' from='d' to='u@d/r'><query/></iq>");
}

BOOST_AUTO_TEST_SUITE_END()
