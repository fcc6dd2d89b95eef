#include "proto/component/outbox.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>
#include <random>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

using boshmux::proto::component::checkpoint_answer;
using boshmux::proto::component::outbox;
using std::chrono::milliseconds;

namespace {

const outbox::time_point t0{};

std::vector<std::string> pending(const outbox& box) {
  return {box.pending().begin(), box.pending().end()};
}

std::vector<std::string> strings(std::initializer_list<const char*> items) {
  return {items.begin(), items.end()};
}

/// checkpoint_answer() for the domain c.example, -1 for nothing.
long long answer(std::string_view stanza) {
  const auto number = checkpoint_answer(stanza, "c.example");
  return number ? static_cast<long long>(*number) : -1;
}

/// Queues a stanza and writes it at once.
void write(outbox& box, const char* stanza) {
  BOOST_REQUIRE(box.push(stanza));
  box.written(1);
}

} // namespace

BOOST_AUTO_TEST_SUITE(outbox_suite)

BOOST_AUTO_TEST_CASE(a_written_stanza_stays_until_a_checkpoint_after_it_comes_back) {
  outbox box(1024);
  BOOST_TEST(box.push("a"));
  BOOST_TEST(box.push("bb"));
  BOOST_TEST(!box.wants_checkpoint(t0)); // nothing written yet
  box.written(2);
  BOOST_TEST(box.pending().empty());
  BOOST_TEST(box.unconfirmed() == 2u);
  BOOST_TEST(box.bytes() == 3u);
  BOOST_TEST(box.wants_checkpoint(t0));
  const auto id = box.checkpoint(t0);
  BOOST_TEST(!box.wants_checkpoint(t0)); // one in flight
  BOOST_TEST(box.confirm(id) == 2u);
  BOOST_TEST(box.unconfirmed() == 0u);
  BOOST_TEST(box.bytes() == 0u);
  BOOST_TEST(box.confirmed_total() == 2u);
  BOOST_TEST(!box.wants_checkpoint(t0));
  BOOST_TEST(!box.checkpoint_sent().has_value());
}

BOOST_AUTO_TEST_CASE(a_checkpoint_covers_only_what_was_written_before_it) {
  outbox box(1024);
  write(box, "a");
  const auto first = box.checkpoint(t0);
  write(box, "b");                       // after the checkpoint on the wire
  BOOST_TEST(!box.wants_checkpoint(t0)); // wait for the first to come back
  BOOST_TEST(box.confirm(first) == 1u);
  BOOST_TEST(box.unconfirmed() == 1u);
  BOOST_TEST(box.wants_checkpoint(t0)); // "b" is not covered yet
  BOOST_TEST(box.confirm(box.checkpoint(t0)) == 1u);
  BOOST_TEST(box.unconfirmed() == 0u);
}

BOOST_AUTO_TEST_CASE(an_answer_stands_for_the_checkpoints_before_it) {
  outbox box(1024);
  write(box, "a");
  const auto first = box.checkpoint(t0);
  write(box, "b");
  const auto second = box.checkpoint(t0 + milliseconds(5)); // a keepalive ping, say
  BOOST_TEST((box.checkpoint_sent() == t0));                // the oldest
  BOOST_TEST(box.confirm(second) == 2u);
  BOOST_TEST(box.confirm(first) == 0u); // already covered, and no longer in flight
  BOOST_TEST(!box.checkpoint_sent().has_value());
}

BOOST_AUTO_TEST_CASE(an_unknown_or_repeated_answer_confirms_nothing) {
  outbox box(1024);
  write(box, "a");
  const auto id = box.checkpoint(t0);
  BOOST_TEST(box.confirm(id + 1) == 0u);
  BOOST_TEST(box.confirm(0) == 0u);
  BOOST_TEST(box.unconfirmed() == 1u);
  BOOST_TEST(box.confirm(id) == 1u);
  BOOST_TEST(box.confirm(id) == 0u);
}

BOOST_AUTO_TEST_CASE(rewind_puts_unconfirmed_stanzas_back_in_front_in_order) {
  outbox box(1024);
  for (const char* s : {"1", "2", "3", "4", "5"}) {
    box.push(s);
  }
  box.written(2);
  const auto id = box.checkpoint(t0);
  box.written(2); // "3" and "4" written, "5" still pending
  BOOST_TEST(box.confirm(id) == 2u);
  BOOST_TEST(box.rewind() == 2u);
  BOOST_TEST(pending(box) == strings({"3", "4", "5"}), boost::test_tools::per_element());
  BOOST_TEST(box.unconfirmed() == 0u);
  BOOST_TEST(box.rewound_total() == 2u);
  BOOST_TEST(box.bytes() == 3u);
  BOOST_TEST(!box.wants_checkpoint(t0));
}

BOOST_AUTO_TEST_CASE(a_checkpoint_of_a_lost_stream_confirms_nothing_on_the_next) {
  outbox box(1024);
  write(box, "a");
  const auto lost = box.checkpoint(t0);
  box.rewind();
  box.written(1); // written again on the new stream
  BOOST_TEST(box.confirm(lost) == 0u);
  BOOST_TEST(box.unconfirmed() == 1u);
  BOOST_TEST(box.wants_checkpoint(t0));
  BOOST_TEST(box.confirm(box.checkpoint(t0)) == 1u);
  BOOST_TEST(box.confirmed_total() == 1u);
}

BOOST_AUTO_TEST_CASE(the_bound_counts_queued_and_unconfirmed_bytes) {
  outbox box(10);
  BOOST_TEST(box.push("12345"));
  box.written(1);
  BOOST_TEST(box.push("1234"));
  BOOST_TEST(!box.push("12")); // 5 unconfirmed + 4 queued + 2 > 10
  BOOST_TEST(box.push("1"));
  BOOST_TEST(box.bytes() == 10u);
  BOOST_TEST(box.push("")); // exactly at the bound: an empty stanza still fits
  BOOST_TEST(!box.push("1"));
  box.confirm(box.checkpoint(t0));
  BOOST_TEST(box.bytes() == 5u);
  BOOST_TEST(box.push("12345"));
}

BOOST_AUTO_TEST_CASE(take_all_hands_back_everything_oldest_first) {
  outbox box(1024);
  for (const char* s : {"1", "2", "3"}) {
    box.push(s);
  }
  box.written(2);
  box.checkpoint(t0);
  const auto all = box.take_all();
  BOOST_TEST(std::vector<std::string>(all.begin(), all.end()) == strings({"1", "2", "3"}),
             boost::test_tools::per_element());
  BOOST_TEST(box.bytes() == 0u);
  BOOST_TEST(box.pending().empty());
  BOOST_TEST(box.unconfirmed() == 0u);
  BOOST_TEST(box.rewound_total() == 0u); // handed back, not written again
  BOOST_TEST(!box.checkpoint_sent().has_value());
}

BOOST_AUTO_TEST_CASE(checkpoints_are_at_least_the_interval_apart) {
  outbox box(1024, milliseconds(10));
  BOOST_TEST(!box.checkpoint_due().has_value()); // nothing written
  write(box, "a");
  BOOST_TEST(box.wants_checkpoint(t0)); // the first at once
  box.confirm(box.checkpoint(t0));
  write(box, "b");
  BOOST_TEST((box.checkpoint_due() == t0 + milliseconds(10)));
  BOOST_TEST(!box.wants_checkpoint(t0 + milliseconds(9)));
  BOOST_TEST(box.wants_checkpoint(t0 + milliseconds(10)));
  const auto id = box.checkpoint(t0 + milliseconds(12));
  write(box, "c");
  BOOST_TEST(!box.checkpoint_due().has_value()); // one in flight
  BOOST_TEST(box.confirm(id) == 1u);
  BOOST_TEST((box.checkpoint_due() == t0 + milliseconds(22)));
}

BOOST_AUTO_TEST_CASE(written_beyond_the_pending_count_is_clamped) {
  outbox box(1024);
  box.push("a");
  box.written(5);
  BOOST_TEST(box.unconfirmed() == 1u);
  BOOST_TEST(box.pending().empty());
}

// A model check against a server that handles the stream in order: random pushes, writes
// (a due checkpoint goes first, as the link writes it), keepalive checkpoints, the server
// handling a part of what is on the wire, and lost streams. A stanza leaves the outbox only
// once the server handled it, the bound counts exactly what is left, and in the end every
// stanza arrived at least once, in order.
BOOST_AUTO_TEST_CASE(random_runs_confirm_only_what_the_server_handled) {
  for (unsigned seed = 1; seed <= 300; ++seed) {
    std::mt19937 rng(seed);
    outbox box(1 << 20, milliseconds(seed % 3 == 0 ? 0 : seed % 7));
    auto now = t0;
    std::uint64_t next = 0;
    // What is on the current stream and not yet handled: a stanza, or a checkpoint's number.
    std::vector<std::variant<std::string, std::uint64_t>> wire;
    std::vector<std::string> delivered; // everything the server handled, in order
    std::vector<bool> handled;          // by stanza number
    std::uint64_t handled_prefix = 0;   // stanzas 0 .. handled_prefix - 1 were all handled
    auto handle = [&](std::size_t count) {
      for (std::size_t i = 0; i < count; ++i) {
        if (const auto* stanza = std::get_if<std::string>(&wire[i])) {
          delivered.push_back(*stanza);
          handled[std::stoull(*stanza)] = true;
          while (handled_prefix < next && handled[handled_prefix]) {
            ++handled_prefix;
          }
        } else {
          box.confirm(std::get<std::uint64_t>(wire[i]));
          // Stanzas leave in order: those confirmed are 0 .. confirmed_total() - 1.
          BOOST_REQUIRE_LE(box.confirmed_total(), handled_prefix);
        }
      }
      wire.erase(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(count));
    };
    auto write_pending = [&](std::size_t n) {
      if (box.wants_checkpoint(now)) {
        wire.emplace_back(box.checkpoint(now));
      }
      for (std::size_t i = 0; i < n; ++i) {
        wire.emplace_back(box.pending()[i]);
      }
      box.written(n);
    };
    for (int step = 0; step < 400; ++step) {
      now += milliseconds(rng() % 4);
      switch (rng() % 7) {
      case 0:
      case 1:
        BOOST_REQUIRE(box.push(std::to_string(next++)));
        handled.push_back(false);
        break;
      case 2:
        write_pending(rng() % (box.pending().size() + 1));
        break;
      case 3: // a keepalive ping: a checkpoint too
        wire.emplace_back(box.checkpoint(now));
        break;
      case 4:
      case 5: // the server handles a part of the stream
        handle(rng() % (wire.size() + 1));
        break;
      default: // the stream dies: the rest of it is gone
        wire.clear();
        box.rewind();
        break;
      }
      std::size_t left = 0; // every stanza not yet confirmed, queued or unconfirmed
      for (std::uint64_t i = box.confirmed_total(); i < next; ++i) {
        left += std::to_string(i).size();
      }
      BOOST_REQUIRE_EQUAL(box.bytes(), left);
      BOOST_REQUIRE_EQUAL(box.pending().size() + box.unconfirmed(), next - box.confirmed_total());
    }
    // A healthy stream to finish: everything written, then handled.
    wire.clear();
    box.rewind();
    write_pending(box.pending().size());
    now += milliseconds(10);
    wire.emplace_back(box.checkpoint(now));
    handle(wire.size());
    BOOST_REQUIRE_EQUAL(box.unconfirmed(), 0u);
    BOOST_REQUIRE_EQUAL(box.confirmed_total(), next);
    BOOST_REQUIRE_EQUAL(box.bytes(), 0u);
    // Everything arrived at least once: dropping repeats leaves 0, 1, 2, ... in order.
    std::uint64_t expected = 0;
    for (const auto& s : delivered) {
      if (s == std::to_string(expected)) {
        ++expected;
      } else {
        BOOST_REQUIRE_LT(std::stoull(s), expected); // a repeat, never a skip
      }
    }
    BOOST_REQUIRE_EQUAL(expected, next);
  }
}

BOOST_AUTO_TEST_CASE(a_checkpoint_ping_comes_back_as_its_number) {
  const std::string ping = boshmux::proto::component::checkpoint_ping("c.example", 42);
  BOOST_TEST(ping == "<iq type='get' id='boshmux-ping-42' from='c.example' to='c.example'>"
                     "<ping xmlns='urn:xmpp:ping'/></iq>");
  BOOST_TEST(answer(ping) == 42);
  // As the server routes it back (in the component stream's namespace), or answers it.
  BOOST_TEST(answer("<iq xmlns='jabber:component:accept' to='c.example' from='c.example' "
                    "type='get' id='boshmux-ping-7'><ping xmlns='urn:xmpp:ping'/></iq>") == 7);
  BOOST_TEST(answer("<iq to='c.example' from='c.example' type='error' id='boshmux-ping-8'>"
                    "<error type='cancel'/></iq>") == 8);
}

BOOST_AUTO_TEST_CASE(nobody_but_the_server_can_confirm) {
  // From anyone but our domain: a user, here or remote, cannot forge a confirmation.
  BOOST_TEST(answer("<iq to='c.example' from='mallory@example.org/x' type='get' "
                    "id='boshmux-ping-1'/>") == -1);
  BOOST_TEST(answer("<iq to='c.example' from='example.org' type='error' "
                    "id='boshmux-ping-1'/>") == -1);
  BOOST_TEST(answer("<iq to='c.example' type='get' id='boshmux-ping-1'/>") == -1);
  // Not ours in other ways.
  BOOST_TEST(answer("<iq to='c.example' from='c.example' type='result' "
                    "id='boshmux-ping-1'/>") == -1);
  BOOST_TEST(answer("<message to='c.example' from='c.example' type='get' "
                    "id='boshmux-ping-1'/>") == -1);
  BOOST_TEST(answer("<iq to='u@c.example/r' from='c.example' type='get' "
                    "id='boshmux-ping-1'/>") == -1);
  for (const char* id : {"boshmux-ping-", "boshmux-ping-1x", "boshmux-ping--1", "ping-1",
                         "boshmux-ping-99999999999999999999999"}) {
    BOOST_TEST(
        answer(fmt::format("<iq to='c.example' from='c.example' type='get' id='{}'/>", id)) == -1,
        id);
  }
  BOOST_TEST(answer("<iq to='c.example' from='c.example' type='get' id='boshmux-ping-1'") ==
             -1); // not well-formed
}

BOOST_AUTO_TEST_SUITE_END()
