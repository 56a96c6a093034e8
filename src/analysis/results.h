// Reading a results directory (docs/formats/results.md, schema_version 1):
// run.json, invocations.jsonl, cells.jsonl and telemetry.jsonl. Analysis reads
// only these files, never a live region, so prices, figures and findings can
// change without re-running anything.
//
// Errors name the file, the line and the reason
// ("R/invocations.jsonl: line 7: field 'memory_mb': expected a number, got string").
// A field a platform could not measure is `null`; it reads as std::nullopt,
// never as 0. A run that was interrupted may end in a half-written line: a
// malformed *last* line without a newline is skipped with a warning.
//
// Thread-safety: plain values; ReadResults is a pure function of the files.
#ifndef FAASNET_ANALYSIS_RESULTS_H_
#define FAASNET_ANALYSIS_RESULTS_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/prices.h"
#include "base/status.h"

namespace faasnet::analysis {

inline constexpr int kResultsSchemaVersion = 1;

struct RunInfo {
  nlohmann::json raw;  // run.json as written
  std::string status;
  std::string faasnet_version;
  std::string git_commit;
  std::string size;
  std::vector<std::string> scenarios;
  std::string platform_kind;  // local | aws | http
  std::string profile_name;   // platform.network_profile.name
  std::string cpu_policy;
  std::optional<double> nic_download_bps;  // platform.network_profile.nic_download_bps (HTB rate, bits/s)
  std::optional<double> nic_upload_bps;
  std::optional<double> host_memory_mb;  // platform.hosts[0].memory_mb
};

struct Invocation {
  size_t line = 0;  // in invocations.jsonl, for messages
  std::string scenario, experiment, cell_id;
  nlohmann::json params;  // always an object
  int rep = 0, worker = 0, seq = 0;
  std::string request_id, host_id, sandbox_id, error_type;
  double memory_mb = 0;
  std::optional<double> start_unix_ms, client_ms, init_duration_ms, duration_ms;
  std::optional<double> billed_ms_1ms, billed_ms_100ms;
  std::optional<double> max_memory_used_mb, cpu_time_ms, cpu_throttled_ms, net_rx_bytes, net_tx_bytes;
  std::optional<bool> cold;
  // From `result` (the workload's response); nullopt when absent or null.
  std::string action, direction;
  bool result_ok = false;
  std::optional<double> bytes, elapsed_ms, mb_per_s;

  // Succeeded: no platform error and the workload said ok.
  bool ok() const { return error_type.empty() && result_ok; }
  // mb_per_s as reported, else bytes / elapsed_ms; nullopt when unknown.
  std::optional<double> MbPerS() const;
  // The duration AWS would bill: duration_ms, else client_ms (a platform
  // that reports neither cannot be priced).
  std::optional<double> RunMs() const;
  // The billed duration under `rule`: the recorded one, else RunMs() rounded.
  std::optional<double> BilledMs(BillingRule rule) const;
};

struct CellRecord {
  size_t line = 0;
  std::string scenario, experiment, cell_id;
  nlohmann::json params;
  std::optional<double> started_unix_ms, finished_unix_ms;
  int invocations = 0, errors = 0;
  bool timed_out = false;
  // `job`, when the cell ran one.
  std::optional<double> job_chunks, job_chunk_bytes, job_concurrency, job_wall_ms;
  std::optional<double> mbps_median, mbps_p25, mbps_p75;
};

struct TelemetrySample {
  std::string cell_id, host, direction;
  double t_ms = 0;
  std::optional<double> bytes, rate_bps, utilisation;
};

struct ResultSet {
  std::string dir;
  std::string label;  // RunLabel(): series names in overlays
  RunInfo run;
  std::vector<Invocation> invocations;
  std::vector<CellRecord> cells;
  std::vector<TelemetrySample> telemetry;
  std::vector<std::string> warnings;  // skipped truncated lines, missing optional files
};

// A run's name in legends and tables: "<platform kind> <directory name>", or
// the directory name alone when it already names the kind ("aws", "run-aws-2").
std::string RunLabel(const std::string& platform_kind, const std::string& dir_name);

// Reads `dir`. run.json and invocations.jsonl are required (NotFound names the
// missing file); cells.jsonl and telemetry.jsonl are optional. Malformed
// content is InvalidArgument with file, line and reason.
Result<ResultSet> ReadResults(const std::string& dir);

// Parsers of one record, for tests and for callers that stream. `where` is
// the "file: line N" prefix of error messages.
Result<Invocation> ParseInvocation(const nlohmann::json& j, const std::string& where);
Result<CellRecord> ParseCell(const nlohmann::json& j, const std::string& where);
Result<RunInfo> ParseRunInfo(const nlohmann::json& j, const std::string& where);

// The whole file; errors name the path.
Result<std::string> ReadTextFile(const std::string& path);

// A params value as text for labels and CSV: 512 -> "512", "down" -> "down".
std::string ParamText(const nlohmann::json& v);

}  // namespace faasnet::analysis

#endif  // FAASNET_ANALYSIS_RESULTS_H_
