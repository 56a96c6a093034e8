#include "analysis/planner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

#include "synthetic.h"

namespace faasnet::analysis {
namespace {

using testing::World;

struct Fixture {
  testing::TempDir tmp;
  ResultSet rs;
  std::vector<CellStats> cells;
  PriceSheet prices;
  Fixture(const World& w, const testing::Selection& sel) {
    testing::WriteSyntheticResults(tmp.path(), w, sel);
    auto r = ReadResults(tmp.path());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    rs = *r;
    cells = SummarizeCells(rs, prices);
  }
};

testing::Selection PlannerScenarios() {
  testing::Selection sel;
  sel.scenarios = {"fig4-memory-s3", "fig7-concurrency-cost"};
  return sel;
}

// What the known model says a plan takes and costs (the truth the planner estimates).
std::pair<double, double> Truth(const World& w, const PriceSheet& prices, const PlanRequest& req, double m, int n) {
  double transfer_ms = req.chunk_bytes / 1e6 / w.S3MbPerS(m, n) * 1000;
  int chunks = static_cast<int>(std::ceil(req.data_bytes / req.chunk_bytes));
  int waves = (chunks + n - 1) / n;
  double response = waves * (transfer_ms + w.overhead_ms + w.client_extra_ms) / 1000;
  double billed = BilledMs(transfer_ms + w.overhead_ms, req.billing);
  return {response, chunks * InvocationCost(prices, m, billed, req.arch).total()};
}

TEST(PlannerTest, TheFitRecoversTheModelWithoutNoise) {
  World w;
  w.noise = 0;
  w.job_chunks = 20;
  Fixture fx(w, PlannerScenarios());
  auto model = FitBandwidthModel(fx.cells, fx.rs.run);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(model->workload, "boto3");
  for (const auto& [m, b] : model->by_memory) EXPECT_NEAR(b, w.S3MbPerS(m, 1), 1e-9) << m;
  ASSERT_TRUE(model->host_aggregate_mb_per_s.has_value());
  EXPECT_NEAR(*model->host_aggregate_mb_per_s, w.nic_mb_per_s, 1e-9);
  EXPECT_NEAR(model->overhead_billed_ms, w.overhead_ms, 1e-9);
  EXPECT_NEAR(model->overhead_client_ms, w.overhead_ms + w.client_extra_ms, 1e-9);
  EXPECT_EQ(model->max_per_host, 26);
  for (int n : {1, 3, 8, 26}) {
    for (double m : {128.0, 1024.0, 3008.0}) EXPECT_NEAR(*model->MbPerS(m, n), w.S3MbPerS(m, n), 1e-9);
  }
}

TEST(PlannerTest, HeldOutCellsArePredictedWithin15Percent) {
  World w;  // 5 % noise
  Fixture fx(w, PlannerScenarios());
  Validation v = LeaveOneOut(fx.cells, fx.rs.run, fx.prices, BillingRule::k1ms);
  // Every job cell is held out once; only the range's ends cannot be predicted.
  EXPECT_GE(v.rows.size(), 9u);
  EXPECT_LT(v.max_abs_time_error, 0.15) << "mean " << v.mean_abs_time_error;
  EXPECT_LT(v.max_abs_cost_error, 0.15) << "mean " << v.mean_abs_cost_error;
  for (const auto& s : v.skipped) EXPECT_NE(s.find("outside the measured range"), std::string::npos) << s;
}

TEST(PlannerTest, HeldOutCellsOfAPaperShapedClientArePredictedWithin15Percent) {
  // A client that is not min(a x memory, c): the paper's own Fig. 4a medians, which dip at 3008 MB.
  World w;
  w.client_table = testing::PaperFig4a();
  Fixture fx(w, PlannerScenarios());
  Validation v = LeaveOneOut(fx.cells, fx.rs.run, fx.prices, BillingRule::k1ms);
  for (const auto& r : v.rows) {
    std::cout << r.cell_id << ": time " << r.time_error * 100 << " %, cost " << r.cost_error * 100 << " %\n";
  }
  std::cout << "mean time error " << v.mean_abs_time_error * 100 << " %, max " << v.max_abs_time_error * 100
            << " %; mean cost error " << v.mean_abs_cost_error * 100 << " %, max " << v.max_abs_cost_error * 100
            << " %\n";
  EXPECT_GE(v.rows.size(), 9u);
  EXPECT_LT(v.mean_abs_time_error, 0.15);
  EXPECT_LT(v.mean_abs_cost_error, 0.15);
  EXPECT_LT(v.max_abs_time_error, 0.15);
  EXPECT_LT(v.max_abs_cost_error, 0.15);
}

TEST(PlannerTest, TheRecommendationIsNearTheTrueOptimum) {
  World w;
  Fixture fx(w, PlannerScenarios());
  auto model = FitBandwidthModel(fx.cells, fx.rs.run);
  ASSERT_TRUE(model.ok());
  for (double deadline : {20.0, 40.0, 120.0}) {
    PlanRequest req;
    req.deadline_s = deadline;
    auto plan = MakePlan(*model, fx.prices, req);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    ASSERT_TRUE(plan->recommended.has_value());
    // The truth's cheapest plan meeting the deadline, over the same candidates.
    double best = INFINITY;
    for (const Plan& p : plan->candidates) {
      auto [t, c] = Truth(w, fx.prices, req, p.memory_mb, p.concurrency);
      if (t <= deadline) best = std::min(best, c);
    }
    auto [t, c] = Truth(w, fx.prices, req, plan->recommended->memory_mb, plan->recommended->concurrency);
    EXPECT_LE(t, deadline * 1.10) << deadline;
    EXPECT_LE(c, best * 1.10) << deadline;
    EXPECT_LE(plan->recommended->response_s, deadline);
  }
}

TEST(PlannerTest, TheFrontierIsParetoAndTheBudgetPicksItsFastestAffordablePlan) {
  Fixture fx(World{}, PlannerScenarios());
  auto model = FitBandwidthModel(fx.cells, fx.rs.run);
  ASSERT_TRUE(model.ok());
  PlanRequest req;
  auto plan = MakePlan(*model, fx.prices, req);
  ASSERT_TRUE(plan.ok());
  ASSERT_GE(plan->frontier.size(), 2u);
  for (size_t i = 1; i < plan->frontier.size(); ++i) {
    EXPECT_GT(plan->frontier[i].response_s, plan->frontier[i - 1].response_s);
    EXPECT_LT(plan->frontier[i].cost_usd, plan->frontier[i - 1].cost_usd);
  }
  for (const Plan& f : plan->frontier) {
    for (const Plan& p : plan->candidates) {
      EXPECT_FALSE(p.response_s < f.response_s && p.cost_usd < f.cost_usd) << "dominated frontier plan";
    }
  }
  // Host memory bounds co-location: n x memory <= the host's memory.
  for (const Plan& p : plan->candidates) EXPECT_LE(p.concurrency * p.memory_mb, *fx.rs.run.host_memory_mb);
  double budget = (plan->frontier.front().cost_usd + plan->frontier.back().cost_usd) / 2;
  req.budget_usd = budget;
  auto within = MakePlan(*model, fx.prices, req);
  ASSERT_TRUE(within.ok());
  ASSERT_TRUE(within->recommended.has_value());
  EXPECT_LE(within->recommended->cost_usd, budget);
  for (const Plan& p : within->candidates) {
    if (p.cost_usd <= budget) {
      EXPECT_GE(p.response_s, within->recommended->response_s);
    }
  }
}

TEST(PlannerTest, ClearErrorsWhenTheResultsCannotSupportAPrediction) {
  World w;
  testing::Selection only_iperf;
  only_iperf.scenarios = {"fig2-iperf-memory"};
  Fixture none(w, only_iperf);
  auto m0 = FitBandwidthModel(none.cells, none.rs.run);
  ASSERT_FALSE(m0.ok());
  EXPECT_NE(m0.status().message().find("too few cells"), std::string::npos) << m0.status().message();

  testing::Selection narrow;
  narrow.scenarios = {"fig4-memory-s3"};
  narrow.memories = {256, 512};
  Fixture fx(w, narrow);
  auto model = FitBandwidthModel(fx.cells, fx.rs.run);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  PlanRequest req;
  auto out = Predict(*model, fx.prices, req, 1024, 1);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "memory 1024 MB is outside the measured range 256-512 MB");
  EXPECT_FALSE(Predict(*model, fx.prices, req, 256, 2).ok());  // no concurrency measured
  req.deadline_s = 0.5;
  auto late = MakePlan(*model, fx.prices, req);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), Status::Code::kNotFound);
  EXPECT_NE(late.status().message().find("no plan meets the deadline"), std::string::npos);
}

}  // namespace
}  // namespace faasnet::analysis

namespace faasnet::analysis {
namespace {

// The pull queue's last wave has fewer functions on the host: with a NIC of
// A MB/s shared by n, a job of k*n + r chunks takes k waves at A/n each plus
// one at A/r, not k+1 waves at A/n.
TEST(PlannerWaves, TheLastPartialWaveIsFasterWhenTheNicIsShared) {
  BandwidthModel m;
  m.by_memory = {{128, 60}, {1024, 60}};
  m.ceiling_mb_per_s = 60;
  m.host_aggregate_mb_per_s = 60;
  m.max_per_host = 16;
  PriceSheet prices;
  PlanRequest req;
  req.data_bytes = 26e6 * 10;  // 26 chunks of 10 MB
  req.chunk_bytes = 10e6;
  auto p = Predict(m, prices, req, 128, 16);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  // One wave of 16 at 60/16 MB/s (2.67 s), then 10 at 60/10 MB/s (1.67 s): 4.33 s, not 2 x 2.67 s.
  EXPECT_NEAR(p->response_s, 10.0 / (60.0 / 16) + 10.0 / (60.0 / 10), 0.01);
  auto whole = Predict(m, prices, req, 128, 13);  // 26 = 2 x 13: no partial wave
  ASSERT_TRUE(whole.ok());
  EXPECT_NEAR(whole->response_s, 2 * 10.0 / (60.0 / 13), 0.01);
}

}  // namespace
}  // namespace faasnet::analysis
