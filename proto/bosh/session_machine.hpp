#pragma once

#include "proto/bosh/body.hpp"
#include "proto/bosh/condition.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace boshmux::proto::bosh {

/// Time as the caller's clock says (sans-IO: the machine never reads a clock).
using time_point = std::chrono::steady_clock::time_point;

/// Server-side bounds on what a client may negotiate (all durations in seconds).
struct session_limits {
  unsigned max_wait = 60;   ///< the longest a request is held
  unsigned max_hold = 1;    ///< the most requests held at once
  unsigned inactivity = 60; ///< the longest gap with no request held
  unsigned polling = 2;     ///< shortest interval between empty polls
  unsigned max_pause = 120; ///< the longest pause a client may ask for
  /// Enforce the overactivity rules of XEP-0124 sections 11 and 12 (policy-violation).
  bool enforce_overactivity = true;
  /// A client ack that misses a response older than this gets report/time (section 9.2).
  std::chrono::milliseconds report_after{2000};
  /// Bound on payload bytes waiting for a request to carry them.
  std::size_t max_queued_bytes = 1024 * 1024;
  /// Content-Type of responses when the client names none.
  std::string default_content = "text/xml; charset=utf-8";
};

/// Why a session ended, finer than the BOSH condition (for logs and metrics).
enum class end_reason {
  client_terminate,  ///< type='terminate'
  inactivity,        ///< no request within the inactivity (or pause) period
  rid_out_of_window, ///< rid beyond the window or too old to replay (item-not-found)
  key_mismatch,      ///< key sequencing violated (item-not-found)
  overactivity,      ///< too many requests or too-frequent polling (policy-violation)
  pause_too_long,    ///< pause beyond maxpause (policy-violation)
  bad_request,       ///< a later request was malformed
  server,            ///< ended by the layer above, for another reason
  stream_error,      ///< the XMPP stream closed with a stream error
  conflict,          ///< replaced by a new session binding the same full JID
  shutdown,          ///< the server drained and stopped
  link_lost,         ///< the component link stayed down past the grace period
};
std::string_view to_string(end_reason r) noexcept;
/// True for the reasons the layer above gives with terminate().
bool ended_by_server(end_reason r) noexcept;

// --- actions: what the caller must do ---

/// Answer HTTP request `request_id` with `answer` (its body shared with the replay cache).
struct respond {
  std::uint64_t request_id;
  unsigned status;
  std::shared_ptr<const std::string> body;
};
/// Hand these payloads (raw child elements of the client's body) to the XMPP layer, in order.
struct deliver {
  std::vector<std::string> payloads;
  xml::namespace_scope scope; ///< namespace declarations of the carrying <body>
};
/// The client asked for an XMPP stream restart (xmpp:restart='true', XEP-0206 section 5).
struct restart_requested {};
/// The session is over; remove it. Every request it held has been answered already.
struct session_ended {
  condition cond;
  end_reason reason;
};
using action = std::variant<respond, deliver, restart_requested, session_ended>;
using actions = std::vector<action>;

/// What the session creation request negotiated.
struct negotiated {
  unsigned wait = 0;
  unsigned hold = 0;
  unsigned requests = 0;
  unsigned inactivity = 0;
  unsigned polling = 0;
  unsigned max_pause = 0;
  std::string ver;     ///< the version we answer with, e.g. "1.11"
  bool legacy = false; ///< the client sent no ver: legacy HTTP error codes
  bool client_acks = false;
  std::string content; ///< Content-Type of every response
  std::string xml_lang;
};

/// The XEP-0124 state machine of one session, connection-manager side. Events in (requests,
/// aborted requests, payloads to send, deadlines, a server-side end), actions out. It keeps
/// the rid window, the held requests, the replay cache, the outbound queue and the deadlines.
/// Sans-IO: time comes in with each event; it never reads a clock, allocates without bound
/// or throws for peer input.
class session_machine {
public:
  /// Validates a session creation request and negotiates the session. On failure returns the
  /// terminal condition (bad-request) and the machine must not be used.
  /// `creation_attributes` are extra attributes (already escaped) for the creation response,
  /// e.g. XEP-0206's xmpp:version and xmpp:restartlogic; `from` is the served domain.
  static std::variant<std::unique_ptr<session_machine>, condition>
  create(const request_body& body, std::string sid, std::string from,
         std::string creation_attributes, const session_limits& limits);

  /// The creation request itself: held like any other request; answered with the session
  /// attributes as soon as there is something to say (the XMPP layer's features, at once).
  void creation_received(std::uint64_t request_id, request_body body, time_point now, actions& out);

  /// A later request of this session (its sid already matched).
  void request_received(std::uint64_t request_id, request_body body, time_point now, actions& out);

  /// The HTTP connection of `request_id` went away before its answer was written.
  void request_aborted(std::uint64_t request_id, time_point now, actions& out);

  /// Payload for the client (one or more complete elements). Returns false, queuing nothing,
  /// when the outbound queue is full.
  bool send(std::string_view payload, time_point now, actions& out);

  /// Ends the session from the server side with `cond`; `final_payload` (e.g. a stream error)
  /// follows whatever is still queued in the terminal body.
  void terminate(condition cond, std::string_view final_payload, time_point now, actions& out,
                 end_reason reason = end_reason::server);

  /// Time passed: answers requests whose wait is over, ends an inactive session.
  void deadline_reached(time_point now, actions& out);

  /// When deadline_reached must next be called; nullopt when no deadline is pending.
  std::optional<time_point> next_deadline() const;

  bool ended() const noexcept { return ended_; }
  const negotiated& params() const noexcept { return params_; }
  /// After the server ended the session while no request was held: the terminal answer
  /// (with what was still queued) that nobody has received. The caller gives it to the
  /// client's next request for this sid, so neither the condition nor the data is lost.
  std::optional<http_answer> take_unsent() { return std::exchange(unsent_, std::nullopt); }
  const std::string& sid() const noexcept { return sid_; }
  /// Requests held now whose connection is alive.
  std::size_t held_requests() const noexcept { return live_held(); }
  /// Payload bytes waiting for a request.
  std::size_t queued_bytes() const noexcept { return queue_.size(); }

private:
  struct held_request {
    std::uint64_t rid;
    std::optional<std::uint64_t> request_id; ///< nullopt once its connection went away
    time_point arrived;
  };
  struct parked_request {
    std::uint64_t request_id;
    request_body body;
    time_point arrived;
  };
  struct cached_response {
    std::uint64_t rid;
    unsigned status;
    std::shared_ptr<const std::string> body;
    time_point sent;
  };

  session_machine(std::string sid, std::string from, std::string creation_attributes,
                  negotiated params, const session_limits& limits);

  void process(std::uint64_t request_id, request_body body, time_point now, actions& out);
  void on_repeat(std::uint64_t request_id, std::uint64_t rid, actions& out);
  void settle(time_point now, actions& out);
  void answer_front(time_point now, actions& out);
  std::string build_body(std::string_view extra_attributes, std::string_view payloads) const;
  void end(condition cond, end_reason reason, std::optional<std::uint64_t> culprit,
           std::string_view final_payload, actions& out);
  void answer_all_empty(time_point now, bool cache, actions& out);
  /// Keeps an answer for replay to a resent rid (the last `requests` answers).
  void remember(std::uint64_t rid, std::shared_ptr<const std::string> body, time_point now);
  bool key_ok(const request_body& body);
  std::size_t live_held() const noexcept;
  void note_idle(time_point now);

  std::string sid_;
  std::string from_;
  std::string creation_attributes_;
  negotiated params_;
  session_limits limits_;
  bool ended_ = false;
  std::uint64_t next_rid_ = 0; ///< the rid to process next
  std::uint64_t creation_rid_ = 0;
  std::vector<held_request> held_;                 ///< processed, unanswered, in rid order
  std::map<std::uint64_t, parked_request> parked_; ///< arrived ahead of a missing rid
  std::vector<cached_response> cache_;             ///< last answered responses, in rid order
  std::string queue_;                              ///< payload bytes waiting for a request
  std::optional<std::string> last_key_;            ///< key sequencing (section 15)
  std::optional<http_answer> unsent_;              ///< see take_unsent()
  std::optional<unsigned> pause_;                  ///< inactivity overridden by a pause
  time_point idle_since_{};                        ///< when the last live held request went
  time_point last_request_at_{};
  bool last_request_empty_ = false;
  bool last_answer_empty_ = false;
  /// A request to answer at once with report/time (section 9.2): its rid, the missed rid and
  /// the milliseconds since that response went out.
  struct report {
    std::uint64_t rid;
    std::uint64_t missed;
    std::uint64_t millis;
  };
  std::optional<report> report_;
};

} // namespace boshmux::proto::bosh
