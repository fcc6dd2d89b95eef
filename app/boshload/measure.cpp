#include "app/boshload/measure.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/resource.h>
#include <unistd.h>

namespace boshload {

namespace {

usage read_process(pid_t pid) {
  usage u;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line))
    return u;
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  const auto close = line.rfind(')');
  if (close == std::string::npos)
    return u;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  double utime = 0;
  double stime = 0;
  for (int index = 3; fields >> field; ++index) {
    if (index == 14)
      utime = std::stod(field);
    if (index == 15) {
      stime = std::stod(field);
      break;
    }
  }
  u.cpu_seconds = (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      u.rss_bytes = std::stod(line.substr(6)) * 1024.0; // reported in kB
      break;
    }
  }
  return u;
}

} // namespace

void watched_processes::add(const std::string& spec) {
  const auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
    throw std::invalid_argument("--watch wants LABEL=PID[,PID...], got " + spec);
  auto& pids = groups_[spec.substr(0, eq)];
  std::istringstream list(spec.substr(eq + 1));
  std::string pid;
  while (std::getline(list, pid, ',')) {
    std::size_t used = 0;
    const long value = std::stol(pid, &used);
    if (used != pid.size() || value <= 0)
      throw std::invalid_argument("bad pid in " + spec);
    pids.push_back(static_cast<pid_t>(value));
  }
}

std::map<std::string, usage> watched_processes::sample() const {
  std::map<std::string, usage> out;
  for (const auto& [label, pids] : groups_) {
    usage& total = out[label];
    for (pid_t pid : pids) {
      const usage u = read_process(pid);
      total.cpu_seconds += u.cpu_seconds;
      total.rss_bytes += u.rss_bytes;
    }
  }
  return out;
}

double self_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(ru.ru_utime) + seconds(ru.ru_stime);
}

double self_rss_bytes() {
  return read_process(getpid()).rss_bytes;
}

nlohmann::json latencies::summary() {
  nlohmann::json out{{"count", samples_.size()}};
  if (samples_.empty()) {
    out["p50"] = out["p90"] = out["p99"] = out["max"] = nullptr;
    return out;
  }
  std::sort(samples_.begin(), samples_.end());
  auto at = [this](double q) {
    const auto index =
        static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples_.size())));
    return samples_[std::min(samples_.size() - 1, index == 0 ? 0 : index - 1)];
  };
  out["p50"] = at(0.50);
  out["p90"] = at(0.90);
  out["p99"] = at(0.99);
  out["max"] = samples_.back();
  return out;
}

nlohmann::json usage_delta(const std::map<std::string, usage>& before,
                           const std::map<std::string, usage>& after) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [label, end] : after) {
    const auto start = before.find(label);
    const usage zero;
    const usage& begin = start == before.end() ? zero : start->second;
    out[label] = {{"cpu_seconds", end.cpu_seconds - begin.cpu_seconds},
                  {"rss_bytes", end.rss_bytes},
                  {"rss_delta", end.rss_bytes - begin.rss_bytes}};
  }
  return out;
}

} // namespace boshload
