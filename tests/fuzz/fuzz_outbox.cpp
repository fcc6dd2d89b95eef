// Fuzz target: proto/component/outbox (the component link's delivery at least once) driven by
// fuzzed event sequences, against a model of a server that handles its stream in order.
//
// Input: byte 0 picks the byte bound, byte 1 the checkpoint interval; then each step reads an
// opcode and its arguments: a stanza pushed, pending stanzas written (a due checkpoint first,
// as the link writes it), a keepalive checkpoint, the server handling a part of the stream,
// the stream lost, time passing, everything taken back (grace expiry), or a stanza offered to
// checkpoint_answer(). After the last step a healthy stream writes and confirms the rest.
//
// Invariants:
// - a stanza leaves the outbox confirmed only after the server handled it, and in the order
//   it was pushed;
// - the bound holds and bytes() is exactly the size of what is left; pending() is the tail of
//   what is left, in order; push() refuses only beyond the bound;
// - take_all() hands back exactly what is left, in order;
// - checkpoint_answer() gives back the number of the link's own ping, and nothing for a stanza
//   that is not from our domain;
// - in the end every stanza not handed back arrived at least once, in order, none skipped.

#include "proto/component/outbox.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace {

using boshmux::fuzz::input_reader;
using boshmux::proto::component::checkpoint_answer;
using boshmux::proto::component::checkpoint_ping;
using boshmux::proto::component::outbox;
using std::chrono::milliseconds;

constexpr std::string_view domain = "c.example";

/// A stanza's text: its number, then padding.
std::string stanza(std::uint64_t number, std::size_t padding) {
  return std::to_string(number) + ' ' + std::string(padding, 'x');
}

std::uint64_t number_of(const std::string& s) {
  return std::stoull(s.substr(0, s.find(' ')));
}

class model {
public:
  model(std::size_t max_bytes, milliseconds interval)
      : box_(max_bytes, interval)
      , max_bytes_(max_bytes) {}

  void push(std::size_t padding) {
    std::string s = stanza(next_, padding);
    const std::size_t size = s.size();
    const std::size_t before = box_.bytes();
    if (box_.push(std::move(s))) {
      left_.push_back({next_++, size});
      handled_.push_back(false);
    } else {
      BOSHMUX_FUZZ_CHECK(before + size > max_bytes_, "push refused within the bound");
      BOSHMUX_FUZZ_CHECK(box_.bytes() == before, "a refused push changed the outbox");
    }
  }

  void write(std::size_t n) {
    if (box_.wants_checkpoint(now_)) {
      wire_.emplace_back(box_.checkpoint(now_));
    }
    n = n % (box_.pending().size() + 1);
    for (std::size_t i = 0; i < n; ++i) {
      wire_.emplace_back(box_.pending()[i]);
    }
    box_.written(n);
  }

  void keepalive() { wire_.emplace_back(box_.checkpoint(now_)); }

  void handle(std::size_t n) {
    n = n % (wire_.size() + 1);
    for (std::size_t i = 0; i < n; ++i) {
      if (const auto* s = std::get_if<std::string>(&wire_[i])) {
        delivered_.push_back(number_of(*s));
        handled_[number_of(*s)] = true;
      } else {
        const std::uint64_t before = box_.confirmed_total();
        const std::size_t count = box_.confirm(std::get<std::uint64_t>(wire_[i]));
        BOSHMUX_FUZZ_CHECK(box_.confirmed_total() == before + count, "confirmed count");
        for (std::size_t k = 0; k < count; ++k) {
          BOSHMUX_FUZZ_CHECK(!left_.empty(), "confirmed more than was left");
          BOSHMUX_FUZZ_CHECK(handled_[left_.front().number],
                             "a stanza confirmed before the server handled it");
          left_.pop_front();
        }
      }
    }
    wire_.erase(wire_.begin(), wire_.begin() + static_cast<std::ptrdiff_t>(n));
  }

  void lose_stream() {
    wire_.clear();
    box_.rewind();
  }

  void wait(unsigned ms) { now_ += milliseconds(ms); }

  void take_all() {
    const auto all = box_.take_all();
    BOSHMUX_FUZZ_CHECK(all.size() == left_.size(), "take_all size");
    for (std::size_t i = 0; i < all.size(); ++i) {
      BOSHMUX_FUZZ_CHECK(number_of(all[i]) == left_[i].number, "take_all order");
      bounced_.push_back(left_[i].number);
    }
    left_.clear();
    wire_.clear(); // the stream is gone too (the link is down when the grace expires)
  }

  void check() const {
    std::size_t bytes = 0;
    for (const auto& s : left_) {
      bytes += s.size;
    }
    BOSHMUX_FUZZ_CHECK(box_.bytes() == bytes, "bytes() is not the size of what is left");
    BOSHMUX_FUZZ_CHECK(bytes <= max_bytes_, "over the bound");
    BOSHMUX_FUZZ_CHECK(box_.pending().size() + box_.unconfirmed() == left_.size(), "count");
    const std::size_t offset = box_.unconfirmed();
    for (std::size_t i = 0; i < box_.pending().size(); ++i) {
      BOSHMUX_FUZZ_CHECK(number_of(box_.pending()[i]) == left_[offset + i].number,
                         "pending() is not the tail of what is left");
    }
  }

  void finish() {
    lose_stream();
    write(box_.pending().size());
    wait(1000);
    keepalive();
    handle(wire_.size());
    BOSHMUX_FUZZ_CHECK(left_.empty() && box_.bytes() == 0, "not everything confirmed");
    // At least once and in order: dropping repeats leaves every number not bounced, ascending.
    std::vector<bool> bounced(next_, false);
    for (const auto n : bounced_) {
      bounced[n] = true;
    }
    std::uint64_t expected = 0;
    auto skip_bounced = [&] {
      while (expected < next_ && bounced[expected]) {
        ++expected;
      }
    };
    skip_bounced();
    for (const auto n : delivered_) {
      if (n == expected) {
        ++expected;
        skip_bounced();
      } else {
        BOSHMUX_FUZZ_CHECK(n < expected, "a stanza skipped");
      }
    }
    BOSHMUX_FUZZ_CHECK(expected == next_, "a stanza never arrived");
  }

private:
  struct entry {
    std::uint64_t number;
    std::size_t size;
  };
  outbox box_;
  std::size_t max_bytes_;
  outbox::time_point now_{};
  std::uint64_t next_ = 0;
  std::deque<entry> left_;    ///< in the outbox (queued or unconfirmed), in order
  std::vector<bool> handled_; ///< by number
  std::vector<std::uint64_t> delivered_;
  std::vector<std::uint64_t> bounced_;
  std::vector<std::variant<std::string, std::uint64_t>> wire_;
};

void answer(std::string_view text, std::uint64_t id) {
  // Whatever it is, no crash; a confirmation only from our domain.
  if (checkpoint_answer(text, domain)) {
    BOSHMUX_FUZZ_CHECK(text.find(domain) != std::string_view::npos, "an answer not from us");
  }
  BOSHMUX_FUZZ_CHECK(checkpoint_answer(checkpoint_ping(domain, id), domain) == id,
                     "our own ping does not come back as its number");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input_reader in(data, size);
  static constexpr std::size_t bounds[] = {16, 64, 256, 4096, 1 << 20};
  model m(bounds[in.below(5)], milliseconds(in.below(16)));
  for (int steps = 0; !in.empty() && steps < 2000; ++steps) {
    switch (in.below(9)) {
    case 0:
    case 1:
      m.push(in.below(48));
      break;
    case 2:
      m.write(in.byte());
      break;
    case 3:
      m.keepalive();
      break;
    case 4:
    case 5:
      m.handle(in.byte());
      break;
    case 6:
      m.lose_stream();
      break;
    case 7:
      m.wait(in.below(32));
      break;
    default:
      if (in.flag()) {
        m.take_all();
      } else {
        answer(in.take(in.below(128)), in.u32());
      }
      break;
    }
    m.check();
  }
  m.finish();
  return 0;
}
