#include "lib/ops/config.hpp"

#include "lib/http/server.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <asio/ip/address.hpp>
#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <toml++/toml.h>

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

/// A number (`what`, e.g. "number of seconds") from `min` to `max` (unlike CLI::Range,
/// refuses nan); `type` names it in --help.
CLI::Validator number_validator(double min, double max, std::string what, std::string type) {
  return CLI::Validator(
      [min, max, what](std::string& value) -> std::string {
        double s = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), s);
        const bool ok = ec == std::errc{} && end == value.data() + value.size() &&
                        std::isfinite(s) && s >= min && s <= max;
        return ok ? std::string{}
                  : fmt::format("must be a {} from {} to {}, got '{}'", what, min, max, value);
      },
      fmt::format("{} in [{} - {}]", type, min, max));
}

/// An IPv4 or IPv6 address literal.
CLI::Validator ip_address_validator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        std::error_code ec;
        (void)asio::ip::make_address(value, ec);
        return ec ? "expected an IP address, got '" + value + "'" : std::string{};
      },
      "ADDRESS");
}

/// A number of seconds from `min` to `max`.
CLI::Validator seconds_validator(double min, double max) {
  return number_validator(min, max, "number of seconds", "SECONDS");
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

/// What TOML value a config file key takes.
enum class value_kind {
  string,  ///< a string
  count,   ///< a non-negative integer
  seconds, ///< an integer or a float
  boolean, ///< true or false
  strings, ///< an array of strings
};

/// An option that the config file may set, under the option's long name without dashes.
struct file_key {
  CLI::Option* option = nullptr; ///< owned by the CLI::App
  value_kind kind = value_kind::string;
};

/// The config file keys, by name.
using file_keys = std::map<std::string, file_key, std::less<>>;

/// Registers `option` as the file key named like its first long name; returns it.
CLI::Option* from_file(file_keys& keys, CLI::Option* option, value_kind kind) {
  keys.emplace(option->get_lnames().front(), file_key{option, kind});
  return option;
}

/// `node` as the text its flag would take, or an error naming what was expected.
std::optional<std::string> flag_text(const toml::node& node, value_kind kind, std::string& error) {
  switch (kind) {
  case value_kind::string:
    if (const auto* v = node.as_string()) {
      return v->get();
    }
    error = "expected a string";
    return std::nullopt;
  case value_kind::count:
    if (const auto* v = node.as_integer(); v != nullptr && v->get() >= 0) {
      return std::to_string(v->get());
    }
    error = "expected a non-negative integer";
    return std::nullopt;
  case value_kind::seconds:
    if (const auto* v = node.as_integer()) {
      return std::to_string(v->get());
    }
    if (const auto* v = node.as_floating_point()) {
      return fmt::format("{}", v->get());
    }
    error = "expected a number of seconds";
    return std::nullopt;
  case value_kind::boolean:
    if (const auto* v = node.as_boolean()) {
      return v->get() ? "true" : "false";
    }
    error = "expected true or false";
    return std::nullopt;
  case value_kind::strings: {
    const auto* array = node.as_array();
    if (array == nullptr) {
      error = "expected an array of strings";
      return std::nullopt;
    }
    std::string joined; // the flag's form: comma-separated
    for (const auto& element : *array) {
      const auto* v = element.as_string();
      if (v == nullptr || v->get().empty() || v->get().find(',') != std::string::npos) {
        error = "expected an array of non-empty strings without ','";
        return std::nullopt;
      }
      joined += (joined.empty() ? "" : ",") + v->get();
    }
    return joined;
  }
  }
  error = "unsupported value";
  return std::nullopt;
}

/// Makes the values of the TOML file at `path` the defaults of their options, so that the
/// environment and flags still win. Each value goes through the option's own validators.
/// Returns an error naming the file and the key, or an empty string.
std::string load_config_file(const std::string& path, const file_keys& keys) {
  if (!std::ifstream(path)) {
    return "cannot read config file '" + path + "'";
  }
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    return fmt::format("{}:{}:{}: {}", path, at.line, at.column, e.description());
  }
  if (doc.contains("secret") && doc.contains("secret-file")) {
    return path + ": keys 'secret' and 'secret-file' exclude each other";
  }
  for (const auto& [name, node] : doc) {
    const auto where = fmt::format("{}:{}", path, node.source().begin.line);
    const auto it = keys.find(name.str());
    if (it == keys.end()) {
      return fmt::format("{}: unknown key '{}'", where, name.str());
    }
    std::string error;
    const auto text = flag_text(node, it->second.kind, error);
    if (!text) {
      return fmt::format("{}: key '{}': {}", where, name.str(), error);
    }
    if (it->second.kind == value_kind::strings && text->empty()) {
      continue; // an empty list is the default
    }
    try {
      it->second.option->run_callback_for_default()->default_val(*text);
    } catch (const CLI::Error& e) {
      // CLI11 names the flag ("--max-wait: Value 0 not in range 1 to 3600"); the key says it.
      std::string_view message = e.what();
      if (const auto flag = "--" + std::string(name.str()) + ": "; message.starts_with(flag)) {
        message.remove_prefix(flag.size());
      }
      return fmt::format("{}: key '{}': {}", where, name.str(), message);
    }
  }
  return {};
}

/// The --config FILE (or BOSHMUX_CONFIG) of a command line; empty when there is none. Found
/// before the real parse, because the file's values become the options' defaults.
std::string find_config_path(int argc, const char* const* argv) {
  CLI::App pre;
  pre.set_help_flag();
  pre.allow_extras();
  std::string path;
  pre.add_option("--config", path)->envname("BOSHMUX_CONFIG");
  try {
    pre.parse(argc, argv);
  } catch (const CLI::ParseError&) {
    // The real parse reports it.
  }
  return path;
}

/// `hp` as the --upstream/--listen flag takes it.
std::string to_string(const host_port& hp) {
  return hp.host.find(':') == std::string::npos ? fmt::format("{}:{}", hp.host, hp.port)
                                                : fmt::format("[{}]:{}", hp.host, hp.port);
}

/// `node` as a TOML value: basic strings with escapes, UTF-8 kept.
std::string toml_value(const toml::node& node) {
  std::ostringstream out;
  out << toml::toml_formatter(node, toml::format_flags::allow_unicode_strings);
  return out.str();
}

/// A string as a TOML value.
std::string toml_string(const std::string& value) {
  return toml_value(toml::value(value));
}

/// A duration as a TOML number of seconds ("30", "0.5").
std::string toml_seconds(std::chrono::milliseconds d) {
  return fmt::format("{}", static_cast<double>(d.count()) / 1000.0);
}

} // namespace

std::string to_toml(const config& cfg) {
  std::string out = "# boshmux: the effective configuration (flags > environment > file > "
                    "defaults)\n";
  const auto line = [&out](std::string_view key, const std::string& value) {
    out += fmt::format("{} = {}\n", key, value);
  };
  const auto optional = [&out, &line](std::string_view key, const std::string& value) {
    if (value.empty()) {
      out += fmt::format("# {} = (not set)\n", key);
    } else {
      line(key, toml_string(value));
    }
  };
  line("domain", toml_string(cfg.domain));
  line("upstream", toml_string(to_string(cfg.upstream)));
  if (!cfg.secret_file.empty()) {
    line("secret-file", toml_string(cfg.secret_file));
  } else {
    line("secret", toml_string(cfg.secret.empty() ? "" : "***"));
  }
  line("listen", toml_string(to_string(cfg.listen)));
  if (cfg.metrics_listen) {
    line("metrics-listen", toml_string(to_string(*cfg.metrics_listen)));
  } else {
    out += "# metrics-listen = (not set)\n";
  }
  line("bosh-path", toml_string(cfg.bosh_path));
  line("node-id", toml_string(cfg.node_id));
  line("log-level", toml_string(cfg.log_level));
  line("log-format", toml_string(cfg.log_format));
  line("keepalive", toml_seconds(cfg.keepalive));
  line("reconnect-min", toml_seconds(cfg.reconnect_min));
  line("reconnect-max", toml_seconds(cfg.reconnect_max));
  toml::array origins;
  for (const auto& origin : cfg.cors_origins) {
    origins.push_back(origin);
  }
  line("cors-origins", toml_value(origins));
  line("max-wait", std::to_string(cfg.max_wait));
  line("max-hold", std::to_string(cfg.max_hold));
  line("inactivity", std::to_string(cfg.inactivity));
  line("polling", std::to_string(cfg.polling));
  line("max-pause", std::to_string(cfg.max_pause));
  line("max-sessions", std::to_string(cfg.max_sessions));
  line("max-creations-per-address-rate", fmt::format("{}", cfg.max_creations_per_address_rate));
  line("max-creations-per-address-burst", fmt::format("{}", cfg.max_creations_per_address_burst));
  toml::array proxies;
  for (const auto& proxy : cfg.trusted_proxies) {
    proxies.push_back(proxy);
  }
  line("trusted-proxies", toml_value(proxies));
  line("max-connections", std::to_string(cfg.max_connections));
  line("max-upstream-stanza", std::to_string(cfg.max_upstream_stanza_bytes));
  line("request-timeout", toml_seconds(cfg.request_timeout));
  optional("tls-cert", cfg.tls_cert);
  optional("tls-key", cfg.tls_key);
  line("link-grace", std::to_string(cfg.link_grace));
  line("drain-period", std::to_string(cfg.drain_period));
  line("local-routing", cfg.local_routing ? "true" : "false");
  line("anonymous", cfg.anonymous ? "true" : "false");
  optional("users-file", cfg.users_file);
  optional("jwt-key-file", cfg.jwt_key_file);
  line("jwt-claim", toml_string(cfg.jwt_claim));
  optional("jwt-issuer", cfg.jwt_issuer);
  optional("jwt-audience", cfg.jwt_audience);
  return out;
}

parse_result parse_command_line(int argc, const char* const* argv) {
  return parse_command_line(argc, argv, std::cout, std::cerr);
}

parse_result parse_command_line(int argc, const char* const* argv, std::ostream& out,
                                std::ostream& err) {
  config cfg;
  CLI::App app{"boshmux: an XMPP BOSH connection manager that reaches the XMPP server as one "
               "external component (XEP-0124, XEP-0206, XEP-0114)",
               "boshmux"};
  app.get_formatter()->column_width(34);
  file_keys keys;
  std::string config_path;
  bool print_config = false;
  std::string upstream = "127.0.0.1:5347";
  std::string listen = "127.0.0.1:5280";
  std::string metrics_listen;
  std::string secret_file;
  double keepalive_s = 30;
  double reconnect_min_s = 0.5;
  double reconnect_max_s = 30;
  double request_timeout_s = 10;
  using enum value_kind;

  app.add_option("--config", config_path,
                 "TOML file of options (key: the option's name without dashes); the environment "
                 "and flags win over it")
      ->envname("BOSHMUX_CONFIG")
      ->type_name("FILE");
  app.add_flag("--print-config", print_config,
               "Print the effective configuration as TOML (secret masked) and exit");
  from_file(keys,
            app.add_option("--domain", cfg.domain,
                           "Component domain served (users are user@DOMAIN); required")
                ->envname("BOSHMUX_DOMAIN")
                ->check(domain_validator()),
            string);
  from_file(keys,
            app.add_option("--upstream", upstream, "XMPP server component listener")
                ->envname("BOSHMUX_UPSTREAM")
                ->check(host_port_validator(false))
                ->capture_default_str(),
            string);
  auto* secret =
      from_file(keys,
                app.add_option("--secret", cfg.secret, "Component secret (prefer --secret-file)")
                    ->envname("BOSHMUX_SECRET"),
                string);
  auto* secret_file_opt =
      from_file(keys,
                app.add_option("--secret-file", secret_file, "File holding the component secret")
                    ->envname("BOSHMUX_SECRET_FILE"),
                string);
  secret->excludes(secret_file_opt);
  from_file(keys,
            app.add_option("--listen", listen, "HTTP listen address (port 0: any free port)")
                ->envname("BOSHMUX_LISTEN")
                ->check(host_port_validator(true))
                ->capture_default_str(),
            string);
  from_file(keys,
            app.add_option("--metrics-listen", metrics_listen,
                           "Separate HTTP listen address for /metrics, /healthz and /readyz "
                           "(default: served on --listen)")
                ->envname("BOSHMUX_METRICS_LISTEN")
                ->check(host_port_validator(true)),
            string);
  from_file(keys,
            app.add_option("--bosh-path", cfg.bosh_path, "HTTP path of the BOSH endpoint")
                ->envname("BOSHMUX_BOSH_PATH")
                ->check(path_validator())
                ->capture_default_str(),
            string);
  from_file(
      keys,
      app.add_option("--node-id", cfg.node_id, "Node id: the prefix of every SID this node issues")
          ->envname("BOSHMUX_NODE_ID")
          ->check(node_id_validator())
          ->capture_default_str(),
      string);
  from_file(
      keys,
      app.add_option("--log-level", cfg.log_level, "Log level")
          ->envname("BOSHMUX_LOG_LEVEL")
          ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
          ->capture_default_str(),
      string);
  from_file(keys,
            app.add_option("--log-format", cfg.log_format,
                           "Log lines on stderr: text, or json (one object per line)")
                ->envname("BOSHMUX_LOG_FORMAT")
                ->check(CLI::IsMember({"text", "json"}))
                ->capture_default_str(),
            string);
  from_file(keys,
            app.add_option("--keepalive", keepalive_s,
                           "Seconds of silence on the component link before a keepalive/ping")
                ->envname("BOSHMUX_KEEPALIVE")
                ->check(seconds_validator(0.1, 3600.0))
                ->capture_default_str(),
            seconds);
  from_file(keys,
            app.add_option("--reconnect-min", reconnect_min_s, "First reconnect delay, seconds")
                ->envname("BOSHMUX_RECONNECT_MIN")
                ->check(seconds_validator(0.01, 3600.0))
                ->capture_default_str(),
            seconds);
  from_file(keys,
            app.add_option("--reconnect-max", reconnect_max_s, "Largest reconnect delay, seconds")
                ->envname("BOSHMUX_RECONNECT_MAX")
                ->check(seconds_validator(0.01, 3600.0))
                ->capture_default_str(),
            seconds);

  from_file(keys,
            app.add_option("--cors-origins", cfg.cors_origins,
                           "Origins allowed to use the BOSH endpoint from a browser (default: any)")
                ->envname("BOSHMUX_CORS_ORIGINS")
                ->delimiter(','),
            strings);
  from_file(keys,
            app.add_option("--max-wait", cfg.max_wait, "Longest a request is held, seconds")
                ->envname("BOSHMUX_MAX_WAIT")
                ->check(CLI::Range(1U, 3600U))
                ->capture_default_str(),
            count);
  from_file(keys,
            app.add_option("--max-hold", cfg.max_hold, "Most requests held at once per session")
                ->envname("BOSHMUX_MAX_HOLD")
                ->check(CLI::Range(1U, 4U))
                ->capture_default_str(),
            count);
  from_file(keys,
            app.add_option("--inactivity", cfg.inactivity,
                           "Seconds without a held request before a session ends")
                ->envname("BOSHMUX_INACTIVITY")
                ->check(CLI::Range(2U, 3600U))
                ->capture_default_str(),
            count);
  from_file(keys,
            app.add_option("--polling", cfg.polling, "Shortest polling interval, seconds")
                ->envname("BOSHMUX_POLLING")
                ->check(CLI::Range(0U, 60U))
                ->capture_default_str(),
            count);
  from_file(
      keys,
      app.add_option("--max-pause", cfg.max_pause, "Longest pause a client may ask for, seconds")
          ->envname("BOSHMUX_MAX_PAUSE")
          ->check(CLI::Range(0U, 86400U))
          ->capture_default_str(),
      count);
  from_file(keys,
            app.add_option("--max-sessions", cfg.max_sessions, "Most sessions at once")
                ->envname("BOSHMUX_MAX_SESSIONS")
                ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
                ->capture_default_str(),
            count);
  from_file(
      keys,
      app.add_option("--max-creations-per-address-rate", cfg.max_creations_per_address_rate,
                     "Session creations per second one client address (IPv6: one /64) "
                     "may make; beyond: policy-violation. 0: unlimited")
          ->envname("BOSHMUX_MAX_CREATIONS_PER_ADDRESS_RATE")
          ->check(number_validator(0.0, 1'000'000.0, "number of creations per second", "RATE"))
          ->capture_default_str(),
      seconds);
  from_file(keys,
            app.add_option("--max-creations-per-address-burst", cfg.max_creations_per_address_burst,
                           "Session creations one address may make at once before the rate "
                           "applies")
                ->envname("BOSHMUX_MAX_CREATIONS_PER_ADDRESS_BURST")
                ->check(number_validator(1.0, 1'000'000.0, "number of creations", "COUNT"))
                ->capture_default_str(),
            seconds);
  from_file(keys,
            app.add_option("--trusted-proxies", cfg.trusted_proxies,
                           "Comma-separated IP addresses of reverse proxies whose "
                           "X-Forwarded-For names the client for the creation rate limit "
                           "(default: none, the header is ignored)")
                ->envname("BOSHMUX_TRUSTED_PROXIES")
                ->delimiter(',')
                ->check(ip_address_validator()),
            strings);
  from_file(keys,
            app.add_option("--max-connections", cfg.max_connections,
                           "HTTP connections open at once on --listen; beyond, new ones are "
                           "closed at once")
                ->envname("BOSHMUX_MAX_CONNECTIONS")
                ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
                ->capture_default_str(),
            count);
  from_file(keys,
            app.add_option("--max-upstream-stanza", cfg.max_upstream_stanza_bytes,
                           "Largest stanza sent to the XMPP server, bytes (keep it under the "
                           "server's limit); a larger one is bounced to its sender with "
                           "policy-violation")
                ->envname("BOSHMUX_MAX_UPSTREAM_STANZA")
                ->check(CLI::Range(std::size_t{1024}, http::server_config{}.max_body_bytes))
                ->capture_default_str(),
            count);
  from_file(keys,
            app.add_option("--request-timeout", request_timeout_s,
                           "Seconds within which an HTTP request (headers and body) must be "
                           "complete from its first byte; else 408 and the connection closes")
                ->envname("BOSHMUX_REQUEST_TIMEOUT")
                ->check(seconds_validator(0.1, 3600.0))
                ->capture_default_str(),
            seconds);
  auto* tls_cert =
      from_file(keys,
                app.add_option("--tls-cert", cfg.tls_cert,
                               "PEM certificate (chain) file: the HTTP listener speaks HTTPS "
                               "(needs --tls-key)")
                    ->envname("BOSHMUX_TLS_CERT")
                    ->check(CLI::ExistingFile),
                string);
  auto* tls_key =
      from_file(keys,
                app.add_option("--tls-key", cfg.tls_key, "PEM private key file of --tls-cert")
                    ->envname("BOSHMUX_TLS_KEY")
                    ->check(CLI::ExistingFile),
                string);
  from_file(keys,
            app.add_option("--link-grace", cfg.link_grace,
                           "Seconds sessions are kept (their stanzas queued) while the component "
                           "link is down; 0 ends them at once")
                ->envname("BOSHMUX_LINK_GRACE")
                ->check(CLI::Range(0U, 3600U))
                ->capture_default_str(),
            count);
  from_file(keys,
            app.add_option("--drain-period", cfg.drain_period,
                           "Seconds existing sessions keep working after SIGTERM/SIGINT before "
                           "they end with system-shutdown (a second signal ends them at once)")
                ->envname("BOSHMUX_DRAIN_PERIOD")
                ->check(CLI::Range(0U, 3600U))
                ->capture_default_str(),
            count);
  from_file(keys,
            app.add_flag("--local-routing,!--no-local-routing", cfg.local_routing,
                         "Deliver stanzas between sessions of this instance directly (default on)")
                ->envname("BOSHMUX_LOCAL_ROUTING"),
            boolean);
  from_file(keys,
            app.add_flag("--anonymous,!--no-anonymous", cfg.anonymous,
                         "Offer SASL ANONYMOUS (temporary random JIDs)")
                ->envname("BOSHMUX_ANONYMOUS"),
            boolean);
  from_file(keys,
            app.add_option("--users-file", cfg.users_file,
                           "Accounts file (boshmux user add ...): enables PLAIN and SCRAM")
                ->envname("BOSHMUX_USERS_FILE")
                ->check(CLI::ExistingFile),
            string);
  from_file(keys,
            app.add_option("--jwt-key-file", cfg.jwt_key_file,
                           "HS256 key file: JWTs are accepted as PLAIN passwords")
                ->envname("BOSHMUX_JWT_KEY_FILE")
                ->check(CLI::ExistingFile),
            string);
  from_file(keys,
            app.add_option("--jwt-claim", cfg.jwt_claim, "JWT claim holding the user name")
                ->envname("BOSHMUX_JWT_CLAIM")
                ->capture_default_str(),
            string);
  from_file(keys,
            app.add_option("--jwt-issuer", cfg.jwt_issuer, "Required JWT issuer (iss)")
                ->envname("BOSHMUX_JWT_ISSUER"),
            string);
  from_file(keys,
            app.add_option("--jwt-audience", cfg.jwt_audience, "Required JWT audience (aud)")
                ->envname("BOSHMUX_JWT_AUDIENCE"),
            string);

  const auto fail = [&err](const std::string& message) {
    err << "boshmux: " << message << "\n";
    return parse_result{std::nullopt, 2};
  };
  // The file's values become the options' defaults before the parse, so the environment
  // (read by the parse for options not given as flags) and the flags override them.
  cfg.config_file = find_config_path(argc, argv);
  if (!cfg.config_file.empty()) {
    if (auto error = load_config_file(cfg.config_file, keys); !error.empty()) {
      return fail(error);
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return {std::nullopt, code == 0 ? 0 : 2};
  }
  if (cfg.domain.empty()) {
    return fail("--domain (BOSHMUX_DOMAIN, or 'domain' in the config file) is required");
  }
  // A secret given as a flag or variable wins over a secret file named only in the config file
  // (both as flags or variables is refused by the parse, both in the file by load_config_file).
  if (!secret_file.empty() && secret->count() == 0) {
    std::string error;
    auto value = read_secret_file(secret_file, error);
    if (!value) {
      return fail("--secret-file: " + error);
    }
    cfg.secret = std::move(*value);
    cfg.secret_file = secret_file;
  }
  if (cfg.secret.empty()) {
    return fail("--secret or --secret-file (BOSHMUX_SECRET / BOSHMUX_SECRET_FILE, or 'secret' / "
                "'secret-file' in the config file) is required");
  }
  if (tls_cert->count() + tls_key->count() > 0 || !cfg.tls_cert.empty() || !cfg.tls_key.empty()) {
    if (cfg.tls_cert.empty() || cfg.tls_key.empty()) {
      return fail("--tls-cert and --tls-key go together");
    }
  }
  if (reconnect_max_s < reconnect_min_s) {
    return fail("--reconnect-max must not be smaller than --reconnect-min");
  }
  cfg.upstream = *parse_host_port(upstream, false);
  cfg.listen = *parse_host_port(listen, true);
  if (!metrics_listen.empty()) {
    cfg.metrics_listen = parse_host_port(metrics_listen, true);
  }
  const auto ms = [](double s) { return std::chrono::milliseconds(std::llround(s * 1000)); };
  cfg.keepalive = ms(keepalive_s);
  cfg.reconnect_min = ms(reconnect_min_s);
  cfg.reconnect_max = ms(reconnect_max_s);
  cfg.request_timeout = ms(request_timeout_s);
  if (print_config) {
    out << to_toml(cfg);
    return {std::nullopt, 0};
  }
  return {cfg, 0};
}

} // namespace boshmux::ops
