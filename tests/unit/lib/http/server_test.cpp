#include "lib/http/server.hpp"

#include <algorithm>
#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <spdlog/cfg/env.h>
#include <spdlog/spdlog.h>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace http = boshmux::http;
using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

/// A response as a test client read it.
struct reply {
  unsigned status = 0;
  std::string head; ///< status line and header lines, each ending in CRLF
  std::string body;

  /// The value of the first header with this exact name, or "<absent>".
  std::string header(std::string_view name) const {
    const std::string key = "\r\n" + std::string(name) + ": ";
    const auto at = head.find(key);
    if (at == std::string::npos) {
      return "<absent>";
    }
    const auto start = at + key.size();
    return head.substr(start, head.find("\r\n", start) - start);
  }
  /// True when a header with this exact name is present.
  bool has(std::string_view name) const { return header(name) != "<absent>"; }
};

/// A client connection to the server under test, used without blocking: the test pumps the
/// server's io_context while the client waits.
class client {
public:
  client(asio::io_context& io, std::uint16_t port)
      : socket_(io) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
    socket_.non_blocking(true);
  }

  /// Writes all of `bytes` (small enough for the socket buffer).
  void send(std::string_view bytes) {
    std::error_code ec;
    asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
    BOOST_TEST_REQUIRE(!ec, "send failed: " << ec.message());
  }

  /// Reads what arrived so far; notes the end of the stream.
  void poll() {
    std::array<char, 16 * 1024> buffer{};
    for (;;) {
      std::error_code ec;
      const std::size_t n = socket_.read_some(asio::buffer(buffer), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        return;
      }
      if (ec) {
        closed_ = true;
        return;
      }
      received_.append(buffer.data(), n);
    }
  }

  /// Takes one complete response out of the received bytes, if there is one.
  std::optional<reply> take_reply() {
    const auto end = received_.find("\r\n\r\n");
    if (end == std::string::npos) {
      return std::nullopt;
    }
    reply r;
    r.head = received_.substr(0, end + 2);
    r.status = static_cast<unsigned>(std::stoul(r.head.substr(9, 3)));
    std::size_t length = 0;
    if (r.has("Content-Length") && !head_only_) {
      length = std::stoul(r.header("Content-Length"));
    }
    if (received_.size() < end + 4 + length) {
      return std::nullopt;
    }
    r.body = received_.substr(end + 4, length);
    received_.erase(0, end + 4 + length);
    return r;
  }

  /// Responses to HEAD carry a Content-Length but no body.
  void expect_head_response(bool on) { head_only_ = on; }
  bool closed() const noexcept { return closed_; }
  const std::string& received() const noexcept { return received_; }
  void close() {
    std::error_code ignored;
    socket_.close(ignored);
  }
  /// Shuts down the sending side only (half close).
  void shutdown_send() {
    std::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  }

private:
  asio::ip::tcp::socket socket_;
  std::string received_;
  bool closed_ = false;
  bool head_only_ = false;
};

/// Exchanges a handler kept to answer later, and the aborts it saw.
struct holder {
  std::vector<std::shared_ptr<http::exchange>> held;
  int aborts = 0;

  http::handler handler() {
    return [this](const std::shared_ptr<http::exchange>& ex) {
      ex->on_abort([this, id = ex->id()] {
        ++aborts;
        std::erase_if(held, [id](const auto& e) { return e->id() == id; });
      });
      held.push_back(ex);
    };
  }
};

/// A response with `body` as text/xml.
http::response xml(std::string body) {
  http::response r;
  r.body = std::move(body);
  return r;
}

/// A POST to the BOSH path.
std::string bosh_post(std::string_view body, std::string_view extra_headers = "") {
  return "POST /http-bind HTTP/1.1\r\nHost: bosh.example\r\nContent-Type: text/plain\r\n" +
         std::string(extra_headers) + "Content-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + std::string(body);
}

/// A server on 127.0.0.1, an ephemeral port and an io_context the test pumps.
struct server_fixture {
  asio::io_context io;
  holder bosh; ///< the BOSH handler keeps requests whose body starts with "hold"
  std::unique_ptr<http::server> srv;
  bool expect_internal_error = false; ///< the test makes a handler throw

  server_fixture() {
    // Quiet unless asked: SPDLOG_LEVEL=debug shows what the server does.
    spdlog::set_level(spdlog::level::off);
    spdlog::cfg::load_env_levels();
  }

  ~server_fixture() {
    if (srv) {
      srv->stop();
      BOOST_TEST(run_until([&] { return srv->stats().connections_open == 0; }, 2s));
      if (!expect_internal_error) {
        BOOST_TEST(srv->stats().internal_errors == 0U);
      }
    }
  }

  void start(http::server_config config = {}) {
    config.address = "127.0.0.1";
    config.port = 0;
    srv = std::make_unique<http::server>(io.get_executor(), std::move(config));
    srv->set_bosh_handler("/http-bind", [this](const std::shared_ptr<http::exchange>& ex) {
      if (ex->req().body.starts_with("hold")) {
        bosh.handler()(ex);
      } else {
        ex->respond(xml("echo:" + ex->req().body));
      }
    });
    srv->add_route("/healthz", [](const std::shared_ptr<http::exchange>& ex) {
      http::response r;
      r.content_type = "text/plain; charset=utf-8";
      r.body = "ok from " + ex->req().peer.to_string();
      ex->respond(std::move(r));
    });
    srv->start();
    BOOST_TEST_REQUIRE(srv->local_port() != 0);
  }

  client connect() { return client(io, srv->local_port()); }

  /// Runs the server until `done()` or `timeout`; returns done().
  template <class Pred> bool run_until(Pred done, clock::duration timeout = 3s) {
    const auto deadline = clock::now() + timeout;
    while (!done()) {
      if (clock::now() >= deadline) {
        return done();
      }
      io.run_for(1ms);
    }
    return true;
  }

  /// Runs the server for `d`.
  void run_for(clock::duration d) {
    run_until([] { return false; }, d);
  }

  /// The next response on `c`, or nullopt when none arrives within `timeout`.
  std::optional<reply> read_reply(client& c, clock::duration timeout = 3s) {
    std::optional<reply> r;
    run_until(
        [&] {
          c.poll();
          r = c.take_reply();
          return r.has_value() || c.closed();
        },
        timeout);
    return r;
  }

  /// True when the server closes `c` within `timeout`.
  bool wait_closed(client& c, clock::duration timeout = 3s) {
    return run_until(
        [&] {
          c.poll();
          return c.closed();
        },
        timeout);
  }

  /// Schedules `f` on the server's loop after `d`.
  template <class F> void later(clock::duration d, F f) {
    auto timer = std::make_shared<asio::steady_timer>(io, d);
    timer->async_wait([timer, f = std::move(f)](std::error_code ec) {
      if (!ec) {
        f();
      }
    });
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(server_tests, server_fixture)

BOOST_AUTO_TEST_CASE(serves_a_route_and_keeps_the_connection_alive) {
  start();
  auto c = connect();
  for (int i = 0; i < 3; ++i) {
    c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto r = read_reply(c);
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->status == 200U);
    BOOST_TEST(r->body == "ok from 127.0.0.1");
    BOOST_TEST(r->header("Connection") == "keep-alive");
    BOOST_TEST(r->header("Cache-Control") == "no-store");
    BOOST_TEST(!r->has("Access-Control-Allow-Origin")); // not the BOSH path
  }
  BOOST_TEST(!c.closed());
  BOOST_TEST(srv->stats().connections_accepted == 1U);
  BOOST_TEST(srv->stats().requests == 3U);
  BOOST_TEST(srv->stats().responses_by_class[2] == 3U);
  BOOST_TEST(srv->stats().bytes_in > 0U);
  BOOST_TEST(srv->stats().bytes_out > 0U);
}

BOOST_AUTO_TEST_CASE(answers_pipelined_requests_in_order_behind_a_held_one) {
  start();
  auto c = connect();
  c.send(bosh_post("hold-first") + "GET /healthz HTTP/1.1\r\n\r\n" + bosh_post("third"));
  BOOST_TEST(run_until([&] { return bosh.held.size() == 1; }));
  run_for(100ms);
  c.poll();
  BOOST_TEST(c.received().empty()); // the later answers wait behind the held one
  BOOST_TEST(srv->stats().requests == 3U);

  later(20ms, [&] { bosh.held.front()->respond(xml("first")); });
  const auto first = read_reply(c);
  const auto second = read_reply(c);
  const auto third = read_reply(c);
  BOOST_TEST_REQUIRE((first && second && third));
  BOOST_TEST(first->body == "first");
  BOOST_TEST(second->body == "ok from 127.0.0.1");
  BOOST_TEST(third->body == "echo:third");
  BOOST_TEST(bosh.aborts == 0);
}

BOOST_AUTO_TEST_CASE(closes_http_1_0_without_keep_alive_after_the_response) {
  start();
  auto c = connect();
  c.send("GET /healthz HTTP/1.0\r\n\r\n");
  const auto r = read_reply(c);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->status == 200U);
  BOOST_TEST(r->head.starts_with("HTTP/1.1 200 OK\r\n"));
  BOOST_TEST(r->header("Connection") == "close");
  BOOST_TEST(wait_closed(c));
}

BOOST_AUTO_TEST_CASE(keeps_http_1_0_with_keep_alive_open) {
  start();
  auto c = connect();
  for (int i = 0; i < 2; ++i) {
    c.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const auto r = read_reply(c);
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->header("Connection") == "keep-alive");
  }
  BOOST_TEST(!c.closed());
}

BOOST_AUTO_TEST_CASE(closes_after_connection_close_on_http_1_1) {
  start();
  auto c = connect();
  c.send(bosh_post("bye", "Connection: close\r\n"));
  const auto r = read_reply(c);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->body == "echo:bye");
  BOOST_TEST(r->header("Connection") == "close");
  BOOST_TEST(wait_closed(c));
}

BOOST_AUTO_TEST_CASE(aborts_and_releases_a_held_exchange_when_the_client_leaves) {
  start();
  std::weak_ptr<http::exchange> watched;
  {
    auto c = connect();
    c.send(bosh_post("hold me"));
    BOOST_TEST_REQUIRE(run_until([&] { return bosh.held.size() == 1; }));
    watched = bosh.held.front();
    BOOST_TEST(!watched.expired());
    c.close();
  }
  BOOST_TEST(run_until([&] { return bosh.aborts == 1; }));
  BOOST_TEST(bosh.held.empty());
  BOOST_TEST(watched.expired()); // nobody keeps it: neither the handler nor the server
  BOOST_TEST(run_until([&] { return srv->stats().connections_open == 0; }));
  BOOST_TEST(srv->stats().exchanges_aborted == 1U);
}

BOOST_AUTO_TEST_CASE(aborts_every_unanswered_exchange_of_a_pipeline) {
  start();
  auto c = connect();
  c.send(bosh_post("hold 1") + bosh_post("hold 2"));
  BOOST_TEST_REQUIRE(run_until([&] { return bosh.held.size() == 2; }));
  auto second = bosh.held.back();
  second->respond(xml("answered but stuck behind the first"));
  c.close();
  BOOST_TEST(run_until([&] { return bosh.aborts == 1; }));
  BOOST_TEST(run_until([&] { return srv->stats().connections_open == 0; }));
  BOOST_TEST(second->aborted());    // answered, never written
  BOOST_TEST(bosh.aborts == 1);     // only the unanswered one calls back
  second->respond(xml("too late")); // ignored
}

BOOST_AUTO_TEST_CASE(a_half_closed_client_gets_answered_requests_and_aborts_held_ones) {
  start();
  auto c = connect();
  c.send("GET /healthz HTTP/1.1\r\n\r\n" + bosh_post("hold"));
  BOOST_TEST_REQUIRE(run_until([&] { return bosh.held.size() == 1; }));
  c.shutdown_send();
  const auto r = read_reply(c);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->status == 200U);
  BOOST_TEST(run_until([&] { return bosh.aborts == 1; }));
  BOOST_TEST(wait_closed(c));
}

BOOST_AUTO_TEST_CASE(stops_reading_while_the_pipeline_is_full) {
  http::server_config config;
  config.max_pipelined_requests = 2;
  start(config);
  auto c = connect();
  c.send(bosh_post("hold 1") + bosh_post("hold 2") + bosh_post("hold 3") + bosh_post("4"));
  BOOST_TEST_REQUIRE(run_until([&] { return bosh.held.size() == 2; }));
  run_for(50ms);
  BOOST_TEST(bosh.held.size() == 2U); // the third waits in the read buffer
  BOOST_TEST(srv->stats().requests == 2U);
  bosh.held.front()->respond(xml("one"));
  const auto one = read_reply(c);
  BOOST_TEST_REQUIRE(one.has_value());
  BOOST_TEST(one->body == "one");
  BOOST_TEST(run_until([&] { return srv->stats().requests == 3; }));
  for (const auto& ex : bosh.held) {
    ex->respond(xml(ex->req().body));
  }
  std::vector<std::string> bodies;
  for (int i = 0; i < 3; ++i) {
    const auto r = read_reply(c);
    BOOST_TEST_REQUIRE(r.has_value());
    bodies.push_back(r->body);
  }
  BOOST_TEST(bodies == (std::vector<std::string>{"hold 2", "hold 3", "echo:4"}));
}

BOOST_AUTO_TEST_CASE(answers_a_stalled_request_with_408_within_the_header_timeout) {
  http::server_config config;
  config.header_timeout = 300ms;
  start(config);
  auto c = connect();
  const auto start_time = clock::now();
  c.send("POST /http-bind HTTP/1.1\r\nHost: bosh.exa");
  const auto r = read_reply(c);
  const auto elapsed = clock::now() - start_time;
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->status == 408U);
  BOOST_TEST(r->header("Connection") == "close");
  BOOST_TEST(r->header("Content-Type") == "text/plain; charset=utf-8");
  BOOST_TEST(elapsed >= 290ms);
  BOOST_TEST(elapsed < 1000ms);
  BOOST_TEST(wait_closed(c));
  BOOST_TEST(srv->stats().parse_errors.request_timeout == 1U);
}

BOOST_AUTO_TEST_CASE(a_stalled_body_also_gets_408) {
  http::server_config config;
  config.header_timeout = 200ms;
  start(config);
  auto c = connect();
  c.send("POST /http-bind HTTP/1.1\r\nContent-Length: 10\r\n\r\n12345");
  const auto r = read_reply(c);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->status == 408U);
  BOOST_TEST(bosh.held.empty());
}

BOOST_AUTO_TEST_CASE(closes_an_idle_connection_silently) {
  http::server_config config;
  config.idle_timeout = 200ms;
  start(config);
  auto c = connect();
  c.send("GET /healthz HTTP/1.1\r\n\r\n");
  BOOST_TEST(read_reply(c).has_value());
  const auto idle_start = clock::now();
  BOOST_TEST(wait_closed(c));
  BOOST_TEST((clock::now() - idle_start) >= 150ms);
  BOOST_TEST(c.received().empty());
  BOOST_TEST(srv->stats().idle_timeouts == 1U);
}

BOOST_AUTO_TEST_CASE(a_held_request_is_not_idle) {
  http::server_config config;
  config.idle_timeout = 150ms;
  start(config);
  auto c = connect();
  c.send(bosh_post("hold"));
  BOOST_TEST_REQUIRE(run_until([&] { return bosh.held.size() == 1; }));
  run_for(300ms);
  c.poll();
  BOOST_TEST(!c.closed());
  bosh.held.front()->respond(xml("late"));
  const auto r = read_reply(c);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->body == "late");
}

BOOST_AUTO_TEST_CASE(answers_431_to_an_oversized_header_and_closes) {
  http::server_config config;
  config.max_header_bytes = 512;
  start(config);
  auto c = connect();
  c.send("GET /healthz HTTP/1.1\r\nX-Big: " + std::string(600, 'x') + "\r\n\r\n");
  const auto r = read_reply(c);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->status == 431U);
  BOOST_TEST(r->body == "431 Request Header Fields Too Large\n");
  BOOST_TEST(wait_closed(c));
  BOOST_TEST(srv->stats().parse_errors.header_too_large == 1U);
}

BOOST_AUTO_TEST_CASE(answers_413_to_an_oversized_body_and_closes) {
  http::server_config config;
  config.max_body_bytes = 1000;
  start(config);
  auto c = connect();
  c.send(bosh_post(std::string(1001, 'b')));
  const auto r = read_reply(c);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->status == 413U);
  BOOST_TEST(wait_closed(c));
  BOOST_TEST(srv->stats().parse_errors.payload_too_large == 1U);

  auto ok = connect();
  ok.send(bosh_post(std::string(1000, 'b')));
  const auto fits = read_reply(ok);
  BOOST_TEST_REQUIRE(fits.has_value());
  BOOST_TEST(fits->status == 200U);
  BOOST_TEST(fits->body.size() == 1005U);
}

BOOST_AUTO_TEST_CASE(answers_400_to_garbage_and_closes) {
  start();
  auto c = connect();
  c.send("HELLO THERE\r\n\r\n");
  const auto r = read_reply(c);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->status == 400U);
  BOOST_TEST(r->body == "400 Bad Request\n");
  BOOST_TEST(wait_closed(c));
  BOOST_TEST(srv->stats().parse_errors.bad_request == 1U);
  BOOST_TEST(srv->stats().responses_by_class[4] == 1U);
}

BOOST_AUTO_TEST_CASE(answers_404_and_405_and_stays_open) {
  start();
  auto c = connect();
  c.send("GET /nowhere HTTP/1.1\r\n\r\n");
  const auto missing = read_reply(c);
  BOOST_TEST_REQUIRE(missing.has_value());
  BOOST_TEST(missing->status == 404U);
  BOOST_TEST(missing->header("Content-Type") == "text/plain; charset=utf-8");
  BOOST_TEST(missing->body == "404 Not Found\n");

  c.send("DELETE /http-bind HTTP/1.1\r\n\r\n");
  const auto bosh_delete = read_reply(c);
  BOOST_TEST_REQUIRE(bosh_delete.has_value());
  BOOST_TEST(bosh_delete->status == 405U);
  BOOST_TEST(bosh_delete->header("Allow") == "POST, GET, HEAD, OPTIONS");
  BOOST_TEST(bosh_delete->header("Access-Control-Allow-Origin") == "*");

  c.send("POST /healthz HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  const auto health_post = read_reply(c);
  BOOST_TEST_REQUIRE(health_post.has_value());
  BOOST_TEST(health_post->status == 405U);
  BOOST_TEST(health_post->header("Allow") == "GET, HEAD");
  BOOST_TEST(!c.closed());
}

BOOST_AUTO_TEST_CASE(serves_the_bosh_path_with_a_trailing_slash) {
  start();
  auto c = connect();
  c.send("POST /http-bind/?x HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
  const auto r = read_reply(c);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->body == "echo:hi");
}

BOOST_AUTO_TEST_CASE(answers_the_cors_preflight_for_an_allowed_origin) {
  http::server_config config;
  config.cors_origins = {"https://app.example", "https://other.example"};
  start(config);
  auto c = connect();
  c.send("OPTIONS /http-bind HTTP/1.1\r\nOrigin: https://app.example\r\n"
         "Access-Control-Request-Method: POST\r\n"
         "Access-Control-Request-Headers: content-type, x-custom\r\n\r\n");
  const auto r = read_reply(c);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->status == 204U);
  BOOST_TEST(r->header("Access-Control-Allow-Origin") == "https://app.example");
  BOOST_TEST(r->header("Vary") == "Origin");
  BOOST_TEST(r->header("Access-Control-Allow-Methods") == "POST, GET, OPTIONS");
  BOOST_TEST(r->header("Access-Control-Allow-Headers") == "content-type, x-custom");
  BOOST_TEST(r->header("Access-Control-Max-Age") == "86400");
  BOOST_TEST(r->header("Cache-Control") == "no-store");
  BOOST_TEST(!r->has("Content-Length"));
  BOOST_TEST(r->body.empty());

  c.send("OPTIONS /http-bind HTTP/1.1\r\nOrigin: https://other.example\r\n\r\n");
  const auto plain = read_reply(c);
  BOOST_TEST_REQUIRE(plain.has_value());
  BOOST_TEST(plain->header("Access-Control-Allow-Origin") == "https://other.example");
  BOOST_TEST(plain->header("Access-Control-Allow-Headers") == "Content-Type");
}

BOOST_AUTO_TEST_CASE(gives_no_cors_headers_to_a_disallowed_origin_but_serves_it) {
  http::server_config config;
  config.cors_origins = {"https://app.example"};
  start(config);
  auto c = connect();
  c.send("OPTIONS /http-bind HTTP/1.1\r\nOrigin: https://evil.example\r\n"
         "Access-Control-Request-Method: POST\r\n\r\n");
  const auto preflight = read_reply(c);
  BOOST_TEST_REQUIRE(preflight.has_value());
  BOOST_TEST(preflight->status == 204U);
  BOOST_TEST(preflight->head.find("Access-Control") == std::string::npos);

  c.send(bosh_post("from evil", "Origin: https://evil.example\r\n"));
  const auto post = read_reply(c);
  BOOST_TEST_REQUIRE(post.has_value());
  BOOST_TEST(post->body == "echo:from evil");
  BOOST_TEST(post->head.find("Access-Control") == std::string::npos);

  c.send(bosh_post("from app", "Origin: https://app.example\r\n"));
  const auto allowed = read_reply(c);
  BOOST_TEST_REQUIRE(allowed.has_value());
  BOOST_TEST(allowed->header("Access-Control-Allow-Origin") == "https://app.example");
  BOOST_TEST(allowed->header("Cache-Control") == "no-store");

  c.send(bosh_post("no origin"));
  const auto same_origin = read_reply(c);
  BOOST_TEST_REQUIRE(same_origin.has_value());
  BOOST_TEST(!same_origin->has("Access-Control-Allow-Origin"));
}

BOOST_AUTO_TEST_CASE(allows_any_origin_with_a_star_by_default) {
  start();
  auto c = connect();
  c.send(bosh_post("x", "Origin: https://anywhere.example\r\n"));
  const auto r = read_reply(c);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->header("Access-Control-Allow-Origin") == "*");
  BOOST_TEST(r->header("Content-Type") == "text/xml; charset=utf-8");

  c.send("OPTIONS /http-bind HTTP/1.1\r\nOrigin: https://anywhere.example\r\n\r\n");
  const auto preflight = read_reply(c);
  BOOST_TEST_REQUIRE(preflight.has_value());
  BOOST_TEST(preflight->header("Access-Control-Allow-Origin") == "*");
  BOOST_TEST(preflight->header("Access-Control-Allow-Methods") == "POST, GET, OPTIONS");
}

BOOST_AUTO_TEST_CASE(get_on_the_bosh_path_returns_an_html_page) {
  start();
  auto c = connect();
  c.send("GET /http-bind HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto r = read_reply(c);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->status == 200U);
  BOOST_TEST(r->header("Content-Type") == "text/html; charset=utf-8");
  BOOST_TEST(r->header("Access-Control-Allow-Origin") == "*");
  BOOST_TEST(r->body.find("XEP-0124") != std::string::npos);
  BOOST_TEST(r->body.find("XEP-0206") != std::string::npos);
  BOOST_TEST(r->body.find("POST") != std::string::npos);
  BOOST_TEST(r->header("Content-Length") == std::to_string(r->body.size()));

  c.expect_head_response(true);
  c.send("HEAD /http-bind HTTP/1.1\r\n\r\n");
  const auto head = read_reply(c);
  BOOST_TEST_REQUIRE(head.has_value());
  BOOST_TEST(head->header("Content-Length") == std::to_string(r->body.size()));
  BOOST_TEST(head->body.empty());
  run_for(20ms);
  c.poll();
  BOOST_TEST(c.received().empty()); // no body followed
}

BOOST_AUTO_TEST_CASE(sends_100_continue_before_the_body) {
  start();
  auto c = connect();
  c.send("POST /http-bind HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  const auto interim = read_reply(c);
  BOOST_TEST_REQUIRE(interim.has_value());
  BOOST_TEST(interim->status == 100U);
  BOOST_TEST(interim->head == "HTTP/1.1 100 Continue\r\n");
  c.send("hello");
  const auto r = read_reply(c);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->body == "echo:hello");
  BOOST_TEST(srv->stats().responses_by_class[1] == 1U);
}

BOOST_AUTO_TEST_CASE(decodes_chunked_posts_and_ignores_their_content_type) {
  start();
  auto c = connect();
  c.send("POST /http-bind HTTP/1.1\r\nContent-Type: application/x-whatever\r\n"
         "Transfer-Encoding: chunked\r\n\r\n3\r\n<bo\r\n4\r\ndy/>\r\n0\r\n\r\n");
  const auto r = read_reply(c);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->body == "echo:<body/>");
}

BOOST_AUTO_TEST_CASE(closes_connections_beyond_the_cap_at_once) {
  http::server_config config;
  config.max_connections = 2;
  start(config);
  auto a = connect();
  auto b = connect();
  for (auto* c : {&a, &b}) {
    c->send("GET /healthz HTTP/1.1\r\n\r\n");
    BOOST_TEST_REQUIRE(read_reply(*c).has_value());
  }
  auto third = connect();
  BOOST_TEST(wait_closed(third, 1s));
  BOOST_TEST(third.received().empty());
  BOOST_TEST(srv->stats().connections_rejected == 1U);
  BOOST_TEST(srv->stats().connections_open == 2U);

  // The two served connections still work; once one leaves, a new one is accepted.
  a.send("GET /healthz HTTP/1.1\r\n\r\n");
  BOOST_TEST(read_reply(a).has_value());
  b.close();
  BOOST_TEST(run_until([&] { return srv->stats().connections_open == 1; }));
  auto fourth = connect();
  fourth.send("GET /healthz HTTP/1.1\r\n\r\n");
  const auto r = read_reply(fourth);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->status == 200U);
  BOOST_TEST(srv->stats().connections_accepted == 4U);
}

BOOST_AUTO_TEST_CASE(a_garbage_flood_does_not_disturb_a_held_exchange) {
  start();
  auto healthy = connect();
  healthy.send(bosh_post("hold on"));
  BOOST_TEST_REQUIRE(run_until([&] { return bosh.held.size() == 1; }));
  later(100ms, [&] { bosh.held.front()->respond(xml("still here")); });

  const std::vector<std::string> garbage = {
      "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",            // a TLS hello
      "GET / HTTP/1.1\r\nHost: x\r\nBroken\r\n\r\n",             // header without colon
      "POST /http-bind HTTP/1.1\r\nContent-Length: zzz\r\n\r\n", // bad length
      "POST /http-bind HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", // bad chunk
      std::string("\0\0\0\0\r\n\r\n", 8),                                      // NULs
      "GET /\x7f HTTP/9.9\r\n\r\n",                                            // nonsense
  };
  std::vector<client> flood;
  for (int round = 0; round < 4; ++round) {
    for (const auto& g : garbage) {
      flood.push_back(connect());
      flood.back().send(g);
    }
  }
  for (auto& c : flood) {
    const auto r = read_reply(c);
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->status == 400U);
    BOOST_TEST(wait_closed(c));
  }
  const auto r = read_reply(healthy);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->body == "still here");
  BOOST_TEST(srv->stats().parse_errors.bad_request == flood.size());
  BOOST_TEST(srv->stats().internal_errors == 0U);
}

BOOST_AUTO_TEST_CASE(stop_aborts_held_exchanges_and_closes_connections) {
  start();
  auto c = connect();
  c.send(bosh_post("hold"));
  BOOST_TEST_REQUIRE(run_until([&] { return bosh.held.size() == 1; }));
  srv->stop();
  BOOST_TEST(run_until([&] { return bosh.aborts == 1; }));
  BOOST_TEST(wait_closed(c));
  BOOST_TEST(srv->stats().connections_open == 0U);
}

BOOST_AUTO_TEST_CASE(a_throwing_handler_closes_only_its_connection) {
  expect_internal_error = true;
  start();
  srv->add_route("/boom", [](const std::shared_ptr<http::exchange>&) {
    throw std::runtime_error("handler bug");
  });
  auto other = connect();
  other.send(bosh_post("hold"));
  BOOST_TEST_REQUIRE(run_until([&] { return bosh.held.size() == 1; }));
  auto c = connect();
  c.send("GET /boom HTTP/1.1\r\n\r\n");
  BOOST_TEST(wait_closed(c));
  BOOST_TEST(srv->stats().internal_errors == 1U);
  bosh.held.front()->respond(xml("fine"));
  const auto r = read_reply(other);
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->body == "fine");
}

BOOST_AUTO_TEST_SUITE_END()
