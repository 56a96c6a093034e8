// Tidy CSV renderings of a result set, for pandas or R: one row per
// invocation, one row per cell. Column names carry their units (MB = 10^6
// bytes); an unmeasured value is an empty field, never 0. The columns are
// documented in docs/formats/csv.md.
//
// Thread-safety: pure functions.
#ifndef FAASNET_ANALYSIS_CSV_H_
#define FAASNET_ANALYSIS_CSV_H_

#include <string>
#include <vector>

#include "analysis/cells.h"
#include "analysis/results.h"

namespace faasnet::analysis {

// RFC 4180 quoting: a field with a comma, quote or newline is quoted.
std::string CsvField(const std::string& s);

std::string InvocationsCsv(const ResultSet& rs);
std::string CellsCsv(const std::vector<CellStats>& cells);

}  // namespace faasnet::analysis

#endif  // FAASNET_ANALYSIS_CSV_H_
