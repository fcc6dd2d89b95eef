#include "proto/xmpp/services.hpp"
#include "proto/xmpp/stanza.hpp"

#include <boost/test/unit_test.hpp>

using namespace boshmux::proto;

BOOST_AUTO_TEST_SUITE(stanza_rewriting)

BOOST_AUTO_TEST_CASE(with_attribute_adds_a_missing_attribute) {
  BOOST_TEST(xmpp::with_attribute("<presence from='a@b/c'/>", "to", "x@y") ==
             "<presence from='a@b/c' to='x@y'/>");
  BOOST_TEST(xmpp::with_attribute("<presence/>", "to", "x@y") == "<presence to='x@y'/>");
  BOOST_TEST(xmpp::with_attribute("<message><body>a</body></message>", "to", "x") ==
             "<message to='x'><body>a</body></message>");
}

BOOST_AUTO_TEST_CASE(with_attribute_replaces_wherever_the_attribute_stood) {
  BOOST_TEST(xmpp::with_attribute("<presence to='old' from='a'><show>away</show></presence>", "to",
                                  "new") ==
             "<presence from='a' to='new'><show>away</show></presence>");
  BOOST_TEST(xmpp::with_attribute("<iq\n  to = \"old\"\ttype='get'/>", "to", "n&m") ==
             "<iq\ttype='get' to='n&amp;m'/>");
}

BOOST_AUTO_TEST_CASE(with_attribute_ignores_lookalikes_in_values_and_children) {
  BOOST_TEST(xmpp::with_attribute("<message id='to=&apos;x&apos;' xto='1'><to to='z'/></message>",
                                  "to", "y") ==
             "<message id='to=&apos;x&apos;' xto='1' to='y'><to to='z'/></message>");
  BOOST_TEST(xmpp::with_attribute("<message id='a>b'/>", "to", "y") ==
             "<message id='a>b' to='y'/>");
}

BOOST_AUTO_TEST_CASE(with_default_namespace_goes_right_after_the_name) {
  BOOST_TEST(xmpp::with_default_namespace("<message to='a'/>", "jabber:client") ==
             "<message xmlns='jabber:client' to='a'/>");
  BOOST_TEST(xmpp::with_default_namespace("<presence/>", "jabber:component:accept") ==
             "<presence xmlns='jabber:component:accept'/>");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(services)

namespace {
std::string answer(std::string_view iq, xmpp::service_target target) {
  std::error_code ec;
  const auto doc = xml::document::parse(iq, ec);
  BOOST_REQUIRE(doc);
  return xmpp::answer_service_iq(doc->root(), target, "d.example", "u@x/r", "jabber:client");
}
} // namespace

BOOST_AUTO_TEST_CASE(ping_gets_an_empty_result) {
  BOOST_TEST(answer("<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>",
                    xmpp::service_target::domain) ==
             "<iq xmlns='jabber:client' type='result' id='1' from='d.example' to='u@x/r'/>");
}

BOOST_AUTO_TEST_CASE(disco_info_names_the_right_identity) {
  const auto domain = answer("<iq type='get' id='1'><query "
                             "xmlns='http://jabber.org/protocol/disco#info'/></iq>",
                             xmpp::service_target::domain);
  BOOST_TEST(domain.find("category='server' type='im'") != std::string::npos);
  BOOST_TEST(domain.find("urn:xmpp:ping") != std::string::npos);
  const auto anon = answer("<iq type='get' id='1'><query "
                           "xmlns='http://jabber.org/protocol/disco#info'/></iq>",
                           xmpp::service_target::anonymous_account);
  BOOST_TEST(anon.find("category='account' type='anonymous'") != std::string::npos);
  const auto reg = answer("<iq type='get' id='1'><query "
                          "xmlns='http://jabber.org/protocol/disco#info'/></iq>",
                          xmpp::service_target::registered_account);
  BOOST_TEST(reg.find("category='account' type='registered'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(disco_info_of_a_node_and_unknown_payloads_are_service_unavailable) {
  for (const auto* iq :
       {"<iq type='get' id='1'><query xmlns='http://jabber.org/protocol/disco#info' "
        "node='n'/></iq>",
        "<iq type='set' id='1'><ping xmlns='urn:xmpp:ping'/></iq>",
        "<iq type='get' id='1'><vCard xmlns='vcard-temp'/></iq>"}) {
    BOOST_TEST(answer(iq, xmpp::service_target::domain) ==
               "<iq xmlns='jabber:client' type='error' from='d.example' to='u@x/r' id='1'>"
               "<error type='cancel'><service-unavailable "
               "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
  }
}

BOOST_AUTO_TEST_SUITE_END()
