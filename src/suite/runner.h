// The runner: runs scenarios' cells on a Platform and writes the results
// directory (docs/formats/results.md).
//
// Per cell: the platform is prepared (region settings, data, functions),
// sandboxes are warmed unless the cell wants cold starts, then each
// repetition hands the job's chunks to `concurrency` workers through one
// pull queue (as the paper's orchestrator did); co-located cells start their
// workers together behind a barrier. Every invocation is written when it
// ends; the cell row when the cell ends. A cell is cut off after
// repetitions x timeout_s + 60 s (marked timed_out). `stop` (Ctrl-C) ends the
// run between invocations; what was measured stays.
//
// Thread-safety: Run from one thread; it starts its own worker threads.
#ifndef FAASNET_SUITE_RUNNER_H_
#define FAASNET_SUITE_RUNNER_H_

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "suite/platform.h"
#include "suite/results.h"
#include "suite/scenario.h"

namespace faasnet::suite {

struct RunOptions {
  Size size = Size::kQuick;
  std::vector<std::string> scenario_refs;       // as given (for run.json)
  const std::atomic<bool>* stop = nullptr;      // set by a signal handler
  std::function<void(const std::string&)> log;  // progress lines ("" = quiet)
  nlohmann::json extra_run;                     // merged into run.json (machine, versions)
};

struct RunSummary {
  int cells_run = 0, cells_skipped = 0, cells_failed = 0, invocations = 0, errors = 0;
  std::string status;  // complete | interrupted | failed
};

// The event a cell's invocation sends (exposed for tests).
nlohmann::json BuildEvent(const Cell& cell, const std::string& bucket, const std::vector<std::string>& keys,
                          int index, int worker, int rep, const std::string& run_id);
// An invocation row from the Lambda API's answer and the platform's record.
nlohmann::json BuildInvocationRow(const Cell& cell, int rep, int worker, int seq, const std::string& function,
                                  int memory_mb, int64_t start_unix_ms, const lambdaclient::InvokeOutput& out,
                                  const nlohmann::json& platform_record);
// The cell row from its invocation rows.
nlohmann::json BuildCellRow(const Cell& cell, const std::vector<nlohmann::json>& rows, int64_t started_unix_ms,
                            int64_t finished_unix_ms, const std::vector<double>& job_wall_ms, bool timed_out);

Result<RunSummary> Run(const std::vector<Scenario>& scenarios, Platform& platform, ResultsWriter& out,
                       const RunOptions& options);

}  // namespace faasnet::suite

#endif  // FAASNET_SUITE_RUNNER_H_
