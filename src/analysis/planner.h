// The planner: from measured cells, a model of per-function bandwidth as a
// function of memory and of the number of functions sharing a host, and the
// cheapest (or fastest) memory x concurrency for a data-transfer job.
//
// Model (fitted, never assumed): bandwidth(m, n) = min(f(m), A / n), where
//   f(m)  = min(a x m, c): a client whose rate follows its CPU quota (which is
//         proportional to memory) up to a ceiling, fitted to the median
//         per-function S3 download MB/s of the cells with one function per
//         host (least squares on relative error over every split of the
//         measured memories into a proportional and a flat part; a flat-only
//         or proportional-only fit when that is better), times the
//         measured/fitted ratio interpolated linearly between the measured
//         memories (so f passes through every measured point);
//   A     the host's aggregate: the median of (per-function MB/s x n) over
//         cells with n >= 2 whose functions ran clearly below f(m) (shared-link
//         bound); unbounded when no such cell exists.
// A chunk takes chunk / bandwidth plus a fixed per-invocation overhead (billed
// and client-side, fitted as medians); a job of k chunks with n workers takes
// ceil(k / n) waves. Cost = k invocations billed under the chosen rule.
// Predictions outside the measured memory range or beyond the largest
// measured n are refused (InvalidArgument naming the range). A plan's n
// functions share one host (as in the paper's Figs 6-7, and n x memory must
// fit the host's memory when run.json says it); spreading a job over hosts
// is not modelled.
//
// Thread-safety: pure functions.
#ifndef FAASNET_ANALYSIS_PLANNER_H_
#define FAASNET_ANALYSIS_PLANNER_H_

#include <optional>
#include <string>
#include <vector>

#include "analysis/cells.h"
#include "analysis/prices.h"
#include "analysis/results.h"

namespace faasnet::analysis {

struct BandwidthModel {
  std::vector<std::pair<double, double>> by_memory;  // (memory_mb, MB/s), one function per host, sorted
  double slope_mb_per_s_per_mb = 0;                  // a (0 when the fit is flat)
  std::optional<double> ceiling_mb_per_s;            // c (none when the fit is proportional only)
  std::optional<double> host_aggregate_mb_per_s;     // A
  double max_per_host = 1;                           // largest n measured
  double overhead_billed_ms = 0, overhead_client_ms = 0;
  std::optional<double> host_memory_mb;  // n x memory must fit (run.json hosts[0])
  std::string workload;
  int cells_used = 0;

  double min_memory() const { return by_memory.front().first; }
  double max_memory() const { return by_memory.back().first; }
  double Shape(double memory_mb) const;  // min(a m, c)
  double F(double memory_mb) const;      // Shape x the interpolated measured/fitted ratio
  // min(f(m), A/n); InvalidArgument outside the measured memory range or n.
  Result<double> MbPerS(double memory_mb, double per_host) const;
};

// Fits from the S3 download cells of `cells` (any scenario) run by
// `workload` (params.workload; clients differ several-fold, so one model is
// one client; "" = DefaultWorkload). InvalidArgument when they cannot
// support a model (no download cell with one function per host, fewer than
// two cells).
Result<BandwidthModel> FitBandwidthModel(const std::vector<CellStats>& cells, const RunInfo& run,
                                         const std::string& workload = "", const std::string& exclude_cell_id = "");
// The workload of most S3 download job cells (else of most download cells).
std::string DefaultWorkload(const std::vector<CellStats>& cells);

struct PlanRequest {
  double data_bytes = 1e9;
  double chunk_bytes = 10e6;
  std::optional<double> deadline_s;
  std::optional<double> budget_usd;
  BillingRule billing = BillingRule::k1ms;
  Arch arch = Arch::kX86;
  double memory_step_mb = 64;  // candidate memories: this grid within the measured range, plus the measured ones
};

struct Plan {
  double memory_mb = 0;
  int concurrency = 1;
  int chunks = 0;
  double mb_per_s = 0;  // per function
  double chunk_client_ms = 0;
  double billed_ms = 0;  // per invocation
  double response_s = 0;
  double cost_usd = 0;
};

// One plan's prediction.
Result<Plan> Predict(const BandwidthModel& model, const PriceSheet& prices, const PlanRequest& req, double memory_mb,
                     int concurrency);

struct PlanResult {
  std::vector<Plan> candidates;
  std::vector<Plan> frontier;  // Pareto: no other plan is both faster and cheaper; by response time
  std::optional<Plan> recommended;
  std::string why;
};

// Every candidate, the frontier and, with a deadline (budget), the cheapest
// plan meeting it (the fastest within it). InvalidArgument for a bad request;
// NotFound ("no plan meets ...", with the closest plan) when nothing fits.
Result<PlanResult> MakePlan(const BandwidthModel& model, const PriceSheet& prices, const PlanRequest& req);

// Leave-one-out over the measured job cells (S3 download jobs with a wall
// time): refit without the cell, predict its response time and cost, compare.
struct Validation {
  struct Row {
    std::string cell_id;
    double memory_mb = 0;
    int per_host = 1;
    double measured_s = 0, predicted_s = 0, measured_usd = 0, predicted_usd = 0;
    double time_error = 0, cost_error = 0;  // predicted / measured - 1
  };
  std::vector<Row> rows;
  std::vector<std::string> skipped;  // "<cell>: <why it cannot be predicted>"
  double mean_abs_time_error = 0, max_abs_time_error = 0;
  double mean_abs_cost_error = 0, max_abs_cost_error = 0;
};
Validation LeaveOneOut(const std::vector<CellStats>& cells, const RunInfo& run, const PriceSheet& prices,
                       BillingRule billing);

}  // namespace faasnet::analysis

#endif  // FAASNET_ANALYSIS_PLANNER_H_
