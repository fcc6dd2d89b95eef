#pragma once
// What boshload measures besides its own traffic: the CPU time and resident memory of the
// processes under test (read from /proc) and of boshload itself, and latency percentiles.

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/types.h>
#include <vector>

namespace boshload {

/// CPU seconds (user + system) and resident bytes of a set of processes at one moment.
struct usage {
  double cpu_seconds = 0;
  double rss_bytes = 0;
};

/// Processes watched under a label, e.g. "boshmux+prosody" -> {pid, pid}.
class watched_processes {
public:
  /// Parses "label=pid[,pid...]"; throws std::invalid_argument when malformed.
  void add(const std::string& spec);
  bool empty() const { return groups_.empty(); }
  /// Current usage per label (a vanished process counts as zero).
  std::map<std::string, usage> sample() const;

private:
  std::map<std::string, std::vector<pid_t>> groups_;
};

/// boshload's own CPU seconds so far (user + system).
double self_cpu_seconds();
/// boshload's own resident bytes now.
double self_rss_bytes();

/// Latency samples in milliseconds; percentiles by sorting on demand.
class latencies {
public:
  void add(double ms) { samples_.push_back(ms); }
  std::size_t size() const { return samples_.size(); }
  /// {"count", "p50", "p90", "p99", "max"} (null percentiles when there is no sample).
  nlohmann::json summary();

private:
  std::vector<double> samples_;
};

/// Usage differences between two samples: {"label": {"cpu_seconds", "rss_bytes", "rss_delta"}}.
nlohmann::json usage_delta(const std::map<std::string, usage>& before,
                           const std::map<std::string, usage>& after);

} // namespace boshload
