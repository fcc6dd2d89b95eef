#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace boshmux::proto::component {

/// The stanzas on their way to the server, from queued to confirmed.
///
/// XEP-0114 has no acknowledgements: a stanza the kernel accepted is still lost when the server
/// dies before handling it. So the link writes checkpoints: a ping from the component domain to
/// itself, which the server handles after every stanza written before it on the same stream
/// and routes back. A stanza leaves the outbox only when a checkpoint written after it comes
/// back. When the stream is lost first, the unconfirmed stanzas go back to the front of the
/// queue and are written again on the next stream: delivery is at least once, and a stanza the
/// server handled just before dying can arrive twice.
///
/// At most one checkpoint is in flight at a time, and they are at least `min_interval` apart,
/// so checkpoints batch themselves: under load one covers everything written during a round
/// trip or an interval, whichever is longer, and a stanza costs the server far less than a ping
/// of its own.
///
/// Sans-IO: the caller writes the bytes and supplies the time.
class outbox {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// `max_bytes` bounds the queued and the unconfirmed stanzas together.
  explicit outbox(std::size_t max_bytes,
                  std::chrono::steady_clock::duration min_interval = {}) noexcept
      : max_bytes_(max_bytes)
      , min_interval_(min_interval) {}

  /// Queues a stanza. Returns false, queuing nothing, when it would exceed the bound.
  bool push(std::string stanza);

  /// Stanzas not yet written on the current stream, oldest first.
  const std::deque<std::string>& pending() const noexcept { return pending_; }

  /// The first `count` pending stanzas were written: they wait for a checkpoint.
  void written(std::size_t count);

  /// When the next checkpoint is due: written stanzas are not covered by one and none is in
  /// flight (then `min_interval` after the last one). Nothing when none is needed.
  std::optional<time_point> checkpoint_due() const noexcept;
  /// True when a checkpoint is due at `now`: the caller should write checkpoint() now.
  bool wants_checkpoint(time_point now) const noexcept {
    const auto due = checkpoint_due();
    return due && *due <= now;
  }

  /// Registers a checkpoint covering every stanza written so far, written at `now`; returns
  /// its number for the ping's id. Any ping of the link can be one (keepalives too).
  std::uint64_t checkpoint(time_point now);

  /// The ping numbered `id` came back: every stanza it covers (and those of the checkpoints
  /// before it) is confirmed and leaves the outbox. Returns the number of stanzas confirmed;
  /// an unknown id (a ping of a lost stream) confirms nothing.
  std::size_t confirm(std::uint64_t id);

  /// When the oldest checkpoint in flight was written, if one is.
  std::optional<time_point> checkpoint_sent() const noexcept {
    return in_flight_.empty() ? std::nullopt : std::optional<time_point>(in_flight_.front().sent);
  }

  /// The stream was lost: unconfirmed stanzas go back to the front of the queue, in order, to
  /// be written again; the checkpoint in flight is forgotten. Returns how many went back.
  std::size_t rewind();

  /// Removes and returns every stanza, unconfirmed ones first, oldest first (to bounce them
  /// when the server stays away).
  std::deque<std::string> take_all();

  /// Bytes of queued and unconfirmed stanzas.
  std::size_t bytes() const noexcept { return bytes_; }
  /// Stanzas written and not yet confirmed.
  std::size_t unconfirmed() const noexcept { return unconfirmed_.size(); }
  /// Stanzas confirmed since construction.
  std::uint64_t confirmed_total() const noexcept { return confirmed_; }
  /// Stanzas written again after a lost stream (rewind()) since construction.
  std::uint64_t rewound_total() const noexcept { return rewound_; }

private:
  /// Moves the unconfirmed stanzas back in front of the queue and forgets the checkpoints in
  /// flight; returns how many moved.
  std::size_t requeue_unconfirmed();

  struct checkpoint_record {
    std::uint64_t id;
    std::uint64_t covers; ///< stanzas confirmed once it comes back (a count since construction)
    time_point sent;
  };

  std::size_t max_bytes_;
  std::chrono::steady_clock::duration min_interval_;
  time_point last_checkpoint_ = time_point::min();
  std::size_t bytes_ = 0;
  std::deque<std::string> pending_;
  std::deque<std::string> unconfirmed_;
  /// Positions count the stanzas written since construction, minus those rewound: the first
  /// unconfirmed stanza is at `confirmed_`, and the last checkpoint written covers the
  /// positions before `covered_`.
  std::uint64_t confirmed_ = 0;
  std::uint64_t covered_ = 0;
  std::uint64_t rewound_ = 0;
  std::uint64_t next_id_ = 1;
  std::deque<checkpoint_record> in_flight_; ///< oldest first
};

/// The checkpoint numbered `id`: a ping from `domain` to itself (XEP-0199), which the server
/// routes back to the component that sent it.
std::string checkpoint_ping(std::string_view domain, std::uint64_t id);

/// The number of a checkpoint when `stanza` is one of ours coming back (the ping itself, or a
/// server's error answer to it), else nothing. Only the server can send it: it is from our own
/// domain, which no user can claim, so nobody can forge a confirmation.
std::optional<std::uint64_t> checkpoint_answer(std::string_view stanza, std::string_view domain);

} // namespace boshmux::proto::component
