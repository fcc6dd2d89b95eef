#include "lib/bosh/session_table.hpp"

#include "lib/ops/random.hpp"

#include <algorithm>
#include <asio/ip/address.hpp>
#include <asio/ip/address_v4.hpp>
#include <asio/ip/address_v6.hpp>
#include <spdlog/spdlog.h>

namespace boshmux::bosh {

namespace {

using clock = std::chrono::steady_clock;

/// The rate limiter's key for a client address: the address itself, or for IPv6 its /64
/// (one subscriber usually holds a whole /64).
std::string creation_key(const asio::ip::address& peer) {
  if (peer.is_v6() && !peer.to_v6().is_v4_mapped()) {
    auto bytes = peer.to_v6().to_bytes();
    std::fill(bytes.begin() + 8, bytes.end(), static_cast<unsigned char>(0));
    return asio::ip::address_v6(bytes).to_string() + "/64";
  }
  if (peer.is_v6()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, peer.to_v6()).to_string();
  }
  return peer.to_string();
}

/// Default response type before a session (and its `content`) exists.
constexpr std::string_view default_content_type = "text/xml; charset=utf-8";

} // namespace

/// One session: its machine, its deadline timer and the exchanges it has not answered yet.
struct session_table::session {
  session(asio::any_io_executor ex, std::unique_ptr<pb::session_machine> m)
      : machine(std::move(m))
      , timer(std::move(ex)) {}

  std::unique_ptr<pb::session_machine> machine;
  asio::steady_timer timer;
  std::optional<pb::time_point> armed_for;
  std::unordered_map<std::uint64_t, std::shared_ptr<http::exchange>> exchanges;
};

session_table::session_table(asio::any_io_executor executor, table_config config,
                             upper_layer& upper)
    : executor_(std::move(executor))
    , config_(std::move(config))
    , upper_(upper)
    , creation_limiter_(config_.creations_per_address) {}

session_table::~session_table() {
  // Exchanges may outlive us inside connections: they must not call back into a dead table.
  for (auto& [sid, s] : sessions_) {
    for (auto& [id, ex] : s->exchanges) {
      ex->on_abort({});
    }
  }
}

std::size_t session_table::held_requests() const {
  std::size_t n = 0;
  for (const auto& [sid, s] : sessions_) {
    n += s->machine->held_requests();
  }
  return n;
}

std::string session_table::new_sid() const {
  // DESIGN: <node-id>-<128 bits from a CSPRNG>; the node id lets a balancer route by SID.
  return config_.node_id + "-" + ops::random_hex(16);
}

asio::ip::address session_table::client_address(const http::request& req) const {
  const auto trusted = [this](const asio::ip::address& a) {
    return std::find(config_.trusted_proxies.begin(), config_.trusted_proxies.end(), a) !=
           config_.trusted_proxies.end();
  };
  if (!trusted(req.peer)) {
    return req.peer; // anyone can write the header: only a trusted proxy is believed
  }
  // Each proxy appends the address it saw, to the header or as a header line of its own (as
  // HAProxy does): the rightmost address that is not a trusted proxy is the client (what is
  // further left, or on earlier lines, the client itself may have made up).
  std::string forwarded;
  for (const auto& h : req.headers) {
    if (h.name == "x-forwarded-for") {
      forwarded += forwarded.empty() ? h.value : "," + h.value;
    }
  }
  std::string_view list = forwarded;
  asio::ip::address client = req.peer;
  while (!list.empty()) {
    const auto comma = list.rfind(',');
    std::string_view item = comma == std::string_view::npos ? list : list.substr(comma + 1);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
      item.remove_prefix(1);
    }
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
      item.remove_suffix(1);
    }
    std::error_code ec;
    const auto address = asio::ip::make_address(std::string(item), ec);
    if (ec) {
      break; // unusable: keep the last address that was
    }
    client = address;
    if (!trusted(address)) {
      break;
    }
  }
  return client;
}

void session_table::set_accepting(bool accepting, pb::condition refusal) {
  accepting_ = accepting;
  refusal_ = refusal;
}

void session_table::answer(const std::shared_ptr<http::exchange>& exchange, unsigned status,
                           std::string body, const std::string& content_type) {
  http::response r;
  r.status = status;
  r.content_type = content_type;
  r.body = std::move(body);
  exchange->respond(std::move(r));
}

void session_table::handle(const std::shared_ptr<http::exchange>& exchange) {
  pb::request_body body;
  if (const auto ec = pb::parse_request(exchange->req().body, config_.xml, body)) {
    ++stats_.bad_requests;
    spdlog::debug("[http={}] bad BOSH request: {}", exchange->id(), ec.message());
    // No session can be trusted from an unparsable body: a terminal body for everyone
    // (modern clients parse it; XEP-0124 section 17.1 legacy codes need a known session).
    const auto a = pb::terminal_answer(pb::condition::bad_request, false);
    answer(exchange, a.status, a.body, std::string(default_content_type));
    return;
  }
  if (body.sid.empty()) {
    create(exchange, std::move(body));
    return;
  }
  const auto it = sessions_.find(body.sid);
  if (it == sessions_.end()) {
    if (answer_from_tombstone(body.sid, exchange)) {
      return;
    }
    ++stats_.unknown_sid;
    spdlog::debug("[sid={}] request for an unknown session", body.sid);
    const auto a = pb::terminal_answer(pb::condition::item_not_found, false);
    answer(exchange, a.status, a.body, std::string(default_content_type));
    return;
  }
  session& s = *it->second;
  const std::string sid = body.sid;
  watch(s, sid, exchange);
  pb::actions actions;
  s.machine->request_received(exchange->id(), std::move(body), clock::now(), actions);
  execute(sid, actions);
}

void session_table::watch(session& s, const std::string& sid,
                          const std::shared_ptr<http::exchange>& exchange) {
  s.exchanges.emplace(exchange->id(), exchange);
  // A connection that dies with the request held tells the machine, which keeps the answer
  // for the client's resend (XEP-0124 section 14.3).
  exchange->on_abort([this, sid, id = exchange->id()] {
    const auto found = sessions_.find(sid);
    if (found == sessions_.end()) {
      return;
    }
    found->second->exchanges.erase(id);
    pb::actions actions;
    found->second->machine->request_aborted(id, clock::now(), actions);
    execute(sid, actions);
  });
}

void session_table::create(const std::shared_ptr<http::exchange>& exchange, pb::request_body body) {
  const auto refuse = [&](pb::condition cond, std::string_view why) {
    ++stats_.refused;
    spdlog::debug("[http={}] session refused: {} ({})", exchange->id(), pb::to_string(cond), why);
    const auto a = pb::terminal_answer(cond, !body.ver.has_value());
    answer(exchange, a.status, a.body, std::string(default_content_type));
  };
  if (!body.to || body.to->empty()) {
    return refuse(pb::condition::improper_addressing, "no 'to'");
  }
  if (std::find(config_.domains.begin(), config_.domains.end(), *body.to) ==
      config_.domains.end()) {
    return refuse(pb::condition::host_unknown, *body.to);
  }
  if (!accepting_) {
    return refuse(refusal_, "not accepting sessions");
  }
  // The client is the TCP peer, or what a trusted proxy's X-Forwarded-For names.
  if (!creation_limiter_.allow(creation_key(client_address(exchange->req())), clock::now())) {
    ++stats_.rate_limited;
    return refuse(pb::condition::policy_violation, "creation rate of the address exceeded");
  }
  if (sessions_.size() >= config_.max_sessions) {
    ++stats_.over_capacity;
    return refuse(pb::condition::policy_violation, "session limit reached");
  }
  std::string sid = new_sid();
  auto created =
      pb::session_machine::create(body, sid, *body.to, config_.creation_attributes, config_.limits);
  if (auto* cond = std::get_if<pb::condition>(&created)) {
    return refuse(*cond, "invalid creation request");
  }
  auto machine = std::move(std::get<std::unique_ptr<pb::session_machine>>(created));
  session_info info{sid, *body.to, machine->params().xml_lang, body.from.value_or(""),
                    body.xmpp_version.has_value()};
  auto& s = *sessions_.emplace(sid, std::make_unique<session>(executor_, std::move(machine)))
                 .first->second;
  ++stats_.sessions_created;
  watch(s, sid, exchange);
  spdlog::debug("[sid={}] session created for {} (wait {} hold {})", sid, info.to,
                s.machine->params().wait, s.machine->params().hold);
  pb::actions actions;
  s.machine->creation_received(exchange->id(), std::move(body), clock::now(), actions);
  execute(sid, actions);
  if (sessions_.contains(sid)) {
    upper_.session_created(info);
  }
}

bool session_table::send(const std::string& sid, std::string_view payload) {
  const auto it = sessions_.find(sid);
  if (it == sessions_.end()) {
    return false;
  }
  pb::actions actions;
  const bool queued = it->second->machine->send(payload, clock::now(), actions);
  execute(sid, actions);
  return queued;
}

void session_table::terminate(const std::string& sid, pb::condition cond,
                              std::string_view final_payload, pb::end_reason reason) {
  const auto it = sessions_.find(sid);
  if (it == sessions_.end()) {
    return;
  }
  pb::actions actions;
  it->second->machine->terminate(cond, final_payload, clock::now(), actions, reason);
  execute(sid, actions);
}

void session_table::terminate_all(pb::condition cond, pb::end_reason reason) {
  std::vector<std::string> sids;
  sids.reserve(sessions_.size());
  for (const auto& [sid, s] : sessions_) {
    sids.push_back(sid);
  }
  for (const auto& sid : sids) {
    terminate(sid, cond, {}, reason);
  }
}

void session_table::execute(const std::string& sid, pb::actions& actions) {
  // Each action looks the session up again: the layer above may end it from a callback.
  for (auto& a : actions) {
    auto it = sessions_.find(sid);
    if (it == sessions_.end()) {
      return;
    }
    session& s = *it->second;
    if (auto* r = std::get_if<pb::respond>(&a)) {
      const auto ex = s.exchanges.find(r->request_id);
      if (ex != s.exchanges.end()) {
        auto exchange = std::move(ex->second);
        s.exchanges.erase(ex);
        exchange->on_abort({});
        answer(exchange, r->status, *r->body, s.machine->params().content);
      }
    } else if (auto* d = std::get_if<pb::deliver>(&a)) {
      upper_.payloads_received(sid, d->payloads, d->scope);
    } else if (std::holds_alternative<pb::restart_requested>(a)) {
      upper_.restart_requested(sid);
    } else if (auto* e = std::get_if<pb::session_ended>(&a)) {
      ++stats_.sessions_ended;
      ++stats_.ended_by[{e->cond, e->reason}];
      if (e->reason == pb::end_reason::inactivity) {
        spdlog::debug("[sid={}] session ended: {} (inactivity after {} s)", sid,
                      e->cond == pb::condition::none ? "clean" : pb::to_string(e->cond),
                      it->second->machine->params().inactivity);
      } else {
        spdlog::debug("[sid={}] session ended: {} ({})", sid,
                      e->cond == pb::condition::none ? "clean" : pb::to_string(e->cond),
                      pb::to_string(e->reason));
      }
      auto owned = std::move(it->second);
      sessions_.erase(it);
      if (auto unsent = owned->machine->take_unsent()) {
        bury(sid, std::move(*unsent), owned->machine->params().content);
      }
      owned->timer.cancel();
      for (auto& [id, ex] : owned->exchanges) {
        ex->on_abort({}); // all answered by the machine; nothing may call back
      }
      upper_.session_ended(sid, e->cond, e->reason);
      return;
    }
  }
  const auto it = sessions_.find(sid);
  if (it != sessions_.end()) {
    arm(*it->second);
  }
}

void session_table::bury(const std::string& sid, pb::http_answer answer, std::string content_type) {
  purge_tombstones();
  // Kept as long as a client may go without a request before its session would have ended.
  tombstone_expiry_.emplace_back(clock::now() + std::chrono::seconds(config_.limits.inactivity),
                                 sid);
  tombstones_[sid] = tombstone{std::move(answer), std::move(content_type)};
}

void session_table::purge_tombstones() {
  const auto now = clock::now();
  while (!tombstone_expiry_.empty() && tombstone_expiry_.front().first <= now) {
    tombstones_.erase(tombstone_expiry_.front().second);
    tombstone_expiry_.pop_front();
  }
}

bool session_table::answer_from_tombstone(const std::string& sid,
                                          const std::shared_ptr<http::exchange>& exchange) {
  purge_tombstones();
  const auto it = tombstones_.find(sid);
  if (it == tombstones_.end()) {
    return false;
  }
  spdlog::debug("[sid={}] the session's terminal answer goes to its next request", sid);
  answer(exchange, it->second.answer.status, std::move(it->second.answer.body),
         it->second.content_type);
  tombstones_.erase(it); // its expiry entry goes when it falls due
  return true;
}

void session_table::arm(session& s) {
  const auto next = s.machine->next_deadline();
  if (next == s.armed_for) {
    return;
  }
  s.armed_for = next;
  if (!next) {
    s.timer.cancel();
    return;
  }
  s.timer.expires_at(*next);
  s.timer.async_wait([this, sid = s.machine->sid()](const std::error_code& ec) {
    if (ec) {
      return;
    }
    const auto it = sessions_.find(sid);
    if (it == sessions_.end()) {
      return;
    }
    it->second->armed_for.reset();
    pb::actions actions;
    it->second->machine->deadline_reached(clock::now(), actions);
    execute(sid, actions);
  });
}

} // namespace boshmux::bosh
