#include "lib/ops/config.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <map>
#include <sstream>
#include <string>
#include <toml++/toml.h>
#include <unistd.h>
#include <vector>

namespace {

using boshmux::ops::config;
using boshmux::ops::parse_command_line;
using boshmux::ops::to_toml;
using boshmux::test::temp_dir;

/// Clears every BOSHMUX_* variable for the test and restores them afterwards; `set` adds some.
class scoped_env {
public:
  scoped_env() {
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry(*e);
      if (entry.starts_with("BOSHMUX_")) {
        const auto eq = entry.find('=');
        saved_.emplace(entry.substr(0, eq), entry.substr(eq + 1));
      }
    }
    for (const auto& [name, value] : saved_) {
      ::unsetenv(name.c_str());
    }
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;
  ~scoped_env() {
    for (const auto& name : set_) {
      ::unsetenv(name.c_str());
    }
    for (const auto& [name, value] : saved_) {
      ::setenv(name.c_str(), value.c_str(), 1);
    }
  }
  /// Sets `name` to `value` until the end of the test.
  void set(const std::string& name, const std::string& value) {
    ::setenv(name.c_str(), value.c_str(), 1);
    set_.push_back(name);
  }

private:
  std::map<std::string, std::string> saved_; ///< the variables found at the start
  std::vector<std::string> set_;             ///< the variables the test set
};

/// What one parse produced.
struct parsed {
  boshmux::ops::parse_result result;
  std::string out;
  std::string err;
};

/// Parses `boshmux <args>`.
parsed parse(std::initializer_list<std::string> args) {
  std::vector<std::string> owned{"boshmux"};
  owned.insert(owned.end(), args);
  std::vector<const char*> argv;
  for (const auto& a : owned) {
    argv.push_back(a.c_str());
  }
  std::ostringstream out;
  std::ostringstream err;
  auto result = parse_command_line(static_cast<int>(argv.size()), argv.data(), out, err);
  return {std::move(result), out.str(), err.str()};
}

/// Writes `text` to `dir/name`; returns the path.
std::string write(const temp_dir& dir, const std::string& name, const std::string& text) {
  const auto path = (dir.path / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

/// The fixture: a clean environment and a directory for config files.
struct config_fixture {
  scoped_env env;
  temp_dir dir;
};

/// Parses `--config path args...`; requires the process to be told to run.
config parse_ok(const std::string& path, std::initializer_list<std::string> args = {}) {
  std::vector<std::string> all{"--config", path};
  all.insert(all.end(), args);
  std::vector<const char*> argv{"boshmux"};
  for (const auto& a : all) {
    argv.push_back(a.c_str());
  }
  std::ostringstream out;
  std::ostringstream err;
  auto r = parse_command_line(static_cast<int>(argv.size()), argv.data(), out, err);
  BOOST_TEST_REQUIRE(r.cfg.has_value(), err.str());
  return *r.cfg;
}

/// Requires exit status 2 and an error naming each of `parts`.
void expect_rejected(const parsed& p, std::initializer_list<std::string> parts) {
  BOOST_TEST(!p.result.cfg.has_value());
  BOOST_TEST(p.result.exit_code == 2);
  for (const auto& part : parts) {
    BOOST_TEST(p.err.find(part) != std::string::npos, "'" << part << "' not in: " << p.err);
  }
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(config_tests, config_fixture)

BOOST_AUTO_TEST_CASE(a_config_file_sets_every_kind_of_value) {
  const auto path = write(dir, "boshmux.toml", R"(
domain = "bosh.example"
secret = "s3cret"
upstream = "[::1]:5348"
link-grace = 7
keepalive = 2.5
reconnect-min = 1
anonymous = true
local-routing = false
cors-origins = ["https://a", "https://b"]
)");
  const auto cfg = parse_ok(path);
  BOOST_TEST(cfg.domain == "bosh.example");
  BOOST_TEST(cfg.secret == "s3cret");
  BOOST_TEST(cfg.upstream.host == "::1");
  BOOST_TEST(cfg.upstream.port == 5348);
  BOOST_TEST(cfg.link_grace == 7u);
  BOOST_TEST(cfg.keepalive.count() == 2500);
  BOOST_TEST(cfg.reconnect_min.count() == 1000);
  BOOST_TEST(cfg.anonymous);
  BOOST_TEST(!cfg.local_routing);
  BOOST_TEST(cfg.cors_origins == (std::vector<std::string>{"https://a", "https://b"}),
             boost::test_tools::per_element());
  BOOST_TEST(cfg.max_wait == 60u); // not in the file: the default
  BOOST_TEST(cfg.config_file == path);
}

BOOST_AUTO_TEST_CASE(environment_wins_over_the_file_and_flags_over_both) {
  const auto path = write(dir, "boshmux.toml",
                          "domain = \"bosh.example\"\nsecret = \"x\"\nmax-wait = 30\n"
                          "max-hold = 2\ninactivity = 90\nanonymous = true\n"
                          "cors-origins = [\"https://file\"]\n");
  env.set("BOSHMUX_MAX_HOLD", "3");
  env.set("BOSHMUX_INACTIVITY", "100");
  env.set("BOSHMUX_ANONYMOUS", "false");
  env.set("BOSHMUX_CORS_ORIGINS", "https://env1,https://env2");
  const auto cfg = parse_ok(path, {"--inactivity", "120"});
  BOOST_TEST(cfg.max_wait == 30u);    // file only
  BOOST_TEST(cfg.max_hold == 3u);     // environment over file
  BOOST_TEST(cfg.inactivity == 120u); // flag over environment and file
  BOOST_TEST(!cfg.anonymous);
  BOOST_TEST(cfg.cors_origins == (std::vector<std::string>{"https://env1", "https://env2"}),
             boost::test_tools::per_element());

  const auto flagged = parse_ok(path, {"--no-anonymous", "--cors-origins", "https://flag"});
  BOOST_TEST(!flagged.anonymous);
  BOOST_TEST(flagged.cors_origins == (std::vector<std::string>{"https://flag"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(boshmux_config_names_the_file_and_the_flag_wins_over_it) {
  const auto a = write(dir, "a.toml", "domain = \"a.example\"\nsecret = \"x\"\n");
  const auto b = write(dir, "b.toml", "domain = \"b.example\"\nsecret = \"x\"\n");
  env.set("BOSHMUX_CONFIG", a);
  auto p = parse({});
  BOOST_TEST_REQUIRE(p.result.cfg.has_value(), p.err);
  BOOST_TEST(p.result.cfg->domain == "a.example");
  p = parse({"--config=" + b});
  BOOST_TEST_REQUIRE(p.result.cfg.has_value(), p.err);
  BOOST_TEST(p.result.cfg->domain == "b.example");
}

BOOST_AUTO_TEST_CASE(an_unknown_key_exits_2_naming_the_key_and_the_file) {
  const auto path = write(dir, "boshmux.toml", "domain = \"a.example\"\nmax-wiat = 3\n");
  expect_rejected(parse({"--secret", "x", "--config", path}), {path + ":2", "'max-wiat'"});
  // Negated flag names, actions and tables are not keys either.
  for (const auto* text : {"no-anonymous = true", "config = \"x.toml\"", "print-config = true",
                           "[server]\nport = 1"}) {
    write(dir, "boshmux.toml", text);
    expect_rejected(parse({"--secret", "x", "--config", path}), {path, "unknown key"});
  }
}

BOOST_AUTO_TEST_CASE(a_wrong_type_exits_2_naming_the_key_and_the_file) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"max-wait = \"30\"", "max-wait"},
      {"max-wait = 2.5", "max-wait"},
      {"max-wait = -1", "max-wait"},
      {"anonymous = \"yes\"", "anonymous"},
      {"anonymous = 1", "anonymous"},
      {"domain = 5", "domain"},
      {"cors-origins = \"x\"", "cors-origins"},
      {"cors-origins = [1, 2]", "cors-origins"},
      {"keepalive = \"30\"", "keepalive"},
      {"keepalive = true", "keepalive"},
  };
  for (const auto& [text, key] : cases) {
    BOOST_TEST_CONTEXT(text) {
      const auto path = write(dir, "boshmux.toml", text + "\n");
      expect_rejected(parse({"--domain", "a.example", "--secret", "x", "--config", path}),
                      {path + ":1", "'" + key + "'", "expected"});
    }
  }
}

BOOST_AUTO_TEST_CASE(a_bad_value_exits_2_with_the_flags_validator) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"max-wait = 0", "not in range"},
      {"keepalive = nan", "number of seconds from 0.1 to 3600"},
      {"keepalive = inf", "number of seconds from 0.1 to 3600"},
      {"reconnect-min = 0.001", "number of seconds from 0.01 to 3600"},
      {"domain = \"bad domain\"", "must be a domain name"},
      {"upstream = \"nocolon\"", "expected HOST:PORT"},
      {"log-level = \"loud\"", "loud"},
      {"log-format = \"xml\"", "xml"},
      {"bosh-path = \"http-bind\"", "absolute path"},
      {"users-file = \"/nonexistent/users\"", "/nonexistent/users"},
  };
  for (const auto& [text, message] : cases) {
    BOOST_TEST_CONTEXT(text) {
      const auto path = write(dir, "boshmux.toml", text + "\n");
      const auto key = text.substr(0, text.find(' '));
      expect_rejected(parse({"--domain", "a.example", "--secret", "x", "--config", path}),
                      {path, "'" + key + "'", message});
    }
  }
}

BOOST_AUTO_TEST_CASE(a_broken_or_missing_file_exits_2_naming_it) {
  const auto path = write(dir, "boshmux.toml", "domain = \"a.example\"\nmax-wait = = 3\n");
  expect_rejected(parse({"--secret", "x", "--config", path}), {path + ":2"});
  expect_rejected(parse({"--secret", "x", "--config", (dir.path / "none.toml").string()}),
                  {"none.toml"});
}

BOOST_AUTO_TEST_CASE(the_file_can_hold_the_required_options_but_they_stay_required) {
  const auto path = write(dir, "boshmux.toml", "max-wait = 30\n");
  expect_rejected(parse({"--secret", "x", "--config", path}), {"--domain"});
  expect_rejected(parse({"--domain", "a.example", "--config", path}), {"--secret"});
}

BOOST_AUTO_TEST_CASE(a_secret_from_a_higher_source_wins_over_the_files_secret_file) {
  const auto secret = write(dir, "secret", "from-file\n");
  const auto path =
      write(dir, "boshmux.toml", "domain = \"a.example\"\nsecret-file = \"" + secret + "\"\n");
  BOOST_TEST(parse_ok(path).secret == "from-file");
  BOOST_TEST(parse_ok(path).secret_file == secret);
  const auto flagged = parse_ok(path, {"--secret", "from-flag"});
  BOOST_TEST(flagged.secret == "from-flag");
  BOOST_TEST(flagged.secret_file == "");

  write(dir, "boshmux.toml", "domain = \"a.example\"\nsecret = \"in-file\"\n");
  env.set("BOSHMUX_SECRET_FILE", secret);
  BOOST_TEST(parse_ok(path).secret == "from-file");

  write(dir, "boshmux.toml", "domain = \"a.example\"\nsecret = \"a\"\nsecret-file = \"b\"\n");
  expect_rejected(parse({"--config", path}), {path, "'secret'", "'secret-file'"});
}

BOOST_AUTO_TEST_CASE(print_config_masks_the_secret_and_round_trips) {
  const auto path = write(dir, "boshmux.toml", R"(
domain = "bosh.example"
secret = "very-secret-value"
listen = "[::1]:0"
keepalive = 0.25
cors-origins = ["https://a", "https://b"]
anonymous = true
jwt-issuer = "quote\" backslash\\ newline\n é"
)");
  const auto p = parse({"--config", path, "--print-config", "--max-wait", "45"});
  BOOST_TEST(p.result.exit_code == 0);
  BOOST_TEST(!p.result.cfg.has_value());
  BOOST_TEST(p.out.find("very-secret-value") == std::string::npos, p.out);
  BOOST_TEST(p.out.find("secret = \"***\"\n") != std::string::npos, p.out);
  BOOST_TEST(p.out.find("max-wait = 45\n") != std::string::npos, p.out);
  BOOST_TEST(p.out.find("# users-file = (not set)\n") != std::string::npos, p.out);

  // The printed file, given back (with the real secret), yields the same configuration.
  const auto doc = toml::parse(p.out);
  BOOST_TEST(doc["jwt-issuer"].value_or(std::string{}) == "quote\" backslash\\ newline\n é");
  BOOST_TEST(doc["keepalive"].value_or(0.0) == 0.25);
  auto printed = p.out;
  printed.replace(printed.find("\"***\""), 5, "\"very-secret-value\"");
  const auto again = write(dir, "printed.toml", printed);
  const auto reread = parse({"--config", again, "--print-config"});
  BOOST_TEST(reread.result.exit_code == 0, reread.err);
  BOOST_TEST(reread.out == p.out);
}

BOOST_AUTO_TEST_CASE(print_config_shows_a_secret_file_as_its_path) {
  const auto secret = write(dir, "secret", "hidden\n");
  const auto p = parse({"--domain", "a.example", "--secret-file", secret, "--print-config"});
  BOOST_TEST(p.result.exit_code == 0, p.err);
  BOOST_TEST(p.out.find("hidden") == std::string::npos);
  BOOST_TEST(p.out.find("secret-file = \"" + secret + "\"") != std::string::npos, p.out);
  BOOST_TEST(p.out.find("\nsecret =") == std::string::npos, p.out);
}

BOOST_AUTO_TEST_CASE(to_toml_writes_every_option) {
  config cfg;
  cfg.domain = "a.example";
  cfg.secret = "x";
  const auto doc = toml::parse(to_toml(cfg));
  for (const auto* key :
       {"domain",        "upstream",     "secret",       "listen",     "bosh-path",
        "node-id",       "log-level",    "log-format",   "keepalive",  "reconnect-min",
        "reconnect-max", "cors-origins", "max-wait",     "max-hold",   "inactivity",
        "polling",       "max-pause",    "max-sessions", "link-grace", "local-routing",
        "anonymous",     "jwt-claim"}) {
    BOOST_TEST(doc.contains(key), key);
  }
  BOOST_TEST(doc["upstream"].value_or(std::string{}) == "127.0.0.1:5347");
  BOOST_TEST(doc["reconnect-min"].value_or(0.0) == 0.5);
}

BOOST_AUTO_TEST_CASE(hardening_options_have_safe_defaults_and_are_validated) {
  const auto d = parse({"--domain", "a.example", "--secret", "x"});
  BOOST_TEST_REQUIRE(d.result.cfg.has_value(), d.err);
  BOOST_TEST(d.result.cfg->max_creations_per_address_rate == 0.0); // off
  BOOST_TEST(d.result.cfg->max_creations_per_address_burst == 10.0);
  BOOST_TEST(d.result.cfg->max_connections == 10'000U);
  BOOST_TEST(d.result.cfg->request_timeout.count() == 10'000);
  BOOST_TEST(d.result.cfg->tls_cert.empty());

  const auto cert = write(dir, "cert.pem", "c");
  const auto key = write(dir, "key.pem", "k");
  const auto p =
      parse({"--domain", "a.example", "--secret", "x", "--max-creations-per-address-rate", "0.5",
             "--max-creations-per-address-burst", "3", "--max-connections", "50",
             "--request-timeout", "2.5", "--tls-cert", cert, "--tls-key", key});
  BOOST_TEST_REQUIRE(p.result.cfg.has_value(), p.err);
  BOOST_TEST(p.result.cfg->max_creations_per_address_rate == 0.5);
  BOOST_TEST(p.result.cfg->max_creations_per_address_burst == 3.0);
  BOOST_TEST(p.result.cfg->max_connections == 50U);
  BOOST_TEST(p.result.cfg->request_timeout.count() == 2'500);
  BOOST_TEST(p.result.cfg->tls_cert == cert);
  BOOST_TEST(p.result.cfg->tls_key == key);

  expect_rejected(
      parse({"--domain", "a.example", "--secret", "x", "--max-creations-per-address-rate", "-1"}),
      {"--max-creations-per-address-rate", "creations per second"});
  expect_rejected(
      parse({"--domain", "a.example", "--secret", "x", "--max-creations-per-address-burst", "0.5"}),
      {"--max-creations-per-address-burst"});
  expect_rejected(parse({"--domain", "a.example", "--secret", "x", "--max-connections", "0"}),
                  {"--max-connections"});
  expect_rejected(parse({"--domain", "a.example", "--secret", "x", "--request-timeout", "0"}),
                  {"--request-timeout"});
  expect_rejected(parse({"--domain", "a.example", "--secret", "x", "--tls-cert", cert}),
                  {"--tls-cert and --tls-key go together"});
  expect_rejected(parse({"--domain", "a.example", "--secret", "x", "--tls-key", key}),
                  {"--tls-cert and --tls-key go together"});

  // The file takes them too, and --print-config shows them.
  const auto file = write(dir, "c.toml",
                          "domain = \"a.example\"\nsecret = \"x\"\n"
                          "max-creations-per-address-rate = 2\n"
                          "max-creations-per-address-burst = 4.5\nrequest-timeout = 3\n");
  const auto f = parse_ok(file);
  BOOST_TEST(f.max_creations_per_address_rate == 2.0);
  BOOST_TEST(f.max_creations_per_address_burst == 4.5);
  BOOST_TEST(f.request_timeout.count() == 3'000);
  const auto doc = toml::parse(to_toml(f));
  for (const auto* k : {"max-creations-per-address-rate", "max-creations-per-address-burst",
                        "max-connections", "request-timeout"}) {
    BOOST_TEST(doc.contains(k), k);
  }
  // The environment wins over the file.
  env.set("BOSHMUX_MAX_CREATIONS_PER_ADDRESS_RATE", "7");
  env.set("BOSHMUX_MAX_CONNECTIONS", "99");
  const auto e = parse_ok(file);
  BOOST_TEST(e.max_creations_per_address_rate == 7.0);
  BOOST_TEST(e.max_creations_per_address_burst == 4.5);
  BOOST_TEST(e.max_connections == 99U);
}

BOOST_AUTO_TEST_CASE(max_upstream_stanza_defaults_to_512000_bytes) {
  const auto p = parse({"--domain", "a.example", "--secret", "x"});
  BOOST_TEST_REQUIRE(p.result.cfg.has_value(), p.err);
  BOOST_TEST(p.result.cfg->max_upstream_stanza_bytes == 512'000U);
  BOOST_TEST(to_toml(*p.result.cfg).find("\nmax-upstream-stanza = 512000\n") != std::string::npos,
             to_toml(*p.result.cfg));
}

BOOST_AUTO_TEST_CASE(max_upstream_stanza_comes_from_the_file_the_environment_or_the_flag) {
  const auto path = write(dir, "boshmux.toml",
                          "domain = \"a.example\"\nsecret = \"x\"\nmax-upstream-stanza = 300000\n");
  BOOST_TEST(parse_ok(path).max_upstream_stanza_bytes == 300'000U);
  env.set("BOSHMUX_MAX_UPSTREAM_STANZA", "4096");
  BOOST_TEST(parse_ok(path).max_upstream_stanza_bytes == 4096U); // environment over file
  const auto flagged = parse_ok(path, {"--max-upstream-stanza", "2048"});
  BOOST_TEST(flagged.max_upstream_stanza_bytes == 2048U); // flag over both
  BOOST_TEST(to_toml(flagged).find("\nmax-upstream-stanza = 2048\n") != std::string::npos,
             to_toml(flagged));

  const auto p = parse({"--domain", "a.example", "--secret", "x"});
  BOOST_TEST_REQUIRE(p.result.cfg.has_value(), p.err);
  BOOST_TEST(p.result.cfg->max_upstream_stanza_bytes == 4096U); // environment alone
}

BOOST_AUTO_TEST_CASE(max_upstream_stanza_is_refused_below_1024_and_above_the_body_limit) {
  constexpr std::size_t body_limit = 1024 * 1024; // the BOSH body limit (413 beyond)
  for (const std::size_t ok : {std::size_t{1024}, std::size_t{1025}, body_limit - 1, body_limit}) {
    BOOST_TEST_CONTEXT(ok) {
      const auto p = parse(
          {"--domain", "a.example", "--secret", "x", "--max-upstream-stanza", std::to_string(ok)});
      BOOST_TEST_REQUIRE(p.result.cfg.has_value(), p.err);
      BOOST_TEST(p.result.cfg->max_upstream_stanza_bytes == ok);
    }
  }
  for (const auto& bad :
       std::vector<std::string>{"0", "1023", std::to_string(body_limit + 1), "-1", "4k", ""}) {
    BOOST_TEST_CONTEXT(bad) {
      expect_rejected(
          parse({"--domain", "a.example", "--secret", "x", "--max-upstream-stanza", bad}),
          {"--max-upstream-stanza"});
    }
  }
  expect_rejected(
      parse({"--domain", "a.example", "--secret", "x", "--max-upstream-stanza", "1023"}),
      {"--max-upstream-stanza", "not in range 1024 to 1048576"});
  {
    scoped_env env_only;
    env_only.set("BOSHMUX_MAX_UPSTREAM_STANZA", std::to_string(body_limit + 1));
    expect_rejected(parse({"--domain", "a.example", "--secret", "x"}),
                    {"--max-upstream-stanza", "not in range"});
  }
  const auto path = write(dir, "boshmux.toml", "max-upstream-stanza = 100\n");
  expect_rejected(parse({"--domain", "a.example", "--secret", "x", "--config", path}),
                  {path + ":1", "'max-upstream-stanza'", "not in range 1024 to 1048576"});
}

BOOST_AUTO_TEST_SUITE_END()
