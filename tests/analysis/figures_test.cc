#include "analysis/figures.h"

#include <gtest/gtest.h>

#include <set>

#include "synthetic.h"

namespace faasnet::analysis {
namespace {

std::vector<CellStats> Cells(const std::string& dir, const testing::World& w = {}, const testing::Selection& s = {}) {
  testing::WriteSyntheticResults(dir, w, s);
  auto rs = ReadResults(dir);
  EXPECT_TRUE(rs.ok());
  return SummarizeCells(*rs, PriceSheet{});
}

const Figure* ById(const std::vector<Figure>& fs, const std::string& id) {
  for (const auto& f : fs) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

TEST(FiguresTest, EveryScenarioGetsItsFigures) {
  testing::TempDir tmp;
  auto cells = Cells(tmp.path());
  auto figs = BuildFigures({{"local A", &cells}}, BillingRule::k100ms);
  for (const char* id : {"fig2-iperf-memory", "fig3-chunk-size", "fig4-memory-s3-download", "fig4-memory-s3-upload",
                         "fig4-memory-s3-cost", "fig5-colocated-iperf", "fig6-colocated-s3", "fig7-concurrency-cost",
                         "policies", "client-comparison"}) {
    const Figure* f = ById(figs, id);
    ASSERT_NE(f, nullptr) << id;
    EXPECT_FALSE(f->series.empty()) << id;
    for (const auto& s : f->series) EXPECT_EQ(s.points.size(), f->x.size()) << id;
    // Units on the axes.
    EXPECT_TRUE(f->ylabel.find("(s") != std::string::npos || f->ylabel.find("MB/s") != std::string::npos) << id;
  }
  // Fig. 2: memory on x, one bar series per direction, with whiskers.
  const Figure* f2 = ById(figs, "fig2-iperf-memory");
  EXPECT_EQ(f2->x, (std::vector<std::string>{"128", "256", "512", "1024", "2048", "3008"}));
  EXPECT_EQ(f2->series.size(), 2u);
  EXPECT_FALSE(std::isnan(f2->series[0].points[0].lo));
  // Fig. 5: per-function bars and the aggregate as a line on the right axis.
  const Figure* f5 = ById(figs, "fig5-colocated-iperf");
  EXPECT_TRUE(f5->has_y2());
  EXPECT_EQ(f5->x.back(), "26");
  // Generic: x = the swept memory, one series per workload.
  const Figure* cc = ById(figs, "client-comparison");
  EXPECT_EQ(cc->xlabel, "memory (MB)");
  EXPECT_EQ(cc->series.size(), 3u);
  // Mixed memory sizes in a cell: one series per memory size.
  EXPECT_EQ(ById(figs, "policies")->series.size(), 4u);
}

TEST(FiguresTest, CostFiguresSayWhichBillingRuleTheyUse) {
  testing::TempDir tmp;
  auto cells = Cells(tmp.path());
  for (BillingRule rule : {BillingRule::k1ms, BillingRule::k100ms}) {
    auto figs = BuildFigures({{"x", &cells}}, rule);
    for (const char* id : {"fig4-memory-s3-cost", "fig7-concurrency-cost"}) {
      const Figure* f = ById(figs, id);
      ASSERT_NE(f, nullptr);
      EXPECT_EQ(f->note.find("/ the first bar's, " + BillingRuleCaption(rule)) != std::string::npos, true) << f->note;
      // Normalized cost is 1 at the reference (first) x under each rule.
      for (const auto& s : f->series) {
        if (s.line) {
          EXPECT_DOUBLE_EQ(s.points[0].y, 1.0);
        }
      }
    }
  }
}

TEST(FiguresTest, TwoSourcesOverlayOnOneFigureWithLabelledSeries) {
  testing::TempDir a, b;
  testing::Selection sel;
  sel.scenarios = {"fig2-iperf-memory"};
  auto ca = Cells(a.path(), {}, sel);
  testing::Selection narrow = sel;
  narrow.memories = {128, 4096};  // a memory only B has
  auto cb = Cells(b.path(), {}, narrow);
  auto figs = BuildFigures({{"local A", &ca}, {"aws B", &cb}}, BillingRule::k100ms);
  ASSERT_EQ(figs.size(), 1u);
  const Figure& f = figs[0];
  EXPECT_EQ(f.series.size(), 4u);
  std::set<std::string> prefixes;
  for (const auto& s : f.series) prefixes.insert(s.label.substr(0, s.label.find(':')));
  EXPECT_EQ(prefixes, (std::set<std::string>{"local A", "aws B"}));
  EXPECT_EQ(f.x.back(), "4096");
  EXPECT_EQ(f.x.size(), 7u);
  // A's series has no value at 4096; B's none at 256.
  EXPECT_TRUE(std::isnan(f.series[0].points.back().y));
  EXPECT_TRUE(std::isnan(f.series[2].points[1].y));
}

TEST(FiguresTest, TheScriptDrawsBarsLabelsWhiskersAndASecondaryAxis) {
  Figure f;
  f.id = "t";
  f.title = "T";
  f.xlabel = "memory (MB)";
  f.ylabel = "MB/s";
  f.y2label = "aggregate";
  f.note = "100 ms billing";
  f.x = {"128", "256"};
  f.series = {{"bars", false, "%.3g", {{1, 0.5, 1.5}, {2, 1.5, 2.5}}}, {"line", true, "%.2f", {{3}, {NAN}}}};
  std::string gp = GnuplotScript(f);
  for (const char* want :
       {"with boxes", "with yerrorbars", "with labels", "axes x1y2", "set y2tics", "set output 't.svg'",
        "set output 't.png'", "\"100 ms billing\"", "set xtics (\"128\" 0, \"256\" 1)"}) {
    EXPECT_NE(gp.find(want), std::string::npos) << want;
  }
  std::string dat = GnuplotData(f);
  EXPECT_NE(dat.find("\"256\" 2 1.5 2.5 NaN NaN NaN"), std::string::npos) << dat;
  f.series.pop_back();
  EXPECT_EQ(GnuplotScript(f).find("y2"), std::string::npos);
}

}  // namespace
}  // namespace faasnet::analysis
