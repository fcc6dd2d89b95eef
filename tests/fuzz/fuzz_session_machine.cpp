// Fuzz target: proto/bosh/session_machine driven by fuzzed event sequences.
//
// Input: the first bytes choose the server limits and the session creation request; then each
// step reads an opcode and its arguments: a client request (new rid, resend, ahead of a gap,
// far out of the window; with payloads, pause, terminate, restart, ack, right or wrong key),
// an aborted HTTP request, a payload from the XMPP side, time passing, the deadline the
// machine asked for, or an end by the server. After the last step time runs on until the
// session ends.
//
// A model of the client's HTTP requests checks every action against what the machine promises
// (session_machine.hpp, XEP-0124):
// - every HTTP request is answered at most once, never after it was aborted, and never one
//   the machine was not given;
// - fresh answers (the first answer to a rid, not an error or a terminal body) leave in strictly
//   increasing rid order, and a resent rid gets the very bytes its first answer had;
// - payloads reach the client in the order they were sent, none twice; client payloads are
//   delivered upward in rid order, each request's at most once (no rid processed twice);
// - bounded buffers: queued bytes <= max_queued_bytes, held requests <= hold, requests the
//   machine keeps (held or parked) <= hold + requests;
// - there is always a deadline while the session lives, and deadline_reached(now) moves it
//   past now;
// - session_ended comes exactly once, after every open request was answered; afterwards
//   requests get a terminal answer and send() refuses.

#include "proto/bosh/session_machine.hpp"
#include "proto/common/sha1.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace {

using boshmux::fuzz::input_reader;
namespace bosh = boshmux::proto::bosh;
using std::chrono::milliseconds;
using std::chrono::seconds;

/// Length of the key chain offered to key-sequencing sessions.
constexpr std::size_t key_chain_length = 48;

/// One HTTP request the model has given to the machine.
struct http_request {
  std::uint64_t rid = 0;
  bool fresh = true; ///< the first HTTP request carrying this rid
  bool answered = false;
  bool aborted = false;
  bool sent_live = true; ///< the session had not ended when it was sent
};

/// The client side of the session plus the invariant checks.
class model {
public:
  explicit model(input_reader& in)
      : in_(in) {}

  /// Creates the session, plays every event of the input, then lets time run out.
  void run();

private:
  /// Reads the limits and the creation request; leaves machine_ empty when creation fails.
  void create();
  /// One client request with a fuzzed rid and content.
  void client_request();
  /// The connection of an open request (or of an unknown id) goes away.
  void abort_request();
  /// The XMPP side sends a numbered payload.
  void server_send();
  /// Checks every action of one event, then the state.
  void check_actions(const bosh::actions& out);
  /// Bounds and deadlines after an event.
  void check_state();
  /// One answer against the model of the client's requests.
  void check_respond(const bosh::respond& r);
  /// Client payloads handed upward.
  void check_deliver(const bosh::deliver& d);
  /// Lets deadlines pass until the session ends; then checks the ended machine.
  void finish();
  /// Time runs to the machine's next deadline, which fires.
  void fire_deadline();
  /// Records a new HTTP request carrying `rid`; returns its id.
  std::uint64_t new_request(std::uint64_t rid);
  /// The key the request with `rid` must carry under key sequencing.
  std::string key_for(std::uint64_t rid) const;
  /// Requests neither answered nor aborted.
  std::size_t outstanding() const;

  input_reader& in_;                                          ///< the fuzz input
  bosh::session_limits limits_;                               ///< the server's limits
  std::unique_ptr<bosh::session_machine> machine_;            ///< the machine under test
  bosh::time_point now_ = bosh::time_point{} + seconds(1000); ///< the fake clock
  std::uint64_t next_request_id_ = 1;                         ///< id of the next HTTP request
  std::map<std::uint64_t, http_request> requests_;            ///< by request id
  std::uint64_t creation_rid_ = 0;                            ///< rid of the creation request
  std::uint64_t highest_rid_sent_ = 0;                        ///< highest rid the client used
  std::map<std::uint64_t, std::string> first_answers_; ///< rid -> body of its first good answer
  std::optional<std::uint64_t> last_fresh_rid_;        ///< rid of the latest fresh good answer
  std::uint64_t next_marker_ = 0;                   ///< number of the next payload the server sends
  std::optional<std::uint64_t> last_marker_seen_;   ///< highest payload number answered
  std::optional<std::uint64_t> last_delivered_rid_; ///< rid of the latest delivered payloads
  std::map<std::uint64_t, bool> delivered_rids_;    ///< rids whose payloads were delivered
  bool ended_seen_ = false;                         ///< session_ended was seen
  bool use_keys_ = false;                           ///< the session uses key sequencing
  std::vector<std::string> keys_;                   ///< keys_[i + 1] = sha1_hex(keys_[i])
};

std::uint64_t model::new_request(std::uint64_t rid) {
  const auto id = next_request_id_++;
  bool fresh = true;
  for (const auto& [other_id, r] : requests_) {
    if (r.rid == rid) {
      fresh = false;
    }
  }
  requests_[id] = http_request{rid, fresh, false, false, machine_ && !machine_->ended()};
  return id;
}

std::string model::key_for(std::uint64_t rid) const {
  // The creation request announces keys_.back() as newkey; the request with rid creation+k
  // must send keys_[size - 1 - k].
  const auto k = rid - creation_rid_;
  if (k == 0 || k >= keys_.size()) {
    return "wrong";
  }
  return keys_[keys_.size() - 1 - k];
}

std::size_t model::outstanding() const {
  std::size_t n = 0;
  for (const auto& [id, r] : requests_) {
    n += (!r.answered && !r.aborted) ? 1 : 0;
  }
  return n;
}

void model::create() {
  const auto l = in_.byte();
  limits_.max_hold = l & 3U;
  limits_.max_wait = 1U + ((l >> 2U) & 7U) * 10U;
  limits_.enforce_overactivity = (l & 0x20U) != 0;
  limits_.inactivity = 5U + in_.below(60);
  limits_.polling = in_.below(4);
  limits_.max_pause = in_.below(200);
  limits_.report_after = milliseconds(in_.u16());
  limits_.max_queued_bytes = 16U + in_.u16() % 2048U;

  bosh::request_body body;
  const auto b = in_.byte();
  const auto rid_choice = in_.byte();
  creation_rid_ = rid_choice < 8 ? bosh::max_rid - rid_choice : 1U + in_.u32();
  body.rid = creation_rid_;
  if ((b & 1U) != 0) {
    body.wait = in_.below(70);
  }
  if ((b & 2U) != 0) {
    body.hold = in_.below(4);
  }
  if ((b & 4U) != 0) {
    body.ver = (b & 8U) != 0 ? "1.6" : "1.11";
  }
  if ((b & 16U) != 0) {
    body.ack = 1;
  }
  if ((b & 32U) != 0) {
    use_keys_ = true;
    keys_.push_back("seed" + std::to_string(in_.byte()));
    while (keys_.size() < key_chain_length) {
      keys_.push_back(boshmux::proto::sha1_hex(keys_.back()));
    }
    body.newkey = keys_.back();
  }
  if ((b & 64U) != 0) {
    body.content = "text/xml; charset=utf-8";
  }
  body.to = "example.com";
  auto created = bosh::session_machine::create(body, "sid1", "example.com", "", limits_);
  if (std::holds_alternative<bosh::condition>(created)) {
    return;
  }
  machine_ = std::move(std::get<std::unique_ptr<bosh::session_machine>>(created));
  const auto& p = machine_->params();
  BOSHMUX_FUZZ_CHECK(p.wait <= limits_.max_wait && p.hold <= limits_.max_hold,
                     "negotiated beyond the limits");
  BOSHMUX_FUZZ_CHECK(p.requests == p.hold + 1, "requests is not hold + 1");
  highest_rid_sent_ = creation_rid_;
  bosh::actions out;
  const auto id = new_request(creation_rid_);
  machine_->creation_received(id, body, now_, out);
  check_actions(out);
}

void model::client_request() {
  const auto how = in_.byte();
  std::uint64_t rid = 0;
  switch (how & 7U) {
  case 0:
  case 1:
  case 2: // the next rid
    rid = highest_rid_sent_ + 1;
    break;
  case 3: // ahead of a gap
    rid = highest_rid_sent_ + 2 + (how >> 6U);
    break;
  case 4: // a resend of a recent rid
    rid = highest_rid_sent_ -
          std::min<std::uint64_t>(highest_rid_sent_ - creation_rid_, (how >> 3U) & 3U);
    break;
  case 5: // an old or far-off rid
    rid = (how & 0x80U) != 0 ? highest_rid_sent_ + 2 + in_.byte() : creation_rid_ + in_.below(3);
    break;
  default: // the first rid not sent yet below the highest (fills a gap), or the next one
    rid = highest_rid_sent_ + 1;
    for (std::uint64_t r = creation_rid_ + 1; r < highest_rid_sent_; ++r) {
      bool sent = false;
      for (const auto& [id, req] : requests_) {
        sent = sent || req.rid == r;
      }
      if (!sent) {
        rid = r;
        break;
      }
    }
    break;
  }
  if (rid > bosh::max_rid) {
    rid = bosh::max_rid;
  }
  highest_rid_sent_ = std::max(highest_rid_sent_, rid);

  bosh::request_body body;
  body.rid = rid;
  body.sid = "sid1";
  const auto what = in_.byte();
  const unsigned payloads = what & 3U;
  for (unsigned i = 0; i < payloads; ++i) {
    body.payloads.push_back("<p r='" + std::to_string(rid) + "' i='" + std::to_string(i) + "'/>");
  }
  switch ((what >> 2U) & 15U) {
  case 0:
    body.type = "terminate";
    break;
  case 1:
    body.pause = in_.below(250);
    break;
  case 2:
    body.restart = true;
    break;
  case 3:
    body.ack = rid - 1 - in_.below(3);
    break;
  default:
    break;
  }
  if (use_keys_) {
    body.key = (what & 0x40U) != 0 && (what & 0x80U) != 0 ? "bad" : key_for(rid);
    if ((what & 0x80U) != 0 && (what & 0x40U) == 0) {
      body.newkey = "fresh-chain"; // the client may switch chains; later keys then fail
    }
  }
  now_ += milliseconds(in_.byte() * 10);
  const auto id = new_request(rid);
  bosh::actions out;
  machine_->request_received(id, std::move(body), now_, out);
  check_actions(out);
}

void model::abort_request() {
  const auto pick = in_.byte();
  std::vector<std::uint64_t> open;
  for (const auto& [id, r] : requests_) {
    if (!r.answered && !r.aborted) {
      open.push_back(id);
    }
  }
  // Sometimes an id that is not open: the machine must ignore it.
  const std::uint64_t id =
      open.empty() || (pick & 0x80U) != 0 ? 1000000U + pick : open[pick % open.size()];
  if (auto it = requests_.find(id); it != requests_.end()) {
    it->second.aborted = true;
  }
  now_ += milliseconds(in_.byte() * 10);
  bosh::actions out;
  machine_->request_aborted(id, now_, out);
  check_actions(out);
}

void model::server_send() {
  const auto size = in_.byte();
  std::string payload = "<m n='" + std::to_string(next_marker_) + "'/>";
  if ((size & 0x80U) != 0) {
    payload += "<x>" + std::string(size * 8U, 'y') + "</x>";
  }
  bosh::actions out;
  const auto queued_before = machine_->queued_bytes();
  const bool ended_before = machine_->ended();
  const bool ok = machine_->send(payload, now_, out);
  if (ok) {
    ++next_marker_;
    BOSHMUX_FUZZ_CHECK(!ended_before, "send accepted after the end");
  } else {
    BOSHMUX_FUZZ_CHECK(ended_before || queued_before + payload.size() > limits_.max_queued_bytes,
                       "send refused with room in the queue");
    BOSHMUX_FUZZ_CHECK(out.empty(), "a refused send acted");
  }
  check_actions(out);
}

void model::check_respond(const bosh::respond& r) {
  const auto it = requests_.find(r.request_id);
  BOSHMUX_FUZZ_CHECK(it != requests_.end(), "answer to an unknown request");
  http_request& req = it->second;
  BOSHMUX_FUZZ_CHECK(!req.answered, "request answered twice");
  BOSHMUX_FUZZ_CHECK(!req.aborted, "aborted request answered");
  req.answered = true;
  BOSHMUX_FUZZ_CHECK(r.body != nullptr, "answer without a body");
  // Section 14.3: a resend of the latest answered rid, with nothing newer sent and no client
  // acks to release it, gets the very same answer (it is in the cache whatever `requests` is).
  const bool must_replay = !req.fresh && req.sent_live && !machine_->params().client_acks &&
                           last_fresh_rid_ && *last_fresh_rid_ == req.rid &&
                           highest_rid_sent_ == req.rid;
  if (must_replay) {
    const auto first = first_answers_.find(req.rid);
    BOSHMUX_FUZZ_CHECK(r.status == 200 && first != first_answers_.end() && first->second == *r.body,
                       "the latest answer is not replayed to a resend");
  }
  BOSHMUX_FUZZ_CHECK(r.status == 200 || r.status == 400 || r.status == 403 || r.status == 404,
                     "unexpected HTTP status");
  const std::string& body = *r.body;
  if (r.status != 200) {
    BOSHMUX_FUZZ_CHECK(machine_->params().legacy, "legacy status for a modern client");
    BOSHMUX_FUZZ_CHECK(body.empty(), "legacy status with a body");
    return;
  }
  BOSHMUX_FUZZ_CHECK(body.starts_with("<body xmlns='http://jabber.org/protocol/httpbind'"),
                     "answer is not a <body/>");
  BOSHMUX_FUZZ_CHECK(body.ends_with("/>") || body.ends_with("</body>"), "unterminated body");
  const bool terminal = body.find(" type='terminate'") != std::string::npos;
  const bool error = body.find(" type='error'") != std::string::npos;
  if (error) {
    return;
  }
  if (!terminal) {
    if (const auto first = first_answers_.find(req.rid); first != first_answers_.end()) {
      BOSHMUX_FUZZ_CHECK(!req.fresh || first->second == body, "rid answered twice");
      BOSHMUX_FUZZ_CHECK(first->second == body, "a resent rid got other bytes");
      return;
    }
    first_answers_[req.rid] = body;
    if (!req.fresh) {
      return; // the first answer went to an aborted request: not seen by the model
    }
    BOSHMUX_FUZZ_CHECK(!last_fresh_rid_ || *last_fresh_rid_ < req.rid, "answers out of rid order");
    last_fresh_rid_ = req.rid;
  }
  // Server payloads: in order, none twice, across good and terminal answers.
  for (auto at = body.find("<m n='"); at != std::string::npos; at = body.find("<m n='", at + 1)) {
    const auto n = std::stoull(body.substr(at + 6));
    BOSHMUX_FUZZ_CHECK(!last_marker_seen_ || *last_marker_seen_ < n,
                       "server payload out of order or repeated");
    BOSHMUX_FUZZ_CHECK(n < next_marker_, "payload never sent");
    last_marker_seen_ = n;
  }
}

void model::check_deliver(const bosh::deliver& d) {
  BOSHMUX_FUZZ_CHECK(!d.payloads.empty(), "empty deliver");
  std::optional<std::uint64_t> rid;
  for (const auto& p : d.payloads) {
    const auto r = std::stoull(p.substr(6));
    BOSHMUX_FUZZ_CHECK(!rid || *rid == r, "one deliver mixes requests");
    rid = r;
  }
  BOSHMUX_FUZZ_CHECK(!delivered_rids_.contains(*rid), "a rid was processed twice");
  BOSHMUX_FUZZ_CHECK(!last_delivered_rid_ || *last_delivered_rid_ < *rid,
                     "payloads delivered out of rid order");
  delivered_rids_[*rid] = true;
  last_delivered_rid_ = rid;
}

void model::check_actions(const bosh::actions& out) {
  for (const auto& a : out) {
    if (const auto* r = std::get_if<bosh::respond>(&a)) {
      check_respond(*r);
    } else if (const auto* d = std::get_if<bosh::deliver>(&a)) {
      BOSHMUX_FUZZ_CHECK(!ended_seen_, "deliver after the end");
      check_deliver(*d);
    } else if (std::holds_alternative<bosh::restart_requested>(a)) {
      BOSHMUX_FUZZ_CHECK(!ended_seen_, "restart after the end");
    } else if (std::holds_alternative<bosh::session_ended>(a)) {
      BOSHMUX_FUZZ_CHECK(!ended_seen_, "session ended twice");
      ended_seen_ = true;
      BOSHMUX_FUZZ_CHECK(machine_->ended(), "session_ended but not ended()");
      BOSHMUX_FUZZ_CHECK(outstanding() == 0, "session ended with an open request unanswered");
    }
  }
  check_state();
}

void model::check_state() {
  BOSHMUX_FUZZ_CHECK(machine_->ended() == ended_seen_, "ended() without session_ended");
  if (machine_->ended()) {
    BOSHMUX_FUZZ_CHECK(!machine_->next_deadline(), "a deadline after the end");
    BOSHMUX_FUZZ_CHECK(outstanding() == 0, "an open request after the end");
    return;
  }
  const auto& p = machine_->params();
  BOSHMUX_FUZZ_CHECK(machine_->queued_bytes() <= limits_.max_queued_bytes, "queue over its bound");
  BOSHMUX_FUZZ_CHECK(machine_->held_requests() <= p.hold, "more requests held than hold");
  BOSHMUX_FUZZ_CHECK(outstanding() <= p.hold + p.requests, "more requests kept than allowed");
  BOSHMUX_FUZZ_CHECK(machine_->next_deadline().has_value(), "a live session without a deadline");
}

void model::fire_deadline() {
  const auto deadline = machine_->next_deadline();
  BOSHMUX_FUZZ_CHECK(deadline.has_value(), "a live session without a deadline");
  now_ = std::max(now_, *deadline);
  bosh::actions out;
  machine_->deadline_reached(now_, out);
  check_actions(out);
}

void model::finish() {
  // Let time run until the session ends on its own (wait, then inactivity or pause).
  for (int i = 0; i < 16 && !machine_->ended(); ++i) {
    fire_deadline();
  }
  BOSHMUX_FUZZ_CHECK(machine_->ended(), "the session never ends when left alone");
  // Afterwards: every request gets a terminal answer, send() refuses.
  bosh::actions out;
  bosh::request_body late;
  late.rid = highest_rid_sent_ + 1;
  const auto id = new_request(late.rid);
  machine_->request_received(id, std::move(late), now_, out);
  BOSHMUX_FUZZ_CHECK(out.size() == 1 && std::holds_alternative<bosh::respond>(out.front()),
                     "a request after the end not answered once");
  check_actions(out);
  bosh::actions none;
  BOSHMUX_FUZZ_CHECK(!machine_->send("<m n='0'/>", now_, none) && none.empty(),
                     "send accepted after the end");
  (void)machine_->take_unsent();
}

void model::run() {
  create();
  if (!machine_) {
    return;
  }
  while (!in_.empty()) {
    const auto op = in_.byte();
    if (machine_->ended() && op % 8U == 6U) {
      continue; // no deadline after the end
    }
    switch (op % 8U) {
    case 0:
    case 1:
    case 2:
      client_request();
      break;
    case 3:
      abort_request();
      break;
    case 4:
      server_send();
      break;
    case 5: { // time passes; the timer fires late or early
      now_ += milliseconds(in_.u16() * 5U);
      bosh::actions out;
      machine_->deadline_reached(now_, out);
      check_actions(out);
      break;
    }
    case 6: { // the timer the machine asked for fires
      fire_deadline();
      if (!machine_->ended()) {
        BOSHMUX_FUZZ_CHECK(*machine_->next_deadline() > now_, "deadline not moved past now");
      }
      break;
    }
    default: { // the server ends the session
      const auto how = in_.byte();
      bosh::actions out;
      const auto reason = static_cast<bosh::end_reason>(how % 12U);
      const auto cond = static_cast<bosh::condition>((how >> 4U) % 14U);
      machine_->terminate(cond, (how & 1U) != 0 ? "<stream:error/>" : "", now_, out, reason);
      check_actions(out);
      BOSHMUX_FUZZ_CHECK(machine_->ended(), "terminate did not end the session");
      break;
    }
    }
  }
  finish();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input_reader in(data, size);
  model m(in);
  m.run();
  return 0;
}
