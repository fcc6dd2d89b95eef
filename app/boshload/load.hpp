#pragma once
// The simulated browser sessions and the three scenarios (chat, idle, churn).

#include "app/boshload/measure.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace boshload {

struct options {
  std::string host = "127.0.0.1";
  unsigned short port = 5280;
  std::string path = "/http-bind";
  std::string domain;            ///< the `to` of session creation requests
  std::string scenario = "chat"; ///< chat, idle or churn
  unsigned sessions = 10;
  std::string mechanism = "anonymous"; ///< anonymous or plain
  std::string user_format = "user{}";  ///< PLAIN user name of session i ({} -> i + 1)
  std::string password_format = "{}";  ///< PLAIN password of session i ({} -> the user name)
  unsigned login_concurrency = 100;    ///< sessions logging in at once
  double ramp_rate = 0;                ///< new sessions per second (0: as fast as allowed)
  unsigned wait = 60;                  ///< BOSH wait of every session
  unsigned hold = 1;
  bool presence = true;      ///< send initial presence once bound, as browser clients do
  double idle_gap = 0;       ///< idle: seconds between an answered poll and the next (0: at once)
  std::vector<double> rates; ///< chat: offered messages/s per step
  double rate_factor = 0;    ///< chat: when > 1, keep stepping rates by this factor...
  unsigned max_steps = 12;   ///< ...for at most this many steps...
  bool until_saturated = false; ///< ...stopping after the first saturated step
  double step_seconds = 10;
  double duration = 30;  ///< idle: measured hold time; churn: measured time
  double max_time = 900; ///< hard bound on the whole run
  unsigned sources = 4;  ///< loopback source addresses 127.0.0.1 .. 127.0.0.N
  watched_processes watch;
};

/// Runs the scenario to completion (or max_time) and returns the result document.
nlohmann::json run(const options& opt);

/// A few lines for humans from a result document.
std::string summary(const nlohmann::json& result);

} // namespace boshload
