#include "proto/bosh/session_machine.hpp"

#include "proto/common/sha1.hpp"
#include "proto/common/small_fifo.hpp"
#include "proto/xml/escape.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace boshmux::proto::bosh {

namespace {

/// The highest protocol version we speak (XEP-0124 1.11).
constexpr unsigned our_major = 1;
constexpr unsigned our_minor = 11;

/// Parses "major.minor" (minor compared as an integer, so 1.10 > 1.6).
std::optional<std::pair<unsigned, unsigned>> parse_version(std::string_view v) {
  const auto dot = v.find('.');
  if (dot == std::string_view::npos) {
    return std::nullopt;
  }
  const auto major = parse_decimal(v.substr(0, dot), 1000);
  const auto minor = parse_decimal(v.substr(dot + 1), 1000);
  if (!major || !minor) {
    return std::nullopt;
  }
  return std::pair{static_cast<unsigned>(*major), static_cast<unsigned>(*minor)};
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::shared_ptr<const std::string> shared(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

} // namespace

std::string_view to_string(end_reason r) noexcept {
  switch (r) {
  case end_reason::client_terminate:
    return "client-terminate";
  case end_reason::inactivity:
    return "inactivity";
  case end_reason::rid_out_of_window:
    return "rid-out-of-window";
  case end_reason::key_mismatch:
    return "key-mismatch";
  case end_reason::overactivity:
    return "overactivity";
  case end_reason::pause_too_long:
    return "pause-too-long";
  case end_reason::bad_request:
    return "bad-request";
  case end_reason::server:
    return "server";
  case end_reason::stream_error:
    return "stream-error";
  case end_reason::conflict:
    return "conflict";
  case end_reason::shutdown:
    return "shutdown";
  case end_reason::link_lost:
    return "link-lost";
  }
  return "unknown";
}

std::variant<std::unique_ptr<session_machine>, condition>
session_machine::create(const request_body& body, std::string sid, std::string from,
                        std::string creation_attributes, const session_limits& limits) {
  negotiated p;
  if (body.content) {
    const bool printable = std::all_of(body.content->begin(), body.content->end(), [](char ch) {
      return static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f;
    });
    if (!printable || body.content->empty() || body.content->size() > 256) {
      return condition::bad_request; // it becomes a response header: no injection
    }
    p.content = *body.content;
  } else {
    p.content = limits.default_content;
  }
  if (body.ver) {
    const auto v = parse_version(*body.ver);
    if (!v) {
      return condition::bad_request;
    }
    const bool older = v->first < our_major || (v->first == our_major && v->second < our_minor);
    p.ver = older ? *body.ver : fmt::format("{}.{}", our_major, our_minor);
  } else {
    p.legacy = true;
    p.ver = fmt::format("{}.{}", our_major, our_minor);
  }
  p.wait = std::min(body.wait.value_or(limits.max_wait), limits.max_wait);
  p.hold = std::min(body.hold.value_or(1U), limits.max_hold);
  p.requests = p.hold + 1;
  p.polling = limits.polling;
  const bool polling_session = p.wait == 0 || p.hold == 0;
  // Section 10/12: a polling session needs an inactivity period above its polling interval.
  p.inactivity =
      polling_session ? std::max(limits.inactivity, 2 * limits.polling + 1) : limits.inactivity;
  p.max_pause = limits.max_pause;
  p.client_acks = body.ack == 1U;
  p.xml_lang = body.xml_lang.value_or("en");
  auto machine = std::unique_ptr<session_machine>(new session_machine(
      std::move(sid), std::move(from), std::move(creation_attributes), std::move(p), limits));
  if (body.newkey) {
    machine->last_key_ = *body.newkey;
  }
  return machine;
}

session_machine::session_machine(std::string sid, std::string from, std::string creation_attributes,
                                 negotiated params, const session_limits& limits)
    : sid_(std::move(sid))
    , from_(std::move(from))
    , creation_attributes_(std::move(creation_attributes))
    , params_(std::move(params))
    , limits_(limits) {}

std::size_t session_machine::live_held() const noexcept {
  return static_cast<std::size_t>(std::count_if(
      held_.begin(), held_.end(), [](const held_request& h) { return h.request_id.has_value(); }));
}

void session_machine::note_idle(time_point now) {
  if (live_held() == 0) {
    idle_since_ = now;
  }
}

void session_machine::creation_received(std::uint64_t request_id, request_body body, time_point now,
                                        actions& out) {
  creation_rid_ = body.rid;
  next_rid_ = body.rid + 1;
  held_.push_back({body.rid, request_id, now});
  last_request_at_ = now;
  last_request_empty_ = true;
  idle_since_ = now;
  settle(now, out);
}

void session_machine::request_received(std::uint64_t request_id, request_body body, time_point now,
                                       actions& out) {
  if (ended_) {
    const auto a = terminal_answer(condition::item_not_found, params_.legacy);
    out.push_back(respond{request_id, a.status, shared(a.body)});
    return;
  }
  const std::uint64_t rid = body.rid;
  if (rid < next_rid_) {
    on_repeat(request_id, rid, out);
  } else if (rid - next_rid_ >= params_.requests) {
    // Section 14.2: beyond the window.
    end(condition::item_not_found, end_reason::rid_out_of_window, request_id, {}, out);
  } else if (rid > next_rid_) {
    // Section 14.2: ahead of a missing rid; keep it until the gap is filled.
    auto it = parked_.find(rid);
    if (it != parked_.end()) {
      out.push_back(respond{it->second.request_id, 200, shared(build_body(" type='error'", {}))});
      it->second = parked_request{request_id, std::move(body), now};
    } else {
      const bool extra_allowed = body.is_terminate() || body.pause.has_value();
      parked_.emplace(rid, parked_request{request_id, std::move(body), now});
      if (limits_.enforce_overactivity && !extra_allowed &&
          live_held() + parked_.size() > params_.requests) {
        end(condition::policy_violation, end_reason::overactivity, request_id, {}, out);
        return;
      }
    }
  } else {
    process(request_id, std::move(body), now, out);
    while (!ended_) {
      auto it = parked_.find(next_rid_);
      if (it == parked_.end()) {
        break;
      }
      parked_request next = std::move(it->second);
      parked_.erase(it);
      process(next.request_id, std::move(next.body), now, out);
    }
  }
  if (!ended_) {
    settle(now, out);
  }
}

void session_machine::on_repeat(std::uint64_t request_id, std::uint64_t rid, actions& out) {
  // Section 14.3: a resent rid is answered from the cache, never processed twice.
  for (const auto& c : cache_) {
    if (c.rid == rid) {
      out.push_back(respond{request_id, c.status, c.body});
      return;
    }
  }
  for (auto& h : held_) {
    if (h.rid == rid) {
      // Received but unanswered: the older HTTP request gets a recoverable error and the
      // answer goes to the new one.
      if (h.request_id) {
        out.push_back(respond{*h.request_id, 200, shared(build_body(" type='error'", {}))});
      }
      h.request_id = request_id;
      return;
    }
  }
  end(condition::item_not_found, end_reason::rid_out_of_window, request_id, {}, out);
}

bool session_machine::key_ok(const request_body& body) {
  if (!last_key_) {
    return true;
  }
  if (!body.key || !iequals(sha1_hex(*body.key), *last_key_)) {
    return false;
  }
  last_key_ = body.newkey ? *body.newkey : *body.key;
  return true;
}

void session_machine::process(std::uint64_t request_id, request_body body, time_point now,
                              actions& out) {
  // Section 15.4: checked on new rids only (a resend never reaches here).
  if (!key_ok(body)) {
    end(condition::item_not_found, end_reason::key_mismatch, request_id, {}, out);
    return;
  }
  next_rid_ = body.rid + 1;
  pause_.reset(); // section 10: the next request restores the normal inactivity

  // Client acks (section 9.2): forget what it has, notice what it missed.
  if (params_.client_acks && body.ack) {
    const std::uint64_t acked = *body.ack;
    while (!cache_.empty() && cache_.front().rid <= acked) {
      pop_front(cache_);
    }
    if (!cache_.empty() && cache_.front().rid == acked + 1 &&
        now - cache_.front().sent >= limits_.report_after) {
      const auto millis =
          std::chrono::duration_cast<std::chrono::milliseconds>(now - cache_.front().sent);
      report_ = report{body.rid, acked + 1,
                       std::min<std::uint64_t>(static_cast<std::uint64_t>(millis.count()), 65535)};
    }
  }

  const bool terminate = body.is_terminate();
  const bool is_pause = body.pause.has_value();
  const bool empty = body.payloads.empty() && !terminate && !is_pause && !body.restart;
  if (limits_.enforce_overactivity && empty && !terminate) {
    const bool polling_session = params_.wait == 0 || params_.hold == 0;
    const bool too_soon = now - last_request_at_ < std::chrono::seconds(params_.polling);
    // Section 12: two empty polls too close together, the first answered with nothing.
    const bool polls_too_fast =
        polling_session && last_request_empty_ && last_answer_empty_ && too_soon;
    // Section 11: all `requests` slots taken by an empty request right after another one.
    // Judged in rid order: a request with a later rid already waiting behind this one is
    // the last of the sequence, and is judged when its turn comes.
    const bool slots_full = !polling_session && parked_.empty() &&
                            live_held() + 1 >= params_.requests && too_soon && last_request_empty_;
    if (polls_too_fast || slots_full) {
      end(condition::policy_violation, end_reason::overactivity, request_id, {}, out);
      return;
    }
  }
  last_request_at_ = now;
  last_request_empty_ = empty;

  if (terminate) {
    // Section 13: its payloads (usually unavailable presence) go on first.
    if (!body.payloads.empty()) {
      out.push_back(deliver{std::move(body.payloads), std::move(body.scope)});
    }
    held_.push_back({body.rid, request_id, now});
    end(condition::none, end_reason::client_terminate, std::nullopt, {}, out);
    return;
  }
  if (is_pause) {
    if (*body.pause > params_.max_pause) {
      end(condition::policy_violation, end_reason::pause_too_long, request_id, {}, out);
      return;
    }
    // Section 10: answer everything held, this request included, without payloads.
    if (!body.payloads.empty()) {
      out.push_back(deliver{std::move(body.payloads), std::move(body.scope)});
    }
    answer_all_empty(now, true, out);
    // Cached like every answer, so that a resent pause request is replayed (section 14.3).
    auto answer = shared(build_body({}, {}));
    remember(body.rid, answer, now);
    out.push_back(respond{request_id, 200, std::move(answer)});
    pause_ = *body.pause;
    idle_since_ = now;
    return;
  }
  if (body.restart) {
    out.push_back(restart_requested{}); // XEP-0206 section 5: payloads are ignored
  } else if (!body.payloads.empty()) {
    out.push_back(deliver{std::move(body.payloads), std::move(body.scope)});
  }
  held_.push_back({body.rid, request_id, now});
}

void session_machine::request_aborted(std::uint64_t request_id, time_point now, actions& out) {
  if (ended_) {
    return;
  }
  for (auto& h : held_) {
    if (h.request_id == request_id) {
      h.request_id.reset();
      note_idle(now);
      settle(now, out);
      return;
    }
  }
  for (auto it = parked_.begin(); it != parked_.end(); ++it) {
    if (it->second.request_id == request_id) {
      parked_.erase(it);
      return;
    }
  }
}

bool session_machine::send(std::string_view payload, time_point now, actions& out) {
  if (ended_ || queue_.size() + payload.size() > limits_.max_queued_bytes) {
    return false;
  }
  queue_.append(payload);
  settle(now, out);
  return true;
}

bool ended_by_server(end_reason r) noexcept {
  return r == end_reason::server || r == end_reason::stream_error || r == end_reason::conflict ||
         r == end_reason::shutdown || r == end_reason::link_lost;
}

void session_machine::terminate(condition cond, std::string_view final_payload, time_point now,
                                actions& out, end_reason reason) {
  (void)now;
  if (!ended_) {
    end(cond, ended_by_server(reason) ? reason : end_reason::server, std::nullopt, final_payload,
        out);
  }
}

void session_machine::deadline_reached(time_point now, actions& out) {
  if (ended_) {
    return;
  }
  settle(now, out);
  if (live_held() == 0) {
    const auto limit = std::chrono::seconds(pause_.value_or(params_.inactivity));
    if (now - idle_since_ >= limit) {
      // Section 10: ended silently (there is nobody to tell).
      end(condition::none, end_reason::inactivity, std::nullopt, {}, out);
    }
  }
}

std::optional<time_point> session_machine::next_deadline() const {
  if (ended_) {
    return std::nullopt;
  }
  std::optional<time_point> next;
  if (!held_.empty()) {
    next = held_.front().arrived + std::chrono::seconds(params_.wait);
  }
  if (live_held() == 0) {
    const auto idle = idle_since_ + std::chrono::seconds(pause_.value_or(params_.inactivity));
    next = next ? std::min(*next, idle) : idle;
  }
  return next;
}

void session_machine::settle(time_point now, actions& out) {
  // Answer the oldest held request while there is a reason to: something to send, more held
  // than `hold`, its connection gone, its wait over, or a report due. Always oldest first, so
  // answers leave in rid order (section 8).
  while (!held_.empty()) {
    const held_request& front = held_.front();
    const bool must = !queue_.empty() || held_.size() > params_.hold || !front.request_id ||
                      now - front.arrived >= std::chrono::seconds(params_.wait) ||
                      (report_ && report_->rid == front.rid);
    if (!must) {
      break;
    }
    answer_front(now, out);
  }
}

void session_machine::answer_front(time_point now, actions& out) {
  const held_request front = held_.front();
  pop_front(held_);
  std::string attributes;
  if (front.rid == creation_rid_) {
    attributes = fmt::format(" sid='{}' wait='{}' requests='{}' hold='{}' inactivity='{}' "
                             "polling='{}' maxpause='{}' ver='{}' from='",
                             sid_, params_.wait, params_.requests, params_.hold, params_.inactivity,
                             params_.polling, params_.max_pause, params_.ver);
    xml::append_escaped_attribute(attributes, from_);
    attributes += "'";
    if (params_.client_acks) {
      attributes += fmt::format(" ack='{}'", creation_rid_);
    }
    attributes += creation_attributes_;
  } else if (params_.client_acks && next_rid_ - 1 != front.rid) {
    // Section 9.1: the highest rid received with all below it, unless it is this one.
    attributes = fmt::format(" ack='{}'", next_rid_ - 1);
  }
  if (report_ && report_->rid == front.rid) {
    attributes += fmt::format(" report='{}' time='{}'", report_->missed, report_->millis);
    report_.reset();
  }
  auto body = shared(build_body(attributes, queue_));
  last_answer_empty_ = queue_.empty();
  queue_.clear();
  remember(front.rid, body, now);
  if (front.request_id) {
    out.push_back(respond{*front.request_id, 200, std::move(body)});
  }
  note_idle(now);
}

void session_machine::remember(std::uint64_t rid, std::shared_ptr<const std::string> body,
                               time_point now) {
  cache_.push_back({rid, 200, std::move(body), now});
  while (cache_.size() > params_.requests) {
    pop_front(cache_);
  }
}

void session_machine::answer_all_empty(time_point now, bool cache, actions& out) {
  while (!held_.empty()) {
    const held_request front = held_.front();
    pop_front(held_);
    auto body = shared(build_body({}, {}));
    if (cache) {
      remember(front.rid, body, now);
    }
    if (front.request_id) {
      out.push_back(respond{*front.request_id, 200, std::move(body)});
    }
  }
}

std::string session_machine::build_body(std::string_view extra_attributes,
                                        std::string_view payloads) const {
  std::string body;
  body.reserve(64 + extra_attributes.size() + payloads.size());
  body.append("<body xmlns='http://jabber.org/protocol/httpbind'").append(extra_attributes);
  if (payloads.find("<stream:") != std::string_view::npos &&
      extra_attributes.find("xmlns:stream=") == std::string_view::npos) {
    body.append(" xmlns:stream='http://etherx.jabber.org/streams'");
  }
  if (payloads.empty()) {
    body.append("/>");
  } else {
    body.append(">").append(payloads).append("</body>");
  }
  return body;
}

void session_machine::end(condition cond, end_reason reason, std::optional<std::uint64_t> culprit,
                          std::string_view final_payload, actions& out) {
  ended_ = true;
  const bool legacy = params_.legacy;
  const auto respond_with = [&out](std::uint64_t id, const http_answer& a) {
    out.push_back(respond{id, a.status, shared(a.body)});
  };
  if (reason == end_reason::client_terminate) {
    // Section 13: the oldest open request carries type='terminate', the others empty bodies.
    bool first = true;
    for (const auto& h : held_) {
      if (h.request_id) {
        respond_with(*h.request_id, first ? terminal_answer(condition::none, false, queue_)
                                          : http_answer{200, build_body({}, {})});
      }
      first = false;
    }
    for (const auto& [rid, p] : parked_) {
      respond_with(p.request_id, terminal_answer(condition::other_request, legacy));
    }
  } else if (culprit) {
    // This request caused the end; every other open request learns it was another's fault.
    respond_with(*culprit, terminal_answer(cond, legacy));
    for (const auto& h : held_) {
      if (h.request_id && *h.request_id != *culprit) {
        respond_with(*h.request_id, terminal_answer(condition::other_request, legacy));
      }
    }
    for (const auto& [rid, p] : parked_) {
      if (p.request_id != *culprit) {
        respond_with(p.request_id, terminal_answer(condition::other_request, legacy));
      }
    }
  } else {
    // Ended by the server (or inactivity): the oldest request carries what was still queued
    // and the final payload; all others get the same condition.
    std::string payloads = queue_;
    payloads.append(final_payload);
    bool first = true;
    for (const auto& h : held_) {
      if (h.request_id) {
        respond_with(*h.request_id, terminal_answer(cond, legacy, first ? payloads : ""));
        first = false;
      }
    }
    // A request still waiting for a missing rid learns its session is gone.
    const auto parked_cond = cond == condition::none ? condition::item_not_found : cond;
    for (const auto& [rid, p] : parked_) {
      respond_with(p.request_id, terminal_answer(parked_cond, legacy));
    }
    if (first && ended_by_server(reason)) {
      unsent_ = terminal_answer(cond, legacy, payloads);
    }
  }
  held_.clear();
  parked_.clear();
  cache_.clear();
  queue_.clear();
  out.push_back(session_ended{cond, reason});
}

} // namespace boshmux::proto::bosh
