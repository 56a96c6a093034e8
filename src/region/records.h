// The truthful record of one invocation: what ran where, for how long, what it
// was billed under both of Lambda's rounding rules, and what it used as the
// kernel measured it (cgroup memory high-water mark, CPU and throttled time,
// bytes on the sandbox's interface). Written as one JSON line per invocation
// and printed as Lambda's REPORT log line.
//
// Thread-safety: InvocationRecord is a value; RecordWriter serialises writers.
#ifndef FAASNET_REGION_RECORDS_H_
#define FAASNET_REGION_RECORDS_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/status.h"
#include "net/telemetry.h"

namespace faasnet::region {

inline constexpr int kRecordSchemaVersion = 1;

struct InvocationRecord {
  std::string request_id;
  std::string function;
  int memory_mb = 0;
  double cpus = 0;            // the CPU quota the sandbox had
  std::string host_id;
  std::string sandbox_id;
  std::string isolation;      // "full" or "none" (unisolated: no quota, no netns)
  bool oversubscribed = false;  // the hosts' vCPUs exceed the machine's CPUs
  bool cold = false;
  double init_duration_ms = 0;  // cold starts only: sandbox + runtime until its first /next
  double duration_ms = 0;       // event handed to the runtime -> response/error received
  int64_t billed_duration_ms_1ms = 0;    // ceil to 1 ms (since Dec 2020)
  int64_t billed_duration_ms_100ms = 0;  // ceil to 100 ms (until Nov 2020, the paper's)
  uint64_t max_memory_used_bytes = 0;    // cgroup high-water mark during the invocation
  double cpu_time_ms = 0;                // cgroup CPU time during the invocation
  double cpu_throttled_ms = 0;           // time the CFS quota held it back
  uint64_t cpu_nr_throttled = 0;         // periods throttled
  uint64_t net_rx_bytes = 0;             // received by the sandbox (host-side veth tx)
  uint64_t net_tx_bytes = 0;             // sent by the sandbox
  // With a region network: the shaping policy, what the sandbox's own shaper
  // classes moved, dropped and deferred (per_sandbox false under none and
  // shared, where it has none), and the resolved network profile as JSON
  // (net::ResolvedProfile::ToJson, rendered once per region).
  std::string network_policy;
  std::optional<net::SandboxNetUsage> net_usage;
  std::string network_profile_json;
  std::string error_type;                // "" or Lambda's (Runtime.OutOfMemory, Sandbox.Timedout, ...)
  std::string error_message;
  int64_t start_unix_ms = 0;

  std::string ToJson() const;
  // "REPORT RequestId: ...\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 9 MB[\tInit Duration: 4.56 ms]"
  std::string ReportLine() const;
};

// ceil(duration / granularity) x granularity, in whole ms; a zero duration bills one unit.
int64_t BilledMs(double duration_ms, int64_t granularity_ms);

// Appends JSON lines to a file, flushed per record.
class RecordWriter {
 public:
  static Result<std::unique_ptr<RecordWriter>> Open(const std::string& path);
  ~RecordWriter();
  void Write(const InvocationRecord& r);
  const std::string& path() const { return path_; }

 private:
  RecordWriter(std::string path, std::FILE* f) : path_(std::move(path)), f_(f) {}
  std::mutex mu_;
  std::string path_;
  std::FILE* f_;
};

}  // namespace faasnet::region

#endif  // FAASNET_REGION_RECORDS_H_
