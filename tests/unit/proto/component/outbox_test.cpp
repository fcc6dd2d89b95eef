#include "proto/component/outbox.hpp"

#include <boost/test/unit_test.hpp>
#include <random>
#include <string>
#include <vector>

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

// A model check: random pushes, writes, checkpoints, answers (in order, as a server gives
// them) and lost streams. Every stanza is confirmed exactly once and in order, none is lost,
// and a stanza is written again only after a lost stream.
BOOST_AUTO_TEST_CASE(random_runs_confirm_every_stanza_once_and_in_order) {
  for (unsigned seed = 1; seed <= 200; ++seed) {
    std::mt19937 rng(seed);
    outbox box(1 << 20);
    std::uint64_t next = 0;
    std::vector<std::string> wire;      // stanzas on the current stream, in order
    std::vector<std::uint64_t> answers; // checkpoints the server will answer, in order
    std::vector<std::string> delivered; // everything the server handled
    std::uint64_t confirmed_seen = 0;
    for (int step = 0; step < 400; ++step) {
      switch (rng() % 6) {
      case 0:
      case 1:
        BOOST_REQUIRE(box.push(std::to_string(next++)));
        break;
      case 2: {
        const std::size_t n = rng() % (box.pending().size() + 1);
        for (std::size_t i = 0; i < n; ++i) {
          wire.push_back(box.pending()[i]);
        }
        box.written(n);
        if (box.wants_checkpoint(t0) || rng() % 4 == 0) {
          answers.push_back(box.checkpoint(t0));
        }
        break;
      }
      case 3: // the server handles everything written so far and answers the checkpoints
        delivered.insert(delivered.end(), wire.begin(), wire.end());
        wire.clear();
        for (const auto id : answers) {
          confirmed_seen += box.confirm(id);
        }
        answers.clear();
        break;
      case 4: // the stream dies after the server handled a part of it, without answering
        delivered.insert(delivered.end(), wire.begin(),
                         wire.begin() + static_cast<std::ptrdiff_t>(rng() % (wire.size() + 1)));
        wire.clear();
        answers.clear();
        box.rewind();
        break;
      default:
        break;
      }
      BOOST_REQUIRE_EQUAL(confirmed_seen, box.confirmed_total());
    }
    // Finish on a healthy stream.
    box.rewind();
    wire.clear();
    for (const auto& s : box.pending()) {
      wire.push_back(s);
    }
    box.written(box.pending().size());
    delivered.insert(delivered.end(), wire.begin(), wire.end());
    box.confirm(box.checkpoint(t0));
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

BOOST_AUTO_TEST_SUITE_END()
