#include "suite/scenario.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace faasnet::suite {
namespace {

TEST(Scenario, SweepsAreTheCartesianProductInFileOrder) {
  auto s = Scenario::FromYaml(R"(
name: s
experiments:
  - name: e
    action: s3-get
    memory_mb: [128, 256]
    chunk_mb: [10, 20, 50]
)",
                              Size::kQuick, "s.yaml");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto cells = s->Cells();
  ASSERT_TRUE(cells.ok());
  ASSERT_EQ(cells->size(), 6u);
  EXPECT_EQ((*cells)[0].id, "s/e/memory_mb=128,chunk_mb=10");
  EXPECT_EQ((*cells)[1].id, "s/e/memory_mb=128,chunk_mb=20");
  EXPECT_EQ((*cells)[5].id, "s/e/memory_mb=256,chunk_mb=50");
  EXPECT_EQ((*cells)[5].memories, std::vector<int>{256});
  EXPECT_DOUBLE_EQ((*cells)[5].chunk_mb, 50);
  EXPECT_EQ((*cells)[5].params["workload"], "probe");
}

TEST(Scenario, ASweptKeyBeforeAnyFixedOneIsFine) {
  auto s = Scenario::FromYaml("name: s\nexperiments:\n  - name: e\n    workload: [probe, boto3]\n    action: s3-get\n",
                              Size::kQuick, "s.yaml");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->Cells()->size(), 2u);
}

TEST(Scenario, SizesPickTheirValueAndDefaultsApplyToEveryExperiment) {
  const char* text = R"(
name: s
defaults:
  repetitions: {quick: 2, full: 9}
  memory_mb: {quick: [128], full: [128, 3008]}
experiments:
  - name: a
    action: noop
  - name: b
    action: noop
    repetitions: 4
)";
  auto quick = Scenario::FromYaml(text, Size::kQuick, "s.yaml");
  auto full = Scenario::FromYaml(text, Size::kFull, "s.yaml");
  ASSERT_TRUE(quick.ok() && full.ok());
  auto q = *quick->Cells();
  auto f = *full->Cells();
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(f.size(), 4u);
  EXPECT_EQ(q[0].repetitions, 2);
  EXPECT_EQ(f[0].repetitions, 9);
  EXPECT_EQ(f[2].repetitions, 4);  // the experiment's own value wins
}

TEST(Scenario, ColocatedAndMemoryMixSetConcurrencyAndBarrier) {
  auto s = Scenario::FromYaml(R"(
name: s
experiments:
  - name: n
    action: iperf
    colocated: [1, 4]
  - name: mix
    action: iperf
    memory_mix: [[128, 256], [512, 1024, 128]]
)",
                              Size::kQuick, "s.yaml");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto cells = *s->Cells();
  ASSERT_EQ(cells.size(), 4u);
  EXPECT_EQ(cells[1].concurrency, 4);
  EXPECT_TRUE(cells[1].colocated);
  EXPECT_EQ(cells[1].params["direction"], "down");  // iperf's default, recorded
  EXPECT_EQ(cells[3].memories, (std::vector<int>{512, 1024, 128}));
  EXPECT_EQ(cells[3].concurrency, 3);
  EXPECT_EQ(cells[3].id, "s/mix/memory_mix=512+1024+128");
}

struct BadCase {
  const char* text;
  const char* expect;
};

TEST(Scenario, InvalidFilesNameTheLineKeyAndReason) {
  const BadCase cases[] = {
      {"name: s\nexperiments:\n  - name: e\n    memory_mb: 64\n", "s.yaml: line 4: memory_mb: 64 is outside [128, 10240]"},
      {"name: s\nexperiments:\n  - name: e\n    acton: noop\n", "s.yaml: line 4: acton: unknown key"},
      {"name: s\nexperiments:\n  - name: e\n    action: dance\n", "line 4: action: 'dance' is not one of"},
      {"name: s\nexperiments:\n  - name: e\n    repetitions: [1, 2]\n", "line 4: repetitions: cannot be swept"},
      {"name: s\nexperiments:\n  - name: e\n    chunk_mb: ten\n", "line 4: chunk_mb: 'ten' is not a number"},
      {"name: s\nexperiments:\n  - name: e\n  - name: e\n", "line 4: name: 'e' is used twice"},
      {"name: s\nexperiments:\n  - action: noop\n", "line 3: name: every experiment needs a name"},
      {"experiments:\n  - name: e\n", "s.yaml: name: missing"},
      {"name: s\n", "either experiments or include"},
      {"name: s\nexperiments: [\n", "s.yaml: line"},
      {"name: s\nexperiments:\n  - name: e\n    colocated: 2\n    concurrency: 2\n", "drop concurrency/chunks"},
      {"name: s\nexperiments:\n  - name: e\n    workload: boto3\n    action: iperf\n", "no iperf action"},
  };
  for (const auto& c : cases) {
    auto s = Scenario::FromYaml(c.text, Size::kQuick, "s.yaml");
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_EQ(s.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(s.status().message().find(c.expect), std::string::npos)
        << "got: " << s.status().message() << "\nwanted: " << c.expect;
  }
}

TEST(Scenario, IncludesLoadLeavesOnceAndMissingNamesAreClear) {
  auto dir = std::filesystem::temp_directory_path() / ("faasnet-scn-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a.yaml") << "name: a\nexperiments:\n  - name: x\n    action: noop\n";
  std::ofstream(dir / "all.yaml") << "name: all\ninclude: [a, a]\n";
  std::ofstream(dir / "bad.yaml") << "name: bad\ninclude: [nope]\n";
  auto got = LoadScenarios({"all"}, {dir.string()}, Size::kQuick);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].name, "a");
  auto bad = LoadScenarios({"bad"}, {dir.string()}, Size::kQuick);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("scenario 'nope': no nope.yaml in"), std::string::npos) << bad.status().ToString();
  std::filesystem::remove_all(dir);
}

TEST(Scenario, ShippedScenariosAllLoad) {
  auto dir = std::string(FAASNET_SOURCE_DIR_FOR_TESTS) + "/scenarios";
  for (Size size : {Size::kQuick, Size::kFull}) {
    auto all = LoadScenarios({"paper"}, {dir}, size);
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    EXPECT_GE(all->size(), 11u);
    for (const auto& s : *all) {
      EXPECT_FALSE(s.how_to_read.empty()) << s.name;
      EXPECT_FALSE(s.Cells()->empty()) << s.name;
    }
  }
}

}  // namespace
}  // namespace faasnet::suite
