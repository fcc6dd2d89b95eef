#include "proto/router/router.hpp"

#include <boost/test/unit_test.hpp>

using namespace boshmux::proto;
using namespace boshmux::proto::router;

namespace {

jid::jid parse(std::string_view text) {
  std::error_code ec;
  auto j = jid::parse_jid(text, ec);
  BOOST_REQUIRE(j);
  return *j;
}

stanza make(std::string xml) {
  auto s = make_stanza(std::move(xml));
  BOOST_REQUIRE(s);
  return *s;
}

struct fixture {
  router_options options;
  std::unique_ptr<boshmux::proto::router::router> r;
  router_actions out;

  fixture() { reset(true); }

  void reset(bool short_circuit) {
    options.domain = "bosh.example";
    options.local_short_circuit = short_circuit;
    options.max_directed = 3;
    options.max_pending_iqs = 2;
    r = std::make_unique<boshmux::proto::router::router>(options);
  }

  void bind(const std::string& sid, std::string_view full, bool anonymous = false) {
    router_actions ignored;
    BOOST_TEST(!r->bind(sid, parse(full), anonymous, ignored));
  }

  /// A stanza from session `sid`; `xml` carries the `from` the c2s machine stamps.
  void from_session(const std::string& sid, std::string xml) {
    r->from_session(sid, make(std::move(xml)), out);
  }
  void from_server(std::string xml) { r->from_server(make(std::move(xml)), out); }

  std::vector<std::string> to(const std::string& sid) {
    std::vector<std::string> all;
    for (const auto& a : out) {
      if (const auto* t = std::get_if<action::to_session>(&a); t && t->sid == sid) {
        all.push_back(t->xml);
      }
    }
    return all;
  }
  std::vector<std::string> to_server() {
    std::vector<std::string> all;
    for (const auto& a : out) {
      if (const auto* t = std::get_if<action::to_server>(&a)) {
        all.push_back(t->xml);
      }
    }
    return all;
  }
  std::size_t to_any_session() const {
    return static_cast<std::size_t>(std::count_if(out.begin(), out.end(), [](const auto& a) {
      return std::holds_alternative<action::to_session>(a);
    }));
  }
};

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(router_rules, fixture)

// --- outbound -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(stanzas_for_other_domains_go_to_the_server_unchanged_and_in_order) {
  bind("s1", "alice@bosh.example/web");
  from_session("s1", "<message to='bob@localhost' type='chat' from='alice@bosh.example/web'>"
                     "<body>1</body></message>");
  from_session("s1", "<iq to='localhost' type='get' id='v' from='alice@bosh.example/web'>"
                     "<query xmlns='jabber:iq:version'/></iq>");
  const auto up = to_server();
  BOOST_REQUIRE(up.size() == 2u);
  BOOST_TEST(up[0] == "<message to='bob@localhost' type='chat' from='alice@bosh.example/web'>"
                      "<body>1</body></message>");
  BOOST_TEST(contains(up[1], "jabber:iq:version"));
  BOOST_TEST(to_any_session() == 0u);
  BOOST_TEST(r->stats().to_server[0] == 1u); // one message
  BOOST_TEST(r->stats().to_server[2] == 1u); // one iq
}

BOOST_AUTO_TEST_CASE(stanzas_from_an_unbound_session_are_dropped) {
  from_session("nobody", "<message to='bob@localhost' from='x@bosh.example/r'/>");
  BOOST_TEST(out.empty());
  BOOST_TEST(r->stats().dropped == 1u);
}

BOOST_AUTO_TEST_CASE(a_message_without_to_is_for_the_senders_bare_jid) {
  bind("s1", "alice@bosh.example/web");
  bind("s2", "alice@bosh.example/phone");
  from_session("s2", "<presence from='alice@bosh.example/phone'/>");
  out.clear();
  from_session("s1", "<message type='chat' from='alice@bosh.example/web'><body>note</body>"
                     "</message>");
  const auto got = to("s2");
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(contains(got[0], "to='alice@bosh.example'"));
}

// --- local delivery and the short-circuit ---------------------------------------------------

BOOST_AUTO_TEST_CASE(full_jid_to_a_local_session_is_short_circuited) {
  bind("s1", "alice@bosh.example/web");
  bind("s2", "bob@bosh.example/web");
  from_session("s1", "<message to='bob@bosh.example/web' type='chat' "
                     "from='alice@bosh.example/web'><body>hi</body></message>");
  const auto got = to("s2");
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(contains(got[0], "from='alice@bosh.example/web'"));
  BOOST_TEST(to_server().empty());
  BOOST_TEST(r->stats().short_circuited == 1u);
}

BOOST_AUTO_TEST_CASE(without_the_short_circuit_local_stanzas_go_through_the_server) {
  reset(false);
  bind("s1", "alice@bosh.example/web");
  bind("s2", "bob@bosh.example/web");
  const std::string msg = "<message to='bob@bosh.example/web' type='chat' "
                          "from='alice@bosh.example/web'><body>hi</body></message>";
  from_session("s1", msg);
  BOOST_TEST(to_server() == std::vector<std::string>{msg});
  BOOST_TEST(to("s2").empty());
  out.clear();
  from_server(msg); // the server routes it back to the component
  BOOST_TEST(to("s2") == std::vector<std::string>{msg});
}

BOOST_AUTO_TEST_CASE(the_server_cannot_make_the_router_send_to_another_domain) {
  from_server("<message to='bob@elsewhere' from='x@localhost/r'><body>loop?</body></message>");
  BOOST_TEST(out.empty());
  BOOST_TEST(r->stats().dropped == 1u);
}

// --- full JIDs ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(any_stanza_to_a_bound_full_jid_is_delivered) {
  bind("s1", "alice@bosh.example/web");
  from_server("<presence to='alice@bosh.example/web' from='room@conf.localhost/x'/>");
  from_server("<message to='alice@bosh.example/web' from='bob@localhost/r' type='groupchat'/>");
  from_server("<iq to='alice@bosh.example/web' from='bob@localhost/r' type='get' id='1'>"
              "<ping xmlns='urn:xmpp:ping'/></iq>");
  BOOST_TEST(to("s1").size() == 3u);
  BOOST_TEST(to_server().empty());
}

BOOST_AUTO_TEST_CASE(iq_to_an_unknown_resource_is_service_unavailable_from_that_full_jid) {
  bind("s1", "alice@bosh.example/web");
  from_server("<iq to='alice@bosh.example/gone' from='bob@localhost/r' type='get' id='p1'>"
              "<ping xmlns='urn:xmpp:ping'/></iq>");
  const auto up = to_server();
  BOOST_REQUIRE(up.size() == 1u);
  BOOST_TEST(up[0] == "<iq type='error' from='alice@bosh.example/gone' to='bob@localhost/r' "
                      "id='p1'><error type='cancel'><service-unavailable "
                      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
  BOOST_TEST(to("s1").empty());
}

BOOST_AUTO_TEST_CASE(results_and_errors_to_an_unknown_resource_are_dropped_not_answered) {
  from_server("<iq to='alice@bosh.example/gone' from='bob@localhost/r' type='result' id='1'/>");
  from_server("<iq to='alice@bosh.example/gone' from='bob@localhost/r' type='error' id='2'/>");
  from_server("<message to='alice@bosh.example/gone' from='bob@localhost/r' type='error'/>");
  BOOST_TEST(out.empty());
  BOOST_TEST(r->stats().dropped == 3u);
}

BOOST_AUTO_TEST_CASE(availability_presence_to_an_unknown_resource_is_dropped) {
  bind("s1", "alice@bosh.example/web");
  from_session("s1", "<presence from='alice@bosh.example/web'/>");
  out.clear();
  from_server("<presence to='alice@bosh.example/gone' from='bob@localhost/r'/>");
  from_server("<presence to='alice@bosh.example/gone' from='bob@localhost/r' "
              "type='unavailable'/>");
  BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(chat_to_an_unknown_resource_goes_to_the_bare_jid) {
  bind("s1", "alice@bosh.example/web");
  from_session("s1", "<presence from='alice@bosh.example/web'/>");
  out.clear();
  from_server("<message to='alice@bosh.example/gone' from='bob@localhost/r' type='chat'>"
              "<body>x</body></message>");
  BOOST_TEST(to("s1").size() == 1u);
}

BOOST_AUTO_TEST_CASE(groupchat_to_an_unknown_resource_is_service_unavailable) {
  bind("s1", "alice@bosh.example/web");
  from_session("s1", "<presence from='alice@bosh.example/web'/>");
  out.clear();
  from_server("<message to='alice@bosh.example/gone' from='room@conf.localhost/n' "
              "type='groupchat'/>");
  const auto up = to_server();
  BOOST_REQUIRE(up.size() == 1u);
  BOOST_TEST(contains(up[0], "<service-unavailable"));
  BOOST_TEST(to("s1").empty());
}

BOOST_AUTO_TEST_CASE(normal_and_headline_to_an_unknown_resource_reach_no_other_resource) {
  // RFC 6121 section 8.5.3.2.1: only chat is handled as if sent to the bare JID; a normal,
  // groupchat or headline message is silently ignored or answered with service-unavailable.
  bind("s1", "alice@bosh.example/web");
  from_session("s1", "<presence from='alice@bosh.example/web'/>");
  for (const std::string type : {"", " type='normal'", " type='headline'"}) {
    BOOST_TEST_CONTEXT("message" << type) {
      out.clear();
      from_server("<message to='alice@bosh.example/gone' from='bob@localhost/r' id='m'" + type +
                  "><body>x</body></message>");
      BOOST_TEST(to("s1").empty());
      for (const auto& up : to_server()) {
        BOOST_TEST(contains(up, "<service-unavailable"));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(subscription_presence_to_an_unknown_resource_is_handled_as_for_the_bare_jid) {
  // RFC 6121 section 8.5.3.2.2: subscription presence follows section 3 (the bare JID rules).
  bind("s1", "alice@bosh.example/web");
  bind("s2", "alice@bosh.example/idle"); // bound, never available
  from_session("s1", "<presence from='alice@bosh.example/web'/>");
  out.clear();
  for (const std::string type : {"subscribe", "subscribed", "unsubscribe", "unsubscribed"}) {
    from_server("<presence to='alice@bosh.example/gone' from='bob@localhost' type='" + type +
                "'/>");
  }
  const auto got = to("s1");
  BOOST_REQUIRE(got.size() == 4u);
  BOOST_TEST(contains(got[0], "type='subscribe'"));
  BOOST_TEST(contains(got[3], "type='unsubscribed'"));
  BOOST_TEST(to("s2").empty());
  BOOST_TEST(to_server().empty());
  out.clear();
  bind("s3", "carol@bosh.example/web"); // nobody available: dropped, never bounced
  from_server("<presence to='carol@bosh.example/gone' from='bob@localhost' type='subscribe'/>");
  BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(probe_to_an_unknown_resource_is_answered_as_for_the_bare_jid) {
  // RFC 6121 section 8.5.3.2.2: a probe follows section 4.3.2 (answered by the server).
  bind("s1", "alice@bosh.example/a");
  from_session("s1", "<presence from='alice@bosh.example/a'><show>away</show></presence>");
  out.clear();
  from_server("<presence to='alice@bosh.example/gone' from='bob@localhost' type='probe'/>");
  from_server("<presence to='ghost@bosh.example/x' from='bob@localhost' type='probe'/>");
  BOOST_TEST(to("s1").empty());
  BOOST_TEST(to_server() ==
             (std::vector<std::string>{"<presence from='alice@bosh.example/a' to='bob@localhost'>"
                                       "<show>away</show></presence>",
                                       "<presence type='unavailable' from='ghost@bosh.example' "
                                       "to='bob@localhost'/>"}));
}

// --- bare JIDs ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(chat_to_a_bare_jid_goes_to_the_highest_non_negative_priority) {
  bind("s1", "alice@bosh.example/a");
  bind("s2", "alice@bosh.example/b");
  bind("s3", "alice@bosh.example/c");
  bind("s4", "alice@bosh.example/d"); // bound, never available
  from_session("s1", "<presence from='alice@bosh.example/a'><priority>5</priority></presence>");
  from_session("s2", "<presence from='alice@bosh.example/b'><priority>5</priority></presence>");
  from_session("s3", "<presence from='alice@bosh.example/c'><priority>1</priority></presence>");
  out.clear();
  from_server("<message to='alice@bosh.example' from='bob@localhost/r' type='chat'/>");
  BOOST_TEST(to("s1").size() == 1u);
  BOOST_TEST(to("s2").size() == 1u);
  BOOST_TEST(to("s3").empty());
  BOOST_TEST(to("s4").empty());
}

BOOST_AUTO_TEST_CASE(normal_message_to_a_bare_jid_goes_to_the_highest_non_negative_priority) {
  // RFC 6121 section 8.5.2.1.1; a message without a type is normal (section 5.2.2).
  bind("s1", "alice@bosh.example/a");
  bind("s2", "alice@bosh.example/b");
  bind("s3", "alice@bosh.example/c"); // bound, never available
  from_session("s1", "<presence from='alice@bosh.example/a'><priority>5</priority></presence>");
  from_session("s2", "<presence from='alice@bosh.example/b'><priority>1</priority></presence>");
  out.clear();
  from_server("<message to='alice@bosh.example' from='bob@localhost/r' id='n1'/>");
  from_server("<message to='alice@bosh.example' from='bob@localhost/r' type='normal' id='n2'/>");
  const auto got = to("s1");
  BOOST_REQUIRE(got.size() == 2u);
  BOOST_TEST(contains(got[0], "id='n1'"));
  BOOST_TEST(contains(got[1], "id='n2'"));
  BOOST_TEST(to("s2").empty());
  BOOST_TEST(to("s3").empty());
  BOOST_TEST(to_server().empty());
}

BOOST_AUTO_TEST_CASE(negative_priority_never_gets_bare_jid_messages) {
  bind("s1", "alice@bosh.example/a");
  from_session("s1", "<presence from='alice@bosh.example/a'><priority>-1</priority></presence>");
  out.clear();
  from_server("<message to='alice@bosh.example' from='bob@localhost/r' id='m'/>");
  BOOST_TEST(to("s1").empty());
  const auto up = to_server();
  BOOST_REQUIRE(up.size() == 1u);
  BOOST_TEST(contains(up[0], "<service-unavailable"));
  out.clear();
  from_server("<message to='alice@bosh.example/a' from='bob@localhost/r' id='m2'/>");
  BOOST_TEST(to("s1").size() == 1u); // a full JID still reaches it
}

BOOST_AUTO_TEST_CASE(headline_goes_to_every_available_resource_or_nowhere) {
  bind("s1", "alice@bosh.example/a");
  bind("s2", "alice@bosh.example/b");
  from_server("<message to='alice@bosh.example' from='news@localhost' type='headline'/>");
  BOOST_TEST(out.empty()); // nobody available: dropped, never an error
  from_session("s1", "<presence from='alice@bosh.example/a'/>");
  from_session("s2", "<presence from='alice@bosh.example/b'><priority>3</priority></presence>");
  out.clear();
  from_server("<message to='alice@bosh.example' from='news@localhost' type='headline'/>");
  BOOST_TEST(to("s1").size() == 1u);
  BOOST_TEST(to("s2").size() == 1u);
}

BOOST_AUTO_TEST_CASE(message_to_an_account_nobody_is_using_is_service_unavailable) {
  from_server("<message to='ghost@bosh.example' from='bob@localhost/r' id='m1' type='chat'>"
              "<body>hello?</body></message>");
  const auto up = to_server();
  BOOST_REQUIRE(up.size() == 1u);
  BOOST_TEST(up[0] == "<message type='error' from='ghost@bosh.example' to='bob@localhost/r' "
                      "id='m1'><error type='cancel'><service-unavailable "
                      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
}

BOOST_AUTO_TEST_CASE(groupchat_and_errors_to_a_bare_jid) {
  bind("s1", "alice@bosh.example/a");
  from_session("s1", "<presence from='alice@bosh.example/a'/>");
  out.clear();
  from_server("<message to='alice@bosh.example' from='r@conf.localhost' type='groupchat'/>");
  BOOST_TEST(to("s1").empty());
  const auto up = to_server();
  BOOST_REQUIRE(up.size() == 1u);
  BOOST_TEST(contains(up[0], "<error type='cancel'><service-unavailable"));
  out.clear();
  from_server("<message to='alice@bosh.example' from='r@conf.localhost' type='error'/>");
  BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(groupchat_and_errors_to_an_account_without_available_resources) {
  // RFC 6121 section 8.5.2.2.1: groupchat gets service-unavailable, an error is ignored; the
  // same for an account nobody is using (section 8.5.1).
  bind("s1", "alice@bosh.example/a"); // bound, never available
  from_server("<message to='alice@bosh.example' from='r@conf.localhost/n' type='groupchat' "
              "id='g1'/>");
  from_server("<message to='alice@bosh.example' from='r@conf.localhost/n' type='error' id='e1'/>");
  from_server("<message to='ghost@bosh.example' from='r@conf.localhost/n' type='groupchat' "
              "id='g2'/>");
  from_server("<message to='ghost@bosh.example' from='r@conf.localhost/n' type='error' id='e2'/>");
  BOOST_TEST(to_any_session() == 0u);
  BOOST_TEST(to_server() ==
             (std::vector<std::string>{
                 "<message type='error' from='alice@bosh.example' to='r@conf.localhost/n' "
                 "id='g1'><error type='cancel'><service-unavailable "
                 "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
                 "<message type='error' from='ghost@bosh.example' to='r@conf.localhost/n' "
                 "id='g2'><error type='cancel'><service-unavailable "
                 "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>"}));
  BOOST_TEST(r->stats().dropped == 2u);
}

BOOST_AUTO_TEST_CASE(presence_to_a_bare_jid_reaches_every_available_resource) {
  bind("s1", "alice@bosh.example/a");
  bind("s2", "alice@bosh.example/b");
  from_session("s1", "<presence from='alice@bosh.example/a'/>");
  from_session("s2", "<presence from='alice@bosh.example/b'><priority>-5</priority></presence>");
  out.clear();
  from_server("<presence to='alice@bosh.example' from='bob@localhost/r' type='subscribe'/>");
  from_server("<presence to='alice@bosh.example' from='bob@localhost/r'/>");
  BOOST_TEST(to("s1").size() == 2u);
  BOOST_TEST(to("s2").size() == 2u);
}

BOOST_AUTO_TEST_CASE(presence_to_an_account_without_available_resources_is_dropped) {
  bind("s1", "alice@bosh.example/a");
  from_server("<presence to='alice@bosh.example' from='bob@localhost/r'/>");
  from_server("<presence to='nobody@bosh.example' from='bob@localhost/r' type='subscribe'/>");
  BOOST_TEST(out.empty());
  BOOST_TEST(r->stats().dropped == 2u);
}

BOOST_AUTO_TEST_CASE(probe_is_answered_with_each_available_resources_last_presence) {
  bind("s1", "alice@bosh.example/a");
  bind("s2", "alice@bosh.example/b");
  from_session("s1", "<presence from='alice@bosh.example/a'><show>away</show></presence>");
  out.clear();
  from_server("<presence to='alice@bosh.example' from='bob@localhost' type='probe'/>");
  BOOST_TEST(to("s1").empty()); // answered by the server, never passed on
  const auto up = to_server();
  BOOST_REQUIRE(up.size() == 1u);
  BOOST_TEST(up[0] == "<presence from='alice@bosh.example/a' to='bob@localhost'>"
                      "<show>away</show></presence>");
}

BOOST_AUTO_TEST_CASE(probe_without_available_resources_gets_unavailable) {
  from_server("<presence to='alice@bosh.example' from='bob@localhost' type='probe'/>");
  const auto up = to_server();
  BOOST_REQUIRE(up.size() == 1u);
  BOOST_TEST(up[0] == "<presence type='unavailable' from='alice@bosh.example' "
                      "to='bob@localhost'/>");
}

BOOST_AUTO_TEST_CASE(iq_to_a_bare_jid_is_answered_on_the_accounts_behalf) {
  bind("s1", "alice@bosh.example/a", true);
  from_server("<iq to='alice@bosh.example' from='bob@localhost/r' type='get' id='1'>"
              "<ping xmlns='urn:xmpp:ping'/></iq>");
  from_server("<iq to='alice@bosh.example' from='bob@localhost/r' type='get' id='2'>"
              "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  from_server("<iq to='alice@bosh.example' from='bob@localhost/r' type='get' id='3'>"
              "<vCard xmlns='vcard-temp'/></iq>");
  from_server("<iq to='alice@bosh.example' from='bob@localhost/r' type='result' id='4'/>");
  BOOST_TEST(to("s1").empty());
  const auto up = to_server();
  BOOST_REQUIRE(up.size() == 3u);
  BOOST_TEST(up[0] == "<iq type='result' id='1' from='alice@bosh.example' to='bob@localhost/r'/>");
  BOOST_TEST(contains(up[1], "<identity category='account' type='anonymous'/>"));
  BOOST_TEST(contains(up[2], "type='error'"));
  BOOST_TEST(contains(up[2], "<service-unavailable"));
}

BOOST_AUTO_TEST_CASE(iq_to_an_account_nobody_is_using_is_service_unavailable) {
  from_server("<iq to='ghost@bosh.example' from='bob@localhost/r' type='get' id='1'>"
              "<ping xmlns='urn:xmpp:ping'/></iq>");
  const auto up = to_server();
  BOOST_REQUIRE(up.size() == 1u);
  BOOST_TEST(contains(up[0], "<service-unavailable"));
}

// --- the domain itself ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(the_domain_answers_ping_and_disco_and_refuses_the_rest) {
  from_server("<iq to='bosh.example' from='localhost' type='get' id='1'>"
              "<ping xmlns='urn:xmpp:ping'/></iq>");
  from_server("<iq to='bosh.example' from='u@localhost/r' type='get' id='2'>"
              "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  from_server("<iq to='bosh.example' from='u@localhost/r' type='set' id='3'>"
              "<query xmlns='jabber:iq:register'/></iq>");
  from_server("<message to='bosh.example' from='u@localhost/r' id='4'/>");
  from_server("<presence to='bosh.example' from='u@localhost/r'/>");
  const auto up = to_server();
  BOOST_REQUIRE(up.size() == 4u);
  BOOST_TEST(up[0] == "<iq type='result' id='1' from='bosh.example' to='localhost'/>");
  BOOST_TEST(contains(up[1], "<identity category='server' type='im'"));
  BOOST_TEST(contains(up[1], "urn:xmpp:ping"));
  BOOST_TEST(contains(up[2], "<service-unavailable"));
  BOOST_TEST(contains(up[3], "<message type='error'"));
  BOOST_TEST(contains(up[3], "<error type='cancel'><service-unavailable"));
}

BOOST_AUTO_TEST_CASE(a_resource_of_the_domain_refuses_requests_and_messages_and_ignores_the_rest) {
  // RFC 6120 section 10.5.2 (domainpart/resourcepart): handled by the server or an error,
  // never an error for an error, a result or presence (section 8.3.1).
  from_server("<iq to='bosh.example/res' from='u@localhost/r' type='get' id='1'>"
              "<ping xmlns='urn:xmpp:ping'/></iq>");
  from_server("<message to='bosh.example/res' from='u@localhost/r' id='2'/>");
  from_server("<presence to='bosh.example/res' from='u@localhost/r'/>");
  from_server("<iq to='bosh.example/res' from='u@localhost/r' type='result' id='3'/>");
  from_server("<message to='bosh.example/res' from='u@localhost/r' type='error' id='4'/>");
  BOOST_TEST(to_server() ==
             (std::vector<std::string>{
                 "<iq type='error' from='bosh.example/res' to='u@localhost/r' id='1'><error "
                 "type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                 "</error></iq>",
                 "<message type='error' from='bosh.example/res' to='u@localhost/r' id='2'><error "
                 "type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                 "</error></message>"}));
  BOOST_TEST(r->stats().dropped == 3u);
  out.clear();
  bind("s1", "alice@bosh.example/web"); // a local sender gets its answer directly
  from_session("s1", "<iq to='bosh.example/res' type='get' id='5' from='alice@bosh.example/web'>"
                     "<ping xmlns='urn:xmpp:ping'/></iq>");
  const auto got = to("s1");
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(contains(got[0], "from='bosh.example/res'"));
  BOOST_TEST(contains(got[0], "<service-unavailable"));
  BOOST_TEST(to_server().empty());
}

// --- presence from the client ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(initial_presence_goes_to_every_available_resource_sender_included) {
  bind("s1", "alice@bosh.example/a");
  bind("s2", "alice@bosh.example/b");
  bind("s3", "bob@bosh.example/x");
  from_session("s3", "<presence from='bob@bosh.example/x'/>");
  from_session("s1", "<presence from='alice@bosh.example/a'/>");
  out.clear();
  from_session("s2", "<presence from='alice@bosh.example/b'><status>hi</status></presence>");
  BOOST_TEST(to("s1") == std::vector<std::string>{"<presence from='alice@bosh.example/b' "
                                                  "to='alice@bosh.example/a'><status>hi</status>"
                                                  "</presence>"});
  // The newcomer hears itself and, once, the other available resource.
  BOOST_TEST(to("s2") == (std::vector<std::string>{
                             "<presence from='alice@bosh.example/a' to='alice@bosh.example/b'/>",
                             "<presence from='alice@bosh.example/b' to='alice@bosh.example/b'>"
                             "<status>hi</status></presence>"}));
  BOOST_TEST(to("s3").empty()); // no roster: nobody else subscribes
  out.clear();
  from_session("s2", "<presence from='alice@bosh.example/b'><show>dnd</show></presence>");
  BOOST_TEST(to("s2").size() == 1u); // an update: only its own echo
  BOOST_TEST(to_server().empty());
}

BOOST_AUTO_TEST_CASE(directed_presence_is_remembered_and_ended_by_unavailable) {
  bind("s1", "alice@bosh.example/a");
  from_session("s1", "<presence to='room@conf.localhost/alice' from='alice@bosh.example/a'>"
                     "<x xmlns='http://jabber.org/protocol/muc'/></presence>");
  from_session("s1", "<presence to='bob@localhost' from='alice@bosh.example/a'/>");
  BOOST_TEST(to_server().size() == 2u);
  out.clear();
  from_session("s1", "<presence to='bob@localhost' type='unavailable' "
                     "from='alice@bosh.example/a'/>");
  out.clear();
  router_actions end;
  r->unbind("s1", end);
  out = end;
  // Only the room is still owed an unavailable presence.
  BOOST_TEST(to_server() ==
             std::vector<std::string>{"<presence type='unavailable' from='alice@bosh.example/a' "
                                      "to='room@conf.localhost/alice'/>"});
}

BOOST_AUTO_TEST_CASE(broadcast_unavailable_ends_all_directed_presence) {
  bind("s1", "alice@bosh.example/a");
  from_session("s1", "<presence from='alice@bosh.example/a'/>");
  from_session("s1", "<presence to='room@conf.localhost/a' from='alice@bosh.example/a'/>");
  out.clear();
  from_session("s1", "<presence type='unavailable' from='alice@bosh.example/a'>"
                     "<status>bye</status></presence>");
  BOOST_TEST(to_server() == std::vector<std::string>{
                                "<presence type='unavailable' from='alice@bosh.example/a' "
                                "to='room@conf.localhost/a'><status>bye</status></presence>"});
  out.clear();
  router_actions end;
  r->unbind("s1", end);
  BOOST_TEST(end.empty()); // nothing left to clean up
}

BOOST_AUTO_TEST_CASE(directed_presence_beyond_the_bound_is_refused) {
  bind("s1", "alice@bosh.example/a");
  for (int i = 0; i < 4; ++i) {
    from_session("s1", "<presence to='r" + std::to_string(i) +
                           "@conf.localhost/a' from='alice@bosh.example/a'/>");
  }
  BOOST_TEST(to_server().size() == 3u);
  const auto refused = to("s1");
  BOOST_REQUIRE(refused.size() == 1u);
  BOOST_TEST(contains(refused[0], "<presence type='error'"));
  BOOST_TEST(contains(refused[0], "<resource-constraint"));
}

// --- session end ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(session_end_sends_unavailable_to_other_resources_and_directed) {
  bind("s1", "alice@bosh.example/a");
  bind("s2", "alice@bosh.example/b");
  bind("s3", "carol@bosh.example/c");
  from_session("s1", "<presence from='alice@bosh.example/a'/>");
  from_session("s2", "<presence from='alice@bosh.example/b'/>");
  from_session("s1", "<presence to='room@conf.localhost/a' from='alice@bosh.example/a'/>");
  from_session("s1", "<presence to='carol@bosh.example/c' from='alice@bosh.example/a'/>");
  out.clear();
  r->unbind("s1", out);
  BOOST_TEST(to("s1").empty());
  BOOST_TEST(to("s2") == std::vector<std::string>{"<presence type='unavailable' "
                                                  "from='alice@bosh.example/a' "
                                                  "to='alice@bosh.example/b'/>"});
  BOOST_TEST(to("s3").size() == 1u); // a local directed recipient, short-circuited
  BOOST_TEST(to_server().size() == 1u);
  BOOST_TEST(r->stats().presence_cleanups == 1u);
  BOOST_TEST(r->bound() == 2u);
  BOOST_TEST(!r->bound_jid("s1"));
}

BOOST_AUTO_TEST_CASE(a_session_that_never_sent_presence_ends_silently) {
  bind("s1", "alice@bosh.example/a");
  r->unbind("s1", out);
  BOOST_TEST(out.empty());
  r->unbind("s1", out); // twice is harmless
  BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(unanswered_iqs_get_errors_when_the_session_ends) {
  bind("s1", "alice@bosh.example/a");
  from_server("<iq to='alice@bosh.example/a' from='bob@localhost/r' type='get' id='q1'>"
              "<query xmlns='jabber:iq:version'/></iq>");
  from_server("<iq to='alice@bosh.example/a' from='bob@localhost/r' type='get' id='q2'>"
              "<query xmlns='jabber:iq:version'/></iq>");
  from_session("s1", "<iq to='bob@localhost/r' type='result' id='q1' "
                     "from='alice@bosh.example/a'/>");
  out.clear();
  r->unbind("s1", out);
  BOOST_TEST(to_server() == std::vector<std::string>{
                                "<iq type='error' from='alice@bosh.example/a' "
                                "to='bob@localhost/r' id='q2'><error type='cancel'>"
                                "<service-unavailable "
                                "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"});
}

BOOST_AUTO_TEST_CASE(pending_iqs_are_bounded_oldest_forgotten_first) {
  bind("s1", "alice@bosh.example/a");
  for (int i = 0; i < 3; ++i) {
    from_server("<iq to='alice@bosh.example/a' from='bob@localhost/r' type='get' id='q" +
                std::to_string(i) + "'><query xmlns='jabber:iq:version'/></iq>");
  }
  out.clear();
  r->unbind("s1", out);
  const auto up = to_server();
  BOOST_REQUIRE(up.size() == 2u);
  BOOST_TEST(contains(up[0], "id='q1'"));
  BOOST_TEST(contains(up[1], "id='q2'"));
}

BOOST_AUTO_TEST_CASE(a_conflicting_bind_replaces_the_old_session_and_cleans_up) {
  bind("s1", "alice@bosh.example/a");
  from_session("s1", "<presence to='room@conf.localhost/a' from='alice@bosh.example/a'/>");
  out.clear();
  const auto replaced = r->bind("s2", parse("alice@bosh.example/a"), false, out);
  BOOST_REQUIRE(replaced);
  BOOST_TEST(*replaced == "s1");
  BOOST_TEST(to_server().size() == 1u); // the old session left the room
  BOOST_TEST(!r->bound_jid("s1"));
  BOOST_TEST(r->bound_jid("s2")->full() == "alice@bosh.example/a");
  out.clear();
  r->unbind("s1", out); // the old session's end, reported later, changes nothing
  BOOST_TEST(out.empty());
  BOOST_TEST(r->bound() == 1u);
}

// --- undeliverable --------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(undeliverable_stanzas_bounce_to_their_local_sender) {
  bind("s1", "alice@bosh.example/a");
  r->undeliverable("<message xmlns='jabber:component:accept' to='bob@localhost' id='m1' "
                   "from='alice@bosh.example/a' type='chat'><body>x</body></message>",
                   "remote-server-timeout", out);
  BOOST_TEST(to("s1") == std::vector<std::string>{
                             "<message type='error' from='bob@localhost' "
                             "to='alice@bosh.example/a' id='m1'><error type='wait'>"
                             "<remote-server-timeout "
                             "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>"});
  BOOST_TEST(to_server().empty());
}

BOOST_AUTO_TEST_CASE(undeliverable_errors_presence_and_results_are_dropped) {
  bind("s1", "alice@bosh.example/a");
  r->undeliverable("<presence to='room@conf.localhost/a' from='alice@bosh.example/a'/>",
                   "remote-server-timeout", out);
  r->undeliverable("<iq type='result' id='1' to='bob@localhost/r' "
                   "from='alice@bosh.example/a'/>",
                   "remote-server-timeout", out);
  r->undeliverable("<message type='error' to='bob@localhost/r' from='alice@bosh.example/a'/>",
                   "remote-server-timeout", out);
  r->undeliverable("<message to='bob@localhost/r' from='gone@bosh.example/a'/>",
                   "remote-server-timeout", out);
  BOOST_TEST(out.empty());
  BOOST_TEST(r->stats().dropped == 4u);
}

BOOST_AUTO_TEST_SUITE_END()

// --- helpers --------------------------------------------------------------------------------

BOOST_AUTO_TEST_SUITE(router_stanza)

BOOST_AUTO_TEST_CASE(make_stanza_reads_name_type_id_and_prepared_addresses) {
  const auto s = make_stanza("<message to='Bob@LocalHost/R' from='a@b' type='chat' id='7'/>");
  BOOST_REQUIRE(s);
  BOOST_TEST(s->name == "message");
  BOOST_TEST(s->type == "chat");
  BOOST_TEST(s->id == "7");
  BOOST_TEST(s->to.full() == "bob@localhost/R");
  BOOST_TEST(s->from.full() == "a@b");
}

BOOST_AUTO_TEST_CASE(make_stanza_refuses_bad_addresses_and_bad_xml) {
  BOOST_TEST(!make_stanza("<message to='a@@b'/>"));
  BOOST_TEST(!make_stanza("<message from='@b'/>"));
  BOOST_TEST(!make_stanza("<message"));
  const auto none = make_stanza("<presence/>");
  BOOST_REQUIRE(none);
  BOOST_TEST(none->to.domain.empty());
}

BOOST_AUTO_TEST_SUITE_END()
