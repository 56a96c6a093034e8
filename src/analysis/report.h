// `faasnet report`: everything rendered from one or two results directories
// into <first dir>/report/ (or `out_dir`): tidy CSV, gnuplot figures (SVG, PNG,
// and their .dat/.gp sources), the findings check, the planner's fit,
// held-out validation and Pareto frontier, and a self-contained index.html
// (figures inlined as data: URIs; opens offline, no network fetches).
//
// With two directories the figures overlay both (series labelled by platform
// kind and directory name); findings, CSV and the planner are per directory.
// Findings never make the report fail; unreadable input or a failing
// gnuplot does.
//
// Thread-safety: writes files and spawns gnuplot; one call at a time per
// output directory.
#ifndef FAASNET_ANALYSIS_REPORT_H_
#define FAASNET_ANALYSIS_REPORT_H_

#include <optional>
#include <string>
#include <vector>

#include "analysis/cells.h"
#include "analysis/figures.h"
#include "analysis/findings.h"
#include "analysis/planner.h"
#include "analysis/prices.h"
#include "analysis/results.h"

namespace faasnet::analysis {

struct ReportOptions {
  std::vector<std::string> dirs;  // one or two results directories
  std::string out_dir;            // "" = dirs[0]/report
  PriceSheet prices;
  std::optional<BillingRule> billing;  // cost figures; default: the price sheet's
  // The planner section's example job.
  double plan_data_bytes = 1e9;
  double plan_chunk_bytes = 10e6;
};

struct ReportOutcome {
  std::string out_dir;
  std::string index_html;  // path
  std::vector<Figure> figures;
  std::vector<std::vector<Finding>> findings;  // per directory
  std::vector<std::string> warnings;
  std::optional<Validation> validation;  // of the first directory
  double seconds = 0;                    // wall time of the whole report
};

Result<ReportOutcome> WriteReport(const ReportOptions& options);

// HTML escaping of text and attribute values.
std::string HtmlEscape(const std::string& s);

}  // namespace faasnet::analysis

#endif  // FAASNET_ANALYSIS_REPORT_H_
