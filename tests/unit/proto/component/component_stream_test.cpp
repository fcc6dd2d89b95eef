#include "proto/component/component_stream.hpp"
#include "proto/component/handshake.hpp"

#include <boost/test/unit_test.hpp>
#include <ostream>
#include <string>
#include <vector>

using namespace boshmux::proto::component;
using kind = component_stream::event::kind;

namespace boshmux::proto::component {
std::ostream& operator<<(std::ostream& os, link_state s) {
  return os << to_string(s);
}
std::ostream& operator<<(std::ostream& os, failure_reason r) {
  return os << to_string(r);
}
} // namespace boshmux::proto::component

namespace {

const std::string server_header =
    "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
    "xmlns='jabber:component:accept' id='3BF96D32' from='bosh.example'>";

/// A stream with its header sent, plus helpers to feed it.
struct fixture {
  component_stream stream{"bosh.example", "secret"};
  std::vector<component_stream::event> events;
  std::string to_write;

  fixture() { opened = stream.open(); }
  void feed(std::string_view bytes) { stream.received(bytes, events, to_write); }
  void authenticate() {
    feed(server_header);
    feed("<handshake/>");
    events.clear();
    to_write.clear();
  }
  std::string opened;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(component_stream_tests, fixture)

BOOST_AUTO_TEST_CASE(open_sends_header_and_awaits_server_header) {
  BOOST_TEST(opened == open_stream("bosh.example"));
  BOOST_TEST(stream.state() == link_state::awaiting_header);
}

BOOST_AUTO_TEST_CASE(server_header_triggers_handshake_with_its_id) {
  feed(server_header);
  BOOST_TEST(to_write == "<handshake>b09ea9b3b7f586be8a08d0a3dd7466f110aeb136</handshake>");
  BOOST_TEST(stream.stream_id() == "3BF96D32");
  BOOST_TEST(stream.state() == link_state::awaiting_handshake);
  BOOST_TEST(events.empty());
}

BOOST_AUTO_TEST_CASE(empty_handshake_makes_the_link_ready) {
  feed(server_header);
  feed("<handshake/>");
  BOOST_REQUIRE(events.size() == 1u);
  BOOST_TEST((events[0].what == kind::ready));
  BOOST_TEST(stream.state() == link_state::ready);
}

BOOST_AUTO_TEST_CASE(openfire_style_handshake_element_also_succeeds) {
  feed(server_header);
  feed("<handshake></handshake>");
  BOOST_TEST(stream.state() == link_state::ready);
}

BOOST_AUTO_TEST_CASE(features_before_handshake_are_tolerated) {
  feed(server_header);
  feed("<stream:features/>");
  BOOST_TEST(stream.state() == link_state::awaiting_handshake);
  feed("<handshake/>");
  BOOST_TEST(stream.state() == link_state::ready);
}

BOOST_AUTO_TEST_CASE(works_when_fed_one_byte_at_a_time) {
  const std::string input = server_header + "<handshake/>\n <message to='a@bosh.example'/>";
  for (char ch : input) {
    feed(std::string_view(&ch, 1));
  }
  BOOST_REQUIRE(events.size() == 2u);
  BOOST_TEST((events[0].what == kind::ready));
  BOOST_TEST((events[1].what == kind::stanza));
  BOOST_TEST(events[1].bytes == "<message to='a@bosh.example'/>");
}

BOOST_AUTO_TEST_CASE(stanzas_after_ready_are_passed_on_verbatim) {
  authenticate();
  feed("<message from='u@localhost/r' to='x@bosh.example'><body>hi &amp; bye</body></message>"
       " <iq type='get' id='1'/>");
  BOOST_REQUIRE(events.size() == 2u);
  BOOST_TEST(
      events[0].bytes ==
      "<message from='u@localhost/r' to='x@bosh.example'><body>hi &amp; bye</body></message>");
  BOOST_TEST(events[1].bytes == "<iq type='get' id='1'/>");
}

BOOST_AUTO_TEST_CASE(not_authorized_stream_error_is_a_failure) {
  feed(server_header);
  feed("<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
       "</stream:error></stream:stream>");
  BOOST_REQUIRE(events.size() == 1u);
  BOOST_TEST((events[0].what == kind::failed));
  BOOST_TEST((stream.failure() == failure_reason::not_authorized));
  BOOST_TEST(stream.condition() == "not-authorized");
}

BOOST_AUTO_TEST_CASE(host_unknown_before_id_is_a_failure) {
  feed("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
       "xmlns='jabber:component:accept'><stream:error><host-unknown "
       "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text "
       "xmlns='urn:ietf:params:xml:ns:xmpp-streams'>no</text></stream:error>");
  BOOST_TEST((stream.failure() == failure_reason::host_unknown));
  BOOST_TEST(to_write.empty());
}

BOOST_AUTO_TEST_CASE(conflict_and_other_stream_errors_are_named) {
  authenticate();
  feed("<stream:error><system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
       "</stream:error>");
  BOOST_TEST((stream.failure() == failure_reason::stream_error));
  BOOST_TEST(stream.condition() == "system-shutdown");

  fixture other;
  other.feed(server_header);
  other.feed("<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
             "</stream:error>");
  BOOST_TEST((other.stream.failure() == failure_reason::conflict));
}

BOOST_AUTO_TEST_CASE(stream_error_with_its_own_namespace_declaration_is_recognised) {
  authenticate();
  feed("<e:error xmlns:e='http://etherx.jabber.org/streams'><reset "
       "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></e:error>");
  BOOST_TEST((stream.failure() == failure_reason::stream_error));
  BOOST_TEST(stream.condition() == "reset");
}

BOOST_AUTO_TEST_CASE(wrong_stream_namespace_is_rejected) {
  feed("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client' "
       "id='1'>");
  BOOST_TEST((stream.failure() == failure_reason::invalid_namespace));
  BOOST_TEST(to_write.empty());
}

BOOST_AUTO_TEST_CASE(handshake_without_stream_id_is_a_bad_header) {
  feed("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
       "xmlns='jabber:component:accept'>");
  feed("<handshake/>");
  BOOST_TEST((stream.failure() == failure_reason::bad_header));
}

BOOST_AUTO_TEST_CASE(clean_close_after_ready_is_closed_not_failed) {
  authenticate();
  feed("</stream:stream>");
  BOOST_REQUIRE(events.size() == 1u);
  BOOST_TEST((events[0].what == kind::closed));
  BOOST_TEST(stream.state() == link_state::closed);
}

BOOST_AUTO_TEST_CASE(close_before_handshake_is_a_failure) {
  feed(server_header);
  feed("</stream:stream>");
  BOOST_TEST((stream.failure() == failure_reason::unexpected_close));
}

BOOST_AUTO_TEST_CASE(malformed_xml_fails_and_stops_processing) {
  authenticate();
  feed("<message><!-- no comments --></message><message/>");
  BOOST_REQUIRE(events.size() == 1u);
  BOOST_TEST((events[0].what == kind::failed));
  BOOST_TEST((stream.failure() == failure_reason::malformed_input));
  feed("<message/>");
  BOOST_TEST(events.size() == 1u);
}

BOOST_AUTO_TEST_CASE(scope_carries_prefixes_of_the_server_header) {
  feed(server_header);
  bool found = false;
  for (const auto& [prefix, uri] : stream.scope()) {
    found = found || (prefix == "stream" && uri == "http://etherx.jabber.org/streams");
  }
  BOOST_TEST(found);
}

BOOST_AUTO_TEST_SUITE_END()
