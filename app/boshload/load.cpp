#include "app/boshload/load.hpp"

#include "app/boshload/http_pool.hpp"
#include "proto/common/base64.hpp"
#include "proto/xml/dom.hpp"
#include "proto/xml/escape.hpp"

#include <algorithm>
#include <asio.hpp>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fmt/format.h>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>

namespace boshload {

namespace {

namespace xml = boshmux::proto::xml;
using clock = std::chrono::steady_clock;

constexpr std::string_view sasl_ns = "urn:ietf:params:xml:ns:xmpp-sasl";

enum class phase : std::uint8_t {
  unused,         // slot not (yet) logging in
  creating,       // session creation request sent
  authenticating, // waiting for the mechanisms, then for the SASL outcome
  restarting,     // SASL succeeded: stream restart, then the bind feature
  binding,        // bind iq sent
  establishing,   // session iq sent
  ready,
  ending, // terminate sent
  ended,
};

/// One simulated browser session: at most hold + 1 requests out, stanzas queued for the next.
struct session {
  std::uint32_t index = 0;
  std::uint32_t generation = 0; // responses of an earlier login of this slot are ignored
  phase state = phase::unused;
  std::uint8_t outstanding = 0;
  bool auth_sent = false;
  bool restart_pending = false;
  bool session_advertised = false;
  std::uint64_t rid = 0;
  std::string sid;
  std::string jid;
  std::string pending;
  std::uint64_t last_sent_seq = 0;
  std::uint32_t pending_messages = 0; ///< chat messages in `pending`, not yet on the wire
  /// Sequence numbers from the partner: all below expected_seq arrived, and so did those in
  /// `ahead` (non-empty only after a gap: a loss, or a message overtaken).
  std::uint64_t expected_seq = 1;
  std::set<std::uint64_t> ahead;
  clock::time_point login_start;
  std::unique_ptr<asio::steady_timer> gap_timer;
  /// Responses are processed in rid order, as XEP-0124 requires of clients: with two
  /// connections, the answer to rid n + 1 can arrive before the answer to rid n.
  std::uint64_t next_answer_rid = 0;
  struct early_answer {
    std::uint64_t rid;
    bool terminate;
    http_result result;
  };
  std::unique_ptr<early_answer> early;
};

/// Figures of one chat step (offered rate held for step_seconds).
struct chat_step {
  double offered = 0;
  std::uint64_t sent = 0;
  std::uint64_t received_in_window =
      0;                       // deliveries seen while this step ran, whatever step sent them
  std::uint64_t delivered = 0; // messages sent in this step that arrived (by the end)
  latencies latency;
  nlohmann::json usage;
  double self_cpu = 0;
  bool saturated = false;
};

class engine {
public:
  explicit engine(const options& opt)
      : opt_(opt)
      , pool_(io_, endpoint(opt), fmt::format("{}:{}", opt.host, opt.port), opt.path, sources(opt))
      , deadline_(io_)
      , tick_(io_)
      , phase_timer_(io_)
      , rng_(std::random_device{}()) {
    sessions_.resize(opt.sessions);
    for (std::uint32_t i = 0; i < sessions_.size(); ++i)
      sessions_[i].index = i;
  }

  nlohmann::json run() {
    started_ = clock::now();
    const double cpu_start = self_cpu_seconds();
    baseline_ = opt_.watch.sample();
    deadline_.expires_after(seconds(opt_.max_time));
    deadline_.async_wait([this](std::error_code ec) {
      if (ec)
        return;
      result_["stopped_by_max_time"] = true;
      finish();
    });
    result_["scenario"] = opt_.scenario;
    result_["stopped_by_max_time"] = false;
    launch();
    if (opt_.scenario == "churn")
      measure_churn();
    io_.run();
    result_["wall_seconds"] = elapsed(started_);
    result_["self"] = {{"cpu_seconds", self_cpu_seconds() - cpu_start},
                       {"rss_bytes", self_rss_bytes()}};
    result_["errors"] = errors_;
    result_["connections"] = {{"peak", pool_.stats().peak},
                              {"opened", pool_.stats().connects},
                              {"connect_failures", pool_.stats().connect_failures}};
    result_["logins"] = {{"completed", logins_}, {"failed", login_failures_}};
    result_["login_latency_ms"] = login_latency_.summary();
    return result_;
  }

private:
  static asio::ip::tcp::endpoint endpoint(const options& opt) {
    return {asio::ip::make_address(opt.host), opt.port};
  }
  static std::vector<asio::ip::address> sources(const options& opt) {
    std::vector<asio::ip::address> out;
    const auto server = asio::ip::make_address(opt.host);
    if (!server.is_loopback() || !server.is_v4())
      return out;
    for (unsigned i = 1; i <= opt.sources && i < 255; ++i)
      out.push_back(asio::ip::make_address_v4(0x7f000000U | i));
    return out;
  }
  static std::chrono::nanoseconds seconds(double s) {
    return std::chrono::nanoseconds(static_cast<std::int64_t>(s * 1e9));
  }
  static double elapsed(clock::time_point since) {
    return std::chrono::duration<double>(clock::now() - since).count();
  }
  std::int64_t now_ns() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - started_).count();
  }
  void error(const std::string& kind) { ++errors_[kind]; }

  // ---- logins -------------------------------------------------------------------------

  /// Starts logins while fewer than login_concurrency are under way (and the ramp allows).
  void launch() {
    const bool churn = opt_.scenario == "churn";
    while (logging_in_ < opt_.login_concurrency && !stopping_) {
      if (!churn && launched_ >= sessions_.size())
        return;
      if (opt_.ramp_rate > 0 &&
          static_cast<double>(launched_) >= opt_.ramp_rate * elapsed(started_) + 1) {
        arm_tick(std::chrono::milliseconds(10), [this] { launch(); });
        return;
      }
      session* s = nullptr;
      if (churn) {
        if (free_slots_.empty()) {
          if (launched_ >= sessions_.size())
            return;
          s = &sessions_[launched_];
        } else {
          s = &sessions_[free_slots_.back()];
          free_slots_.pop_back();
        }
      } else {
        s = &sessions_[launched_];
      }
      ++launched_;
      begin_login(*s);
    }
  }

  void begin_login(session& s) {
    ++s.generation;
    s.state = phase::creating;
    s.outstanding = 0;
    s.auth_sent = s.restart_pending = s.session_advertised = false;
    s.sid.clear();
    s.jid.clear();
    s.pending.clear();
    s.rid = std::uniform_int_distribution<std::uint64_t>(1ULL << 20, 1ULL << 40)(rng_);
    s.next_answer_rid = s.rid;
    s.early.reset();
    s.login_start = clock::now();
    ++logging_in_;
    send(s, fmt::format("<body xmlns='http://jabber.org/protocol/httpbind' "
                        "xmlns:xmpp='urn:xmpp:xbosh' rid='{}' to='{}' wait='{}' hold='{}' "
                        "ver='1.11' xml:lang='en' xmpp:version='1.0'/>",
                        s.rid, opt_.domain, opt_.wait, opt_.hold));
  }

  std::string auth_payload(const session& s) const {
    if (opt_.mechanism == "plain") {
      const std::string user = fmt::format(fmt::runtime(opt_.user_format), s.index + 1);
      const std::string password = fmt::format(fmt::runtime(opt_.password_format), user);
      std::string message;
      message += '\0';
      message += user;
      message += '\0';
      message += password;
      return fmt::format("<auth xmlns='{}' mechanism='PLAIN'>{}</auth>", sasl_ns,
                         boshmux::proto::base64_encode(message));
    }
    return fmt::format("<auth xmlns='{}' mechanism='ANONYMOUS'/>", sasl_ns);
  }

  void logged_in(session& s) {
    s.state = phase::ready;
    --logging_in_;
    ++logins_;
    login_latency_.add(elapsed(s.login_start) * 1000.0);
    if (opt_.presence)
      s.pending += "<presence xmlns='jabber:client'/>";
    if (opt_.scenario == "churn") {
      logout(s);
    } else {
      ++ready_;
      launch();
      if (logins_ + login_failures_ == sessions_.size())
        all_logged_in();
    }
  }

  void logout(session& s) {
    s.state = phase::ending;
    send(s,
         fmt::format("<body xmlns='http://jabber.org/protocol/httpbind' rid='{}' sid='{}' "
                     "type='terminate'>{}<presence xmlns='jabber:client' "
                     "type='unavailable'/></body>",
                     ++s.rid, s.sid, std::exchange(s.pending, {})),
         true);
    s.pending_messages = 0;
  }

  /// The session is over (an error, or its logout completed).
  void ended(session& s, bool failed) {
    // Messages still waiting for a request never left: not sent, so not lost either.
    sent_ -= s.pending_messages;
    unsent_ += std::exchange(s.pending_messages, 0);
    const phase was = s.state;
    s.state = phase::ended;
    ++s.generation; // whatever is still in flight for it is now stale
    if (s.gap_timer)
      s.gap_timer->cancel();
    if (was != phase::ready && was != phase::ending) {
      --logging_in_;
      if (failed)
        ++login_failures_;
    } else if (was == phase::ready && opt_.scenario != "churn") {
      --ready_;
      ++lost_sessions_;
    }
    if (opt_.scenario == "churn") {
      if (!failed)
        ++logouts_;
      free_slots_.push_back(s.index);
      launch();
    } else if (was != phase::ready && was != phase::ending) {
      launch();
      if (logins_ + login_failures_ == sessions_.size())
        all_logged_in();
    }
  }

  // ---- requests -----------------------------------------------------------------------

  void send(session& s, const std::string& body, bool terminate = false) {
    ++s.outstanding;
    const std::uint32_t index = s.index;
    const std::uint32_t generation = s.generation;
    const std::uint64_t rid = s.rid; // every caller has just put s.rid in the body
    pool_.post(body, std::chrono::seconds(opt_.wait + 30),
               [this, index, generation, rid, terminate](http_result&& r) {
                 in_order(sessions_[index], generation, rid, terminate, std::move(r));
               });
  }

  void in_order(session& s, std::uint32_t generation, std::uint64_t rid, bool terminate,
                http_result&& r) {
    if (s.generation != generation)
      return;
    if (rid != s.next_answer_rid && !r.error) {
      s.early = std::make_unique<session::early_answer>(
          session::early_answer{rid, terminate, std::move(r)});
      return;
    }
    ++s.next_answer_rid;
    on_response(s, generation, terminate, std::move(r));
    if (s.generation == generation && s.early && s.early->rid == s.next_answer_rid) {
      auto early = std::move(s.early);
      ++s.next_answer_rid;
      on_response(s, generation, early->terminate, std::move(early->result));
    }
  }

  /// Sends what the session has to say, keeping one request held once it exists.
  void pump(session& s) {
    if (s.state == phase::creating || s.state == phase::ending || s.state == phase::ended ||
        s.state == phase::unused)
      return;
    const unsigned limit = opt_.hold + 1;
    if (s.restart_pending) {
      if (s.outstanding >= limit)
        return;
      s.restart_pending = false;
      send(s, fmt::format("<body xmlns='http://jabber.org/protocol/httpbind' "
                          "xmlns:xmpp='urn:xmpp:xbosh' rid='{}' sid='{}' to='{}' xml:lang='en' "
                          "xmpp:restart='true'/>",
                          ++s.rid, s.sid, opt_.domain));
    }
    if (!s.pending.empty() && s.outstanding < limit) {
      send(s, fmt::format("<body xmlns='http://jabber.org/protocol/httpbind' rid='{}' sid='{}'>"
                          "{}</body>",
                          ++s.rid, s.sid, s.pending));
      s.pending.clear();
      s.pending_messages = 0;
    }
    if (s.outstanding == 0 && opt_.hold > 0) {
      if (s.state == phase::ready && opt_.idle_gap > 0)
        return poll_later(s);
      send(s, fmt::format("<body xmlns='http://jabber.org/protocol/httpbind' rid='{}' sid='{}'/>",
                          ++s.rid, s.sid));
    }
  }

  void poll_later(session& s) {
    // The first poll after the login comes at a random point of the gap, so that a population
    // that logged in within seconds does not poll in step.
    const bool first = !s.gap_timer;
    if (first)
      s.gap_timer = std::make_unique<asio::steady_timer>(io_);
    if (s.gap_timer->expiry() > clock::now())
      return; // already armed
    s.gap_timer->expires_after(seconds(
        first ? std::uniform_real_distribution<double>(0, opt_.idle_gap)(rng_) : opt_.idle_gap));
    s.gap_timer->async_wait([this, &s, generation = s.generation](std::error_code ec) {
      if (ec || s.generation != generation || s.state != phase::ready || s.outstanding > 0)
        return;
      send(s, fmt::format("<body xmlns='http://jabber.org/protocol/httpbind' rid='{}' sid='{}'/>",
                          ++s.rid, s.sid));
    });
  }

  void on_response(session& s, std::uint32_t generation, bool terminate, http_result&& r) {
    if (s.generation != generation)
      return;
    --s.outstanding;
    if (r.error) {
      error(r.error == asio::error::timed_out ? "http-timeout" : "transport:" + r.error.message());
      return ended(s, true);
    }
    if (r.status != 200) {
      error(fmt::format("http-{}", r.status));
      return ended(s, true);
    }
    std::error_code ec;
    auto doc = xml::document::parse(r.body, ec);
    if (!doc || xml::local_name(doc->root()) != "body") {
      error("malformed-response");
      return ended(s, true);
    }
    const xml::node& body = doc->root();
    for (const xml::node* child = body.first_node(); child; child = child->next_sibling())
      stanza(s, *child);
    if (s.generation != generation)
      return; // a stanza ended it
    if (terminate)
      return ended(s, false);
    if (xml::attribute_value(body, "type") == "terminate") {
      if (s.state == phase::ending)
        return; // the terminate request's own answer follows
      error(fmt::format("terminate:{}", xml::attribute_value(body, "condition", "none")));
      return ended(s, true);
    }
    if (s.state == phase::creating) {
      s.sid = std::string(xml::attribute_value(body, "sid"));
      if (s.sid.empty()) {
        error("no-sid");
        return ended(s, true);
      }
      s.state = phase::authenticating;
    }
    pump(s);
  }

  // ---- stanzas ------------------------------------------------------------------------

  static const xml::node* child_named(const xml::node& n, std::string_view name) {
    for (const xml::node* c = n.first_node(); c; c = c->next_sibling())
      if (xml::local_name(*c) == name)
        return c;
    return nullptr;
  }

  void stanza(session& s, const xml::node& n) {
    const std::string_view name = xml::local_name(n);
    if (name == "message")
      return message(s, n);
    if (name == "presence") {
      ++presences_;
      return;
    }
    if (name == "features") {
      if (child_named(n, "mechanisms") && !s.auth_sent) {
        s.auth_sent = true;
        s.pending += auth_payload(s);
      } else if (child_named(n, "bind") && s.state == phase::restarting) {
        s.session_advertised = child_named(n, "session") != nullptr;
        s.state = phase::binding;
        s.pending += fmt::format("<iq xmlns='jabber:client' type='set' id='bind'><bind "
                                 "xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>bl{}"
                                 "</resource></bind></iq>",
                                 s.index);
      }
      return;
    }
    if (name == "success") {
      s.state = phase::restarting;
      s.restart_pending = true;
      return;
    }
    if (name == "failure") {
      error("sasl-failure");
      return ended(s, true);
    }
    if (name == "iq") {
      const std::string_view id = xml::attribute_value(n, "id");
      const std::string_view type = xml::attribute_value(n, "type");
      if (type == "error") {
        error(fmt::format("iq-error:{}", id));
        if (s.state == phase::binding || s.state == phase::establishing)
          ended(s, true);
        return;
      }
      if (type != "result")
        return;
      if (id == "bind" && s.state == phase::binding) {
        const xml::node* bind = child_named(n, "bind");
        const xml::node* jid = bind ? child_named(*bind, "jid") : nullptr;
        if (!jid) {
          error("bind-without-jid");
          return ended(s, true);
        }
        s.jid = xml::text(*jid);
        if (s.session_advertised) {
          s.state = phase::establishing;
          s.pending += "<iq xmlns='jabber:client' type='set' id='sess'><session "
                       "xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>";
        } else {
          logged_in(s);
        }
      } else if (id == "sess" && s.state == phase::establishing) {
        logged_in(s);
      }
      return;
    }
    if (name == "error") {
      error("stream-error");
      return ended(s, true);
    }
  }

  /// A chat message from the partner: "<seq> <sent ns> <step>".
  void message(session& s, const xml::node& n) {
    if (xml::attribute_value(n, "type") == "error") {
      error("message-bounced"); // a bounce may or may not carry the original body
      return;
    }
    const xml::node* body = child_named(n, "body");
    if (!body)
      return;
    const std::string text = xml::text(*body);
    std::uint64_t seq = 0;
    std::int64_t sent_ns = 0;
    std::size_t step = 0;
    const char* p = text.data();
    const char* end = text.data() + text.size();
    auto field = [&](auto& value) {
      while (p < end && *p == ' ')
        ++p;
      auto [next, ec] = std::from_chars(p, end, value);
      p = next;
      return ec == std::errc{};
    };
    if (!field(seq) || !field(sent_ns) || !field(step) || step >= steps_.size()) {
      error("foreign-message");
      return;
    }
    if (seq < s.expected_seq || s.ahead.contains(seq)) {
      ++duplicates_; // counted once as received, and not again
      return;
    }
    ++received_;
    chat_step& origin = steps_[step];
    ++origin.delivered;
    origin.latency.add(static_cast<double>(now_ns() - sent_ns) / 1e6);
    if (current_step_ < steps_.size())
      ++steps_[current_step_].received_in_window;
    if (seq > s.expected_seq) {
      s.ahead.insert(seq); // a gap before it, filled later or lost
      return;
    }
    if (!s.ahead.empty()) {
      ++out_of_order_; // it fills a gap: overtaken by a later one
    }
    ++s.expected_seq;
    while (!s.ahead.empty() && *s.ahead.begin() == s.expected_seq) {
      s.ahead.erase(s.ahead.begin());
      ++s.expected_seq;
    }
  }

  // ---- scenarios ----------------------------------------------------------------------

  template <class F> void arm_tick(std::chrono::nanoseconds after, F f) {
    tick_.expires_after(after);
    tick_.async_wait([f = std::move(f)](std::error_code ec) {
      if (!ec)
        f();
    });
  }

  void all_logged_in() {
    if (all_in_)
      return;
    all_in_ = true;
    result_["sessions"] = {{"requested", sessions_.size()}, {"established", ready_}};
    result_["login_seconds"] = elapsed(started_);
    if (opt_.scenario == "chat")
      return start_step(first_rate());
    if (opt_.scenario == "idle") {
      // Let the last answers settle, then measure the established population.
      arm_tick(std::chrono::seconds(2), [this] {
        idle_start_ = opt_.watch.sample();
        idle_self_cpu_ = self_cpu_seconds();
        arm_tick(seconds(opt_.duration), [this] { finish_idle(); });
      });
    }
  }

  void finish_idle() {
    const auto now = opt_.watch.sample();
    nlohmann::json per = nlohmann::json::object();
    for (const auto& [label, u] : now) {
      const double before = baseline_.count(label) ? baseline_.at(label).rss_bytes : 0;
      const double cpu = u.cpu_seconds - idle_start_[label].cpu_seconds;
      per[label] = {
          {"rss_bytes", u.rss_bytes},
          {"rss_before_logins", before},
          {"rss_per_session", ready_ ? (u.rss_bytes - before) / static_cast<double>(ready_) : 0},
          {"cpu_seconds_per_minute", cpu / opt_.duration * 60.0}};
    }
    result_["idle"] = {{"sessions", ready_},
                       {"lost_sessions", lost_sessions_},
                       {"measured_seconds", opt_.duration},
                       {"servers", per},
                       {"self_cpu_seconds_per_minute",
                        (self_cpu_seconds() - idle_self_cpu_) / opt_.duration * 60.0}};
    finish();
  }

  /// Churn: after a 2 s warm-up, counts completed logins and logouts for `duration` seconds.
  void measure_churn() {
    phase_timer_.expires_after(std::chrono::seconds(2));
    phase_timer_.async_wait([this](std::error_code ec) {
      if (ec)
        return;
      const std::size_t logins = logins_;
      const std::size_t logouts = logouts_;
      const auto usage_start = opt_.watch.sample();
      const double self_start = self_cpu_seconds();
      phase_timer_.expires_after(seconds(opt_.duration));
      phase_timer_.async_wait([=, this](std::error_code ec2) {
        if (ec2)
          return;
        const double d = opt_.duration;
        result_["churn"] = {{"concurrency", opt_.login_concurrency},
                            {"measured_seconds", d},
                            {"logins_per_second", static_cast<double>(logins_ - logins) / d},
                            {"logouts_per_second", static_cast<double>(logouts_ - logouts) / d},
                            {"servers", usage_delta(usage_start, opt_.watch.sample())},
                            {"self_cpu_seconds", self_cpu_seconds() - self_start}};
        finish();
      });
    });
  }

  double first_rate() const { return opt_.rates.empty() ? 100.0 : opt_.rates.front(); }

  std::optional<double> next_rate() const {
    const std::size_t next = steps_.size();
    if (next < opt_.rates.size())
      return opt_.rates[next];
    if (opt_.rate_factor > 1 && next < opt_.max_steps)
      return steps_.back().offered * opt_.rate_factor;
    return std::nullopt;
  }

  void start_step(double rate) {
    steps_.emplace_back();
    current_step_ = steps_.size() - 1;
    chat_step& step = steps_.back();
    step.offered = rate;
    step.usage = nlohmann::json::object();
    step_usage_start_ = opt_.watch.sample();
    step_self_cpu_ = self_cpu_seconds();
    step_start_ = clock::now();
    chat_tick();
  }

  void chat_tick() {
    chat_step& step = steps_[current_step_];
    const double t = elapsed(step_start_);
    const auto due = static_cast<std::uint64_t>(step.offered * std::min(t, opt_.step_seconds));
    std::size_t misses = 0;
    while (step.sent < due && misses < sessions_.size()) {
      session& s = sessions_[cursor_++ % sessions_.size()];
      session& partner = sessions_[s.index ^ 1U];
      if (s.state != phase::ready || (s.index ^ 1U) >= sessions_.size() ||
          partner.state != phase::ready) {
        ++misses;
        continue;
      }
      misses = 0;
      s.pending += fmt::format("<message xmlns='jabber:client' type='chat' to='{}'><body>{} {} "
                               "{}</body></message>",
                               partner.jid, ++s.last_sent_seq, now_ns(), current_step_);
      ++step.sent;
      ++sent_;
      ++s.pending_messages;
      pump(s);
    }
    if (t >= opt_.step_seconds)
      return end_step();
    arm_tick(std::chrono::milliseconds(2), [this] { chat_tick(); });
  }

  void end_step() {
    chat_step& step = steps_[current_step_];
    step.usage = usage_delta(step_usage_start_, opt_.watch.sample());
    step.self_cpu = self_cpu_seconds() - step_self_cpu_;
    const double delivered_rate = static_cast<double>(step.received_in_window) / opt_.step_seconds;
    const double offered_total = step.offered * opt_.step_seconds;
    step.saturated =
        delivered_rate < 0.9 * step.offered || static_cast<double>(step.sent) < 0.9 * offered_total;
    const auto next = next_rate();
    current_step_ = steps_.size(); // receptions from here on belong to no window
    if (next && !(opt_.until_saturated && step.saturated))
      return start_step(*next);
    drain_start_ = clock::now();
    drain();
  }

  /// Waits (at most 10 s) for the messages still on their way, then reports.
  void drain() {
    if (received_ < sent_ && elapsed(drain_start_) < 10)
      return arm_tick(std::chrono::milliseconds(20), [this] { drain(); });
    nlohmann::json steps = nlohmann::json::array();
    for (chat_step& step : steps_) {
      steps.push_back({{"offered_per_second", step.offered},
                       {"sent", step.sent},
                       {"delivered", step.delivered},
                       {"delivered_per_second",
                        static_cast<double>(step.received_in_window) / opt_.step_seconds},
                       {"latency_ms", step.latency.summary()},
                       {"servers", step.usage},
                       {"self_cpu_seconds", step.self_cpu},
                       {"saturated", step.saturated}});
    }
    result_["chat"] = {{"step_seconds", opt_.step_seconds},
                       {"steps", steps},
                       {"sent", sent_},
                       {"received", received_},
                       {"lost", sent_ > received_ ? sent_ - received_ : 0},
                       {"duplicates", duplicates_},
                       {"unsent", unsent_},
                       {"out_of_order", out_of_order_},
                       {"lost_sessions", lost_sessions_}};
    finish();
  }

  void finish() {
    if (stopping_)
      return;
    stopping_ = true;
    io_.stop();
  }

  const options& opt_;
  asio::io_context io_;
  http_pool pool_;
  asio::steady_timer deadline_;
  asio::steady_timer tick_;
  asio::steady_timer phase_timer_;
  std::mt19937_64 rng_;
  std::vector<session> sessions_;
  std::vector<std::uint32_t> free_slots_;
  clock::time_point started_;
  std::map<std::string, usage> baseline_;
  nlohmann::json result_ = nlohmann::json::object();
  std::map<std::string, std::uint64_t> errors_;
  latencies login_latency_;
  std::size_t launched_ = 0;
  unsigned logging_in_ = 0;
  std::size_t ready_ = 0;
  std::size_t logins_ = 0;
  std::size_t logouts_ = 0;
  std::size_t login_failures_ = 0;
  std::size_t lost_sessions_ = 0;
  std::uint64_t presences_ = 0;
  bool all_in_ = false;
  bool stopping_ = false;
  // idle
  std::map<std::string, usage> idle_start_;
  double idle_self_cpu_ = 0;
  // chat
  std::vector<chat_step> steps_;
  std::size_t current_step_ = 0;
  std::size_t cursor_ = 0;
  clock::time_point step_start_;
  clock::time_point drain_start_;
  std::map<std::string, usage> step_usage_start_;
  double step_self_cpu_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t unsent_ = 0; ///< offered to a session that ended before it could send them
  std::uint64_t out_of_order_ = 0;
};

} // namespace

nlohmann::json run(const options& opt) {
  engine e(opt);
  return e.run();
}

} // namespace boshload

namespace boshload {

std::string summary(const nlohmann::json& r) {
  std::string out;
  auto num = [](const nlohmann::json& v, const char* unit = "") {
    return v.is_number() ? fmt::format("{:.1f}{}", v.get<double>(), unit) : std::string("-");
  };
  out +=
      fmt::format("boshload {}: {:.1f} s, logins {} ok / {} failed (p50 {} ms, p99 {} ms), "
                  "peak {} connections\n",
                  r["scenario"].get<std::string>(), r["wall_seconds"].get<double>(),
                  r["logins"]["completed"].get<std::size_t>(),
                  r["logins"]["failed"].get<std::size_t>(), num(r["login_latency_ms"]["p50"]),
                  num(r["login_latency_ms"]["p99"]), r["connections"]["peak"].get<std::size_t>());
  if (r.contains("chat")) {
    const auto& c = r["chat"];
    for (const auto& step : c["steps"]) {
      out += fmt::format("  offered {:>8.0f}/s  delivered {:>8.0f}/s  p50 {:>7} ms  p99 {:>7} ms  "
                         "max {:>7} ms{}\n",
                         step["offered_per_second"].get<double>(),
                         step["delivered_per_second"].get<double>(), num(step["latency_ms"]["p50"]),
                         num(step["latency_ms"]["p99"]), num(step["latency_ms"]["max"]),
                         step["saturated"].get<bool>() ? "  (saturated)" : "");
    }
    out += fmt::format("  sent {} received {} lost {} duplicates {} out of order {}\n",
                       c["sent"].get<std::uint64_t>(), c["received"].get<std::uint64_t>(),
                       c["lost"].get<std::uint64_t>(), c["duplicates"].get<std::uint64_t>(),
                       c["out_of_order"].get<std::uint64_t>());
  }
  if (r.contains("idle")) {
    const auto& i = r["idle"];
    out += fmt::format("  idle sessions {}\n", i["sessions"].get<std::size_t>());
    for (const auto& [label, s] : i["servers"].items())
      out += fmt::format("  {}: {:.0f} bytes/session, {:.2f} CPU s/min\n", label,
                         s["rss_per_session"].get<double>(),
                         s["cpu_seconds_per_minute"].get<double>());
  }
  if (r.contains("churn") && r["churn"].is_object()) {
    out += fmt::format("  churn: {:.0f} logins/s, {:.0f} logouts/s\n",
                       r["churn"]["logins_per_second"].get<double>(),
                       r["churn"]["logouts_per_second"].get<double>());
  }
  out += fmt::format("  boshload itself: {:.2f} CPU s, {:.0f} MB\n",
                     r["self"]["cpu_seconds"].get<double>(),
                     r["self"]["rss_bytes"].get<double>() / 1e6);
  for (const auto& [kind, count] : r["errors"].items())
    out += fmt::format("  error {}: {}\n", kind, count.get<std::uint64_t>());
  return out;
}

} // namespace boshload
