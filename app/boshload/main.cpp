// boshload: a BOSH load generator. Simulates browser sessions (hold=1, at most two requests out,
// long polls) that log in with SASL, bind and establish a session, then chat in pairs, stay
// idle, or log in and out in a loop; measures delivery latency, throughput, errors, and the CPU
// and memory of the processes under test. Bounded in time; stops by itself.

#include "app/boshload/load.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fstream>
#include <iostream>

int main(int argc, char** argv) {
  boshload::options opt;
  CLI::App app{"boshload: drives simulated BOSH browser sessions against a BOSH endpoint"};
  std::string url = "http://127.0.0.1:5280/http-bind";
  std::string json_path;
  std::vector<std::string> watch;
  app.add_option("--url", url, "BOSH endpoint (http://HOST:PORT/PATH; HOST an IP address)")
      ->capture_default_str();
  app.add_option("--domain", opt.domain, "Domain to log in to (the `to` of session creation)")
      ->required();
  app.add_option("--scenario", opt.scenario, "chat (pairs exchange messages), idle or churn")
      ->check(CLI::IsMember({"chat", "idle", "churn"}))
      ->capture_default_str();
  app.add_option("--sessions", opt.sessions, "Sessions (chat: rounded up to an even number)")
      ->check(CLI::Range(1U, 1000000U))
      ->capture_default_str();
  app.add_option("--mechanism", opt.mechanism, "SASL mechanism")
      ->check(CLI::IsMember({"anonymous", "plain"}))
      ->capture_default_str();
  app.add_option("--user-format", opt.user_format, "PLAIN user of session i ({} -> i, from 1)")
      ->capture_default_str();
  app.add_option("--password-format", opt.password_format, "PLAIN password ({} -> the user)")
      ->capture_default_str();
  app.add_option("--login-concurrency", opt.login_concurrency,
                 "Logins under way at once (churn: the number of looping sessions)")
      ->check(CLI::Range(1U, 100000U))
      ->capture_default_str();
  app.add_option("--ramp-rate", opt.ramp_rate, "New sessions per second (0: no limit)")
      ->capture_default_str();
  app.add_option("--wait", opt.wait, "BOSH wait, seconds")->capture_default_str();
  app.add_option("--hold", opt.hold, "BOSH hold")->check(CLI::Range(1U, 2U))->capture_default_str();
  app.add_flag("--presence,!--no-presence", opt.presence, "Send initial presence once bound")
      ->capture_default_str();
  app.add_option("--idle-gap", opt.idle_gap,
                 "idle: seconds between an answered poll and the next (0: re-poll at once)")
      ->capture_default_str();
  app.add_option("--rates", opt.rates, "chat: offered messages/s of each step")->delimiter(',');
  app.add_option("--rate-factor", opt.rate_factor,
                 "chat: after the listed rates, multiply the rate by this for further steps")
      ->capture_default_str();
  app.add_option("--max-steps", opt.max_steps, "chat: most steps")->capture_default_str();
  app.add_flag("--until-saturated", opt.until_saturated,
               "chat: stop after the first step delivering under 90% of the offered rate");
  app.add_option("--step-seconds", opt.step_seconds, "chat: seconds per step")
      ->check(CLI::Range(0.5, 3600.0))
      ->capture_default_str();
  app.add_option("--duration", opt.duration, "idle/churn: measured seconds")
      ->check(CLI::Range(0.5, 36000.0))
      ->capture_default_str();
  app.add_option("--max-time", opt.max_time, "Hard bound on the whole run, seconds")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
  app.add_option("--sources", opt.sources,
                 "Loopback source addresses to spread connections over (127.0.0.1..N)")
      ->check(CLI::Range(1U, 254U))
      ->capture_default_str();
  app.add_option("--watch", watch,
                 "LABEL=PID[,PID...]: report CPU and memory of these processes (repeatable)");
  app.add_option("--json", json_path, "Write the result document here");
  CLI11_PARSE(app, argc, argv);

  try {
    // http://HOST:PORT/PATH
    const std::string prefix = "http://";
    if (url.rfind(prefix, 0) != 0)
      throw std::invalid_argument("--url must start with http://");
    const auto slash = url.find('/', prefix.size());
    const std::string authority = url.substr(prefix.size(), slash - prefix.size());
    opt.path = slash == std::string::npos ? "/" : url.substr(slash);
    const auto colon = authority.rfind(':');
    opt.host = authority.substr(0, colon);
    if (colon != std::string::npos)
      opt.port = static_cast<unsigned short>(std::stoul(authority.substr(colon + 1)));
    else
      opt.port = 80;
    for (const auto& w : watch)
      opt.watch.add(w);
    if (opt.scenario == "chat" && opt.sessions % 2)
      ++opt.sessions;

    const nlohmann::json result = boshload::run(opt);
    std::cout << boshload::summary(result) << std::flush;
    if (!json_path.empty()) {
      std::ofstream out(json_path);
      out << result.dump(2) << '\n';
      if (!out)
        throw std::runtime_error("cannot write " + json_path);
    }
    return result["stopped_by_max_time"].get<bool>() ? 2 : 0;
  } catch (const std::exception& e) {
    std::cerr << "boshload: " << e.what() << '\n';
    return 1;
  }
}
