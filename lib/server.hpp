#pragma once

#include "lib/auth/auth_backend.hpp"
#include "lib/bosh/session_table.hpp"
#include "lib/component/link.hpp"
#include "lib/http/server.hpp"
#include "lib/ops/config.hpp"
#include "lib/xmpp/c2s_layer.hpp"

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

namespace boshmux {

/// The composition root: owns the event loop and every long-lived part of one boshmux process.
/// Declaration order is destruction order in reverse: the HTTP server (whose connections call
/// into the table) goes first, the io_context last.
class server {
public:
  explicit server(ops::config cfg);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Where SIGHUP reads the configuration again (the log level is applied; the users file is
  /// reloaded in any case).
  void set_config_source(std::function<std::optional<ops::config>()> source) {
    config_source_ = std::move(source);
  }

  /// Runs until a SIGTERM/SIGINT has been handled; returns the process exit status.
  int run();

private:
  void shutdown(int signal);
  void watch_drain();
  void finish_drain();
  void add_operations_routes(http::server& on);
  void wait_for_signal();
  void wait_for_reload();
  void link_changed(bool up);
  void grace_expired();

  ops::config config_;
  std::function<std::optional<ops::config>()> config_source_;
  asio::io_context io_{1};
  asio::signal_set signals_;
  asio::signal_set reload_signal_;
  asio::steady_timer grace_; ///< sessions' time left while the component link is down
  asio::steady_timer drain_; ///< sessions' time left after SIGTERM
  asio::steady_timer drain_poll_;
  std::unique_ptr<auth::auth_backend> store_;
  std::unique_ptr<xmpp::c2s_layer> c2s_;
  std::unique_ptr<bosh::session_table> table_;
  component::link link_;
  http::server http_;
  std::unique_ptr<http::server> ops_http_; ///< --metrics-listen, when given
  bool shutting_down_ = false;             ///< a signal arrived: draining, then closing
  bool drained_ = false;                   ///< sessions ended, the component stream closing
};

} // namespace boshmux
