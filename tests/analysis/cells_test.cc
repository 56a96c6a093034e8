#include "analysis/cells.h"

#include <gtest/gtest.h>

#include <cmath>

#include "analysis/csv.h"
#include "base/strings.h"
#include "synthetic.h"

namespace faasnet::analysis {
namespace {

using testing::World;

TEST(QuantileTest, LinearInterpolation) {
  EXPECT_DOUBLE_EQ(*Quantile({4, 1, 3, 2}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(*Quantile({4, 1, 3, 2}, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(*Quantile({7}, 0.75), 7);
  EXPECT_FALSE(Quantile({}, 0.5).has_value());
  auto s = Summarize({1, 2, 3, 10});
  ASSERT_TRUE(s.has_value());
  EXPECT_DOUBLE_EQ(s->mean, 4);
  EXPECT_EQ(s->n, 4);
}

TEST(PerHostTest, ColocatedParamElseWorkersPerHostElseConcurrency) {
  ResultSet rs;
  auto add = [&](const std::string& cell, nlohmann::json params, int worker, const std::string& host) {
    nlohmann::json j = {{"cell_id", cell}, {"memory_mb", 128}, {"params", params}, {"worker", worker}};
    if (!host.empty()) j["host_id"] = host;
    rs.invocations.push_back(*ParseInvocation(j, "t"));
  };
  nlohmann::json four = {{"concurrency", 4}};
  for (int w = 0; w < 4; ++w) add("spread", four, w, w % 2 ? "h1" : "h0");  // 2 per host
  for (int w = 0; w < 4; ++w) add("unnamed", four, w, "");
  for (int w = 0; w < 4; ++w) add("declared", {{"concurrency", 4}, {"colocated", 3}}, w, "h0");
  auto cells = SummarizeCells(rs, PriceSheet{});
  ASSERT_EQ(cells.size(), 3u);
  EXPECT_EQ(cells[0].per_host, 2);
  EXPECT_EQ(cells[1].per_host, 4);
  EXPECT_EQ(cells[2].per_host, 3);
}

class NoiseFreeCells : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.noise = 0;
    world_.job_chunks = 30;
    testing::Selection sel;
    sel.scenarios = {"fig4-memory-s3", "fig7-concurrency-cost"};
    testing::WriteSyntheticResults(tmp_.path(), world_, sel);
    auto rs = ReadResults(tmp_.path());
    ASSERT_TRUE(rs.ok()) << rs.status().ToString();
    rs_ = *rs;
    cells_ = SummarizeCells(rs_, prices_);
  }
  const CellStats& Cell(const std::string& id) {
    for (const auto& c : cells_) {
      if (c.cell_id == id) return c;
    }
    ADD_FAILURE() << "no cell " << id;
    return cells_.front();
  }
  World world_;
  PriceSheet prices_;
  testing::TempDir tmp_;
  ResultSet rs_;
  std::vector<CellStats> cells_;
};

TEST_F(NoiseFreeCells, MediansAndJobTimesFollowTheModel) {
  for (double m : {128.0, 512.0, 3008.0}) {
    const CellStats& c = Cell("fig4-memory-s3/download/memory_mb=" + std::to_string(int(m)));
    ASSERT_TRUE(c.mb_per_s.has_value());
    EXPECT_NEAR(c.mb_per_s->median, world_.S3MbPerS(m, 1), 1e-9);
    EXPECT_EQ(c.invocations, world_.job_chunks);
    // One worker: the job is the sum of the client-side times.
    double client_ms = 10.0 / world_.S3MbPerS(m, 1) * 1000 + world_.overhead_ms + world_.client_extra_ms;
    ASSERT_TRUE(c.wall_s.has_value());
    EXPECT_NEAR(*c.wall_s, world_.job_chunks * client_ms / 1000, 1e-4);  // unix-ms clock: ~0.2 us steps
    EXPECT_NEAR(*c.aggregate_mb_per_s, world_.job_chunks * 10.0 / *c.wall_s, 1e-9);
    double run_ms = client_ms - world_.client_extra_ms;
    EXPECT_NEAR(c.mb_ms_100ms, world_.job_chunks * m * BilledMs(run_ms, BillingRule::k100ms), 1e-6);
    EXPECT_NEAR(c.aggregated_s, world_.job_chunks * run_ms / 1000, 1e-6);
  }
  // N workers sharing a host: ceil(k / N) waves.
  const CellStats& c = Cell("fig7-concurrency-cost/download/colocated=8");
  double client_ms = 10.0 / world_.S3MbPerS(128, 8) * 1000 + world_.overhead_ms + world_.client_extra_ms;
  EXPECT_NEAR(*c.wall_s, std::ceil(world_.job_chunks / 8.0) * client_ms / 1000, 1e-4);
  EXPECT_EQ(c.per_host, 8);
}

TEST_F(NoiseFreeCells, NormalizedCostDoesNotDependOnPricesButOnTheRule) {
  PriceSheet doubled = prices_;
  doubled.gb_second_usd_x86 *= 2;
  auto again = SummarizeCells(rs_, doubled);
  const CellStats& a = cells_[0];
  const CellStats& b = cells_[3];
  EXPECT_DOUBLE_EQ(b.MbMs(BillingRule::k1ms) / a.MbMs(BillingRule::k1ms),
                   again[3].MbMs(BillingRule::k1ms) / again[0].MbMs(BillingRule::k1ms));
  EXPECT_GT(again[3].usd_1ms, cells_[3].usd_1ms);
  // 100 ms rounding bills at least as much as 1 ms.
  for (const auto& c : cells_) EXPECT_GE(c.mb_ms_100ms, c.mb_ms_1ms);
}

TEST_F(NoiseFreeCells, CsvHasOneRowPerInvocationAndPerCell) {
  std::string inv = InvocationsCsv(rs_), cells = CellsCsv(cells_);
  EXPECT_EQ(std::count(inv.begin(), inv.end(), '\n'), static_cast<long>(rs_.invocations.size() + 1));
  EXPECT_EQ(std::count(cells.begin(), cells.end(), '\n'), static_cast<long>(cells_.size() + 1));
  EXPECT_EQ(inv.substr(0, inv.find(',')), "scenario");
  EXPECT_NE(cells.find("mb_per_s_median"), std::string::npos);
  EXPECT_NE(cells.find("param_memory_mb"), std::string::npos);
  // Unmeasured values are empty fields, not zeros (init_duration_ms is null, duration_ms is not).
  auto field = [&](const std::string& name) {
    std::string header = inv.substr(0, inv.find('\n'));
    std::string row = inv.substr(header.size() + 1, inv.find('\n', header.size() + 1) - header.size() - 1);
    auto cols = Split(header, ','), vals = Split(row, ',');
    size_t i = std::find(cols.begin(), cols.end(), name) - cols.begin();
    return i < vals.size() ? std::string(vals[i]) : std::string("<missing>");
  };
  EXPECT_EQ(field("init_duration_ms"), "");
  EXPECT_NE(field("duration_ms"), "");
  EXPECT_EQ(field("memory_mb"), "128");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"x\""), "\"say \"\"x\"\"\"");
  EXPECT_EQ(CsvField("plain"), "plain");
}

}  // namespace
}  // namespace faasnet::analysis
