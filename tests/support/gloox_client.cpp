// A test-only BOSH client: the real gloox library (Debian libgloox-dev 1.0.24) logging in
// through boshmux with gloox's own ConnectionBOSH over a plain ConnectionTCPClient. Never
// shipped: tests/integration/test_gloox.py drives it.
//
// It prints one JSON object per line on stdout:
//   {"event":"connected","jid":"..."}            after bind, roster fetch and initial presence
//   {"event":"message","from":"...","body":"..."} for every chat message with a body
//   {"event":"disconnected","reason":"..."}       when gloox reports the end of the stream
// and exits 0 once it sent its message, received --expect messages and logged out with
// gloox's own terminating request (type='terminal'); 1 when the session failed or ended
// otherwise, 2 on --timeout. --verbose copies gloox's log (stanzas in and out, BOSH
// connection decisions) to stderr.
#include <CLI/CLI.hpp>
#include <array>
#include <chrono>
#include <gloox/client.h>
#include <gloox/connectionbosh.h>
#include <gloox/connectionlistener.h>
#include <gloox/connectiontcpclient.h>
#include <gloox/loghandler.h>
#include <gloox/message.h>
#include <gloox/messagehandler.h>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace {

/// Command line options.
struct options {
  std::string host = "127.0.0.1";        ///< BOSH connection manager address
  int port = 5280;                       ///< its HTTP port
  std::string path = "/http-bind";       ///< its BOSH path
  std::string domain;                    ///< XMPP domain to log in to
  bool anonymous = false;                ///< SASL ANONYMOUS instead of --user/--password
  std::string user;                      ///< local part for SASL with a password
  std::string password;                  ///< password for --user
  std::string send_to;                   ///< JID to send one chat message to after login
  std::string body = "hello from gloox"; ///< body of that message
  unsigned expect = 0;                   ///< chat messages to receive before logging out
  double timeout_s = 20;                 ///< give up (exit 2) after this many seconds
  bool verbose = false;                  ///< gloox's debug log to stderr
};

/// Writes one event as a JSON line on stdout, flushed so a reading test sees it at once.
void emit(const nlohmann::json& event) {
  std::cout << event.dump() << std::endl;
}

/// gloox's ConnectionError enumerator names, in declaration order (gloox.h).
std::string error_name(gloox::ConnectionError e) {
  static constexpr std::array names{"ConnNoError",
                                    "ConnStreamError",
                                    "ConnStreamVersionError",
                                    "ConnStreamClosed",
                                    "ConnProxyAuthRequired",
                                    "ConnProxyAuthFailed",
                                    "ConnProxyNoSupportedAuth",
                                    "ConnIoError",
                                    "ConnParseError",
                                    "ConnConnectionRefused",
                                    "ConnDnsError",
                                    "ConnOutOfMemory",
                                    "ConnNoSupportedAuth",
                                    "ConnTlsFailed",
                                    "ConnTlsNotAvailable",
                                    "ConnCompressionFailed",
                                    "ConnAuthenticationFailed",
                                    "ConnUserDisconnected",
                                    "ConnNotConnected"};
  const auto i = static_cast<std::size_t>(e);
  return i < names.size() ? names[i] : "ConnError" + std::to_string(i);
}

/// One gloox client session driven to completion by run().
class session final : gloox::ConnectionListener, gloox::MessageHandler, gloox::LogHandler {
public:
  explicit session(const options& opts)
      : opts_(opts)
      , client_(opts.anonymous ? std::make_unique<gloox::Client>(opts.domain)
                               : std::make_unique<gloox::Client>(
                                     gloox::JID(opts.user + "@" + opts.domain), opts.password)) {
    client_->setTls(gloox::TLSDisabled); // plain HTTP on loopback; BOSH carries no STARTTLS
    client_->setCompression(false);
    if (opts.anonymous) {
      client_->setSASLMechanisms(gloox::SaslMechAnonymous);
    }
    client_->registerConnectionListener(this);
    client_->registerMessageHandler(this);
    if (opts.verbose) {
      client_->logInstance().registerLogHandler(gloox::LogLevelDebug, gloox::LogAreaAll, this);
    }
    // ConnectionBOSH owns the TCP connection and the Client owns ConnectionBOSH. The XMPP
    // "server" is the domain (it becomes the `to` and `route` of the session request).
    auto* tcp = new gloox::ConnectionTCPClient(client_->logInstance(), opts.host, opts.port);
    auto* bosh = new gloox::ConnectionBOSH(client_.get(), tcp, client_->logInstance(), opts.host,
                                           opts.domain);
    bosh->setPath(opts.path);
    client_->setConnectionImpl(bosh);
  }

  session(const session&) = delete;
  session& operator=(const session&) = delete;
  ~session() override = default;

  /// Connects, runs the scenario and returns the process exit code.
  int run() {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + std::chrono::duration_cast<clock::duration>(
                                             std::chrono::duration<double>(opts_.timeout_s));
    if (!client_->connect(false)) {
      emit({{"event", "error"}, {"error", "connect failed"}});
      return 1;
    }
    while (!disconnect_reason_) {
      if (clock::now() > deadline) {
        emit({{"event", "timeout"}, {"connected", connected_}, {"received", received_}});
        return 2;
      }
      if (done() && !logging_out_) {
        logging_out_ = true;
        client_->disconnect(); // ConnectionBOSH sends its terminating <body/>
        continue;
      }
      if (const auto e = client_->recv(100'000); e != gloox::ConnNoError && !disconnect_reason_) {
        disconnect_reason_ = e; // the transport failed without gloox notifying us
      }
    }
    emit({{"event", "disconnected"}, {"reason", error_name(*disconnect_reason_)}});
    return logging_out_ && *disconnect_reason_ == gloox::ConnUserDisconnected ? 0 : 1;
  }

private:
  /// Whether the scenario is complete and the client may log out.
  [[nodiscard]] bool done() const { return connected_ && received_ >= opts_.expect; }

  void onConnect() override {
    connected_ = true;
    emit({{"event", "connected"}, {"jid", client_->jid().full()}});
    if (!opts_.send_to.empty()) {
      client_->send(gloox::Message(gloox::Message::Chat, gloox::JID(opts_.send_to), opts_.body));
    }
  }

  // Called twice for one disconnect() inside the same gloox call: first by ConnectionBOSH
  // (always ConnUserDisconnected), then by ClientBase with the real reason; the last one wins.
  void onDisconnect(gloox::ConnectionError e) override { disconnect_reason_ = e; }

  bool onTLSConnect(const gloox::CertInfo&) override { return false; } // TLS is disabled

  void handleMessage(const gloox::Message& msg, gloox::MessageSession*) override {
    if (msg.subtype() != gloox::Message::Chat || msg.body().empty()) {
      return;
    }
    ++received_;
    emit({{"event", "message"}, {"from", msg.from().full()}, {"body", msg.body()}});
  }

  void handleLog(gloox::LogLevel, gloox::LogArea area, const std::string& message) override {
    std::cerr << "gloox[" << area << "] " << message << '\n';
  }

  const options opts_;                                      ///< the scenario
  std::unique_ptr<gloox::Client> client_;                   ///< owns the connection chain
  bool connected_ = false;                                  ///< onConnect() was called
  bool logging_out_ = false;                                ///< we called disconnect()
  unsigned received_ = 0;                                   ///< chat messages received
  std::optional<gloox::ConnectionError> disconnect_reason_; ///< set once the stream ended
};

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"gloox BOSH client for boshmux's integration tests"};
  options opts;
  app.add_option("--host", opts.host, "BOSH connection manager address");
  app.add_option("--port", opts.port, "BOSH connection manager HTTP port");
  app.add_option("--path", opts.path, "BOSH endpoint path");
  app.add_option("--domain", opts.domain, "XMPP domain to log in to")->required();
  auto* anonymous = app.add_flag("--anonymous", opts.anonymous, "SASL ANONYMOUS");
  auto* user = app.add_option("--user", opts.user, "user name (SASL with a password)");
  app.add_option("--password", opts.password, "password for --user")->needs(user);
  anonymous->excludes(user);
  app.add_option("--send-to", opts.send_to, "JID to send one chat message to after login");
  app.add_option("--body", opts.body, "body of that chat message");
  app.add_option("--expect", opts.expect, "chat messages to receive before logging out");
  app.add_option("--timeout", opts.timeout_s, "seconds before giving up (exit 2)");
  app.add_flag("--verbose", opts.verbose, "gloox's debug log to stderr");
  CLI11_PARSE(app, argc, argv);
  if (!opts.anonymous && opts.user.empty()) {
    std::cerr << "one of --anonymous or --user is required\n";
    return 64;
  }
  try {
    return session(opts).run();
  } catch (const std::exception& e) { // e.g. nlohmann::json refusing a non-UTF-8 body
    std::cerr << "gloox_client: " << e.what() << '\n';
    return 1;
  }
}
