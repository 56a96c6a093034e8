// The findings check: the paper's findings F1-F7 (../shared/docs/PAPER.md)
// plus F8 (under the `proportional` policy, co-located functions' bandwidth
// shares follow memory while the aggregate stays at the NIC rate), each an
// explicit criterion evaluated on one result set's cells, with the paper's
// own number beside the measured one where the paper gives one.
//
// A finding is "not measured" (with the reason) when the scenarios it needs
// are absent or their cells lack the fields; never a failure of the report.
//
// Thread-safety: pure functions.
#ifndef FAASNET_ANALYSIS_FINDINGS_H_
#define FAASNET_ANALYSIS_FINDINGS_H_

#include <string>
#include <vector>

#include "analysis/cells.h"
#include "analysis/results.h"

namespace faasnet::analysis {

enum class Verdict { kReproduced, kNotReproduced, kNotMeasured };
// "reproduced" / "not reproduced" / "not measured".
const char* VerdictName(Verdict v);

struct Finding {
  std::string id;         // "F1"
  std::string claim;      // the finding, in one line
  std::string criterion;  // what is computed and the threshold
  std::string paper;      // the paper's number(s), or "" when it gives none
  std::string measured;   // the numbers this run gave
  Verdict verdict = Verdict::kNotMeasured;
  std::string reason;  // why not measured / not reproduced; what decided it
};

// Thresholds of the criteria (one place; the report prints them).
struct FindingThresholds {
  double flat_ratio = 1.25;              // F1, F4: max/min of medians across the sweep
  double s3_rise_ratio = 2.0;            // F2: largest / smallest memory
  double level_off_step = 0.20;          // F2: the last memory step gains at most this
  double iperf_over_s3 = 3.0;            // F3
  double share_tolerance = 0.35;         // F6: per-function x N / N=1 bandwidth within 1 +- this
  double plateau_gain = 0.15;            // F7: the last concurrency step shortens the job by at most this
  double cost_rise = 0.05;               // F7: cost at the largest N exceeds N=1's by at least this
  double proportional_tolerance = 0.25;  // F8: share / memory share within 1 +- this
  double nic_tolerance = 0.15;           // F8: aggregate within this of the NIC goodput
};

std::vector<Finding> CheckFindings(const std::vector<CellStats>& cells, const RunInfo& run,
                                   const FindingThresholds& t = {});

}  // namespace faasnet::analysis

#endif  // FAASNET_ANALYSIS_FINDINGS_H_
