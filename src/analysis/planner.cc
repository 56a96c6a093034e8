#include "analysis/planner.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace faasnet::analysis {

namespace {

std::string Str(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

bool TransferCell(const CellStats& c) {
  bool download = c.action == "s3-get" || c.direction == "down" || c.experiment == "download";
  bool iperf = c.action == "iperf" || c.workload == "iperf";
  return download && !iperf && c.mb_per_s && c.mb_per_s->median > 0 && c.invocations > c.errors;
}

double MedianOf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

bool InRange(const std::vector<std::pair<double, double>>& pts, double m) {
  return !pts.empty() && m >= pts.front().first - 1e-9 && m <= pts.back().first + 1e-9;
}

// f(m) = min(a m, c) over the measured points (sorted by memory): the first k
// points proportional, the rest flat, for the k with the least squared
// relative error.
void FitCeiling(BandwidthModel* m) {
  const auto& pts = m->by_memory;
  double best = INFINITY;
  for (size_t k = 0; k <= pts.size(); ++k) {
    double a = 0, c = 0, mb = 0, mm = 0;
    for (size_t i = 0; i < k; ++i) {
      mb += pts[i].first * pts[i].second;
      mm += pts[i].first * pts[i].first;
    }
    if (k) a = mb / mm;
    for (size_t i = k; i < pts.size(); ++i) c += pts[i].second / (pts.size() - k);
    std::optional<double> ceiling = k < pts.size() ? std::optional<double>(c) : std::nullopt;
    double sse = 0;
    for (const auto& [mem, b] : pts) {
      double f = k ? a * mem : INFINITY;
      if (ceiling) f = std::min(f, *ceiling);
      sse += (f / b - 1) * (f / b - 1);
    }
    if (sse < best - 1e-12) {
      best = sse;
      m->slope_mb_per_s_per_mb = a;
      m->ceiling_mb_per_s = ceiling;
    }
  }
}

}  // namespace

double BandwidthModel::Shape(double memory_mb) const {
  double f = slope_mb_per_s_per_mb > 0 ? slope_mb_per_s_per_mb * memory_mb : INFINITY;
  return ceiling_mb_per_s ? std::min(f, *ceiling_mb_per_s) : f;
}

double BandwidthModel::F(double memory_mb) const {
  // The fitted shape, corrected by the measured/fitted ratio of the neighbouring measured memories.
  const auto& pts = by_memory;
  auto ratio = [&](size_t i) { return pts[i].second / Shape(pts[i].first); };
  if (memory_mb <= pts.front().first) return Shape(memory_mb) * ratio(0);
  for (size_t i = 0; i + 1 < pts.size(); ++i) {
    if (memory_mb <= pts[i + 1].first) {
      double t = (memory_mb - pts[i].first) / (pts[i + 1].first - pts[i].first);
      return Shape(memory_mb) * (ratio(i) + t * (ratio(i + 1) - ratio(i)));
    }
  }
  return Shape(memory_mb) * ratio(pts.size() - 1);
}

Result<double> BandwidthModel::MbPerS(double memory_mb, double per_host) const {
  if (!InRange(by_memory, memory_mb)) {
    return Status::InvalidArgument("memory " + Str(memory_mb) + " MB is outside the measured range " +
                                   Str(min_memory()) + "-" + Str(max_memory()) + " MB");
  }
  if (per_host < 1 || per_host > max_per_host) {
    return Status::InvalidArgument("concurrency " + Str(per_host) + " is outside the measured range 1-" +
                                   Str(max_per_host) + " functions per host");
  }
  double b = F(memory_mb);
  if (host_aggregate_mb_per_s) b = std::min(b, *host_aggregate_mb_per_s / per_host);
  return b;
}

bool JobCell(const CellStats& c) { return TransferCell(c) && c.wall_s && c.job_chunks && c.job_chunk_bytes; }

std::string DefaultWorkload(const std::vector<CellStats>& cells) {
  std::map<std::string, int> jobs, any;
  for (const auto& c : cells) {
    if (JobCell(c)) ++jobs[c.workload];
    if (TransferCell(c)) ++any[c.workload];
  }
  const auto& count = jobs.empty() ? any : jobs;
  std::string best;
  int most = 0;
  for (const auto& [w, n] : count) {
    if (n > most) best = w, most = n;
  }
  return best;
}

Result<BandwidthModel> FitBandwidthModel(const std::vector<CellStats>& cells, const RunInfo& run,
                                         const std::string& workload, const std::string& exclude_cell_id) {
  BandwidthModel m;
  m.host_memory_mb = run.host_memory_mb;
  m.workload = workload.empty() ? DefaultWorkload(cells) : workload;
  std::map<double, std::vector<double>> single;
  std::vector<const CellStats*> shared;
  std::vector<double> over_bill, over_client;
  for (const auto& c : cells) {
    if (c.cell_id == exclude_cell_id || !TransferCell(c) || c.workload != m.workload) continue;
    ++m.cells_used;
    m.max_per_host = std::max(m.max_per_host, c.per_host);
    if (c.per_host <= 1) {
      single[c.memory_mb].push_back(c.mb_per_s->median);
    } else {
      shared.push_back(&c);
    }
    if (c.transfer_s) {
      double t_ms = c.transfer_s->median * 1000;
      if (c.run_ms) over_bill.push_back(std::max(0.0, c.run_ms->median - t_ms));
      if (c.client_ms) over_client.push_back(std::max(0.0, c.client_ms->median - t_ms));
    }
  }
  if (m.cells_used < 2) {
    return Status::InvalidArgument("too few cells to fit a model: " + std::to_string(m.cells_used) +
                                   " S3 download cell(s) of workload '" + m.workload +
                                   "' with bandwidth; needs 2 or more (run fig4-memory-s3 and fig6-colocated-s3)");
  }
  if (single.empty()) {
    return Status::InvalidArgument(
        "no S3 download cell with one function per host: bandwidth vs memory is unknown "
        "(run fig4-memory-s3)");
  }
  for (const auto& [mem, v] : single) m.by_memory.push_back({mem, MedianOf(v)});
  FitCeiling(&m);
  std::vector<double> aggregates;
  for (const CellStats* c : shared) {
    // Link-bound: clearly below what the memory alone allows.
    if (InRange(m.by_memory, c->memory_mb) && c->mb_per_s->median < 0.9 * m.F(c->memory_mb)) {
      aggregates.push_back(c->mb_per_s->median * c->per_host);
    }
  }
  if (!aggregates.empty()) m.host_aggregate_mb_per_s = MedianOf(aggregates);
  if (!over_bill.empty()) m.overhead_billed_ms = MedianOf(over_bill);
  m.overhead_client_ms = over_client.empty() ? m.overhead_billed_ms : MedianOf(over_client);
  return m;
}

Result<Plan> Predict(const BandwidthModel& model, const PriceSheet& prices, const PlanRequest& req, double memory_mb,
                     int concurrency) {
  if (req.chunk_bytes <= 0 || req.data_bytes <= 0) {
    return Status::InvalidArgument("data and chunk sizes must be positive");
  }
  ASSIGN_OR_RETURN(double mbps, model.MbPerS(memory_mb, concurrency));
  Plan p;
  p.memory_mb = memory_mb;
  p.concurrency = concurrency;
  p.chunks = static_cast<int>(std::ceil(req.data_bytes / req.chunk_bytes - 1e-9));
  p.mb_per_s = mbps;
  auto chunk_ms = [&](double rate, double overhead) { return req.chunk_bytes / 1e6 / rate * 1000 + overhead; };
  p.chunk_client_ms = chunk_ms(mbps, model.overhead_client_ms);
  p.billed_ms = BilledMs(chunk_ms(mbps, model.overhead_billed_ms), req.billing);
  // The pull queue runs in waves of `concurrency` chunks; the last, partial
  // wave has fewer functions sharing the host, each faster.
  int full_waves = p.chunks / concurrency;
  int rest = p.chunks % concurrency;
  double last_client_ms = 0, last_billed_ms = 0;
  if (rest > 0) {
    ASSIGN_OR_RETURN(double rest_mbps, model.MbPerS(memory_mb, rest));
    last_client_ms = chunk_ms(rest_mbps, model.overhead_client_ms);
    last_billed_ms = BilledMs(chunk_ms(rest_mbps, model.overhead_billed_ms), req.billing);
  }
  p.response_s = (full_waves * p.chunk_client_ms + last_client_ms) / 1000;
  double per_chunk_usd = InvocationCost(prices, memory_mb, p.billed_ms, req.arch).total();
  double last_usd = rest > 0 ? InvocationCost(prices, memory_mb, last_billed_ms, req.arch).total() : 0;
  p.cost_usd = full_waves * concurrency * per_chunk_usd + rest * last_usd;
  return p;
}

Result<PlanResult> MakePlan(const BandwidthModel& model, const PriceSheet& prices, const PlanRequest& req) {
  if (req.deadline_s && req.budget_usd) return Status::InvalidArgument("give --deadline or --budget, not both");
  if (req.deadline_s && *req.deadline_s <= 0) return Status::InvalidArgument("the deadline must be positive");
  if (req.budget_usd && *req.budget_usd <= 0) return Status::InvalidArgument("the budget must be positive");
  std::set<double> memories;
  for (const auto& [mem, _] : model.by_memory) memories.insert(mem);
  for (double mem = std::ceil(model.min_memory() / req.memory_step_mb) * req.memory_step_mb; mem <= model.max_memory();
       mem += req.memory_step_mb) {
    memories.insert(mem);
  }
  PlanResult out;
  for (double mem : memories) {
    for (int n = 1; n <= static_cast<int>(model.max_per_host); ++n) {
      if (model.host_memory_mb && n * mem > *model.host_memory_mb) break;
      ASSIGN_OR_RETURN(Plan p, Predict(model, prices, req, mem, n));
      out.candidates.push_back(p);
    }
  }
  std::vector<Plan> by_time = out.candidates;
  std::sort(by_time.begin(), by_time.end(), [](const Plan& a, const Plan& b) {
    return a.response_s != b.response_s ? a.response_s < b.response_s : a.cost_usd < b.cost_usd;
  });
  double best_cost = INFINITY;
  for (const Plan& p : by_time) {
    if (p.cost_usd < best_cost - 1e-15) {
      out.frontier.push_back(p);
      best_cost = p.cost_usd;
    }
  }
  auto describe = [](const Plan& p) {
    return Str(p.memory_mb) + " MB x " + std::to_string(p.concurrency) + " (" + Str(p.response_s) + " s, $" +
           Str(p.cost_usd) + ")";
  };
  if (req.deadline_s) {
    for (const Plan& p : out.frontier) {
      if (p.response_s <= *req.deadline_s && (!out.recommended || p.cost_usd < out.recommended->cost_usd)) {
        out.recommended = p;
      }
    }
    if (!out.recommended) {
      return Status::NotFound("no plan meets the deadline of " + Str(*req.deadline_s) +
                              " s within the measured range; "
                              "the fastest is " +
                              describe(out.frontier.front()));
    }
    out.why = "the cheapest plan that finishes within " + Str(*req.deadline_s) + " s";
  } else if (req.budget_usd) {
    for (const Plan& p : out.frontier) {
      if (p.cost_usd <= *req.budget_usd && (!out.recommended || p.response_s < out.recommended->response_s)) {
        out.recommended = p;
      }
    }
    if (!out.recommended) {
      return Status::NotFound("no plan fits the budget of $" + Str(*req.budget_usd) + "; the cheapest is " +
                              describe(out.frontier.back()));
    }
    out.why = "the fastest plan that costs at most $" + Str(*req.budget_usd);
  }
  return out;
}

Validation LeaveOneOut(const std::vector<CellStats>& cells, const RunInfo& run, const PriceSheet& prices,
                       BillingRule billing) {
  Validation v;
  for (const auto& c : cells) {
    if (!JobCell(c) || !c.priced) continue;
    auto model = FitBandwidthModel(cells, run, c.workload, c.cell_id);
    if (!model.ok()) {
      v.skipped.push_back(c.cell_id + ": " + model.status().message());
      continue;
    }
    PlanRequest req;
    req.data_bytes = *c.job_chunks * *c.job_chunk_bytes;
    req.chunk_bytes = *c.job_chunk_bytes;
    req.billing = billing;
    auto p = Predict(*model, prices, req, c.memory_mb, static_cast<int>(c.per_host));
    if (!p.ok()) {
      v.skipped.push_back(c.cell_id + ": " + p.status().message());
      continue;
    }
    Validation::Row r;
    r.cell_id = c.cell_id;
    r.memory_mb = c.memory_mb;
    r.per_host = static_cast<int>(c.per_host);
    r.measured_s = *c.wall_s;
    r.predicted_s = p->response_s;
    r.measured_usd = c.Usd(billing);
    r.predicted_usd = p->cost_usd;
    r.time_error = r.predicted_s / r.measured_s - 1;
    r.cost_error = r.predicted_usd / r.measured_usd - 1;
    v.rows.push_back(r);
  }
  for (const auto& r : v.rows) {
    v.mean_abs_time_error += std::abs(r.time_error) / v.rows.size();
    v.mean_abs_cost_error += std::abs(r.cost_error) / v.rows.size();
    v.max_abs_time_error = std::max(v.max_abs_time_error, std::abs(r.time_error));
    v.max_abs_cost_error = std::max(v.max_abs_cost_error, std::abs(r.cost_error));
  }
  return v;
}

}  // namespace faasnet::analysis
