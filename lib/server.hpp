#pragma once

#include "lib/component/link.hpp"
#include "lib/ops/config.hpp"

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <string_view>

namespace boshmux {

/// The composition root: owns the event loop and every long-lived part of one boshmux process.
class server {
public:
  explicit server(ops::config cfg);
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Runs until a SIGTERM/SIGINT has been handled; returns the process exit status.
  int run();

private:
  void on_component_stanza(std::string_view stanza);
  void shutdown(int signal);

  ops::config config_;
  asio::io_context io_{1};
  asio::signal_set signals_;
  component::link link_;
  bool shutting_down_ = false;
};

} // namespace boshmux
