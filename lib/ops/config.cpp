#include "lib/ops/config.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <fstream>
#include <iostream>
#include <sstream>

namespace boshmux::ops {

std::optional<host_port> parse_host_port(const std::string& text, bool allow_port_zero) {
  std::string host;
  std::string port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) {
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || port.empty() || ec != std::errc{} || end != port.data() + port.size() ||
      (value == 0 && !allow_port_zero) || value > 65535) {
    return std::nullopt;
  }
  return host_port{host, static_cast<std::uint16_t>(value)};
}

namespace {

/// A domain name we accept for the component: RFC 1035 label syntax, lowercase or not.
std::string check_domain(const std::string& d) {
  if (d.empty() || d.size() > 253) {
    return "must be a domain name of 1 to 253 characters";
  }
  std::istringstream labels(d);
  std::string label;
  while (std::getline(labels, label, '.')) {
    const bool ok = !label.empty() && label.size() <= 63 && label.front() != '-' &&
                    label.back() != '-' && std::all_of(label.begin(), label.end(), [](char ch) {
                      return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '-';
                    });
    if (!ok) {
      return "must be a domain name (letters, digits, '-' and '.')";
    }
  }
  if (d.back() == '.') {
    return "must not end with '.'";
  }
  return {};
}

CLI::Validator host_port_validator(bool allow_port_zero) {
  return CLI::Validator(
      [allow_port_zero](std::string& value) -> std::string {
        return parse_host_port(value, allow_port_zero) ? std::string{}
                                                       : "expected HOST:PORT, got '" + value + "'";
      },
      "HOST:PORT");
}

CLI::Validator domain_validator() {
  return CLI::Validator([](std::string& value) { return check_domain(value); }, "DOMAIN");
}

CLI::Validator node_id_validator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        const bool ok = !value.empty() && value.size() <= 32 &&
                        std::all_of(value.begin(), value.end(), [](char ch) {
                          return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_';
                        });
        return ok ? std::string{} : "must be 1 to 32 letters, digits or '_'";
      },
      "ID");
}

CLI::Validator path_validator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        return value.starts_with('/') && value.find_first_of(" ?#") == std::string::npos
                   ? std::string{}
                   : "must be an absolute path like /http-bind";
      },
      "PATH");
}

std::optional<std::string> read_secret_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read secret file '" + path + "'";
    return std::nullopt;
  }
  std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) {
    secret.pop_back();
  }
  if (secret.empty()) {
    error = "secret file '" + path + "' is empty";
    return std::nullopt;
  }
  return secret;
}

} // namespace

parse_result parse_command_line(int argc, const char* const* argv) {
  config cfg;
  CLI::App app{"boshmux: an XMPP BOSH connection manager that reaches the XMPP server as one "
               "external component (XEP-0124, XEP-0206, XEP-0114)",
               "boshmux"};
  app.get_formatter()->column_width(34);
  std::string upstream = "127.0.0.1:5347";
  std::string listen = "127.0.0.1:5280";
  std::string secret_file;
  double keepalive_s = 30;
  double reconnect_min_s = 0.5;
  double reconnect_max_s = 30;

  app.add_option("--domain", cfg.domain, "Component domain served (users are user@DOMAIN)")
      ->envname("BOSHMUX_DOMAIN")
      ->required()
      ->check(domain_validator());
  app.add_option("--upstream", upstream, "XMPP server component listener")
      ->envname("BOSHMUX_UPSTREAM")
      ->check(host_port_validator(false))
      ->capture_default_str();
  auto* secret = app.add_option("--secret", cfg.secret, "Component secret (prefer --secret-file)")
                     ->envname("BOSHMUX_SECRET");
  auto* secret_file_opt =
      app.add_option("--secret-file", secret_file, "File holding the component secret")
          ->envname("BOSHMUX_SECRET_FILE");
  secret->excludes(secret_file_opt);
  app.add_option("--listen", listen, "HTTP listen address (port 0: any free port)")
      ->envname("BOSHMUX_LISTEN")
      ->check(host_port_validator(true))
      ->capture_default_str();
  app.add_option("--bosh-path", cfg.bosh_path, "HTTP path of the BOSH endpoint")
      ->envname("BOSHMUX_BOSH_PATH")
      ->check(path_validator())
      ->capture_default_str();
  app.add_option("--node-id", cfg.node_id, "Node id: the prefix of every SID this node issues")
      ->envname("BOSHMUX_NODE_ID")
      ->check(node_id_validator())
      ->capture_default_str();
  app.add_option("--log-level", cfg.log_level, "Log level")
      ->envname("BOSHMUX_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  app.add_option("--keepalive", keepalive_s,
                 "Seconds of silence on the component link before a keepalive/ping")
      ->envname("BOSHMUX_KEEPALIVE")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  app.add_option("--reconnect-min", reconnect_min_s, "First reconnect delay, seconds")
      ->envname("BOSHMUX_RECONNECT_MIN")
      ->check(CLI::Range(0.01, 3600.0))
      ->capture_default_str();
  app.add_option("--reconnect-max", reconnect_max_s, "Largest reconnect delay, seconds")
      ->envname("BOSHMUX_RECONNECT_MAX")
      ->check(CLI::Range(0.01, 3600.0))
      ->capture_default_str();

  app.add_option("--cors-origins", cfg.cors_origins,
                 "Origins allowed to use the BOSH endpoint from a browser (default: any)")
      ->envname("BOSHMUX_CORS_ORIGINS")
      ->delimiter(',');
  app.add_option("--max-wait", cfg.max_wait, "Longest a request is held, seconds")
      ->envname("BOSHMUX_MAX_WAIT")
      ->check(CLI::Range(1U, 3600U))
      ->capture_default_str();
  app.add_option("--max-hold", cfg.max_hold, "Most requests held at once per session")
      ->envname("BOSHMUX_MAX_HOLD")
      ->check(CLI::Range(1U, 4U))
      ->capture_default_str();
  app.add_option("--inactivity", cfg.inactivity,
                 "Seconds without a held request before a session ends")
      ->envname("BOSHMUX_INACTIVITY")
      ->check(CLI::Range(2U, 3600U))
      ->capture_default_str();
  app.add_option("--polling", cfg.polling, "Shortest polling interval, seconds")
      ->envname("BOSHMUX_POLLING")
      ->check(CLI::Range(0U, 60U))
      ->capture_default_str();
  app.add_option("--max-pause", cfg.max_pause, "Longest pause a client may ask for, seconds")
      ->envname("BOSHMUX_MAX_PAUSE")
      ->check(CLI::Range(0U, 86400U))
      ->capture_default_str();
  app.add_option("--max-sessions", cfg.max_sessions, "Most sessions at once")
      ->envname("BOSHMUX_MAX_SESSIONS")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
      ->capture_default_str();
  app.add_option("--link-grace", cfg.link_grace,
                 "Seconds sessions are kept (their stanzas queued) while the component link is "
                 "down; 0 ends them at once")
      ->envname("BOSHMUX_LINK_GRACE")
      ->check(CLI::Range(0U, 3600U))
      ->capture_default_str();
  app.add_flag("--local-routing,!--no-local-routing", cfg.local_routing,
               "Deliver stanzas between sessions of this instance directly (default on)")
      ->envname("BOSHMUX_LOCAL_ROUTING");
  app.add_flag("--anonymous,!--no-anonymous", cfg.anonymous,
               "Offer SASL ANONYMOUS (temporary random JIDs)")
      ->envname("BOSHMUX_ANONYMOUS");
  app.add_option("--users-file", cfg.users_file,
                 "Accounts file (boshmux user add ...): enables PLAIN and SCRAM")
      ->envname("BOSHMUX_USERS_FILE")
      ->check(CLI::ExistingFile);
  app.add_option("--jwt-key-file", cfg.jwt_key_file,
                 "HS256 key file: JWTs are accepted as PLAIN passwords")
      ->envname("BOSHMUX_JWT_KEY_FILE")
      ->check(CLI::ExistingFile);
  app.add_option("--jwt-claim", cfg.jwt_claim, "JWT claim holding the user name")
      ->envname("BOSHMUX_JWT_CLAIM")
      ->capture_default_str();
  app.add_option("--jwt-issuer", cfg.jwt_issuer, "Required JWT issuer (iss)")
      ->envname("BOSHMUX_JWT_ISSUER");
  app.add_option("--jwt-audience", cfg.jwt_audience, "Required JWT audience (aud)")
      ->envname("BOSHMUX_JWT_AUDIENCE");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return {std::nullopt, code == 0 ? 0 : 2};
  }
  const auto fail = [](const std::string& message) {
    std::cerr << "boshmux: " << message << "\n";
    return parse_result{std::nullopt, 2};
  };
  if (!secret_file.empty()) {
    std::string error;
    auto value = read_secret_file(secret_file, error);
    if (!value) {
      return fail("--secret-file: " + error);
    }
    cfg.secret = std::move(*value);
  }
  if (cfg.secret.empty()) {
    return fail("--secret or --secret-file (BOSHMUX_SECRET / BOSHMUX_SECRET_FILE) is required");
  }
  if (reconnect_max_s < reconnect_min_s) {
    return fail("--reconnect-max must not be smaller than --reconnect-min");
  }
  cfg.upstream = *parse_host_port(upstream, false);
  cfg.listen = *parse_host_port(listen, true);
  const auto ms = [](double s) { return std::chrono::milliseconds(static_cast<long>(s * 1000)); };
  cfg.keepalive = ms(keepalive_s);
  cfg.reconnect_min = ms(reconnect_min_s);
  cfg.reconnect_max = ms(reconnect_max_s);
  return {cfg, 0};
}

} // namespace boshmux::ops
