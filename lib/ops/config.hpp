#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace boshmux::ops {

/// A host (name or address) and a port.
struct host_port {
  std::string host;
  std::uint16_t port = 0;
};

/// The effective configuration of one boshmux process.
struct config {
  std::string domain;                      ///< the component domain served
  host_port upstream{"127.0.0.1", 5347};   ///< the XMPP server's component listener
  std::string secret;                      ///< the component secret
  std::string secret_file;                 ///< where `secret` was read from (empty: given directly)
  host_port listen{"127.0.0.1", 5280};     ///< the HTTP listener
  std::optional<host_port> metrics_listen; ///< a separate listener for /metrics etc.
  std::string bosh_path = "/http-bind";
  std::string node_id = "n1";      ///< prefix of every SID this node issues
  std::string log_level = "info";  ///< trace, debug, info, warn, error, critical, off
  std::string log_format = "text"; ///< text or json (parse_log_format in lib/ops/log.hpp)
  std::chrono::milliseconds keepalive{30'000};
  std::chrono::milliseconds reconnect_min{500};
  std::chrono::milliseconds reconnect_max{30'000};
  std::vector<std::string> cors_origins; ///< empty: any origin
  unsigned max_wait = 60;                ///< seconds a request may be held at most
  unsigned max_hold = 1;                 ///< requests held at once at most
  unsigned inactivity = 60;              ///< seconds without a held request before a session ends
  unsigned polling = 2;                  ///< shortest polling interval, seconds
  unsigned max_pause = 120;              ///< longest pause a client may ask for, seconds
  std::size_t max_sessions = 100'000;    ///< sessions at once
  /// Session creations per second per client address (IPv6: per /64); 0: unlimited.
  double max_creations_per_address_rate = 0;
  /// Creations an address may make at once before its rate applies.
  double max_creations_per_address_burst = 10;
  /// Addresses of reverse proxies whose X-Forwarded-For is believed (for the creation rate
  /// limit); empty: the header is never trusted.
  std::vector<std::string> trusted_proxies;
  std::size_t max_connections = 10'000; ///< HTTP connections open at once on --listen
  /// Largest stanza sent to the XMPP server; a larger one is bounced to its sender with
  /// policy-violation (the server would close the component stream over it).
  std::size_t max_upstream_stanza_bytes = 512'000;
  /// A request (headers and body) must be complete within this from its first byte (408).
  std::chrono::milliseconds request_timeout{10'000};
  std::string tls_cert;      ///< PEM certificate chain: the HTTP listener speaks TLS (with tls_key)
  std::string tls_key;       ///< PEM private key of tls_cert
  unsigned drain_period = 5; ///< seconds sessions keep working after SIGTERM
  unsigned link_grace = 30;  ///< seconds sessions outlive a lost component link
  bool local_routing = true; ///< deliver between local sessions without the server's round trip
  bool anonymous = false;    ///< offer SASL ANONYMOUS
  std::string users_file;    ///< SCRAM-hashed accounts (PLAIN, SCRAM-SHA-1/-256)
  std::string jwt_key_file;  ///< HS256 key: JWTs accepted as PLAIN passwords
  std::string jwt_claim = "sub"; ///< the claim holding the localpart
  std::string jwt_issuer;        ///< required `iss` (empty: not checked)
  std::string jwt_audience;      ///< required `aud` (empty: none expected)
  std::string config_file;       ///< the --config file read (empty: none), for a SIGHUP re-read
};

/// What parse_command_line decided.
struct parse_result {
  std::optional<config> cfg; ///< set when the process should run
  int exit_code = 0; ///< otherwise: exit with this (0 for --help/--print-config, 2 for bad input)
};

/// Parses flags, BOSHMUX_* environment variables and the TOML file named by --config
/// (BOSHMUX_CONFIG), in that order of precedence, over the defaults. Every option `--NAME` is the
/// key `NAME` in the file, checked by the flag's validator. Prints --help or --print-config to
/// `out`, and a message naming the bad option (or the file and its key) to `err`.
parse_result parse_command_line(int argc, const char* const* argv, std::ostream& out,
                                std::ostream& err);

/// parse_command_line on std::cout and std::cerr.
parse_result parse_command_line(int argc, const char* const* argv);

/// `cfg` as a TOML document --config accepts, one key per option, the secret shown as "***"
/// (a secret read from a file shows as its `secret-file`) and unset options as comments.
std::string to_toml(const config& cfg);

/// Parses "HOST:PORT" or "[V6ADDR]:PORT"; nullopt when malformed. Port 0 only when allowed.
std::optional<host_port> parse_host_port(const std::string& text, bool allow_port_zero);

} // namespace boshmux::ops
