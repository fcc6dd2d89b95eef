#include "lib/server.hpp"

#include "lib/ops/log.hpp"
#include "lib/ops/metrics.hpp"
#include "lib/ops/random.hpp"

#include <csignal>
#include <spdlog/spdlog.h>

namespace boshmux {

namespace {

component::link_config make_link_config(const ops::config& cfg) {
  component::link_config lc;
  lc.domain = cfg.domain;
  lc.host = cfg.upstream.host;
  lc.port = cfg.upstream.port;
  lc.secret = cfg.secret;
  lc.keepalive_interval = cfg.keepalive;
  lc.ping_timeout = std::max(cfg.keepalive / 2, std::chrono::milliseconds(100));
  lc.backoff.initial = cfg.reconnect_min;
  lc.backoff.maximum = cfg.reconnect_max;
  return lc;
}

http::server_config make_http_config(const ops::config& cfg) {
  http::server_config hc;
  hc.address = cfg.listen.host;
  hc.port = cfg.listen.port;
  hc.cors_origins = cfg.cors_origins;
  hc.max_connections = cfg.max_connections;
  hc.header_timeout = cfg.request_timeout;
  hc.tls_cert_file = cfg.tls_cert;
  hc.tls_key_file = cfg.tls_key;
  return hc;
}

bosh::table_config make_table_config(const ops::config& cfg) {
  bosh::table_config tc;
  tc.domains = {cfg.domain};
  tc.node_id = cfg.node_id;
  tc.max_sessions = cfg.max_sessions;
  tc.creations_per_address.rate = cfg.max_creations_per_address_rate;
  tc.creations_per_address.burst = cfg.max_creations_per_address_burst;
  for (const auto& proxy : cfg.trusted_proxies) {
    tc.trusted_proxies.push_back(asio::ip::make_address(proxy)); // validated by the parse
  }
  tc.limits.max_wait = cfg.max_wait;
  tc.limits.max_hold = cfg.max_hold;
  tc.limits.inactivity = cfg.inactivity;
  tc.limits.polling = cfg.polling;
  tc.limits.max_pause = cfg.max_pause;
  return tc;
}

proto::router::router_options make_router_options(const ops::config& cfg) {
  proto::router::router_options o;
  o.domain = cfg.domain;
  o.local_short_circuit = cfg.local_routing;
  return o;
}

proto::xmpp::c2s_options make_c2s_options(const ops::config& cfg, const auth::auth_backend& auth) {
  proto::xmpp::c2s_options o;
  o.domain = cfg.domain;
  o.max_upstream_stanza_bytes = cfg.max_upstream_stanza_bytes;
  o.sasl.anonymous = cfg.anonymous;
  o.sasl.plain = auth.has_users_file() || auth.has_jwt();
  o.sasl.scram = auth.has_users_file(); // SCRAM needs stored keys; a JWT is PLAIN only
  o.sasl.random_bytes = [](std::size_t n) { return ops::random_bytes(n); };
  o.sasl.scram_unknown_user_key = ops::random_bytes(32);
  return o;
}

/// The credential backends the configuration names. Throws std::runtime_error (a startup
/// error, exit status 2 from main) when a file cannot be used.
std::unique_ptr<auth::auth_backend> make_auth(const ops::config& cfg) {
  std::unique_ptr<auth::users_file_store> users;
  std::unique_ptr<auth::jwt_verifier> jwt;
  std::string error;
  if (!cfg.users_file.empty()) {
    users = auth::users_file_store::open(cfg.users_file, error);
    if (!users) {
      throw std::runtime_error("--users-file: " + error);
    }
  }
  if (!cfg.jwt_key_file.empty()) {
    auth::jwt_options options;
    auto key = auth::jwt_verifier::read_key_file(cfg.jwt_key_file, error);
    if (!key) {
      throw std::runtime_error("--jwt-key-file: " + error);
    }
    options.key = std::move(*key);
    options.user_claim = cfg.jwt_claim;
    if (!cfg.jwt_issuer.empty()) {
      options.issuer = cfg.jwt_issuer;
    }
    if (!cfg.jwt_audience.empty()) {
      options.audience = cfg.jwt_audience;
    }
    try {
      jwt = std::make_unique<auth::jwt_verifier>(std::move(options));
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(std::string("--jwt-key-file: ") + e.what());
    }
  }
  return std::make_unique<auth::auth_backend>(std::move(users), std::move(jwt));
}

} // namespace

server::server(ops::config cfg)
    : config_(std::move(cfg))
    , signals_(io_, SIGTERM, SIGINT)
    , reload_signal_(io_, SIGHUP)
    , grace_(io_)
    , drain_(io_)
    , drain_poll_(io_)
    , store_(make_auth(config_))
    , c2s_(std::make_unique<xmpp::c2s_layer>(
          make_c2s_options(config_, *store_), make_router_options(config_), *store_,
          [this](std::string stanza) { return link_.send(std::move(stanza)); }))
    , table_(std::make_unique<bosh::session_table>(io_.get_executor(), make_table_config(config_),
                                                   *c2s_))
    , link_(io_.get_executor(), make_link_config(config_),
            {[this](std::string_view stanza) {
               spdlog::debug("[up] stanza in: {}", stanza);
               c2s_->from_upstream(stanza, link_.scope());
             },
             [this](bool up) { link_changed(up); }})
    , http_(io_.get_executor(), make_http_config(config_)) {
  c2s_->attach(*table_);
  table_->set_accepting(false); // until the component link is up
  http_.set_bosh_handler(config_.bosh_path,
                         [this](const std::shared_ptr<http::exchange>& ex) { table_->handle(ex); });
  if (config_.metrics_listen) {
    http::server_config oc;
    oc.address = config_.metrics_listen->host;
    oc.port = config_.metrics_listen->port;
    oc.max_connections = 64;
    ops_http_ = std::make_unique<http::server>(io_.get_executor(), oc);
  }
  add_operations_routes(ops_http_ ? *ops_http_ : http_);
}

server::~server() = default;

int server::run() {
  wait_for_signal();
  wait_for_reload();
  http_.start();
  if (ops_http_) {
    ops_http_->start();
    spdlog::info("metrics and health on http://{}:{}/metrics", config_.metrics_listen->host,
                 ops_http_->local_port());
  }
  spdlog::info("boshmux {} for {}: BOSH endpoint {}://{}:{}{}, component link to {}:{}", "0.1.0",
               config_.domain, config_.tls_cert.empty() ? "http" : "https", config_.listen.host,
               http_.local_port(), config_.bosh_path, config_.upstream.host, config_.upstream.port);
  link_.start();
  io_.run();
  spdlog::info("boshmux stopped");
  return 0;
}

void server::add_operations_routes(http::server& on) {
  const auto text = [](unsigned status, std::string body) {
    http::response r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(body);
    return r;
  };
  on.add_route("/metrics", [this, text](const std::shared_ptr<http::exchange>& ex) {
    ops::metrics_sources m;
    m.http = &http_.stats();
    m.bosh = &table_->stats();
    m.sessions_active = table_->size();
    m.requests_held = table_->held_requests();
    m.c2s = &c2s_->stats();
    m.routing = &c2s_->routing_stats();
    m.bound_resources = c2s_->bound();
    m.auth = &store_->counters();
    m.link_up = link_.up();
    m.link_connections = link_.connections();
    m.link_queued_bytes = link_.queued_bytes();
    m.link_unconfirmed = link_.unconfirmed();
    m.link_requeued = link_.requeued();
    m.draining = shutting_down_;
    auto r = text(200, ops::render_metrics(m));
    r.content_type = ops::metrics_content_type;
    ex->respond(std::move(r));
  });
  // The process serves requests.
  on.add_route("/healthz", [text](const std::shared_ptr<http::exchange>& ex) {
    ex->respond(text(200, "ok\n"));
  });
  // It can take new sessions: the component link is up and it is not draining.
  on.add_route("/readyz", [this, text](const std::shared_ptr<http::exchange>& ex) {
    if (shutting_down_) {
      ex->respond(text(503, "draining\n"));
    } else if (!link_.up()) {
      ex->respond(text(503, "component link down\n"));
    } else {
      ex->respond(text(200, "ready\n"));
    }
  });
}

void server::wait_for_signal() {
  signals_.async_wait([this](const std::error_code& ec, int signal) {
    if (!ec) {
      shutdown(signal);
      wait_for_signal(); // a second signal cuts the drain short
    }
  });
}

void server::wait_for_reload() {
  reload_signal_.async_wait([this](const std::error_code& ec, int) {
    if (ec) {
      return;
    }
    if (config_source_) {
      if (auto fresh = config_source_()) {
        if (fresh->log_level != config_.log_level && ops::set_log_level(fresh->log_level)) {
          spdlog::info("SIGHUP: log level {} (was {})", fresh->log_level, config_.log_level);
          config_.log_level = fresh->log_level;
        }
      } else {
        spdlog::error("SIGHUP: the configuration has errors; nothing but the users file reloaded");
      }
    }
    if (const auto result = store_->reload_users_file()) {
      if (result->reloaded) {
        spdlog::info("SIGHUP: users file reloaded: {}", result->message);
      } else {
        spdlog::error("SIGHUP: users file not reloaded: {}", result->message);
      }
    } else {
      spdlog::info("SIGHUP: no users file to reload");
    }
    wait_for_reload();
  });
}

void server::link_changed(bool up) {
  spdlog::debug("component link is {}", up ? "up" : "down");
  if (shutting_down_) {
    return;
  }
  // DESIGN: while the link is down no session is created; existing ones stay for the grace
  // period, their stanzas queued by the link and written in order once it is back.
  table_->set_accepting(up);
  if (up) {
    grace_.cancel();
    return;
  }
  if (table_->size() > 0) {
    spdlog::warn("component link lost: {} sessions kept for {} s", table_->size(),
                 config_.link_grace);
  }
  grace_.expires_after(std::chrono::seconds(config_.link_grace));
  grace_.async_wait([this](const std::error_code& ec) {
    if (!ec && !link_.up() && !shutting_down_) {
      grace_expired();
    }
  });
}

void server::grace_expired() {
  auto queued = link_.take_queued();
  if (table_->size() > 0 || !queued.empty()) {
    spdlog::warn("component link still down after {} s: ending {} sessions, bouncing {} stanzas",
                 config_.link_grace, table_->size(), queued.size());
  }
  // Nothing is dropped silently: what never reached the server goes back as an error
  // (as Prosody does for an absent component: wait/remote-server-timeout).
  for (const auto& stanza : queued) {
    c2s_->undeliverable(stanza, "remote-server-timeout");
  }
  table_->terminate_all(proto::bosh::condition::remote_connection_failed,
                        proto::bosh::end_reason::link_lost);
}

void server::shutdown(int signal) {
  if (shutting_down_) {
    if (!drained_) {
      spdlog::info("signal {} again: ending the drain now", signal);
      drain_.cancel();
      finish_drain();
    }
    return;
  }
  shutting_down_ = true; // /readyz fails from now on
  // New sessions are refused at once; existing ones keep chatting for the drain period (or
  // until they are all gone), then end with system-shutdown after their unavailable presence.
  table_->set_accepting(false, proto::bosh::condition::system_shutdown);
  grace_.cancel();
  if (table_->size() == 0 || config_.drain_period == 0) {
    spdlog::info("signal {}: closing", signal);
    finish_drain();
    return;
  }
  spdlog::info("signal {}: draining {} sessions for up to {} s", signal, table_->size(),
               config_.drain_period);
  drain_.expires_after(std::chrono::seconds(config_.drain_period));
  drain_.async_wait([this](const std::error_code& ec) {
    if (!ec) {
      finish_drain();
    }
  });
  watch_drain();
}

void server::watch_drain() {
  // Ends the drain early once every session is gone (checked a few times a second).
  drain_poll_.expires_after(std::chrono::milliseconds(200));
  drain_poll_.async_wait([this](const std::error_code& ec) {
    if (ec || drained_) {
      return;
    }
    if (table_->size() == 0) {
      drain_.cancel();
      finish_drain();
      return;
    }
    watch_drain();
  });
}

void server::finish_drain() {
  if (drained_) {
    return;
  }
  drained_ = true;
  drain_poll_.cancel();
  spdlog::info("ending {} sessions and closing the component stream", table_->size());
  // Each end sends the session's unavailable presence into the link's queue, which stop()
  // writes before closing the stream: nothing accepted before the signal is lost.
  table_->terminate_all(proto::bosh::condition::system_shutdown, proto::bosh::end_reason::shutdown);
  http_.drain();
  if (ops_http_) {
    ops_http_->drain();
  }
  link_.stop([this] {
    signals_.cancel();
    reload_signal_.cancel();
  });
}

} // namespace boshmux
