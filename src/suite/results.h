// The results directory (docs/formats/results.md): run.json, and the
// append-only invocations.jsonl, cells.jsonl and telemetry.jsonl, each row
// flushed when written so an interrupted run keeps everything it measured.
// Also the summaries a cell row carries.
//
// Thread-safety: ResultsWriter's Append* may be called from any thread.
#ifndef FAASNET_SUITE_RESULTS_H_
#define FAASNET_SUITE_RESULTS_H_

#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"

namespace faasnet::suite {

inline constexpr int kResultsSchemaVersion = 1;

// {"median","p25","p75","mean","n"} of `values` (linear interpolation between
// order statistics); all null when empty.
nlohmann::json Summarize(std::vector<double> values);
double Percentile(std::vector<double> sorted, double q);

class ResultsWriter {
 public:
  // Creates `dir` (and parents). With `resume`, keeps the files and reads the
  // cell ids already done.
  static Result<std::unique_ptr<ResultsWriter>> Open(const std::string& dir, bool resume);
  ~ResultsWriter();

  const std::string& dir() const { return dir_; }
  const std::set<std::string>& done_cells() const { return done_; }
  // Writes run.json atomically (temp file + rename).
  Status WriteRun(const nlohmann::json& run);
  Status AppendInvocation(const nlohmann::json& row);
  Status AppendCell(const nlohmann::json& row);
  Status AppendTelemetry(const nlohmann::json& row);

 private:
  ResultsWriter() = default;
  Status Append(std::FILE* f, const nlohmann::json& row, const char* name);
  std::string dir_;
  std::set<std::string> done_;
  std::mutex mu_;
  std::FILE* invocations_ = nullptr;
  std::FILE* cells_ = nullptr;
  std::FILE* telemetry_ = nullptr;
};

}  // namespace faasnet::suite

#endif  // FAASNET_SUITE_RESULTS_H_
