#include "proto/common/base64.hpp"
#include "proto/xmpp/c2s_machine.hpp"

#include <boost/test/unit_test.hpp>

using namespace boshmux::proto;
using namespace boshmux::proto::xmpp;

namespace {

/// One account, "alice" with password "secret" (PLAIN only: SCRAM is tested in sasl/).
class one_account final : public sasl::credential_store {
public:
  std::optional<sasl::scram_credentials> scram_credentials_for(std::string_view,
                                                               sasl::hash_kind) override {
    return std::nullopt;
  }
  std::optional<std::string> verify_plain(std::string_view user, std::string_view pw) override {
    if (user == "alice" && pw == "secret") {
      return std::string("alice");
    }
    return std::nullopt;
  }
};

const xml::namespace_scope body_scope = {{"", "http://jabber.org/protocol/httpbind"}};

struct fixture {
  one_account store;
  c2s_options options;
  std::unique_ptr<c2s_machine> m;
  c2s_actions out;

  fixture() {
    options.domain = "bosh.example";
    options.sasl.anonymous = true;
    options.sasl.scram = false;
    options.sasl.random_bytes = [](std::size_t n) { return std::string(n, 'x'); };
    m = std::make_unique<c2s_machine>(options, store);
  }

  void feed(std::string_view element) { m->received(element, body_scope, out); }

  std::vector<std::string> to_client() {
    std::vector<std::string> all;
    for (const auto& a : out) {
      if (const auto* c = std::get_if<c2s::to_client>(&a)) {
        all.push_back(c->payload);
      }
    }
    return all;
  }

  template <class T> const T* find() const {
    for (const auto& a : out) {
      if (const auto* t = std::get_if<T>(&a)) {
        return t;
      }
    }
    return nullptr;
  }

  void login_plain() {
    m->opened(out);
    feed("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
         base64_encode(std::string("\0alice\0secret", 13)) + "</auth>");
    m->restarted(out);
    out.clear();
  }

  void bind(std::string_view resource = "web") {
    feed("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" +
         std::string(resource) + "</resource></bind></iq>");
    const auto* request = find<c2s::bind_requested>();
    BOOST_REQUIRE(request);
    jid::jid full{"alice", "bosh.example", request->resource};
    const std::string id = request->iq_id;
    out.clear();
    m->bind_granted(full, id, out);
    out.clear();
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(c2s_machine_tests, fixture)

BOOST_AUTO_TEST_CASE(opening_offers_sasl_mechanisms_without_starttls) {
  m->opened(out);
  BOOST_TEST(to_client() ==
             std::vector<std::string>{
                 "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                 "<mechanism>PLAIN</mechanism><mechanism>ANONYMOUS</mechanism></mechanisms>"
                 "</stream:features>"});
}

BOOST_AUTO_TEST_CASE(plain_success_then_restart_offers_bind_and_session) {
  m->opened(out);
  out.clear();
  feed("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
       base64_encode(std::string("\0alice\0secret", 13)) + "</auth>");
  BOOST_TEST(to_client() ==
             std::vector<std::string>{"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"});
  BOOST_REQUIRE(find<c2s::authenticated>());
  BOOST_TEST(find<c2s::authenticated>()->username == "alice");
  BOOST_TEST((m->state() == c2s_state::authenticated));
  out.clear();
  m->restarted(out);
  BOOST_TEST(to_client() ==
             std::vector<std::string>{
                 "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><required/>"
                 "</bind><session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/>"
                 "</session></stream:features>"});
}

BOOST_AUTO_TEST_CASE(wrong_password_fails_with_not_authorized_and_is_counted) {
  m->opened(out);
  out.clear();
  feed("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
       base64_encode(std::string("\0alice\0wrong", 12)) + "</auth>");
  BOOST_TEST(to_client() ==
             std::vector<std::string>{"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                                      "<not-authorized/></failure>"});
  BOOST_REQUIRE(find<c2s::auth_failed>());
  BOOST_TEST((m->state() == c2s_state::connected));
}

BOOST_AUTO_TEST_CASE(too_many_failures_close_the_stream) {
  m->opened(out);
  for (int i = 0; i < 3; ++i) {
    feed("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
         base64_encode(std::string("\0alice\0wrong", 12)) + "</auth>");
  }
  BOOST_REQUIRE(find<c2s::stream_error>());
  BOOST_TEST(find<c2s::stream_error>()->condition == "policy-violation");
  BOOST_TEST((m->state() == c2s_state::closed));
}

BOOST_AUTO_TEST_CASE(unknown_mechanism_and_bad_base64_get_their_conditions) {
  m->opened(out);
  out.clear();
  feed("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X-FOO'/>");
  feed("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>!!!</auth>");
  BOOST_TEST(
      to_client() ==
      (std::vector<std::string>{
          "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><invalid-mechanism/></failure>",
          "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><incorrect-encoding/></failure>"}));
}

BOOST_AUTO_TEST_CASE(abort_gets_aborted) {
  m->opened(out);
  out.clear();
  feed("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'/>");
  feed("<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
  const auto sent = to_client();
  BOOST_REQUIRE(sent.size() == 2u);
  BOOST_TEST(sent[0] == "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
  BOOST_TEST(sent[1] == "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><aborted/></failure>");
}

BOOST_AUTO_TEST_CASE(equals_sign_in_auth_is_an_empty_initial_response) {
  // RFC 6120 section 6.4.2: "=" is an initial response of zero length, not a missing one (which
  // would get an empty challenge). PLAIN cannot be empty; ANONYMOUS takes an empty trace.
  m->opened(out);
  out.clear();
  feed("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>=</auth>");
  BOOST_TEST(to_client() == std::vector<std::string>{"<failure "
                                                     "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                                                     "<malformed-request/></failure>"});
  BOOST_REQUIRE(find<c2s::auth_failed>());
  BOOST_TEST((find<c2s::auth_failed>()->condition == sasl::failure_condition::malformed_request));
  out.clear();
  feed("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'>=</auth>");
  BOOST_TEST(to_client() ==
             std::vector<std::string>{"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"});
  BOOST_TEST((m->state() == c2s_state::authenticated));
}

BOOST_AUTO_TEST_CASE(equals_sign_in_response_is_an_empty_response) {
  m->opened(out);
  out.clear();
  feed("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'/>");
  feed("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>=</response>");
  BOOST_TEST(to_client() ==
             (std::vector<std::string>{"<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
                                       "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                                       "<malformed-request/></failure>"}));
}

BOOST_AUTO_TEST_CASE(response_without_a_started_mechanism_is_malformed) {
  m->opened(out);
  out.clear();
  const std::string response = "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
                               base64_encode(std::string("\0alice\0secret", 13)) + "</response>";
  const std::vector<std::string> malformed{"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                                           "<malformed-request/></failure>"};
  feed(response);
  BOOST_TEST(to_client() == malformed);
  BOOST_REQUIRE(find<c2s::auth_failed>());
  BOOST_TEST((find<c2s::auth_failed>()->condition == sasl::failure_condition::malformed_request));
  // An exchange that already ended (here: aborted) is no longer started either.
  feed("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'/>");
  feed("<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
  out.clear();
  feed(response);
  BOOST_TEST(to_client() == malformed);
  BOOST_TEST(!find<c2s::authenticated>());
}

BOOST_AUTO_TEST_CASE(authzid_of_another_domain_is_invalid_authzid) {
  m->opened(out);
  out.clear();
  // The localpart matches (the mechanism accepts it); the domain is not this one.
  feed("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
       base64_encode(std::string("alice@other.example\0alice\0secret", 32)) + "</auth>");
  BOOST_TEST(to_client() == std::vector<std::string>{"<failure "
                                                     "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                                                     "<invalid-authzid/></failure>"});
  BOOST_TEST(!find<c2s::authenticated>());
  BOOST_TEST((m->state() == c2s_state::connected));
  BOOST_TEST(m->username().empty());
  out.clear();
  // Its own bare JID, compared after preparation, is fine.
  feed("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
       base64_encode(std::string("Alice@BOSH.example\0alice\0secret", 31)) + "</auth>");
  BOOST_TEST(to_client() ==
             std::vector<std::string>{"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"});
  BOOST_TEST(m->username() == "alice");
}

BOOST_AUTO_TEST_CASE(stanza_between_success_and_restart_closes_the_stream_unrouted) {
  // RFC 6120 section 7.1: nothing is processed before binding; the client must restart first.
  m->opened(out);
  feed("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
       base64_encode(std::string("\0alice\0secret", 13)) + "</auth>");
  BOOST_REQUIRE((m->state() == c2s_state::authenticated));
  out.clear();
  feed("<message to='bob@localhost' type='chat'><body>too early</body></message>");
  BOOST_TEST(!find<c2s::route_stanza>());
  BOOST_REQUIRE(find<c2s::stream_error>());
  BOOST_TEST(find<c2s::stream_error>()->condition == "not-authorized");
  BOOST_TEST((m->state() == c2s_state::closed));
  out.clear();
  m->restarted(out); // too late: the stream is gone
  BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(bind_before_the_restart_closes_the_stream) {
  m->opened(out);
  feed("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
       base64_encode(std::string("\0alice\0secret", 13)) + "</auth>");
  out.clear();
  feed("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
  BOOST_TEST(!find<c2s::bind_requested>());
  BOOST_REQUIRE(find<c2s::stream_error>());
  BOOST_TEST(find<c2s::stream_error>()->condition == "not-authorized");
}

BOOST_AUTO_TEST_CASE(stanzas_before_authentication_close_the_stream_with_not_authorized) {
  m->opened(out);
  feed("<message to='x@y'><body>hi</body></message>");
  BOOST_REQUIRE(find<c2s::stream_error>());
  BOOST_TEST(find<c2s::stream_error>()->condition == "not-authorized");
  BOOST_TEST(!find<c2s::route_stanza>());
}

BOOST_AUTO_TEST_CASE(stanzas_before_binding_close_the_stream_with_not_authorized) {
  login_plain();
  feed("<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>");
  BOOST_REQUIRE(find<c2s::stream_error>());
  BOOST_TEST(find<c2s::stream_error>()->condition == "not-authorized");
}

BOOST_AUTO_TEST_CASE(bind_with_a_resource_is_prepared_and_answered_with_the_full_jid) {
  login_plain();
  feed("<iq type='set' id='b1' xmlns='jabber:client'><bind "
       "xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>Web</resource></bind></iq>");
  BOOST_REQUIRE(find<c2s::bind_requested>());
  BOOST_TEST(find<c2s::bind_requested>()->resource == "Web");
  out.clear();
  m->bind_granted(jid::jid{"alice", "bosh.example", "Web"}, "b1", out);
  BOOST_TEST(to_client() ==
             std::vector<std::string>{"<iq xmlns='jabber:client' type='result' id='b1' "
                                      "to='alice@bosh.example/Web'><bind "
                                      "xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>"
                                      "alice@bosh.example/Web</jid></bind></iq>"});
  BOOST_TEST((m->state() == c2s_state::bound));
}

BOOST_AUTO_TEST_CASE(bind_without_resource_lets_the_server_choose) {
  login_plain();
  feed("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
  BOOST_REQUIRE(find<c2s::bind_requested>());
  BOOST_TEST(find<c2s::bind_requested>()->resource.empty());
}

BOOST_AUTO_TEST_CASE(bind_with_an_invalid_resource_is_a_bad_request_and_may_be_retried) {
  login_plain();
  // U+200E LEFT-TO-RIGHT MARK is prohibited by resourceprep (RFC 3454 table C.8).
  feed("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
       "<resource>a\xe2\x80\x8e</resource></bind></iq>");
  BOOST_TEST(!find<c2s::bind_requested>());
  BOOST_TEST(!find<c2s::stream_error>());
  BOOST_TEST(to_client() == std::vector<std::string>{
                                "<iq xmlns='jabber:client' type='error' id='b1'><error "
                                "type='modify'><bad-request "
                                "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"});
  BOOST_TEST((m->state() == c2s_state::restarted));
  out.clear();
  feed("<iq type='set' id='b2'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
       "<resource>web</resource></bind></iq>");
  BOOST_REQUIRE(find<c2s::bind_requested>());
  BOOST_TEST(find<c2s::bind_requested>()->iq_id == "b2");
}

BOOST_AUTO_TEST_CASE(bind_resource_limit_is_1023_bytes) {
  // RFC 6122 section 2.4 (RFC 7622 section 3.4): a resourcepart is at most 1023 bytes.
  login_plain();
  feed("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" +
       std::string(jid::max_part_bytes, 'r') + "</resource></bind></iq>");
  BOOST_REQUIRE(find<c2s::bind_requested>());
  BOOST_TEST(find<c2s::bind_requested>()->resource.size() == jid::max_part_bytes);

  fixture over;
  over.login_plain();
  over.feed("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" +
            std::string(jid::max_part_bytes + 1, 'r') + "</resource></bind></iq>");
  BOOST_TEST(!over.find<c2s::bind_requested>());
  const auto sent = over.to_client();
  BOOST_REQUIRE(sent.size() == 1u);
  BOOST_TEST(sent[0].find("<bad-request") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(second_bind_on_a_bound_stream_is_refused) {
  login_plain();
  bind("web");
  feed("<iq type='set' id='b2'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
       "<resource>other</resource></bind></iq>");
  BOOST_TEST(!find<c2s::bind_requested>());
  BOOST_TEST(!find<c2s::route_stanza>());
  const auto sent = to_client();
  BOOST_REQUIRE(sent.size() == 1u);
  BOOST_TEST(sent[0].find("<iq xmlns='jabber:client' type='error'") == 0u);
  BOOST_TEST(sent[0].find("id='b2'") != std::string::npos);
  BOOST_TEST((m->state() == c2s_state::bound));
  BOOST_TEST(m->bound_jid().full() == "alice@bosh.example/web");
}

BOOST_AUTO_TEST_CASE(ping_session_disco_and_roster_are_answered_by_the_server) {
  login_plain();
  bind();
  feed("<iq type='get' id='p1' to='bosh.example'><ping xmlns='urn:xmpp:ping'/></iq>");
  feed("<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
  feed("<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>");
  feed("<iq type='get' id='d1' to='bosh.example'><query "
       "xmlns='http://jabber.org/protocol/disco#items'/></iq>");
  const auto sent = to_client();
  BOOST_REQUIRE(sent.size() == 4u);
  BOOST_TEST(sent[0] == "<iq xmlns='jabber:client' type='result' id='p1' from='bosh.example' "
                        "to='alice@bosh.example/web'/>");
  BOOST_TEST(sent[1] == "<iq xmlns='jabber:client' type='result' id='s1' "
                        "to='alice@bosh.example/web'/>");
  BOOST_TEST(sent[2] == "<iq xmlns='jabber:client' type='result' id='r1' "
                        "to='alice@bosh.example/web'><query xmlns='jabber:iq:roster'/></iq>");
  BOOST_TEST(sent[3].find("disco#items'/>") != std::string::npos);
  BOOST_TEST(!find<c2s::route_stanza>());
}

BOOST_AUTO_TEST_CASE(disco_info_of_the_domain_advertises_ping) {
  login_plain();
  bind();
  feed("<iq type='get' id='d' to='bosh.example'><query "
       "xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  const auto sent = to_client();
  BOOST_REQUIRE(sent.size() == 1u);
  BOOST_TEST(sent[0].find("<identity category='server' type='im'") != std::string::npos);
  BOOST_TEST(sent[0].find("<feature var='urn:xmpp:ping'/>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(ping_to_the_own_bare_jid_or_without_to_is_answered_by_the_server) {
  // XEP-0199 section 4.2; RFC 6120 section 10.3.3: the server answers for the account.
  login_plain();
  bind();
  feed("<iq type='get' id='p1' to='alice@bosh.example'><ping xmlns='urn:xmpp:ping'/></iq>");
  feed("<iq type='get' id='p2'><ping xmlns='urn:xmpp:ping'/></iq>");
  BOOST_TEST(!find<c2s::route_stanza>());
  BOOST_TEST(to_client() ==
             (std::vector<std::string>{"<iq xmlns='jabber:client' type='result' id='p1' "
                                       "from='alice@bosh.example' to='alice@bosh.example/web'/>",
                                       "<iq xmlns='jabber:client' type='result' id='p2' "
                                       "to='alice@bosh.example/web'/>"}));
}

BOOST_AUTO_TEST_CASE(other_iqs_to_the_server_or_account_get_service_unavailable) {
  login_plain();
  bind();
  feed("<iq type='get' id='v'><vCard xmlns='vcard-temp'/></iq>");
  feed("<iq type='set' id='x' to='alice@bosh.example'><query xmlns='jabber:iq:private'/></iq>");
  const auto sent = to_client();
  BOOST_REQUIRE(sent.size() == 2u);
  for (const auto& s : sent) {
    BOOST_TEST(s.find("type='error'") != std::string::npos);
    BOOST_TEST(s.find("<service-unavailable") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(iq_without_id_or_with_two_children_is_a_bad_request) {
  login_plain();
  bind();
  feed("<iq type='get'><ping xmlns='urn:xmpp:ping'/></iq>");
  feed("<iq type='get' id='2'><a xmlns='x'/><b xmlns='y'/></iq>");
  const auto sent = to_client();
  BOOST_REQUIRE(sent.size() == 2u);
  BOOST_TEST(sent[0].find("<bad-request") != std::string::npos);
  BOOST_TEST(sent[1].find("id='2'") != std::string::npos);
  BOOST_TEST(sent[1].find("<error type='modify'><bad-request") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(iq_get_or_set_without_a_child_is_a_bad_request_never_routed) {
  // RFC 6120 section 8.2.3: a get or set contains exactly one child.
  login_plain();
  bind();
  feed("<iq type='get' id='g' to='bob@localhost/r'/>");
  feed("<iq type='set' id='s' to='bosh.example'>text is no child</iq>");
  BOOST_TEST(!find<c2s::route_stanza>());
  BOOST_TEST(to_client() ==
             (std::vector<std::string>{
                 "<iq xmlns='jabber:client' type='error' from='bob@localhost/r' id='g'><error "
                 "type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
                 "</iq>",
                 "<iq xmlns='jabber:client' type='error' from='bosh.example' id='s'><error "
                 "type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
                 "</iq>"}));
}

BOOST_AUTO_TEST_CASE(iq_with_an_unknown_or_missing_type_is_a_bad_request_never_routed) {
  // RFC 6120 section 8.2.3: type is required and one of get, set, result, error.
  login_plain();
  bind();
  feed("<iq type='query' id='u' to='bob@localhost/r'><ping xmlns='urn:xmpp:ping'/></iq>");
  feed("<iq id='n' to='bob@localhost/r'><ping xmlns='urn:xmpp:ping'/></iq>");
  BOOST_TEST(!find<c2s::route_stanza>());
  const auto sent = to_client();
  BOOST_REQUIRE(sent.size() == 2u);
  BOOST_TEST(sent[0].find("type='error'") != std::string::npos);
  BOOST_TEST(sent[0].find("id='u'") != std::string::npos);
  BOOST_TEST(sent[0].find("<error type='modify'><bad-request") != std::string::npos);
  BOOST_TEST(sent[1].find("id='n'") != std::string::npos);
  BOOST_TEST(sent[1].find("<error type='modify'><bad-request") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(outbound_stanza_is_stamped_with_the_full_jid) {
  login_plain();
  bind();
  feed("<message xmlns='jabber:client' to='bob@localhost' type='chat' id='m1'>"
       "<body>hi &amp; bye</body></message>");
  const auto* r = find<c2s::route_stanza>();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->stanza.xml == "<message to='bob@localhost' type='chat' id='m1' "
                              "from='alice@bosh.example/web'><body>hi &amp; bye</body></message>");
  BOOST_TEST(r->stanza.to.full() == "bob@localhost");
  BOOST_TEST(r->stanza.from.full() == "alice@bosh.example/web");
  BOOST_TEST(r->stanza.name == "message");
  BOOST_TEST(r->stanza.type == "chat");
  BOOST_TEST(r->stanza.id == "m1");
}

BOOST_AUTO_TEST_CASE(spoofed_from_is_refused_and_never_routed) {
  login_plain();
  bind();
  feed("<message to='bob@localhost' from='mallory@bosh.example/x' id='s'/>");
  BOOST_TEST(!find<c2s::route_stanza>());
  const auto sent = to_client();
  BOOST_REQUIRE(sent.size() == 1u);
  BOOST_TEST(sent[0].find("<forbidden") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(own_from_is_accepted_and_restamped) {
  login_plain();
  bind();
  feed("<message to='bob@localhost' from='alice@bosh.example'/>");
  const auto* r = find<c2s::route_stanza>();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->stanza.xml == "<message to='bob@localhost' from='alice@bosh.example/web'/>");
}

BOOST_AUTO_TEST_CASE(the_streams_language_is_given_to_stanzas_without_one) {
  m->opened(out, "de");
  feed("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
       base64_encode(std::string("\0alice\0secret", 13)) + "</auth>");
  m->restarted(out);
  out.clear();
  bind();
  feed("<message to='bob@localhost'/>");
  feed("<message to='bob@localhost' xml:lang='fr'/>");
  std::vector<std::string> routed;
  for (const auto& a : out) {
    if (const auto* r = std::get_if<c2s::route_stanza>(&a)) {
      routed.push_back(r->stanza.xml);
    }
  }
  BOOST_TEST(routed ==
             (std::vector<std::string>{"<message to='bob@localhost' from='alice@bosh.example/web' "
                                       "xml:lang='de'/>",
                                       "<message to='bob@localhost' xml:lang='fr' "
                                       "from='alice@bosh.example/web'/>"}));
}

BOOST_AUTO_TEST_CASE(subscription_presence_is_stamped_with_the_bare_jid) {
  login_plain();
  bind();
  feed("<presence to='bob@localhost' type='subscribe'/>");
  const auto* r = find<c2s::route_stanza>();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->stanza.xml ==
             "<presence to='bob@localhost' type='subscribe' from='alice@bosh.example'/>");
}

BOOST_AUTO_TEST_CASE(malformed_to_gets_jid_malformed) {
  login_plain();
  bind();
  feed("<message to='a@b@c' id='j'/>");
  BOOST_TEST(!find<c2s::route_stanza>());
  const auto sent = to_client();
  BOOST_REQUIRE(sent.size() == 1u);
  BOOST_TEST(sent[0].find("<jid-malformed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(prefixes_declared_on_the_body_are_carried_into_the_stanza) {
  login_plain();
  bind();
  m->received("<message to='bob@localhost'><x:data/></message>",
              {{"", "http://jabber.org/protocol/httpbind"}, {"x", "urn:example"}}, out);
  const auto* r = find<c2s::route_stanza>();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->stanza.xml == "<message to='bob@localhost' xmlns:x='urn:example' "
                              "from='alice@bosh.example/web'><x:data/></message>");
}

BOOST_AUTO_TEST_CASE(anonymous_login_gets_a_random_localpart) {
  m->opened(out);
  out.clear();
  feed("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>");
  BOOST_REQUIRE(find<c2s::authenticated>());
  BOOST_TEST(!find<c2s::authenticated>()->username.empty());
}

BOOST_AUTO_TEST_CASE(not_well_formed_input_closes_the_stream_with_not_well_formed) {
  login_plain();
  bind();
  feed("<message to='bob@localhost'><body>open</message>");
  BOOST_REQUIRE(find<c2s::stream_error>());
  BOOST_TEST(find<c2s::stream_error>()->condition == "not-well-formed");
  BOOST_TEST((m->state() == c2s_state::closed));
  out.clear();
  feed("<message to='bob@localhost'/>"); // nothing more after the stream error
  BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(
    a_stanza_in_another_content_namespace_closes_the_stream_with_invalid_namespace) {
  // RFC 6120 section 4.9.3.10: a content namespace other than jabber:client on a client stream.
  login_plain();
  bind();
  feed("<message xmlns='jabber:server' to='bob@localhost' from='alice@bosh.example/web'/>");
  BOOST_TEST(!find<c2s::route_stanza>());
  BOOST_REQUIRE(find<c2s::stream_error>());
  BOOST_TEST(find<c2s::stream_error>()->condition == "invalid-namespace");
  BOOST_TEST((m->state() == c2s_state::closed));
}

BOOST_AUTO_TEST_CASE(unknown_first_level_elements_close_the_stream_with_unsupported_stanza_type) {
  // RFC 6120 section 4.9.3.24: an element name the server does not understand in a namespace
  // it does (the content namespace, or SASL's during negotiation).
  for (const std::string_view element : {"<foo xmlns='jabber:client'/>", "<foo/>"}) {
    BOOST_TEST_CONTEXT(element) {
      fixture f;
      f.login_plain();
      f.bind();
      f.feed(element);
      BOOST_TEST(!f.find<c2s::route_stanza>());
      BOOST_REQUIRE(f.find<c2s::stream_error>());
      BOOST_TEST(f.find<c2s::stream_error>()->condition == "unsupported-stanza-type");
      BOOST_TEST((f.m->state() == c2s_state::closed));
    }
  }
  m->opened(out);
  feed("<challenge-me xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
  BOOST_TEST(!find<c2s::auth_failed>());
  BOOST_REQUIRE(find<c2s::stream_error>());
  BOOST_TEST(find<c2s::stream_error>()->condition == "unsupported-stanza-type");
}

BOOST_AUTO_TEST_CASE(first_level_child_in_an_unknown_namespace_is_an_unsupported_stanza_type) {
  // RFC 6120 section 4.9.3.24, and its example: <pubsub:publish/> sent as a first-level child
  // (the prefix declared on the stream header; here on the <body/>) is unsupported-stanza-type.
  // No default namespace is declared, so invalid-namespace (4.9.3.10) does not apply.
  login_plain();
  bind();
  m->received("<pubsub:publish node='princely_musings'/>",
              {{"", "http://jabber.org/protocol/httpbind"},
               {"pubsub", "http://jabber.org/protocol/pubsub"}},
              out);
  BOOST_TEST(!find<c2s::route_stanza>());
  BOOST_REQUIRE(find<c2s::stream_error>());
  BOOST_TEST(find<c2s::stream_error>()->condition == "unsupported-stanza-type");
}

BOOST_AUTO_TEST_SUITE_END()
