#include "analysis/findings.h"

#include <gtest/gtest.h>

#include "synthetic.h"

namespace faasnet::analysis {
namespace {

using testing::World;

std::vector<Finding> Check(const World& w, const testing::Selection& sel = {}) {
  testing::TempDir tmp;
  testing::WriteSyntheticResults(tmp.path(), w, sel);
  auto rs = ReadResults(tmp.path());
  EXPECT_TRUE(rs.ok()) << rs.status().ToString();
  return CheckFindings(SummarizeCells(*rs, PriceSheet{}), rs->run);
}

Verdict Of(const std::vector<Finding>& fs, const std::string& id) {
  for (const auto& f : fs) {
    if (f.id == id) return f.verdict;
  }
  ADD_FAILURE() << "no finding " << id;
  return Verdict::kNotMeasured;
}

TEST(FindingsTest, APaperLikeWorldReproducesEveryFinding) {
  auto fs = Check(World{});
  ASSERT_EQ(fs.size(), 8u);
  for (const auto& f : fs) {
    EXPECT_EQ(f.verdict, Verdict::kReproduced) << f.id << ": " << f.measured << " -- " << f.reason;
    EXPECT_FALSE(f.criterion.empty());
    EXPECT_FALSE(f.measured.empty());
  }
  // The paper's own numbers sit beside ours where it gives them.
  EXPECT_NE(fs[1].paper.find("9.5"), std::string::npos);
  EXPECT_NE(fs[4].paper.find("+68%"), std::string::npos);
}

TEST(FindingsTest, AShaperTyingIperfToMemoryBreaksF1) {
  World w;
  w.iperf_mb_per_s_per_gb = 40;  // 5 MB/s at 128 MB ... NIC-bound from ~1.8 GB
  auto fs = Check(w);
  EXPECT_EQ(Of(fs, "F1"), Verdict::kNotReproduced);
  EXPECT_EQ(Of(fs, "F3"), Verdict::kNotReproduced);  // iperf is now as slow as S3 at 128 MB
  EXPECT_EQ(Of(fs, "F2"), Verdict::kReproduced);
}

TEST(FindingsTest, AFastClientBreaksF2AndF3) {
  World w;
  w.client_mb_per_s_per_mb = 1;  // NIC-bound at every memory size
  auto fs = Check(w);
  EXPECT_EQ(Of(fs, "F2"), Verdict::kNotReproduced);
  EXPECT_EQ(Of(fs, "F3"), Verdict::kNotReproduced);
  EXPECT_EQ(Of(fs, "F1"), Verdict::kReproduced);
}

TEST(FindingsTest, AFirstByteLatencyMakesBandwidthDependOnChunkSizeAndBreaksF4) {
  World w;
  w.first_byte_ms = 500;
  EXPECT_EQ(Of(Check(w), "F4"), Verdict::kNotReproduced);
}

TEST(FindingsTest, WithoutItsScenarioAFindingIsNotMeasuredWithAReason) {
  testing::Selection sel;
  sel.scenarios = {"fig2-iperf-memory"};
  auto fs = Check(World{}, sel);
  EXPECT_EQ(Of(fs, "F1"), Verdict::kReproduced);
  for (const char* id : {"F2", "F3", "F4", "F5", "F6", "F7", "F8"}) {
    EXPECT_EQ(Of(fs, id), Verdict::kNotMeasured) << id;
  }
  for (const auto& f : fs) {
    if (f.verdict == Verdict::kNotMeasured) {
      EXPECT_FALSE(f.reason.empty()) << f.id;
    }
  }
}

TEST(FindingsTest, SharingThatIsNotProportionalBreaksF8) {
  World w;
  w.proportional = false;  // the "proportional" cells share equally
  EXPECT_EQ(Of(Check(w), "F8"), Verdict::kNotReproduced);
}

TEST(FindingsTest, F8UsesTheCellsOwnNicWhenTheRunEndedOnAnotherRegion) {
  World w;
  w.run_nic_bps = 10e9;  // run.json: the last cell's region (lambda-today's 10 Gbit/s)
  EXPECT_EQ(Of(Check(w), "F8"), Verdict::kNotReproduced);  // measured against the wrong NIC
  w.cell_nic_param = true;  // the runner records each cell's NIC
  EXPECT_EQ(Of(Check(w), "F8"), Verdict::kReproduced);
}

TEST(FindingsTest, ANicThatIsNotSharedBreaksF6AndF7) {
  World w;
  w.shared_nic = false;  // per-function bandwidth does not fall with N
  auto fs = Check(w);
  EXPECT_EQ(Of(fs, "F6"), Verdict::kNotReproduced);
  // Response time keeps falling with N and cost does not rise.
  EXPECT_EQ(Of(fs, "F7"), Verdict::kNotReproduced);
}

TEST(FindingsTest, CheapLargeMemoryBreaksF5) {
  World w;
  w.client_cap_mb_per_s = 1e6;  // bandwidth keeps rising with memory: larger memory is not dearer per job
  w.nic_mb_per_s = 1e6;
  EXPECT_EQ(Of(Check(w), "F5"), Verdict::kNotReproduced);
}

}  // namespace
}  // namespace faasnet::analysis
