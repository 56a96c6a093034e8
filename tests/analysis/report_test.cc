// The report end to end: a synthetic results directory rendered with gnuplot,
// index.html opened in headless Chromium (every figure decoded, no console
// message, a screenshot saved as an artefact), and the CLI's exit codes.
#include "analysis/report.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <regex>

#include "synthetic.h"

namespace faasnet::analysis {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

struct Ran {
  int code = -1;
  std::string out, err;
};

// Runs a shell command line with stdout/stderr captured.
Ran Sh(const std::string& cmd, const TempDir& tmp) {
  std::string out = tmp / "cmd.out", err = tmp / "cmd.err";
  int st = std::system((cmd + " >" + out + " 2>" + err).c_str());
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, testing::ReadFile(out), testing::ReadFile(err)};
}

std::string Faasnet() { return FAASNET_BINARY; }

// Chromium's console messages on stderr (--enable-logging=stderr --v=0): "...:CONSOLE(12)] "msg", source: ...".
std::vector<std::string> ConsoleLines(const std::string& err) {
  std::vector<std::string> out;
  std::regex console(":CONSOLE[:(]");
  size_t pos = 0;
  while (pos < err.size()) {
    size_t nl = err.find('\n', pos);
    std::string line = err.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (std::regex_search(line, console)) out.push_back(line);
    pos = nl == std::string::npos ? err.size() : nl + 1;
  }
  return out;
}

// Headless Chromium on `page`; skips (outside CI) when chromium is missing.
bool HaveChromium() {
  if (HaveProgram("chromium")) return true;
  if (std::getenv("CI")) ADD_FAILURE() << "chromium is missing in CI: scripts/setup installs it";
  return false;
}

Ran Chromium(const std::string& page, const std::string& mode, const TempDir& tmp) {
  return Sh("timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir=" +
                (tmp / "chromium-profile") + " --enable-logging=stderr --v=0 " + mode + " file://" + page,
            tmp);
}

int Count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(ReportTest, RendersEveryFigureAndOpensCleanlyInChromium) {
  TempDir tmp;
  std::string dir = tmp / "local-run";
  testing::WriteSyntheticResults(dir, testing::World{});
  ReportOptions o;
  o.dirs = {dir};
  auto r = WriteReport(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  RecordProperty("report_seconds", std::to_string(r->seconds));
  std::cout << "report rendered in " << r->seconds << " s (" << r->figures.size() << " figures)\n";
  EXPECT_EQ(r->out_dir, dir + "/report");
  ASSERT_GE(r->figures.size(), 11u);  // 10 experiment figures + the planner's frontier
  std::string html = testing::ReadFile(r->index_html);
  EXPECT_EQ(Count(html, "<img class=figure"), static_cast<int>(r->figures.size()));
  for (const auto& f : r->figures) {
    EXPECT_NE(html.find("id=\"fig-" + f.id + "\""), std::string::npos) << f.id;
    for (const char* ext : {".svg", ".png", ".gp", ".dat"}) {
      EXPECT_GT(fs::file_size(r->out_dir + "/" + f.id + ext), 100u) << f.id << ext;
    }
  }
  // Self-contained: figures are data: URIs, nothing is fetched from elsewhere.
  EXPECT_EQ(Count(html, "src=\"data:image/svg+xml;base64,"), static_cast<int>(r->figures.size()));
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  // The findings check: eight rows with a verdict each; the CSVs are linked.
  EXPECT_EQ(Count(html, "<tr class=\"reproduced\">") + Count(html, "<tr class=\"not-reproduced\">") +
                Count(html, "<tr class=\"not-measured\">"),
            8);
  for (const char* csv : {"invocations.csv", "cells.csv", "planner-frontier.csv"}) {
    EXPECT_NE(html.find("href=\"" + std::string(csv) + "\""), std::string::npos) << csv;
    EXPECT_TRUE(fs::exists(r->out_dir + "/" + csv)) << csv;
  }
  ASSERT_TRUE(r->validation.has_value());
  EXPECT_LT(r->validation->max_abs_time_error, 0.15);

  if (!HaveChromium()) GTEST_SKIP() << "chromium not installed (apt-get install chromium, or scripts/setup)";
  Ran dom = Chromium(r->index_html, "--dump-dom", tmp);
  ASSERT_EQ(dom.code, 0) << dom.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom.out, m, std::regex("data-figures-loaded=\"(\\d+)\""))) << "the check script ran";
  EXPECT_EQ(std::stoul(m[1]), r->figures.size()) << "every figure decoded";
  EXPECT_TRUE(ConsoleLines(dom.err).empty()) << ConsoleLines(dom.err).front();
  std::string artefacts = FAASNET_ARTIFACT_DIR;
  fs::create_directories(artefacts);
  std::string shot = artefacts + "/report.png";
  fs::remove(shot);
  Ran png = Chromium(r->index_html, "--window-size=1280,6000 --screenshot=" + shot, tmp);
  ASSERT_EQ(png.code, 0) << png.err;
  ASSERT_TRUE(fs::exists(shot));
  EXPECT_GT(fs::file_size(shot), 50000u);
  std::cout << "screenshot: " << shot << "\n";
}

TEST(ReportTest, AScenarioWhoseInvocationsAllFailedIsReportedNotDrawn) {
  TempDir tmp;
  std::string dir = tmp / "failed";
  testing::Selection sel;
  sel.scenarios = {"fig2-iperf-memory", "fig5-colocated-iperf"};
  testing::WriteSyntheticResults(dir, testing::World{}, sel);
  std::string inv = testing::ReadFile(dir + "/invocations.jsonl"), rewritten;
  size_t pos = 0;
  while (pos < inv.size()) {
    size_t nl = inv.find('\n', pos);
    auto j = nlohmann::json::parse(inv.substr(pos, nl - pos));
    if (j["scenario"] == "fig5-colocated-iperf") {
      j["error_type"] = "Sandbox.Timedout";
      j["result"] = nullptr;
    }
    rewritten += j.dump() + "\n";
    pos = nl + 1;
  }
  testing::WriteFile(dir + "/invocations.jsonl", rewritten);
  ReportOptions o;
  o.dirs = {dir};
  auto r = WriteReport(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->figures.size(), 1u);  // fig2 only: no planner cells either
  EXPECT_EQ(r->figures[0].id, "fig2-iperf-memory");
  ASSERT_FALSE(r->warnings.empty());
  EXPECT_NE(r->warnings.back().find("fig5-colocated-iperf"), std::string::npos);
  std::string html = testing::ReadFile(r->index_html);
  EXPECT_NE(html.find("id=\"fig-fig5-colocated-iperf\""), std::string::npos);
  EXPECT_NE(html.find("Planner</h2>\n<p>Not available"), std::string::npos);
}

TEST(ReportTest, TheConsoleCheckCatchesAPageThatLogsAnError) {
  if (!HaveChromium()) GTEST_SKIP() << "chromium not installed";
  TempDir tmp;
  std::string page = tmp / "bad.html";
  testing::WriteFile(page,
                     "<html><body><script>console.error('broken figure'); noSuchFunction();</script></body></html>");
  Ran dom = Chromium(page, "--dump-dom", tmp);
  auto lines = ConsoleLines(dom.err);
  ASSERT_EQ(lines.size(), 2u) << dom.err;
  EXPECT_NE(lines[0].find("broken figure"), std::string::npos);
  EXPECT_NE(lines[1].find("noSuchFunction"), std::string::npos);
}

TEST(ReportCliTest, ExitCodesFollowTheContract) {
  TempDir tmp;
  std::string a = tmp / "A", b = tmp / "B";
  testing::WriteSyntheticResults(a, testing::World{});
  testing::World other;
  other.seed = 7;
  other.client_mb_per_s_per_mb *= 2;
  testing::WriteSyntheticResults(b, other, {}, "aws");

  Ran ok = Sh(Faasnet() + " report " + a, tmp);
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.out.find("report: " + a + "/report/index.html"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("F8  reproduced"), std::string::npos) << ok.out;

  // A finding that does not reproduce is not an error.
  std::string c = tmp / "C";
  testing::World flat;
  flat.client_mb_per_s_per_mb = 1;
  testing::WriteSyntheticResults(c, flat);
  Ran findings = Sh(Faasnet() + " report " + c, tmp);
  EXPECT_EQ(findings.code, 0) << findings.err;
  EXPECT_NE(findings.out.find("F2  not reproduced"), std::string::npos) << findings.out;

  // The overlay: both directories' series on one figure.
  Ran overlay = Sh(Faasnet() + " report " + a + " " + b + " --out " + (tmp / "overlay"), tmp);
  EXPECT_EQ(overlay.code, 0) << overlay.err;
  std::string dat = testing::ReadFile(tmp / "overlay/fig2-iperf-memory.dat");
  EXPECT_NE(dat.find("local A: upload"), std::string::npos) << dat.substr(0, 300);
  EXPECT_NE(dat.find("aws B: upload"), std::string::npos) << dat.substr(0, 300);

  // Malformed input: exit 2, the file and line in the message.
  std::string inv = testing::ReadFile(a + "/invocations.jsonl");
  testing::WriteFile(a + "/invocations.jsonl", inv.substr(0, inv.find('\n') + 1) + "{oops\n" + inv);
  Ran bad = Sh(Faasnet() + " report " + a, tmp);
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find(a + "/invocations.jsonl: line 2: not valid JSON"), std::string::npos) << bad.err;

  // No gnuplot: the environment is not ready (3), and the message says what to install.
  fs::create_directories(tmp / "empty-bin");
  Ran nognuplot = Sh("PATH=" + (tmp / "empty-bin") + " " + Faasnet() + " report " + b, tmp);
  EXPECT_EQ(nognuplot.code, 3);
  EXPECT_NE(nognuplot.err.find("gnuplot-nox"), std::string::npos) << nognuplot.err;

  // The planner: a recommendation, then the errors results cannot support.
  Ran plan = Sh(Faasnet() + " plan --data 1GB --chunk 10MB --deadline 30s --from " + b, tmp);
  EXPECT_EQ(plan.code, 0) << plan.err;
  EXPECT_NE(plan.out.find("recommended"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("Held-out validation"), std::string::npos) << plan.out;
  Ran outside = Sh(Faasnet() + " plan --from " + b + " --memory 4096", tmp);
  EXPECT_EQ(outside.code, 2);
  EXPECT_NE(outside.err.find("memory 4096 MB is outside the measured range 128-3008 MB"), std::string::npos)
      << outside.err;
  Ran late = Sh(Faasnet() + " plan --from " + b + " --deadline 100ms", tmp);
  EXPECT_EQ(late.code, 1);
  EXPECT_NE(late.err.find("no plan meets the deadline"), std::string::npos) << late.err;
  std::string d = tmp / "D";
  testing::Selection iperf_only;
  iperf_only.scenarios = {"fig2-iperf-memory"};
  testing::WriteSyntheticResults(d, testing::World{}, iperf_only);
  Ran few = Sh(Faasnet() + " plan --from " + d, tmp);
  EXPECT_EQ(few.code, 2);
  EXPECT_NE(few.err.find("too few cells"), std::string::npos) << few.err;
  Ran both = Sh(Faasnet() + " plan --from " + d + " --deadline 1s --budget 1", tmp);
  EXPECT_EQ(both.code, 2);
}

}  // namespace
}  // namespace faasnet::analysis
