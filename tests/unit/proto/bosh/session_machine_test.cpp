#include "proto/bosh/session_machine.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

using namespace boshmux::proto::bosh;
using namespace std::chrono_literals;

namespace {

/// A machine plus a fake clock and helpers that speak in request bodies.
struct fixture {
  session_limits limits;
  time_point now{std::chrono::seconds(1000)};
  std::unique_ptr<session_machine> m;
  actions out;
  std::uint64_t next_request_id = 1;

  static request_body parse(const std::string& xml) {
    request_body b;
    const auto ec = parse_request(xml, {}, b);
    BOOST_REQUIRE_MESSAGE(!ec, "test body does not parse: " << ec.message() << ": " << xml);
    return b;
  }

  static std::string body(std::uint64_t rid, const std::string& attrs = {},
                          const std::string& payload = {}) {
    std::string s = "<body xmlns='http://jabber.org/protocol/httpbind' "
                    "xmlns:xmpp='urn:xmpp:xbosh' sid='s1' rid='" +
                    std::to_string(rid) + "' " + attrs;
    return payload.empty() ? s + "/>" : s + ">" + payload + "</body>";
  }

  /// Creates the session with rid 100 (creation request id 1).
  void create(const std::string& attrs = "wait='60' hold='1' ver='1.11'") {
    const std::string xml = "<body xmlns='http://jabber.org/protocol/httpbind' rid='100' "
                            "to='bosh.example' " +
                            attrs + "/>";
    auto result = session_machine::create(parse(xml), "s1", "bosh.example", " extra='1'", limits);
    BOOST_REQUIRE(std::holds_alternative<std::unique_ptr<session_machine>>(result));
    m = std::move(std::get<std::unique_ptr<session_machine>>(result));
    m->creation_received(next_request_id++, parse(xml), now, out);
  }

  /// Creates the session and answers its creation request with stream features.
  void open(const std::string& attrs = "wait='60' hold='1' ver='1.11'") {
    create(attrs);
    send("<stream:features/>");
    BOOST_REQUIRE(answered(1));
    out.clear();
  }

  /// Sends a later request; returns its request id.
  std::uint64_t post(std::uint64_t rid, const std::string& attrs = {},
                     const std::string& payload = {}) {
    const auto id = next_request_id++;
    m->request_received(id, parse(body(rid, attrs, payload)), now, out);
    return id;
  }

  void advance(std::chrono::milliseconds d) {
    now += d;
    m->deadline_reached(now, out);
  }

  /// Removes and returns the respond actions for request `id` (in order).
  std::vector<respond> answers(std::uint64_t id) {
    std::vector<respond> found;
    for (auto it = out.begin(); it != out.end();) {
      if (auto* r = std::get_if<respond>(&*it); r && r->request_id == id) {
        found.push_back(*r);
        it = out.erase(it);
      } else {
        ++it;
      }
    }
    return found;
  }

  /// The single answer to request `id` (fails when there is none or several).
  std::string answer(std::uint64_t id) {
    const auto a = answers(id);
    BOOST_REQUIRE_MESSAGE(a.size() == 1u, "request " << id << " answered " << a.size() << " times");
    BOOST_TEST(a[0].status == 200u);
    return *a[0].body;
  }

  bool answered(std::uint64_t id) const {
    for (const auto& a : out) {
      if (auto* r = std::get_if<respond>(&a); r && r->request_id == id) {
        return true;
      }
    }
    return false;
  }

  std::vector<std::string> delivered() {
    std::vector<std::string> all;
    for (auto it = out.begin(); it != out.end();) {
      if (auto* d = std::get_if<deliver>(&*it)) {
        all.insert(all.end(), d->payloads.begin(), d->payloads.end());
        it = out.erase(it);
      } else {
        ++it;
      }
    }
    return all;
  }

  std::optional<session_ended> ended_action() const {
    for (const auto& a : out) {
      if (auto* e = std::get_if<session_ended>(&a)) {
        return *e;
      }
    }
    return std::nullopt;
  }

  void send(const std::string& payload) { BOOST_REQUIRE(m->send(payload, now, out)); }
};

const std::string empty_body = "<body xmlns='http://jabber.org/protocol/httpbind'/>";
const std::string error_body = "<body xmlns='http://jabber.org/protocol/httpbind' type='error'/>";

std::string terminal(const char* cond) {
  return std::string("<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' "
                     "condition='") +
         cond + "'/>";
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(session_machine_tests, fixture)

// --- session creation (XEP-0124 section 7) ---

BOOST_AUTO_TEST_CASE(creation_response_carries_negotiated_attributes) {
  create();
  send("<stream:features/>");
  BOOST_TEST(answer(1) ==
             "<body xmlns='http://jabber.org/protocol/httpbind' sid='s1' wait='60' requests='2' "
             "hold='1' inactivity='60' polling='2' maxpause='120' ver='1.11' from='bosh.example' "
             "extra='1' xmlns:stream='http://etherx.jabber.org/streams'><stream:features/></body>");
}

BOOST_AUTO_TEST_CASE(creation_clamps_wait_and_hold_to_server_limits) {
  limits.max_wait = 30;
  create("wait='300' hold='5' ver='1.6'");
  BOOST_TEST(m->params().wait == 30u);
  BOOST_TEST(m->params().hold == 1u);
  BOOST_TEST(m->params().requests == 2u);
  BOOST_TEST(m->params().ver == "1.6");
}

BOOST_AUTO_TEST_CASE(creation_version_minor_compares_as_integer) {
  create("ver='1.10'");
  BOOST_TEST(m->params().ver == "1.10"); // 1.10 is older than 1.11, newer than 1.6
  fixture newer;
  newer.create("ver='2.0'");
  BOOST_TEST(newer.m->params().ver == "1.11");
}

BOOST_AUTO_TEST_CASE(creation_rejects_malformed_ver_and_header_injection_in_content) {
  for (const char* attrs : {"ver='one'", "ver='1'", "content='text/xml&#10;X-Evil: 1'"}) {
    request_body b = parse(std::string("<body xmlns='http://jabber.org/protocol/httpbind' "
                                       "rid='1' to='x' ") +
                           attrs + "/>");
    auto result = session_machine::create(b, "s", "x", {}, limits);
    BOOST_TEST_CONTEXT(attrs) {
      BOOST_REQUIRE(std::holds_alternative<condition>(result));
      BOOST_TEST((std::get<condition>(result) == condition::bad_request));
    }
  }
}

BOOST_AUTO_TEST_CASE(creation_without_ver_is_a_legacy_client) {
  create("wait='60' hold='1'");
  BOOST_TEST(m->params().legacy);
  BOOST_TEST(m->params().content == "text/xml; charset=utf-8");
}

BOOST_AUTO_TEST_CASE(creation_keeps_requested_content_type) {
  create("ver='1.11' content='application/xml; charset=utf-8'");
  BOOST_TEST(m->params().content == "application/xml; charset=utf-8");
}

BOOST_AUTO_TEST_CASE(creation_request_is_held_until_something_to_say) {
  create();
  BOOST_TEST(!answered(1));
  BOOST_TEST(m->held_requests() == 1u);
  BOOST_TEST((m->next_deadline() == now + 60s));
}

BOOST_AUTO_TEST_CASE(polling_session_is_answered_at_once_and_gets_longer_inactivity) {
  limits.inactivity = 3;
  create("wait='0' hold='0' ver='1.11'");
  BOOST_TEST(answered(1));
  BOOST_TEST(m->params().requests == 1u);
  BOOST_TEST(m->params().inactivity > m->params().polling);
}

// --- holding and answering (section 8) ---

BOOST_AUTO_TEST_CASE(held_request_is_answered_when_payload_arrives) {
  open();
  const auto r = post(101);
  BOOST_TEST(!answered(r));
  send("<message xmlns='jabber:client'/>");
  BOOST_TEST(answer(r) == "<body xmlns='http://jabber.org/protocol/httpbind'>"
                          "<message xmlns='jabber:client'/></body>");
}

BOOST_AUTO_TEST_CASE(payload_queued_while_nothing_is_held_goes_with_the_next_request) {
  create();
  send("<a/>");
  answer(1);
  send("<b/>");
  send("<c/>");
  const auto r = post(101);
  BOOST_TEST(answer(r) == "<body xmlns='http://jabber.org/protocol/httpbind'><b/><c/></body>");
}

BOOST_AUTO_TEST_CASE(held_request_is_answered_empty_when_wait_expires) {
  create("wait='10' hold='1' ver='1.11'");
  send("<f/>");
  answer(1);
  const auto r = post(101);
  advance(9999ms);
  BOOST_TEST(!answered(r));
  advance(1ms);
  BOOST_TEST(answer(r) == empty_body);
}

BOOST_AUTO_TEST_CASE(new_request_beyond_hold_releases_the_oldest) {
  create();
  send("<f/>");
  answer(1);
  const auto a = post(101);
  now += 2s;
  const auto b = post(102);
  BOOST_TEST(answer(a) == empty_body);
  BOOST_TEST(!answered(b));
  BOOST_TEST(m->held_requests() == 1u);
}

BOOST_AUTO_TEST_CASE(answers_leave_in_rid_order) {
  limits.max_hold = 2;
  create("wait='60' hold='2' ver='1.11'");
  send("<f/>");
  answer(1);
  const auto a = post(101);
  const auto b = post(102);
  send("<x/>");
  // The oldest held request carries the payload; the newer one keeps waiting.
  BOOST_TEST(answer(a) == "<body xmlns='http://jabber.org/protocol/httpbind'><x/></body>");
  BOOST_TEST(!answered(b));
  send("<y/>");
  BOOST_TEST(answer(b) == "<body xmlns='http://jabber.org/protocol/httpbind'><y/></body>");
}

BOOST_AUTO_TEST_CASE(payloads_are_delivered_in_order) {
  open();
  post(101, {}, "<message id='1'/><message id='2'/>");
  const auto d = delivered();
  BOOST_REQUIRE(d.size() == 2u);
  BOOST_TEST(d[0] == "<message id='1'/>");
  BOOST_TEST(d[1] == "<message id='2'/>");
}

BOOST_AUTO_TEST_CASE(stream_prefixed_payload_declares_the_stream_namespace) {
  open();
  const auto r = post(101);
  send("<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>");
  BOOST_TEST(answer(r) == "<body xmlns='http://jabber.org/protocol/httpbind' "
                          "xmlns:stream='http://etherx.jabber.org/streams'><stream:features><bind "
                          "xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features></body>");
}

BOOST_AUTO_TEST_CASE(send_refuses_payload_when_the_queue_is_full) {
  limits.max_queued_bytes = 20;
  open();
  BOOST_TEST(m->send("<a>1234567890</a>", now, out));
  BOOST_TEST(!m->send("<b/>", now, out));
  BOOST_TEST(m->queued_bytes() == 17u);
}

// --- rid window, ordering and replay (section 14) ---

BOOST_AUTO_TEST_CASE(request_ahead_of_a_missing_rid_waits_for_the_gap) {
  open();
  const auto late = post(102, {}, "<second/>");
  BOOST_TEST(delivered().empty());
  const auto early = post(101, {}, "<first/>");
  const auto d = delivered();
  BOOST_REQUIRE(d.size() == 2u);
  BOOST_TEST(d[0] == "<first/>");
  BOOST_TEST(d[1] == "<second/>");
  BOOST_TEST(answer(early) == empty_body);
  BOOST_TEST(!answered(late));
}

BOOST_AUTO_TEST_CASE(rid_beyond_the_window_ends_with_item_not_found) {
  open();
  const auto held = post(101);
  const auto bad = post(103); // window is (101, 103): 103 > 101 + requests(2)? no: 102..103
  BOOST_TEST(!ended_action());
  const auto worse = post(105);
  BOOST_TEST(answer(worse) == terminal("item-not-found"));
  BOOST_TEST(answer(held) == terminal("other-request"));
  BOOST_TEST(answer(bad) == terminal("other-request"));
  BOOST_REQUIRE(ended_action());
  BOOST_TEST((ended_action()->reason == end_reason::rid_out_of_window));
  BOOST_TEST(m->ended());
}

BOOST_AUTO_TEST_CASE(repeated_rid_replays_the_cached_answer_without_reprocessing) {
  open();
  const auto r = post(101, {}, "<message/>");
  BOOST_TEST(delivered().size() == 1u);
  send("<reply/>");
  const std::string first = answer(r);
  const auto again = post(101, {}, "<message/>");
  BOOST_TEST(answer(again) == first);
  BOOST_TEST(delivered().empty());
}

BOOST_AUTO_TEST_CASE(creation_response_is_replayed_for_a_resent_creation_rid) {
  create();
  send("<f/>");
  const std::string first = answer(1);
  const auto again = post(100);
  BOOST_TEST(answer(again) == first);
}

BOOST_AUTO_TEST_CASE(repeated_unanswered_rid_gives_the_older_request_a_recoverable_error) {
  open();
  const auto first = post(101);
  const auto second = post(101);
  BOOST_TEST(answer(first) == error_body);
  BOOST_TEST(!answered(second));
  send("<late/>");
  BOOST_TEST(answer(second) == "<body xmlns='http://jabber.org/protocol/httpbind'><late/></body>");
  BOOST_TEST(!m->ended());
}

BOOST_AUTO_TEST_CASE(repeated_parked_rid_gives_the_older_request_a_recoverable_error) {
  open();
  const auto first = post(102);
  const auto second = post(102);
  BOOST_TEST(answer(first) == error_body);
  BOOST_TEST(!answered(second));
}

BOOST_AUTO_TEST_CASE(rid_too_old_to_replay_ends_with_item_not_found) {
  open();
  for (std::uint64_t rid = 101; rid <= 104; ++rid) {
    post(rid);
  }
  const auto old = post(101);
  BOOST_TEST(answer(old) == terminal("item-not-found"));
  BOOST_TEST(m->ended());
}

BOOST_AUTO_TEST_CASE(legacy_client_gets_http_status_codes_instead_of_terminal_bodies) {
  open("wait='60' hold='1'");
  const auto bad = post(150);
  const auto a = answers(bad);
  BOOST_REQUIRE(a.size() == 1u);
  BOOST_TEST(a[0].status == 404u);
  BOOST_TEST(a[0].body->empty());
}

// --- aborted connections ---

BOOST_AUTO_TEST_CASE(answer_for_an_aborted_request_is_kept_for_its_resend) {
  open();
  const auto r = post(101);
  m->request_aborted(r, now, out);
  BOOST_TEST(out.empty());
  BOOST_TEST(m->held_requests() == 0u);
  // The aborted request was answered (empty) into the replay cache; data that arrives now
  // waits for the next request: nothing is lost.
  send("<message id='x'/>");
  const auto resend = post(101);
  BOOST_TEST(answer(resend) == empty_body);
  const auto next = post(102);
  BOOST_TEST(answer(next) ==
             "<body xmlns='http://jabber.org/protocol/httpbind'><message id='x'/></body>");
}

BOOST_AUTO_TEST_CASE(inactivity_runs_once_no_live_request_is_held) {
  limits.inactivity = 30;
  open();
  const auto r = post(101);
  advance(40s); // held: no inactivity; wait=60 not over either
  BOOST_TEST(!m->ended());
  m->request_aborted(r, now, out);
  advance(29s);
  BOOST_TEST(!m->ended());
  advance(1s);
  BOOST_TEST(m->ended());
  BOOST_TEST((ended_action()->reason == end_reason::inactivity));
}

// --- inactivity and pause (section 10) ---

BOOST_AUTO_TEST_CASE(request_waiting_for_a_missing_rid_gets_item_not_found_on_timeout) {
  limits.inactivity = 30;
  open();
  const auto parked = post(102);
  advance(30s);
  BOOST_TEST(answer(parked) == terminal("item-not-found"));
  BOOST_TEST((ended_action()->reason == end_reason::inactivity));
}

BOOST_AUTO_TEST_CASE(inactivity_ends_the_session_silently) {
  limits.inactivity = 30;
  create("wait='10' hold='1' ver='1.11'");
  advance(10s); // creation answered empty at wait expiry; idle from here
  BOOST_TEST(answered(1));
  out.clear();
  BOOST_TEST((m->next_deadline() == now + 30s));
  advance(30s);
  BOOST_REQUIRE(ended_action());
  BOOST_TEST((ended_action()->cond == condition::none));
  BOOST_TEST(out.size() == 1u); // nobody to answer
}

BOOST_AUTO_TEST_CASE(a_request_resets_the_inactivity_timer) {
  limits.inactivity = 30;
  create("wait='10' hold='1' ver='1.11'");
  advance(10s);
  advance(29s);
  post(101);
  advance(10s); // answered at wait expiry
  advance(29s);
  BOOST_TEST(!m->ended());
  advance(1s);
  BOOST_TEST(m->ended());
}

BOOST_AUTO_TEST_CASE(pause_answers_every_held_request_and_sets_inactivity) {
  limits.inactivity = 30;
  open();
  const auto held = post(101);
  send("<queued/>"); // answered with the data
  answer(held);
  const auto held2 = post(102);
  const auto pause = post(103, "pause='100'");
  BOOST_TEST(answer(held2) == empty_body);
  BOOST_TEST(answer(pause) == empty_body);
  advance(99s);
  BOOST_TEST(!m->ended());
  advance(1s);
  BOOST_TEST(m->ended());
}

BOOST_AUTO_TEST_CASE(pause_response_carries_no_payload) {
  open();
  const auto held = post(101);
  const auto pause = post(102, "pause='60'");
  send("<later/>");
  BOOST_TEST(answer(held) == empty_body);
  BOOST_TEST(answer(pause) == empty_body);
  const auto resumed = post(103);
  BOOST_TEST(answer(resumed) ==
             "<body xmlns='http://jabber.org/protocol/httpbind'><later/></body>");
}

// Found by tests/fuzz/fuzz_session_machine: the pause answer was not cached, so a client
// resending its pause request (its answer lost) had the session ended with item-not-found.
BOOST_AUTO_TEST_CASE(resent_pause_request_is_replayed) {
  open();
  const auto pause = post(101, "pause='60'");
  BOOST_TEST(answer(pause) == empty_body);
  const auto resend = post(101, "pause='60'");
  BOOST_TEST(answer(resend) == empty_body);
  BOOST_TEST(!m->ended());
}

BOOST_AUTO_TEST_CASE(next_request_after_pause_restores_normal_inactivity) {
  limits.inactivity = 30;
  open();
  post(101, "pause='100'");
  out.clear();
  const auto r = post(102);
  m->request_aborted(r, now, out);
  advance(30s);
  BOOST_TEST(m->ended());
}

BOOST_AUTO_TEST_CASE(pause_beyond_maxpause_is_a_policy_violation) {
  open();
  const auto r = post(101, "pause='121'");
  BOOST_TEST(answer(r) == terminal("policy-violation"));
  BOOST_TEST((ended_action()->reason == end_reason::pause_too_long));
}

// --- termination (section 13) ---

BOOST_AUTO_TEST_CASE(terminate_delivers_its_payload_first_and_answers_every_request) {
  open();
  const auto held = post(101);
  const auto bye = post(102, "type='terminate'", "<presence type='unavailable'/>");
  BOOST_REQUIRE(!out.empty());
  BOOST_TEST(std::holds_alternative<deliver>(out.front()));
  BOOST_TEST(delivered() == std::vector<std::string>{"<presence type='unavailable'/>"});
  BOOST_TEST(answer(held) ==
             "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate'/>");
  BOOST_TEST(answer(bye) == empty_body);
  BOOST_TEST((ended_action()->reason == end_reason::client_terminate));
}

BOOST_AUTO_TEST_CASE(terminate_alone_gets_the_terminate_body) {
  open();
  const auto bye = post(101, "type='terminate'");
  BOOST_TEST(answer(bye) == "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate'/>");
  BOOST_TEST(m->ended());
}

BOOST_AUTO_TEST_CASE(gloox_terminal_typo_is_treated_as_terminate) {
  open();
  post(101, "type='terminal'");
  BOOST_TEST((ended_action()->reason == end_reason::client_terminate));
}

BOOST_AUTO_TEST_CASE(server_end_answers_held_requests_with_queued_data_and_final_payload) {
  limits.max_hold = 2;
  create("wait='60' hold='2' ver='1.11'");
  send("<f/>");
  answer(1);
  const auto a = post(101);
  const auto b = post(102);
  m->terminate(condition::remote_stream_error,
               "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
               "</stream:error>",
               now, out);
  BOOST_TEST(answer(a) ==
             "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' "
             "condition='remote-stream-error' xmlns:stream='http://etherx.jabber.org/streams'>"
             "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
             "</stream:error></body>");
  BOOST_TEST(answer(b) ==
             "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' "
             "condition='remote-stream-error' xmlns:stream='http://etherx.jabber.org/streams'/>");
  BOOST_TEST((ended_action()->reason == end_reason::server));
}

BOOST_AUTO_TEST_CASE(system_shutdown_reaches_every_held_request) {
  open();
  const auto r = post(101);
  m->terminate(condition::system_shutdown, {}, now, out);
  BOOST_TEST(answer(r) == terminal("system-shutdown"));
  BOOST_TEST(!m->take_unsent()); // somebody got it
}

BOOST_AUTO_TEST_CASE(server_end_with_nothing_held_keeps_the_answer_for_the_next_request) {
  open();
  const auto r = post(101);
  send("<a/>");
  answer(r); // answered: nothing held now
  send("<message xmlns='jabber:client' type='error'/>");
  m->terminate(condition::remote_connection_failed, {}, now, out);
  BOOST_TEST((ended_action()->reason == end_reason::server));
  const auto unsent = m->take_unsent();
  BOOST_REQUIRE(unsent);
  BOOST_TEST(unsent->status == 200u);
  BOOST_TEST(unsent->body == "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' "
                             "condition='remote-connection-failed'><message xmlns='jabber:client' "
                             "type='error'/></body>");
  BOOST_TEST(!m->take_unsent()); // handed over once
}

BOOST_AUTO_TEST_CASE(the_layer_above_names_why_it_ended_the_session) {
  open();
  m->terminate(condition::remote_stream_error, {}, now, out, end_reason::conflict);
  BOOST_TEST((ended_action()->reason == end_reason::conflict));
  BOOST_TEST(to_string(end_reason::conflict) == "conflict");
  BOOST_TEST(to_string(end_reason::link_lost) == "link-lost");
  BOOST_TEST(m->take_unsent().has_value()); // nothing was held: kept for the next request
}

BOOST_AUTO_TEST_CASE(a_reason_the_machine_owns_is_not_taken_from_above) {
  open();
  m->terminate(condition::system_shutdown, {}, now, out, end_reason::inactivity);
  BOOST_TEST((ended_action()->reason == end_reason::server));
}

BOOST_AUTO_TEST_CASE(inactivity_and_client_ends_leave_nothing_unsent) {
  open();
  post(101, "type='terminate'");
  BOOST_TEST(!m->take_unsent());
}

// --- restart (XEP-0206 section 5) ---

BOOST_AUTO_TEST_CASE(restart_request_is_passed_up_and_its_payloads_ignored) {
  open();
  const auto r = post(101, "xmpp:restart='true'", "<ignored/>");
  BOOST_REQUIRE(out.size() == 1u);
  BOOST_TEST(std::holds_alternative<restart_requested>(out[0]));
  BOOST_TEST(delivered().empty());
  out.clear();
  send("<stream:features/>");
  BOOST_TEST(answered(r));
}

// --- key sequencing (section 15) ---

// K(n) chain from XEP-0124 section 15.4's example, verified with sha1sum.
const std::string k3 = "ca393b51b682f61f98e7877d61146407f3d0a770";
const std::string k2 = "bfb06a6f113cd6fd3838ab9d300fdb4fe3da2f7d";
const std::string k1 = "6f825e81f4532b2c5fa2d12457d8a1f22e8f838e";

BOOST_AUTO_TEST_CASE(key_chain_is_accepted) {
  open("wait='60' hold='1' ver='1.11' newkey='" + k3 + "'");
  post(101, "key='" + k2 + "'");
  now += 2s;
  post(102, "key='" + k1 + "' newkey='0000000000000000000000000000000000000000'");
  BOOST_TEST(!m->ended());
}

BOOST_AUTO_TEST_CASE(wrong_key_ends_with_item_not_found_without_processing) {
  open("wait='60' hold='1' ver='1.11' newkey='" + k3 + "'");
  const auto r = post(101, "key='" + k1 + "'", "<message/>");
  BOOST_TEST(delivered().empty());
  BOOST_TEST(answer(r) == terminal("item-not-found"));
  BOOST_TEST((ended_action()->reason == end_reason::key_mismatch));
}

BOOST_AUTO_TEST_CASE(missing_key_ends_with_item_not_found) {
  open("wait='60' hold='1' ver='1.11' newkey='" + k3 + "'");
  const auto r = post(101);
  BOOST_TEST(answer(r) == terminal("item-not-found"));
}

BOOST_AUTO_TEST_CASE(key_is_not_checked_on_a_resent_rid) {
  open("wait='60' hold='1' ver='1.11' newkey='" + k3 + "'");
  const auto r = post(101, "key='" + k2 + "'");
  send("<x/>");
  const std::string first = answer(r);
  const auto resend = post(101, "key='" + k2 + "'");
  BOOST_TEST(answer(resend) == first);
  BOOST_TEST(!m->ended());
}

BOOST_AUTO_TEST_CASE(keys_compare_case_insensitively) {
  std::string upper = k3;
  for (auto& ch : upper) {
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  open("wait='60' hold='1' ver='1.11' newkey='" + upper + "'");
  post(101, "key='" + k2 + "'");
  BOOST_TEST(!m->ended());
}

// --- acknowledgements (section 9) ---

BOOST_AUTO_TEST_CASE(client_acks_make_the_creation_response_carry_ack) {
  create("wait='60' hold='1' ver='1.11' ack='1'");
  send("<f/>");
  BOOST_TEST(answer(1).find(" ack='100'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(response_acks_a_later_rid_already_received) {
  open("wait='60' hold='1' ver='1.11' ack='1'");
  const auto a = post(101, "ack='100'");
  now += 2s;
  post(102, "ack='100'");
  BOOST_TEST(answer(a) == "<body xmlns='http://jabber.org/protocol/httpbind' ack='102'/>");
}

BOOST_AUTO_TEST_CASE(response_omits_ack_equal_to_its_own_rid) {
  open("wait='60' hold='1' ver='1.11' ack='1'");
  const auto a = post(101, "ack='100'");
  send("<x/>");
  BOOST_TEST(answer(a) == "<body xmlns='http://jabber.org/protocol/httpbind'><x/></body>");
}

BOOST_AUTO_TEST_CASE(client_ack_releases_cached_responses) {
  open("wait='60' hold='1' ver='1.11' ack='1'");
  post(101, "ack='100'");
  post(102, "ack='101'"); // releases 101's answer; the client has everything up to 101
  const auto old = post(101);
  BOOST_TEST(answer(old) == terminal("item-not-found"));
}

BOOST_AUTO_TEST_CASE(ack_missing_an_old_response_gets_report_and_time) {
  open("wait='60' hold='1' ver='1.11' ack='1'");
  const auto a = post(101, "ack='100'");
  send("<lost/>");
  answer(a);
  now += 2500ms;
  const auto b = post(102, "ack='100'"); // the answer to 101 never arrived
  BOOST_TEST(answer(b) ==
             "<body xmlns='http://jabber.org/protocol/httpbind' report='101' time='2500'/>");
  const auto resend = post(101);
  BOOST_TEST(answer(resend).find("<lost/>") != std::string::npos);
}

// --- overactivity (sections 11 and 12) ---

BOOST_AUTO_TEST_CASE(empty_requests_filling_every_slot_too_fast_are_a_policy_violation) {
  create();
  send("<f/>");
  answer(1);
  now += 5s;
  post(101);
  now += 100ms;
  const auto r = post(102);
  BOOST_TEST(answer(r) == terminal("policy-violation"));
  BOOST_TEST((ended_action()->reason == end_reason::overactivity));
}

BOOST_AUTO_TEST_CASE(overactivity_is_judged_in_rid_order_not_arrival_order) {
  // xmpp4r: an empty re-poll and a request with a stanza race on two connections.
  create();
  send("<f/>");
  answer(1);
  now += 5s;
  const auto a = post(101);
  send("<m/>");
  BOOST_TEST(answered(a));
  now += 50ms;
  const auto c = post(103, {}, "<iq/>"); // overtakes 102
  now += 50ms;
  const auto b = post(102);
  BOOST_TEST(!m->ended());
  BOOST_TEST(answer(b) == empty_body); // 103 arrived: the older request goes back
  BOOST_TEST(!answered(c));            // held
  BOOST_TEST(delivered() == std::vector<std::string>{"<iq/>"});
}

BOOST_AUTO_TEST_CASE(requests_with_payload_are_never_overactive) {
  create();
  send("<f/>");
  answer(1);
  post(101);
  post(102, {}, "<message/>");
  post(103, {}, "<message/>");
  BOOST_TEST(!m->ended());
}

BOOST_AUTO_TEST_CASE(polling_too_fast_in_a_polling_session_is_a_policy_violation) {
  create("wait='0' hold='0' ver='1.11'");
  answer(1);
  now += 3s;
  const auto a = post(101);
  BOOST_TEST(answer(a) == empty_body);
  now += 1s; // polling is 2 s
  const auto b = post(102);
  BOOST_TEST(answer(b) == terminal("policy-violation"));
}

BOOST_AUTO_TEST_CASE(polling_at_the_advertised_interval_is_fine) {
  create("wait='0' hold='0' ver='1.11'");
  answer(1);
  for (std::uint64_t rid = 101; rid < 110; ++rid) {
    now += 2s;
    const auto r = post(rid);
    BOOST_TEST(answer(r) == empty_body);
  }
  BOOST_TEST(!m->ended());
}

BOOST_AUTO_TEST_CASE(overactivity_rules_can_be_relaxed) {
  limits.enforce_overactivity = false;
  create("wait='0' hold='0' ver='1.11'");
  answer(1);
  for (std::uint64_t rid = 101; rid < 110; ++rid) {
    post(rid);
  }
  BOOST_TEST(!m->ended());
}

// --- deadlines ---

BOOST_AUTO_TEST_CASE(no_deadline_once_ended) {
  create();
  m->terminate(condition::system_shutdown, {}, now, out);
  BOOST_TEST(!m->next_deadline());
  BOOST_TEST(!m->send("<x/>", now, out));
}

BOOST_AUTO_TEST_CASE(request_after_end_gets_item_not_found) {
  create();
  m->terminate(condition::system_shutdown, {}, now, out);
  out.clear();
  const auto r = post(101);
  BOOST_TEST(answer(r) == terminal("item-not-found"));
}

BOOST_AUTO_TEST_SUITE_END()
