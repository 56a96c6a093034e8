// Scenarios: commented YAML files (scenarios/*.yaml) that say what to run,
// on which sizes, and how to read the result. A scenario has experiments;
// an experiment's parameters written as lists are swept (cartesian product,
// in the order the keys appear), every other value is fixed. Any value may be
// written per size, `{quick: 3, full: 10}`, resolved when the file is loaded.
// A scenario may instead `include:` other scenarios by name (the `paper`
// scenario is all the others).
//
// Format and every key: docs/formats/scenario.md; the table of keys below
// (scenario.cc) drives parsing, validation and that page's text. Invalid files
// are rejected before anything runs, with "<file>: line <n>: <key>: <reason>".
//
// Thread-safety: plain values and pure functions.
#ifndef FAASNET_SUITE_SCENARIO_H_
#define FAASNET_SUITE_SCENARIO_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace faasnet::suite {

enum class Size { kQuick, kFull };
const char* SizeName(Size s);
Result<Size> ParseSize(std::string_view s);

// One point of a sweep: every parameter's value for this cell.
struct Cell {
  std::string scenario, experiment;
  std::string id;          // "<scenario>/<experiment>/<swept k=v,...>" (or ".../base" when nothing is swept)
  nlohmann::json params;   // all parameters (fixed and swept), as in results' `params`
  // Typed views of params (defaults filled in):
  std::string workload;    // probe | boto3
  std::string action;      // s3-get | s3-put | iperf | host-id | noop
  std::vector<int> memories;  // one per co-located function (memory_mix), else {memory_mb}
  int concurrency = 1;     // workers pulling the job's chunks
  int chunks = 0;          // the job's chunks (0 = one invocation per worker per repetition)
  bool colocated = false;  // start together (barrier) on one host
  double chunk_mb = 10;
  int repetitions = 1;
  bool cold = false;
  int timeout_s = 300;
  // Local-region settings ("" = the run's default).
  std::string profile, cpu_policy, placement;
  int hosts = 0;
  double host_vcpus = 0;   // 0 = the run's default host
  int host_memory_mb = 0;
};

struct Experiment {
  std::string name, description;
  nlohmann::json fixed = nlohmann::json::object();             // key -> value
  std::vector<std::pair<std::string, nlohmann::json>> sweep;  // key -> list of values, in file order
};

struct Scenario {
  std::string name, description, how_to_read, file, text;
  std::vector<std::string> include;
  std::vector<Experiment> experiments;

  static Result<Scenario> FromYaml(std::string_view text, Size size, std::string_view source_name);
  static Result<Scenario> FromFile(const std::string& path, Size size);
  // Every cell of every experiment, in order. Errors: a parameter combination
  // that cannot run (e.g. iperf without direction is filled; memory out of range).
  Result<std::vector<Cell>> Cells() const;
};

// Finds scenario `name_or_path` (a file path, or a name looked up in `dirs`
// as <dir>/<name>.yaml), loads it and, recursively, what it includes.
// Returns the leaf scenarios in order (an included scenario appears once).
Result<std::vector<Scenario>> LoadScenarios(const std::vector<std::string>& names_or_paths,
                                            const std::vector<std::string>& dirs, Size size);
// Where scenarios are looked up by default: $FAASNET_SCENARIOS, then
// <dir of the faasnet binary>/../scenarios, then ./scenarios.
std::vector<std::string> DefaultScenarioDirs();

// One line per key: name, meaning, example (docs and --help).
std::string ScenarioKeysHelp();

}  // namespace faasnet::suite

#endif  // FAASNET_SUITE_SCENARIO_H_
