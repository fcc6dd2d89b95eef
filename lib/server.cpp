#include "lib/server.hpp"

#include "proto/component/handshake.hpp"
#include "proto/xml/dom.hpp"
#include "proto/xmpp/stanza_error.hpp"

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

} // namespace

server::server(ops::config cfg)
    : config_(std::move(cfg))
    , signals_(io_, SIGTERM, SIGINT)
    , link_(io_.get_executor(), make_link_config(config_),
            {[this](std::string_view stanza) { on_component_stanza(stanza); },
             [](bool up) { spdlog::debug("component link is {}", up ? "up" : "down"); }}) {}

int server::run() {
  signals_.async_wait([this](const std::error_code& ec, int signal) {
    if (!ec) {
      shutdown(signal);
    }
  });
  spdlog::info("boshmux {} for {}: component link to {}:{}", "0.1.0", config_.domain,
               config_.upstream.host, config_.upstream.port);
  link_.start();
  io_.run();
  spdlog::info("boshmux stopped");
  return 0;
}

void server::shutdown(int signal) {
  if (shutting_down_) {
    return;
  }
  shutting_down_ = true;
  spdlog::info("signal {}: closing the component stream", signal);
  link_.stop([this] { signals_.cancel(); });
}

void server::on_component_stanza(std::string_view stanza) {
  spdlog::debug("[up] stanza in: {}", stanza);
  std::error_code ec;
  const auto doc = proto::xml::document::parse(stanza, ec);
  if (!doc) {
    return;
  }
  // No session serves any address yet: every stanza that expects an answer gets
  // service-unavailable (RFC 6121 section 8.5), never silence.
  if (!proto::xmpp::must_not_bounce(doc->root())) {
    link_.send(proto::xmpp::error_reply(doc->root(), proto::component::accept_namespace, "cancel",
                                        "service-unavailable"));
  }
}

} // namespace boshmux
