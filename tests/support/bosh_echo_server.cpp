// A test-only server: the real HTTP server and BOSH session engine with an echo in place of the
// XMPP layer. Every payload a client sends comes back to it; a restart is answered with
// <restarted/>. Never shipped: the integration tests use it to exercise XEP-0124 alone.
//
// It prints "listening PORT" once it serves, "ended SID CONDITION REASON" for every session
// end, and serves its counters as JSON at /stats.
#include "lib/bosh/session_table.hpp"
#include "lib/http/server.hpp"

#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <fmt/format.h>
#include <iostream>
#include <spdlog/spdlog.h>

namespace {

using namespace boshmux;

class echo_layer final : public bosh::upper_layer {
public:
  bosh::session_table* table = nullptr;

  void session_created(const bosh::session_info& info) override {
    table->send(info.sid, "<ready xmlns='urn:boshmux:test'/>");
  }
  void payloads_received(const std::string& sid, std::vector<std::string>& payloads,
                         const proto::xml::namespace_scope&) override {
    std::string all;
    for (const auto& p : payloads) {
      all += p;
    }
    table->send(sid, all);
  }
  void restart_requested(const std::string& sid) override {
    table->send(sid, "<restarted xmlns='urn:boshmux:test'/>");
  }
  void session_ended(const std::string& sid, proto::bosh::condition cond,
                     proto::bosh::end_reason reason) override {
    const auto c = proto::bosh::to_string(cond);
    std::cout << "ended " << sid << " " << (c.empty() ? "none" : c) << " "
              << proto::bosh::to_string(reason) << std::endl;
  }
};

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"BOSH echo server for tests"};
  bosh::table_config table_config;
  table_config.domains = {"bosh.example"};
  http::server_config http_config;
  http_config.port = 0;
  unsigned header_timeout_ms = 10'000;
  unsigned idle_timeout_ms = 60'000;
  std::string log_level = "warn";
  app.add_option("--max-wait", table_config.limits.max_wait);
  app.add_option("--max-hold", table_config.limits.max_hold);
  app.add_option("--inactivity", table_config.limits.inactivity);
  app.add_option("--polling", table_config.limits.polling);
  app.add_option("--max-pause", table_config.limits.max_pause);
  app.add_option("--node-id", table_config.node_id);
  app.add_option("--max-body", http_config.max_body_bytes);
  app.add_option("--max-connections", http_config.max_connections);
  app.add_option("--header-timeout-ms", header_timeout_ms);
  app.add_option("--idle-timeout-ms", idle_timeout_ms);
  app.add_option("--cors-origin", http_config.cors_origins);
  app.add_option("--log-level", log_level);
  CLI11_PARSE(app, argc, argv);
  http_config.header_timeout = std::chrono::milliseconds(header_timeout_ms);
  http_config.idle_timeout = std::chrono::milliseconds(idle_timeout_ms);
  spdlog::set_level(spdlog::level::from_str(log_level));

  asio::io_context io{1};
  echo_layer echo;
  bosh::session_table table(io.get_executor(), table_config, echo);
  echo.table = &table;
  http::server server(io.get_executor(), http_config);
  server.set_bosh_handler("/http-bind", [&table](const auto& ex) { table.handle(ex); });
  server.add_route("/stats", [&](const std::shared_ptr<http::exchange>& ex) {
    const auto& h = server.stats();
    http::response r;
    r.content_type = "application/json";
    r.body =
        fmt::format("{{\"sessions\":{},\"held\":{},\"connections_open\":{},"
                    "\"exchanges_aborted\":{},\"bad_requests\":{},\"unknown_sid\":{}}}",
                    table.size(), table.held_requests(), h.connections_open, h.exchanges_aborted,
                    table.stats().bad_requests, table.stats().unknown_sid);
    ex->respond(std::move(r));
  });
  server.start();
  std::cout << "listening " << server.local_port() << std::endl;

  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const std::error_code&, int) {
    table.terminate_all(proto::bosh::condition::system_shutdown);
    server.drain();
  });
  io.run();
  return 0;
}
