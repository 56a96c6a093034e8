// Per-cell summaries computed from the invocations (and the runner's cell
// records for the job's wall time): what figures, findings, CSV and the
// planner read. One CellStats per cell_id, in the order cells first appear.
//
// Definitions (../shared/docs/PAPER.md): per-function *download time* is the
// workload's own elapsed_ms; *bandwidth* bytes / that time (MB/s, MB = 10^6
// bytes); *response time* the job's wall time (first start to last end);
// *aggregated time* the sum of the functions' run times (what is billed);
// *aggregate bandwidth* all bytes / wall time. Medians and quartiles are over
// successful invocations.
//
// Thread-safety: pure functions.
#ifndef FAASNET_ANALYSIS_CELLS_H_
#define FAASNET_ANALYSIS_CELLS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/prices.h"
#include "analysis/results.h"

namespace faasnet::analysis {

struct Quartiles {
  double median = 0, p25 = 0, p75 = 0, mean = 0;
  int n = 0;
};
// The R-7 (linear interpolation) quantile of `values`; nullopt when empty.
std::optional<double> Quantile(std::vector<double> values, double q);
std::optional<Quartiles> Summarize(const std::vector<double>& values);

struct CellStats {
  std::string scenario, experiment, cell_id;
  nlohmann::json params;
  // From params (with the invocations' memory when params lack it).
  double memory_mb = 0;
  double concurrency = 1;
  // Functions sharing one host: params.colocated; else, when invocations
  // name their hosts, the most workers seen on one host; else params.concurrency.
  double per_host = 1;
  std::optional<double> chunk_mb;
  std::string direction, policy, workload, action;

  int invocations = 0, errors = 0;
  std::optional<Quartiles> mb_per_s;               // per function
  std::optional<Quartiles> transfer_s;             // workload elapsed, seconds
  std::optional<Quartiles> run_ms;                 // platform duration (billed basis)
  std::optional<Quartiles> client_ms;              // round trip the runner saw
  std::map<double, Quartiles> mb_per_s_by_memory;  // cells mixing memory sizes
  double total_bytes = 0;
  std::optional<double> job_chunks, job_chunk_bytes;  // cells.jsonl `job`
  std::optional<double> wall_s;                       // response time of the cell's job
  std::optional<double> aggregate_mb_per_s;           // total_bytes / wall
  double aggregated_s = 0;                            // sum of run times
  // Sum of memory_mb x billed ms, and USD (x86, no free tier), per billing rule.
  double mb_ms_1ms = 0, mb_ms_100ms = 0;
  double usd_1ms = 0, usd_100ms = 0;
  bool priced = true;  // false when an invocation had no duration to bill

  double MbMs(BillingRule rule) const { return rule == BillingRule::k1ms ? mb_ms_1ms : mb_ms_100ms; }
  double Usd(BillingRule rule) const { return rule == BillingRule::k1ms ? usd_1ms : usd_100ms; }
  // params[key] as text ("" when absent).
  std::string Param(const std::string& key) const;
};

// One CellStats per cell_id of `rs` (cells.jsonl rows without invocations
// are kept, with n = 0). Costs use `prices`.
std::vector<CellStats> SummarizeCells(const ResultSet& rs, const PriceSheet& prices);

// The cells of one scenario (and experiment, when not empty).
std::vector<const CellStats*> Select(const std::vector<CellStats>& cells, const std::string& scenario,
                                     const std::string& experiment = "");

}  // namespace faasnet::analysis

#endif  // FAASNET_ANALYSIS_CELLS_H_
