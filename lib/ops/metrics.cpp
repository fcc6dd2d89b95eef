#include "lib/ops/metrics.hpp"

#include <dirent.h>
#include <fstream>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>
#include <sstream>
#include <unistd.h>
#include <vector>

namespace boshmux::ops {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using labels = std::vector<ClientMetric::Label>;

/// Collects metric families in exposition order.
class exposition {
public:
  MetricFamily& family(std::string name, std::string help, MetricType type) {
    families_.push_back(MetricFamily{std::move(name), std::move(help), type, {}});
    return families_.back();
  }
  void counter(std::string name, std::string help, double value, labels l = {}) {
    add(family(std::move(name), std::move(help), MetricType::Counter), value, std::move(l));
  }
  void gauge(std::string name, std::string help, double value, labels l = {}) {
    add(family(std::move(name), std::move(help), MetricType::Gauge), value, std::move(l));
  }
  static void add(MetricFamily& f, double value, labels l = {}) {
    ClientMetric m;
    m.label = std::move(l);
    (f.type == MetricType::Counter ? m.counter.value : m.gauge.value) = value;
    f.metric.push_back(std::move(m));
  }
  std::string text() const { return prometheus::TextSerializer().Serialize(families_); }

private:
  std::vector<MetricFamily> families_;
};

double as_double(std::uint64_t v) {
  return static_cast<double>(v);
}

void add_histogram(MetricFamily& f, const http::latency_histogram& h, labels l) {
  ClientMetric m;
  m.label = std::move(l);
  m.histogram.sample_count = h.count;
  m.histogram.sample_sum = h.sum;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < h.bounds.size(); ++i) {
    cumulative += h.counts[i];
    m.histogram.bucket.push_back({cumulative, h.bounds[i]});
  }
  m.histogram.bucket.push_back({h.count, std::numeric_limits<double>::infinity()});
  f.metric.push_back(std::move(m));
}

/// Resident bytes, CPU seconds and start time (seconds since the epoch) from /proc/self.
struct process_figures {
  double resident_bytes = 0;
  double cpu_seconds = 0;
  double start_time = 0;
  double open_fds = 0;
};

process_figures read_process() {
  process_figures p;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  std::ifstream stat("/proc/self/stat");
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(line.substr(close + 2));
    std::vector<std::string> f;
    for (std::string field; fields >> field;) {
      f.push_back(field);
    }
    // Fields after "pid (comm) ": state is index 0; utime 11, stime 12, starttime 19, rss 21.
    if (f.size() > 21) {
      p.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / tick;
      p.resident_bytes = std::stod(f[21]) * page;
      std::ifstream uptime_file("/proc/uptime");
      double uptime = 0;
      uptime_file >> uptime;
      const double boot = static_cast<double>(::time(nullptr)) - uptime;
      p.start_time = boot + std::stod(f[19]) / tick;
    }
  }
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (const dirent* e = ::readdir(d)) {
      p.open_fds += e->d_name[0] == '.' ? 0 : 1;
    }
    ::closedir(d);
    p.open_fds -= 1; // the directory stream itself
  }
  return p;
}

} // namespace

std::string render_metrics(const metrics_sources& s) {
  exposition e;
  // BOSH sessions.
  e.gauge("boshmux_sessions_active", "BOSH sessions open now",
          static_cast<double>(s.sessions_active));
  e.gauge("boshmux_bosh_requests_held", "BOSH requests held open now",
          static_cast<double>(s.requests_held));
  e.gauge("boshmux_resources_bound", "Full JIDs bound now", static_cast<double>(s.bound_resources));
  if (s.bosh != nullptr) {
    e.counter("boshmux_sessions_created_total", "BOSH sessions created",
              as_double(s.bosh->sessions_created));
    auto& ended =
        e.family("boshmux_sessions_ended_total",
                 "BOSH sessions ended, by BOSH condition and finer reason", MetricType::Counter);
    for (const auto& [key, count] : s.bosh->ended_by) {
      const auto condition = key.first == proto::bosh::condition::none
                                 ? std::string("none")
                                 : std::string(proto::bosh::to_string(key.first));
      exposition::add(
          ended, as_double(count),
          {{"condition", condition}, {"reason", std::string(proto::bosh::to_string(key.second))}});
    }
    e.counter("boshmux_sessions_refused_total",
              "Session creations refused (unknown domain, capacity, link down, draining)",
              as_double(s.bosh->refused));
    e.counter("boshmux_sessions_rate_limited_total",
              "Session creations refused with policy-violation because their client address "
              "exceeded its creation rate",
              as_double(s.bosh->rate_limited));
    e.counter("boshmux_sessions_over_capacity_total",
              "Session creations refused with policy-violation because --max-sessions was reached",
              as_double(s.bosh->over_capacity));
    e.counter("boshmux_bosh_bad_requests_total", "BOSH requests whose body could not be parsed",
              as_double(s.bosh->bad_requests));
    e.counter("boshmux_bosh_unknown_sid_total", "BOSH requests for a session that does not exist",
              as_double(s.bosh->unknown_sid));
  }
  // HTTP.
  if (s.http != nullptr) {
    const auto& h = *s.http;
    e.gauge("boshmux_http_connections_open", "HTTP connections open now",
            as_double(h.connections_open));
    e.counter("boshmux_http_connections_accepted_total", "HTTP connections accepted",
              as_double(h.connections_accepted));
    e.counter("boshmux_http_connections_rejected_total",
              "HTTP connections closed at once because the connection limit was reached",
              as_double(h.connections_rejected));
    e.counter("boshmux_http_requests_total", "Complete HTTP requests read", as_double(h.requests));
    auto& refused = e.family("boshmux_http_request_errors_total",
                             "HTTP requests refused before routing, by the status they got (400 "
                             "malformed, 408 not complete in time, 413 body too large, 431 headers "
                             "too large, 501, 505)",
                             MetricType::Counter);
    const auto& pe = h.parse_errors;
    for (const auto& [code, count] :
         {std::pair{"400", pe.bad_request}, std::pair{"408", pe.request_timeout},
          std::pair{"413", pe.payload_too_large}, std::pair{"431", pe.header_too_large},
          std::pair{"501", pe.not_implemented}, std::pair{"505", pe.version_unsupported}}) {
      exposition::add(refused, as_double(count), {{"code", code}});
    }
    e.counter("boshmux_http_idle_timeouts_total", "HTTP connections closed for being idle",
              as_double(h.idle_timeouts));
    e.counter("boshmux_tls_handshakes_total", "TLS handshakes completed (--tls-cert)",
              as_double(h.tls_handshakes));
    e.counter("boshmux_tls_handshake_failures_total",
              "TLS handshakes that failed or timed out, plain-HTTP requests to the TLS port "
              "included",
              as_double(h.tls_handshake_failures));
    auto& responses = e.family("boshmux_http_responses_total",
                               "HTTP responses written, by status class", MetricType::Counter);
    for (std::size_t i = 1; i < h.responses_by_class.size(); ++i) {
      exposition::add(responses, as_double(h.responses_by_class[i]),
                      {{"code", std::to_string(i) + "xx"}});
    }
    auto& latency = e.family("boshmux_http_request_duration_seconds",
                             "Seconds from a complete request to its response written (BOSH "
                             "requests are held until there is something to say)",
                             MetricType::Histogram);
    add_histogram(latency, h.bosh_latency, {{"path", "bosh"}});
    add_histogram(latency, h.other_latency, {{"path", "other"}});
    e.counter("boshmux_http_received_bytes_total", "Bytes read from HTTP clients",
              as_double(h.bytes_in));
    e.counter("boshmux_http_sent_bytes_total", "Bytes written to HTTP clients",
              as_double(h.bytes_out));
  }
  // Stanzas.
  if (s.routing != nullptr) {
    const auto& r = *s.routing;
    auto& stanzas = e.family("boshmux_stanzas_received_total",
                             "Stanzas received, by origin and kind", MetricType::Counter);
    for (std::size_t i = 0; i < r.kinds.size(); ++i) {
      exposition::add(stanzas, as_double(r.from_sessions[i]),
                      {{"from", "client"}, {"kind", std::string(r.kinds[i])}});
      exposition::add(stanzas, as_double(r.from_server[i]),
                      {{"from", "server"}, {"kind", std::string(r.kinds[i])}});
    }
    auto& sent = e.family("boshmux_stanzas_sent_total", "Stanzas sent, by destination and kind",
                          MetricType::Counter);
    for (std::size_t i = 0; i < r.kinds.size(); ++i) {
      exposition::add(sent, as_double(r.to_sessions[i]),
                      {{"to", "client"}, {"kind", std::string(r.kinds[i])}});
      exposition::add(sent, as_double(r.to_server[i]),
                      {{"to", "server"}, {"kind", std::string(r.kinds[i])}});
    }
    e.counter("boshmux_stanzas_short_circuited_total",
              "Stanzas delivered from one local session to another without the server",
              as_double(r.short_circuited));
    e.counter("boshmux_stanza_errors_sent_total", "Error stanzas written by the router",
              as_double(r.errors_sent));
    e.counter("boshmux_stanzas_dropped_total",
              "Stanzas the RFC 6121 rules say to ignore (errors, stray presence, results)",
              as_double(r.dropped));
    e.counter("boshmux_presence_cleanups_total",
              "Sessions that ended with unavailable presence sent on their behalf",
              as_double(r.presence_cleanups));
  }
  // XMPP streams and logins.
  if (s.c2s != nullptr) {
    const auto& c = *s.c2s;
    auto& logins = e.family("boshmux_logins_total",
                            "SASL exchanges, by mechanism and outcome (success or the failure "
                            "condition)",
                            MetricType::Counter);
    for (const auto& [key, count] : c.logins) {
      exposition::add(logins, as_double(count),
                      {{"mechanism", key.first}, {"outcome", key.second}});
    }
    e.counter("boshmux_stream_errors_total", "Client streams closed with a stream error",
              as_double(c.stream_errors));
    e.counter("boshmux_resource_conflicts_total",
              "Sessions replaced by a new session binding the same full JID",
              as_double(c.conflicts));
    e.counter("boshmux_stanzas_undeliverable_total",
              "Stanzas that could not be queued for the server and were bounced",
              as_double(c.stanzas_undeliverable));
  }
  if (s.auth != nullptr) {
    auto& checks = e.family("boshmux_credential_checks_total",
                            "PLAIN passwords checked, by backend and result", MetricType::Counter);
    exposition::add(checks, as_double(s.auth->plain_ok),
                    {{"backend", "users-file"}, {"result", "ok"}});
    exposition::add(checks, as_double(s.auth->plain_failed),
                    {{"backend", "users-file"}, {"result", "failed"}});
    exposition::add(checks, as_double(s.auth->jwt_ok), {{"backend", "jwt"}, {"result", "ok"}});
    exposition::add(checks, as_double(s.auth->jwt_failed),
                    {{"backend", "jwt"}, {"result", "failed"}});
  }
  // The component link.
  e.gauge("boshmux_component_link_up", "1 while the component stream is authenticated",
          s.link_up ? 1 : 0);
  e.counter("boshmux_component_link_handshakes_total",
            "Successful component handshakes (reconnects are this minus one)",
            as_double(s.link_connections));
  e.gauge("boshmux_component_link_queue_bytes",
          "Bytes of stanzas waiting to be written or to be confirmed by the server",
          static_cast<double>(s.link_queued_bytes));
  e.gauge("boshmux_component_link_unconfirmed_stanzas",
          "Stanzas written to the server and not yet confirmed by a checkpoint ping",
          static_cast<double>(s.link_unconfirmed));
  e.counter("boshmux_component_link_requeued_stanzas_total",
            "Stanzas the server had not confirmed when the stream was lost, queued again to be "
            "written on the next stream (each may reach its recipient twice)",
            as_double(s.link_requeued));
  e.gauge("boshmux_draining", "1 while shutting down (no new sessions)", s.draining ? 1 : 0);
  // The process (standard names).
  const auto p = read_process();
  e.gauge("process_resident_memory_bytes", "Resident memory size in bytes", p.resident_bytes);
  e.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds",
            p.cpu_seconds);
  e.gauge("process_open_fds", "Number of open file descriptors", p.open_fds);
  e.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds",
          p.start_time);
  return e.text();
}

} // namespace boshmux::ops
