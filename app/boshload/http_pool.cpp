#include "app/boshload/http_pool.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <llhttp.h>
#include <utility>

namespace boshload {

/// One keep-alive connection carrying one exchange at a time.
class connection : public std::enable_shared_from_this<connection> {
public:
  connection(http_pool& pool, asio::io_context& io)
      : pool_(&pool)
      , stats_(pool.stats_)
      , socket_(io)
      , timer_(io) {
    llhttp_settings_init(&settings_);
    settings_.on_body = [](llhttp_t* p, const char* at, std::size_t n) {
      static_cast<connection*>(p->data)->body_.append(at, n);
      return 0;
    };
    settings_.on_message_complete = [](llhttp_t* p) {
      auto* self = static_cast<connection*>(p->data);
      self->complete_ = true;
      self->status_ = p->status_code;
      return static_cast<int>(HPE_PAUSED); // one response per request: nothing may follow
    };
    llhttp_init(&parser_, HTTP_RESPONSE, &settings_);
    parser_.data = this;
  }
  ~connection() { --stats_->open; }

  /// Opens the connection from `source` (unspecified: any).
  void open(const asio::ip::address* source, std::function<void(std::error_code)> done) {
    std::error_code ec;
    socket_.open(pool_->server_.protocol(), ec);
    if (!ec && source)
      socket_.bind({*source, 0}, ec);
    if (ec) {
      asio::post(socket_.get_executor(), [done = std::move(done), ec] { done(ec); });
      return;
    }
    socket_.async_connect(pool_->server_, [self = shared_from_this(),
                                           done = std::move(done)](std::error_code connect_error) {
      if (!connect_error)
        self->socket_.set_option(asio::ip::tcp::no_delay(true), connect_error);
      done(connect_error);
    });
  }

  /// Sends `request` and reads the response; `done` gets the result.
  void exchange(std::shared_ptr<std::string> request, std::chrono::seconds timeout,
                std::function<void(http_result&&, bool any_byte)> done) {
    request_ = std::move(request);
    done_ = std::move(done);
    body_.clear();
    complete_ = false;
    any_byte_ = false;
    llhttp_resume(&parser_);
    timer_.expires_after(timeout);
    timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
      if (ec)
        return;
      if (auto self = weak.lock())
        self->fail(asio::error::timed_out);
    });
    asio::async_write(socket_, asio::buffer(*request_),
                      [self = shared_from_this()](std::error_code ec, std::size_t) {
                        if (ec)
                          return self->fail(ec);
                        self->read();
                      });
  }

  bool keep_alive() const { return keep_alive_; }

private:
  void read() {
    socket_.async_read_some(
        asio::buffer(buffer_), [self = shared_from_this()](std::error_code ec, std::size_t n) {
          if (!self->done_)
            return; // already failed (timeout)
          if (ec == asio::error::eof) {
            // A response delimited by the end of the connection is complete now.
            if (llhttp_finish(&self->parser_) == HPE_OK && self->complete_)
              return self->finish();
            return self->fail(ec);
          }
          if (ec)
            return self->fail(ec);
          self->any_byte_ = true;
          const llhttp_errno_t err = llhttp_execute(&self->parser_, self->buffer_.data(), n);
          if (err == HPE_PAUSED && self->complete_)
            return self->finish();
          if (err != HPE_OK)
            return self->fail(asio::error::invalid_argument);
          self->read();
        });
  }

  void finish() {
    timer_.cancel();
    keep_alive_ = llhttp_should_keep_alive(&parser_) != 0;
    auto done = std::move(done_);
    done_ = nullptr;
    http_result result{{}, status_, std::move(body_)};
    body_ = {};
    if (keep_alive_) {
      // Ready for the next request: a fresh parser state for the next response.
      llhttp_init(&parser_, HTTP_RESPONSE, &settings_);
      parser_.data = this;
      pool_->release(shared_from_this());
    } else {
      std::error_code ignored;
      socket_.close(ignored);
    }
    done(std::move(result), true);
  }

  void fail(std::error_code ec) {
    if (!done_)
      return;
    timer_.cancel();
    std::error_code ignored;
    socket_.close(ignored);
    auto done = std::move(done_);
    done_ = nullptr;
    done(http_result{ec, 0, {}}, any_byte_);
  }

  http_pool* pool_; // only used by handlers, which never run once the pool is gone
  std::shared_ptr<http_pool::counters> stats_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  llhttp_settings_t settings_{};
  llhttp_t parser_{};
  std::array<char, 16384> buffer_{};
  std::shared_ptr<std::string> request_;
  std::function<void(http_result&&, bool)> done_;
  std::string body_;
  int status_ = 0;
  bool complete_ = false;
  bool any_byte_ = false;
  bool keep_alive_ = true;
};

http_pool::http_pool(asio::io_context& io, asio::ip::tcp::endpoint server, std::string host_header,
                     std::string path, std::vector<asio::ip::address> sources)
    : io_(io)
    , server_(server)
    , request_head_(fmt::format("POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: text/xml; "
                                "charset=utf-8\r\nContent-Length: ",
                                path, host_header))
    , sources_(std::move(sources)) {}

http_pool::~http_pool() = default;

void http_pool::post(std::string_view body, std::chrono::seconds timeout, handler done) {
  auto request = std::make_shared<std::string>();
  request->reserve(request_head_.size() + body.size() + 16);
  *request += request_head_;
  *request += std::to_string(body.size());
  *request += "\r\n\r\n";
  *request += body;
  start(std::move(request), timeout, std::move(done), true);
}

void http_pool::start(std::shared_ptr<std::string> request, std::chrono::seconds timeout,
                      handler done, bool may_retry) {
  if (!idle_.empty() && may_retry) { // a retry always takes a new connection
    auto c = std::move(idle_.back());
    idle_.pop_back();
    c->exchange(request, timeout,
                [this, request, timeout, done = std::move(done), may_retry](http_result&& result,
                                                                            bool any_byte) mutable {
                  if (result.error && !any_byte && may_retry &&
                      result.error != asio::error::timed_out) {
                    start(std::move(request), timeout, std::move(done), false);
                    return;
                  }
                  done(std::move(result));
                });
    return;
  }
  auto c = std::make_shared<connection>(*this, io_);
  ++stats_->open;
  ++stats_->connects;
  stats_->peak = std::max(stats_->peak, stats_->open);
  const asio::ip::address* source = nullptr;
  if (!sources_.empty())
    source = &sources_[next_source_++ % sources_.size()];
  c->open(source, [this, c, request = std::move(request), timeout,
                   done = std::move(done)](std::error_code ec) mutable {
    if (ec) {
      ++stats_->connect_failures;
      done(http_result{ec, 0, {}});
      return;
    }
    c->exchange(std::move(request), timeout,
                [done = std::move(done)](http_result&& result, bool) { done(std::move(result)); });
  });
}

void http_pool::release(std::shared_ptr<connection> c) {
  idle_.push_back(std::move(c));
}

} // namespace boshload
