#include "analysis/findings.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>

namespace faasnet::analysis {

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kReproduced:
      return "reproduced";
    case Verdict::kNotReproduced:
      return "not reproduced";
    default:
      return "not measured";
  }
}

namespace {

using Pred = std::function<bool(const CellStats&)>;
using Sweep = std::vector<std::pair<double, const CellStats*>>;

std::string F(double v, int digits = 1) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(digits);
  os << v;
  return os.str();
}
std::string Pct(double v) { return (v >= 0 ? "+" : "") + F(v * 100, 0) + "%"; }

// Cells of `scenario` passing `keep`, ordered by `x`; the first cell per x wins.
Sweep SweepOf(const std::vector<CellStats>& cells, const std::string& scenario, const Pred& keep,
              const std::function<double(const CellStats&)>& x) {
  std::map<double, const CellStats*> by_x;
  for (const auto& c : cells) {
    if (c.scenario == scenario && keep(c)) by_x.emplace(x(c), &c);
  }
  return Sweep(by_x.begin(), by_x.end());
}

double Memory(const CellStats& c) { return c.memory_mb; }
double PerHost(const CellStats& c) { return c.per_host; }
bool HasMbps(const CellStats& c) { return c.mb_per_s.has_value(); }
bool IsDownload(const CellStats& c) {
  return c.direction == "down" || c.experiment == "download" || c.action == "s3-get";
}
bool IsIperf(const CellStats& c) { return c.action == "iperf" || c.workload == "iperf"; }
// A shaper that ties bandwidth to memory (the paper's F1 is about its absence).
bool MemoryShaped(const CellStats& c) { return c.policy == "proportional" || c.policy == "capped"; }

std::string Series(const Sweep& s, const std::function<double(const CellStats&)>& y, const std::string& unit) {
  std::string out;
  for (const auto& [x, c] : s) out += (out.empty() ? "" : ", ") + F(x, 0) + ": " + F(y(*c)) + unit;
  return out;
}
double Median(const CellStats& c) { return c.mb_per_s->median; }

Finding Make(const char* id, const char* claim, std::string criterion, const char* paper) {
  Finding f;
  f.id = id;
  f.claim = claim;
  f.criterion = std::move(criterion);
  f.paper = paper;
  return f;
}

void Decide(Finding* f, bool ok, const std::string& why) {
  f->verdict = ok ? Verdict::kReproduced : Verdict::kNotReproduced;
  f->reason = why;
}

// The directions present in `cells` of `scenario`, each as its own sweep.
std::map<std::string, Sweep> ByDirection(const std::vector<CellStats>& cells, const std::string& scenario,
                                         const Pred& keep, const std::function<double(const CellStats&)>& x) {
  std::map<std::string, Sweep> out;
  std::map<std::string, bool> dirs;
  for (const auto& c : cells) {
    if (c.scenario == scenario && keep(c)) dirs[c.direction.empty() ? c.experiment : c.direction] = true;
  }
  for (const auto& [d, _] : dirs) {
    out[d] = SweepOf(
        cells, scenario,
        [&, d = d](const CellStats& c) { return keep(c) && (c.direction.empty() ? c.experiment : c.direction) == d; },
        x);
  }
  return out;
}

// F1 and F4: medians flat across a sweep, per direction.
void Flat(Finding* f, const std::map<std::string, Sweep>& dirs, double limit, const std::string& unit_x) {
  bool any = false, ok = true;
  std::string why;
  for (const auto& [d, s] : dirs) {
    if (s.size() < 2) continue;
    any = true;
    double lo = INFINITY, hi = 0;
    for (const auto& [x, c] : s) {
      lo = std::min(lo, Median(*c));
      hi = std::max(hi, Median(*c));
    }
    double ratio = hi / lo;
    f->measured +=
        (f->measured.empty() ? "" : "; ") + d + ": " + Series(s, Median, "") + " MB/s (max/min " + F(ratio, 2) + ")";
    if (ratio > limit) {
      ok = false;
      why += d + " varies " + F(ratio, 2) + "x across " + unit_x + "; ";
    }
  }
  if (!any) {
    f->reason = "the scenario has no direction with two or more " + unit_x + " values";
    return;
  }
  Decide(f, ok, ok ? "every direction within " + F(limit, 2) + "x" : why);
}

Finding F1(const std::vector<CellStats>& cells, const FindingThresholds& t) {
  Finding f = Make("F1", "iperf-style bandwidth does not depend on memory when no shaper ties it to memory",
                   "per direction, max/min of the median MB/s across memory sizes <= " + F(t.flat_ratio, 2) +
                       " (fig2-iperf-memory; cells under proportional/capped shaping excluded)",
                   "~70 MB/s at 128 MB, flat across 128-3008 MB, both directions");
  auto keep = [](const CellStats& c) { return HasMbps(c) && !MemoryShaped(c); };
  auto dirs = ByDirection(cells, "fig2-iperf-memory", keep, Memory);
  if (dirs.empty()) {
    f.reason = "no fig2-iperf-memory cells with bandwidth (and without a memory-tied shaper)";
    return f;
  }
  Flat(&f, dirs, t.flat_ratio, "memory sizes");
  return f;
}

Sweep S3Download(const std::vector<CellStats>& cells) {
  return SweepOf(
      cells, "fig4-memory-s3", [](const CellStats& c) { return HasMbps(c) && IsDownload(c); }, Memory);
}

Finding F2(const std::vector<CellStats>& cells, const FindingThresholds& t) {
  Finding f = Make("F2", "S3 transfers through a CPU-heavy client speed up with memory and level off",
                   "S3 download median MB/s: largest / smallest memory >= " + F(t.s3_rise_ratio, 1) +
                       ", and the last memory step gains <= " + Pct(t.level_off_step) + " (fig4-memory-s3)",
                   "9.5, 17.4, 32.4, ~52.8, ~66.0, 60.6 MB/s at 128, 256, 512, 1024, 2048, 3008 MB");
  Sweep s = S3Download(cells);
  if (s.size() < 3) {
    f.reason = "needs fig4-memory-s3 download cells at 3 or more memory sizes, found " + std::to_string(s.size());
    return f;
  }
  double rise = Median(*s.back().second) / Median(*s.front().second);
  double last = Median(*s.back().second) / Median(*s[s.size() - 2].second) - 1;
  f.measured = Series(s, Median, "") + " MB/s; rise " + F(rise, 1) + "x, last step " + Pct(last);
  bool ok = rise >= t.s3_rise_ratio && last <= t.level_off_step;
  Decide(&f, ok,
         ok ? "rises " + F(rise, 1) + "x and levels off"
            : (rise < t.s3_rise_ratio ? "rises only " + F(rise, 1) + "x; " : std::string()) +
                  (last > t.level_off_step ? "still rising at the last step (" + Pct(last) + ")" : ""));
  return f;
}

Finding F3(const std::vector<CellStats>& cells, const FindingThresholds& t) {
  Finding f = Make("F3", "at the smallest memory, S3 bandwidth is several times lower than iperf bandwidth",
                   "iperf median MB/s / S3 download median MB/s at the smallest S3 memory >= " + F(t.iperf_over_s3, 1) +
                       " (fig2-iperf-memory vs fig4-memory-s3)",
                   "~70 MB/s (iperf) vs 9.5 MB/s (S3) at 128 MB: ~7.4x");
  Sweep s3 = S3Download(cells);
  if (s3.empty()) {
    f.reason = "no fig4-memory-s3 download cells";
    return f;
  }
  double mem = s3.front().first;
  const CellStats* iperf = nullptr;
  for (const auto& c : cells) {
    bool right_cell = c.scenario == "fig2-iperf-memory" || (c.scenario == "client-comparison" && IsIperf(c));
    if (right_cell && HasMbps(c) && c.memory_mb == mem && !MemoryShaped(c) && (!iperf || IsDownload(c))) iperf = &c;
  }
  if (!iperf) {
    f.reason = "no iperf cell at " + F(mem, 0) + " MB (fig2-iperf-memory or client-comparison)";
    return f;
  }
  double ratio = Median(*iperf) / Median(*s3.front().second);
  f.measured = "at " + F(mem, 0) + " MB: iperf " + F(Median(*iperf)) + " MB/s, S3 " + F(Median(*s3.front().second)) +
               " MB/s: " + F(ratio, 1) + "x";
  Decide(&f, ratio >= t.iperf_over_s3, "ratio " + F(ratio, 1) + "x vs the threshold " + F(t.iperf_over_s3, 1) + "x");
  return f;
}

Finding F4(const std::vector<CellStats>& cells, const FindingThresholds& t) {
  Finding f = Make(
      "F4", "chunk size barely changes bandwidth",
      "per direction, max/min of the median MB/s across chunk sizes <= " + F(t.flat_ratio, 2) + " (fig3-chunk-size)",
      "bandwidth independent of chunk size (10-200 MB, 1024 MB memory)");
  auto dirs = ByDirection(cells, "fig3-chunk-size", HasMbps, [](const CellStats& c) { return c.chunk_mb.value_or(0); });
  if (dirs.empty()) {
    f.reason = "no fig3-chunk-size cells with bandwidth";
    return f;
  }
  Flat(&f, dirs, t.flat_ratio, "chunk sizes");
  return f;
}

bool Job(const CellStats& c) { return c.wall_s.has_value() && c.priced && c.MbMs(BillingRule::k100ms) > 0; }

Finding F5(const std::vector<CellStats>& cells, const FindingThresholds&) {
  Finding f = Make("F5", "at large memory, cost rises faster than response time falls",
                   "for the 1024->2048 and 2048->3008 MB steps (else the last two measured steps) of the fig4 job: "
                   "cost change (memory x billed time, 100 ms billing) > max(0, -response time change)",
                   "1024->2048 MB: -25% time, +68% cost; the 2048->3008 step is worst");
  Sweep s = SweepOf(
      cells, "fig4-memory-s3", [](const CellStats& c) { return Job(c) && IsDownload(c); }, Memory);
  if (s.size() < 2) s = SweepOf(cells, "fig4-memory-s3", Job, Memory);
  if (s.size() < 3) {
    f.reason = "needs fig4-memory-s3 job cells (wall time and billed durations) at 3 or more memory sizes";
    return f;
  }
  std::vector<size_t> steps;
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i - 1].first >= 1024) steps.push_back(i);
  }
  if (steps.empty()) steps = {s.size() - 2, s.size() - 1};
  bool ok = true;
  std::string why;
  for (size_t i : steps) {
    const CellStats& a = *s[i - 1].second;
    const CellStats& b = *s[i].second;
    double dt = *b.wall_s / *a.wall_s - 1;
    double dc = b.MbMs(BillingRule::k100ms) / a.MbMs(BillingRule::k100ms) - 1;
    double dc1 = b.MbMs(BillingRule::k1ms) / a.MbMs(BillingRule::k1ms) - 1;
    f.measured += (f.measured.empty() ? "" : "; ") + F(s[i - 1].first, 0) + "->" + F(s[i].first, 0) +
                  " MB: " + Pct(dt) + " time, " + Pct(dc) + " cost (1 ms billing: " + Pct(dc1) + ")";
    if (!(dc > std::max(0.0, -dt))) {
      ok = false;
      why += F(s[i - 1].first, 0) + "->" + F(s[i].first, 0) + " MB: cost " + Pct(dc) + " vs time " + Pct(dt) + "; ";
    }
  }
  Decide(&f, ok, ok ? "every large-memory step costs more than it saves" : why);
  return f;
}

Finding F6(const std::vector<CellStats>& cells, const FindingThresholds& t) {
  Finding f = Make("F6", "co-located functions split a constant aggregate: per-function ~ 1/N",
                   "for every N >= 2: per-function median MB/s x N / the N = 1 median within 1 +- " +
                       F(t.share_tolerance, 2) + " (fig5-colocated-iperf)",
                   "per-function falls ~1/N (N up to 26), aggregate constant");
  Sweep s = SweepOf(cells, "fig5-colocated-iperf", HasMbps, PerHost);
  if (s.size() < 2 || s.front().first != 1) {
    f.reason = "needs fig5-colocated-iperf cells at N = 1 and at least one N >= 2";
    return f;
  }
  double base = Median(*s.front().second);
  bool ok = true;
  std::string why;
  for (size_t i = 1; i < s.size(); ++i) {
    double r = Median(*s[i].second) * s[i].first / base;
    f.measured += (f.measured.empty() ? "" : ", ") + std::string("N=") + F(s[i].first, 0) + ": " +
                  F(Median(*s[i].second)) + " MB/s (x N / N=1: " + F(r, 2) + ")";
    if (std::abs(r - 1) > t.share_tolerance) {
      ok = false;
      why += "N=" + F(s[i].first, 0) + " gives " + F(r, 2) + "; ";
    }
  }
  f.measured = "N=1: " + F(base) + " MB/s, " + f.measured;
  Decide(&f, ok, ok ? "the aggregate stays constant" : why);
  return f;
}

Finding F7(const std::vector<CellStats>& cells, const FindingThresholds& t) {
  Finding f = Make("F7", "more concurrency: response time plateaus while aggregated (billed) time and cost rise",
                   "fig7-concurrency-cost (else fig6-colocated-s3) jobs: the last N step shortens the job by <= " +
                       Pct(t.plateau_gain) + ", cost (100 ms billing) at the largest N >= N=1's x " +
                       F(1 + t.cost_rise, 2) + ", and aggregated time rises",
                   "at N=16 and 26 almost no gain in response time, ~+20% cost");
  std::string scenario = "fig7-concurrency-cost";
  Sweep s = SweepOf(cells, scenario, Job, PerHost);
  if (s.size() < 3) {
    scenario = "fig6-colocated-s3";
    s = SweepOf(cells, scenario, Job, PerHost);
  }
  if (s.size() < 3) {
    f.reason =
        "needs job cells (wall time, billed durations) at 3 or more N in fig7-concurrency-cost or "
        "fig6-colocated-s3";
    return f;
  }
  const CellStats& first = *s.front().second;
  const CellStats& prev = *s[s.size() - 2].second;
  const CellStats& last = *s.back().second;
  double gain = 1 - *last.wall_s / *prev.wall_s;
  double cost = last.MbMs(BillingRule::k100ms) / first.MbMs(BillingRule::k100ms) - 1;
  double cost1 = last.MbMs(BillingRule::k1ms) / first.MbMs(BillingRule::k1ms) - 1;
  f.measured = scenario + ": response time " +
               Series(
                   s, [](const CellStats& c) { return *c.wall_s; }, " s") +
               "; last step " + Pct(-gain) + "; cost at N=" + F(s.back().first, 0) + " vs N=1: " + Pct(cost) +
               " (1 ms billing: " + Pct(cost1) + "); aggregated time " + F(first.aggregated_s) + " s -> " +
               F(last.aggregated_s) + " s";
  bool plateau = gain <= t.plateau_gain, rises = cost >= t.cost_rise && last.aggregated_s > first.aggregated_s;
  Decide(&f, plateau && rises,
         std::string(plateau ? "plateaus" : "still " + Pct(-gain) + " faster at the last step") + "; " +
             (rises ? "cost rises " + Pct(cost) : "cost does not rise enough (" + Pct(cost) + ")"));
  return f;
}

Finding F8(const std::vector<CellStats>& cells, const RunInfo& run, const FindingThresholds& t) {
  Finding f = Make("F8",
                   "under proportional, co-located functions' bandwidth shares follow memory while the aggregate "
                   "stays at the NIC rate",
                   "policies cells with policy=proportional and mixed memory: (MB/s / memory) of each memory size / "
                   "their mean within 1 +- " +
                       F(t.proportional_tolerance, 2) + ", and the aggregate within " + Pct(t.nic_tolerance) +
                       " of the NIC's TCP goodput (nic_download_bps x 0.956 / 8)",
                   "");
  f.paper = "(not in the paper: its proposed cost-proportional scheduling)";
  const CellStats* cell = nullptr;
  const CellStats* shared = nullptr;
  for (const auto& c : cells) {
    if (c.policy == "proportional" && c.mb_per_s_by_memory.size() >= 2 && !cell) cell = &c;
    if (c.scenario == "policies" && c.policy == "shared" && c.aggregate_mb_per_s && !shared) shared = &c;
  }
  if (!cell) {
    f.reason = "no cell with policy=proportional and functions of two or more memory sizes (scenario policies)";
    return f;
  }
  double mean = 0;
  for (const auto& [m, q] : cell->mb_per_s_by_memory) mean += q.median / m;
  mean /= cell->mb_per_s_by_memory.size();
  bool shares_ok = true;
  for (const auto& [m, q] : cell->mb_per_s_by_memory) {
    double r = q.median / m / mean;
    f.measured += (f.measured.empty() ? "" : ", ") + F(m, 0) + " MB: " + F(q.median) + " MB/s (" + F(r, 2) + ")";
    if (std::abs(r - 1) > t.proportional_tolerance) shares_ok = false;
  }
  std::optional<double> nic;
  std::string nic_source;
  // The cell's own NIC (the runner records it per cell: regions change between cells), else the run's.
  double cell_nic = std::atof(cell->Param("nic_download_bps").c_str());
  if (cell_nic > 0) {
    nic = cell_nic * 0.956 / 8 / 1e6;
    nic_source = "the cell's NIC goodput";
  } else if (run.nic_download_bps && *run.nic_download_bps > 0) {
    nic = *run.nic_download_bps * 0.956 / 8 / 1e6;
    nic_source = "NIC goodput";
  } else if (shared) {
    nic = *shared->aggregate_mb_per_s;
    nic_source = "the shared policy's aggregate";
  }
  if (!cell->aggregate_mb_per_s || !nic) {
    f.reason =
        "shares measured, but the aggregate or the NIC rate is unknown (run.json has no "
        "platform.network_profile.nic_download_bps and no shared-policy cell)";
    return f;
  }
  double agg = *cell->aggregate_mb_per_s;
  bool agg_ok = std::abs(agg / *nic - 1) <= t.nic_tolerance;
  f.measured += "; aggregate " + F(agg) + " MB/s vs " + nic_source + " " + F(*nic) + " MB/s";
  Decide(&f, shares_ok && agg_ok,
         std::string(shares_ok ? "shares follow memory" : "shares do not follow memory") + "; " +
             (agg_ok ? "aggregate at the NIC rate" : "aggregate off the NIC rate by " + Pct(agg / *nic - 1)));
  return f;
}

}  // namespace

std::vector<Finding> CheckFindings(const std::vector<CellStats>& cells, const RunInfo& run,
                                   const FindingThresholds& t) {
  return {F1(cells, t), F2(cells, t), F3(cells, t), F4(cells, t),
          F5(cells, t), F6(cells, t), F7(cells, t), F8(cells, run, t)};
}

}  // namespace faasnet::analysis
