// The runner end to end on the embedded region (isolation none) with the
// native probe: counts, bytes equal to object sizes, timestamps ordered,
// co-location ids consistent with placement, resume after a kill, failures.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "suite/local_platform.h"
#include "suite/runner.h"

namespace faasnet::suite {
namespace {

namespace fs = std::filesystem;

std::vector<nlohmann::json> ReadRows(const std::string& path) {
  std::vector<nlohmann::json> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

class LocalRun : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::path("/var/tmp") / ("faasnet-suite-test-" + std::to_string(::getpid()));
    fs::remove_all(base_);
    fs::create_directories(base_);
  }
  void TearDown() override { fs::remove_all(base_); }

  LocalOptions Options() {
    LocalOptions o;
    o.base.isolation = region::Isolation::kNone;
    o.base.name = "suitetest" + std::to_string(::getpid() % 10000);
    o.work_dir = (base_ / "region").string();
    fs::create_directories(o.work_dir);
    o.python_bootstrap = FAASNET_PYTHON_BOOTSTRAP;
    o.probe_dir = FAASNET_PROBE_DIR;
    o.boto3_dir = (base_ / "missing-boto3").string();
    return o;
  }
  fs::path base_;
};

const char* kScenario = R"(
name: t
experiments:
  - name: job
    action: noop
    memory_mb: [128, 256]
    concurrency: 2
    chunks: 5
    repetitions: 2
  - name: colo
    action: host-id
    colocated: 3
    start: cold
    repetitions: 2
  - name: get
    action: s3-get
    chunk_mb: 2
    memory_mb: 256
    concurrency: 2
    chunks: 3
)";

TEST_F(LocalRun, WritesEveryInvocationAndCellAndResumes) {
  auto s = Scenario::FromYaml(kScenario, Size::kQuick, "t.yaml");
  ASSERT_TRUE(s.ok());
  std::string out = (base_ / "results").string();
  {
    LocalPlatform platform(Options());
    auto w = ResultsWriter::Open(out, false);
    ASSERT_TRUE(w.ok());
    auto sum = suite::Run({*s}, platform, **w, RunOptions{});
    ASSERT_TRUE(sum.ok()) << sum.status().ToString();
    EXPECT_EQ(sum->status, "complete");
    EXPECT_EQ(sum->cells_run, 4);
    EXPECT_EQ(sum->errors, 0);
  }
  auto inv = ReadRows(out + "/invocations.jsonl");
  auto cells = ReadRows(out + "/cells.jsonl");
  ASSERT_EQ(cells.size(), 4u);
  // job cells: 5 chunks x 2 reps each; colo: 3 x 2 reps; get: 3 chunks.
  ASSERT_EQ(inv.size(), 5u * 2 * 2 + 3 * 2 + 3);
  std::map<std::string, std::set<int>> seqs;
  std::map<int, std::set<std::string>> colo_sandboxes;
  for (const auto& r : inv) {
    EXPECT_EQ(r["error_type"], "") << r.dump();
    EXPECT_EQ(r["host_id"], "h0");
    EXPECT_FALSE(r["request_id"].get<std::string>().empty());
    EXPECT_TRUE(r["duration_ms"].is_number());
    if (r["experiment"] == "job") {
      seqs[r["cell_id"].get<std::string>() + "/" + std::to_string(r["rep"].get<int>())].insert(r["seq"].get<int>());
      EXPECT_EQ(r["cold"], false) << "warmed before timing";
      EXPECT_EQ(r["memory_mb"], r["params"]["memory_mb"]);
    } else if (r["experiment"] == "colo") {
      EXPECT_EQ(r["cold"], true) << "start: cold";
      colo_sandboxes[r["rep"].get<int>()].insert(r["sandbox_id"].get<std::string>());
      // What the function says about where it ran matches the region's record.
      EXPECT_EQ(r["result"]["ids"]["host_id"], r["host_id"]);
      EXPECT_EQ(r["result"]["ids"]["sandbox_id"], r["sandbox_id"]);
    } else {
      const auto& res = r["result"];
      EXPECT_EQ(res["bytes"], 2000000) << res.dump();
      const auto& o = res["objects"][0];
      EXPECT_LE(o["t_start_ms"].get<double>(), o["t_first_byte_ms"].get<double>());
      EXPECT_LE(o["t_first_byte_ms"].get<double>(), o["t_last_byte_ms"].get<double>());
      EXPECT_LE(res["elapsed_ms"].get<double>(), r["duration_ms"].get<double>() + 1);
    }
  }
  // Every chunk pulled exactly once per repetition.
  ASSERT_EQ(seqs.size(), 4u);
  for (auto& [k, v] : seqs) EXPECT_EQ(v, (std::set<int>{0, 1, 2, 3, 4})) << k;
  // Co-located: three sandboxes at once, new ones every repetition.
  ASSERT_EQ(colo_sandboxes.size(), 2u);
  EXPECT_EQ(colo_sandboxes[0].size(), 3u);
  EXPECT_EQ(colo_sandboxes[1].size(), 3u);
  for (auto& id : colo_sandboxes[0]) EXPECT_EQ(colo_sandboxes[1].count(id), 0u);
  EXPECT_EQ(cells[0]["job"]["chunks"], 5);
  EXPECT_EQ(cells[0]["invocations"], 10);
  auto run = nlohmann::json::parse(std::ifstream(out + "/run.json"));
  EXPECT_EQ(run["status"], "complete");
  EXPECT_EQ(run["platform"]["isolation"], "none");
  EXPECT_TRUE(run["scenario_files"].contains("t"));

  // Resume: nothing left to do.
  LocalPlatform platform(Options());
  auto w = ResultsWriter::Open(out, true);
  ASSERT_TRUE(w.ok());
  auto sum = suite::Run({*s}, platform, **w, RunOptions{});
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->cells_run, 0);
  EXPECT_EQ(sum->cells_skipped, 4);
  EXPECT_EQ(ReadRows(out + "/invocations.jsonl").size(), inv.size());
}

TEST_F(LocalRun, ResumeAfterAKillRerunsTheUnfinishedCellWithoutDuplicates) {
  auto s = Scenario::FromYaml(kScenario, Size::kQuick, "t.yaml");
  ASSERT_TRUE(s.ok());
  std::string out = (base_ / "killed").string();
  {
    LocalPlatform platform(Options());
    auto w = ResultsWriter::Open(out, false);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(suite::Run({*s}, platform, **w, RunOptions{}).ok());
  }
  // As if killed in the last cell: its row is gone, some of its invocations were written.
  auto cells = ReadRows(out + "/cells.jsonl");
  std::string last = cells.back()["cell_id"];
  cells.pop_back();
  {
    std::ofstream c(out + "/cells.jsonl", std::ios::trunc);
    for (auto& r : cells) c << r.dump() << "\n";
  }
  size_t before = ReadRows(out + "/invocations.jsonl").size();
  LocalPlatform platform(Options());
  auto w = ResultsWriter::Open(out, true);
  ASSERT_TRUE(w.ok());
  auto sum = suite::Run({*s}, platform, **w, RunOptions{});
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->cells_run, 1);
  auto inv = ReadRows(out + "/invocations.jsonl");
  EXPECT_EQ(inv.size(), before);  // the killed cell's rows were dropped and written again, once
  std::set<std::string> ids;
  for (auto& r : inv) EXPECT_TRUE(ids.insert(r["request_id"].get<std::string>()).second);
  EXPECT_EQ(ReadRows(out + "/cells.jsonl").back()["cell_id"], last);
}

TEST_F(LocalRun, AFailedCellIsARowWithItsErrorAndTheRunGoesOn) {
  auto s = Scenario::FromYaml(
      "name: t\nexperiments:\n  - name: e\n    workload: boto3\n    action: noop\n  - name: f\n    action: noop\n",
      Size::kQuick, "t.yaml");
  ASSERT_TRUE(s.ok());
  LocalPlatform platform(Options());
  auto w = ResultsWriter::Open((base_ / "r").string(), false);
  ASSERT_TRUE(w.ok());
  auto sum = suite::Run({*s}, platform, **w, RunOptions{});
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_EQ(sum->cells_failed, 1);
  EXPECT_EQ(sum->cells_run, 1);
  auto cells = ReadRows((base_ / "r/cells.jsonl").string());
  ASSERT_EQ(cells.size(), 2u);
  EXPECT_EQ(cells[0]["failed"], true);
  EXPECT_NE(cells[0]["error"].get<std::string>().find("missing-boto3 does not exist"), std::string::npos);
  EXPECT_FALSE(cells[1].contains("failed"));
  EXPECT_GE(cells[1]["harness_cpu_ms"].get<double>(), 0.0);
}

TEST_F(LocalRun, AStopRequestEndsTheRunAsInterrupted) {
  auto s = Scenario::FromYaml(kScenario, Size::kQuick, "t.yaml");
  ASSERT_TRUE(s.ok());
  LocalPlatform platform(Options());
  auto w = ResultsWriter::Open((base_ / "r").string(), false);
  ASSERT_TRUE(w.ok());
  std::atomic<bool> stop{true};
  RunOptions ro;
  ro.stop = &stop;
  auto sum = suite::Run({*s}, platform, **w, ro);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->status, "interrupted");
  EXPECT_EQ(sum->cells_run, 0);
}

TEST_F(LocalRun, LambdaClientSpeaksTheRegionsErrors) {
  auto s = Scenario::FromYaml("name: t\nexperiments:\n  - name: e\n    action: noop\n", Size::kQuick, "t.yaml");
  LocalPlatform platform(Options());
  ASSERT_TRUE(platform.PrepareRegion(s->Cells()->front()).ok());
  auto name = platform.EnsureFunction({"probe", 0, 256, 30, false});
  ASSERT_TRUE(name.ok()) << name.status().ToString();
  auto c = platform.NewLambdaClient();
  ASSERT_TRUE(c.ok());
  auto cfg = c->GetFunctionConfiguration(*name);
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ((*cfg)["MemorySize"], 256);
  auto missing = c->Invoke("nope", "{}");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_NE(missing.status().message().find("ResourceNotFoundException"), std::string::npos);
  lambdaclient::FunctionSpec dup;
  dup.name = *name;
  dup.local_path = FAASNET_PROBE_DIR;
  auto again = c->CreateFunction(dup);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Status::Code::kAlreadyExists);
  auto up = c->UpdateFunctionConfiguration(*name, 512, 20);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ((*up)["MemorySize"], 512);
  auto inv = c->Invoke(*name, "{}", true);
  ASSERT_TRUE(inv.ok());
  auto report = lambdaclient::ParseReportLine(inv->log_tail);
  ASSERT_TRUE(report.has_value()) << inv->log_tail;
  EXPECT_EQ(report->request_id, inv->request_id);
  EXPECT_EQ(*report->memory_size_mb, 512);
  auto fns = c->ListFunctions();
  ASSERT_TRUE(fns.ok());
  EXPECT_EQ(fns->size(), 1u);
  EXPECT_TRUE(c->DeleteFunction(*name).ok());
  EXPECT_EQ(c->DeleteFunction(*name).code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace faasnet::suite
