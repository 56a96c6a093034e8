// faasnet report / faasnet plan: everything rendered from results directories
// (src/analysis), never from a live region.
#include <cstdio>
#include <iostream>

#include "analysis/planner.h"
#include "analysis/report.h"
#include "base/units.h"
#include "cli/cli.h"
#include "cli/commands.h"

namespace faasnet::cli {

namespace {

struct PriceFlags {
  std::string prices;   // "" = prices/lambda.yaml
  std::string billing;  // "" = the price file's default
};

Result<analysis::PriceSheet> Prices(const PriceFlags& f) {
  return f.prices.empty() ? analysis::LoadDefaultPriceSheet() : analysis::LoadPriceSheet(f.prices);
}

void AddPriceOptions(CLI::App* cmd, PriceFlags* f, const std::string& billing_help) {
  cmd->add_option("--prices", f->prices, "Price file (default: prices/lambda.yaml; docs/formats/prices.md)");
  cmd->add_option("--billing", f->billing, billing_help)->check(CLI::IsMember({"1ms", "100ms"}));
}

struct ReportFlags {
  std::vector<std::string> dirs;
  std::string out;
  PriceFlags price;
};

int Report(const ReportFlags& f) {
  auto prices = Prices(f.price);
  if (!prices.ok()) return Fail(prices.status());
  analysis::ReportOptions o;
  o.dirs = f.dirs;
  o.out_dir = f.out;
  o.prices = *prices;
  if (!f.price.billing.empty()) o.billing = *analysis::ParseBillingRule(f.price.billing);
  auto r = analysis::WriteReport(o);
  if (!r.ok()) return Fail(r.status());
  for (const auto& w : r->warnings) std::cerr << "faasnet: warning: " << w << "\n";
  for (size_t i = 0; i < r->findings.size(); ++i) {
    std::cout << "Findings (" << f.dirs[i] << "):\n";
    for (const auto& fd : r->findings[i]) {
      std::printf("  %-3s %-15s %s\n", fd.id.c_str(), analysis::VerdictName(fd.verdict), fd.claim.c_str());
      std::printf("      %s%s%s\n", fd.measured.empty() ? "" : fd.measured.c_str(), fd.measured.empty() ? "" : " -- ",
                  fd.reason.c_str());
    }
  }
  std::fflush(stdout);
  if (r->validation && !r->validation->rows.empty()) {
    std::printf(
        "Planner held-out error (%zu cells): response time mean %.1f %%, max %.1f %%; cost mean %.1f %%, "
        "max %.1f %%\n",
        r->validation->rows.size(), r->validation->mean_abs_time_error * 100, r->validation->max_abs_time_error * 100,
        r->validation->mean_abs_cost_error * 100, r->validation->max_abs_cost_error * 100);
  }
  std::printf("%zu figures in %.2f s; report: %s\n", r->figures.size(), r->seconds, r->index_html.c_str());
  return kExitOk;
}

struct PlanFlags {
  std::string from;
  std::string data = "1GB";
  std::string chunk = "10MB";
  std::string deadline;
  double budget = 0;
  double memory = 0;
  int concurrency = 0;
  std::string arch = "x86_64";
  std::string workload;
  int frontier_rows = 25;
  PriceFlags price;
};

void PrintPlan(const char* tag, const analysis::Plan& p) {
  std::printf("%-12s %6.0f MB x %-3d  %7.1f MB/s per function  %5.0f ms billed  %8.2f s  $%.6f\n", tag, p.memory_mb,
              p.concurrency, p.mb_per_s, p.billed_ms, p.response_s, p.cost_usd);
}

int Plan(const PlanFlags& f) {
  analysis::PlanRequest req;
  auto data = ParseBytes(f.data);
  if (!data.ok()) return Fail(data.status().WithContext("--data"));
  auto chunk = ParseBytes(f.chunk);
  if (!chunk.ok()) return Fail(chunk.status().WithContext("--chunk"));
  if (*chunk == 0 || *data == 0) return Fail(Status::InvalidArgument("--data and --chunk must be positive"));
  req.data_bytes = static_cast<double>(*data);
  req.chunk_bytes = static_cast<double>(*chunk);
  if (!f.deadline.empty()) {
    auto d = ParseDuration(f.deadline);
    if (!d.ok()) return Fail(d.status().WithContext("--deadline"));
    req.deadline_s = std::chrono::duration<double>(*d).count();
  }
  if (f.budget > 0) req.budget_usd = f.budget;
  req.arch = f.arch == "arm64" ? analysis::Arch::kArm : analysis::Arch::kX86;
  req.billing = analysis::BillingRule::k1ms;
  if (!f.price.billing.empty()) req.billing = *analysis::ParseBillingRule(f.price.billing);
  auto prices = Prices(f.price);
  if (!prices.ok()) return Fail(prices.status());
  auto rs = analysis::ReadResults(f.from);
  if (!rs.ok()) return Fail(rs.status());
  auto cells = analysis::SummarizeCells(*rs, *prices);
  auto model = analysis::FitBandwidthModel(cells, rs->run, f.workload);
  if (!model.ok()) return Fail(model.status().WithContext("cannot plan from " + f.from));
  std::string aggregate = "not bounded by the measurements";
  if (model->host_aggregate_mb_per_s) aggregate = FormatByteRate(*model->host_aggregate_mb_per_s * 1e6);
  std::printf("Model of workload '%s' from %d cells of %s: memory %.0f-%.0f MB, up to %.0f functions per host, host "
              "aggregate %s; f(m) = min(%.4f MB/s per MB x m, %s) x measured residual\n",
              model->workload.c_str(), model->cells_used, f.from.c_str(), model->min_memory(), model->max_memory(),
              model->max_per_host, aggregate.c_str(), model->slope_mb_per_s_per_mb,
              model->ceiling_mb_per_s ? FormatByteRate(*model->ceiling_mb_per_s * 1e6).c_str() : "no ceiling");
  auto v = analysis::LeaveOneOut(cells, rs->run, *prices, req.billing);
  if (v.rows.empty()) {
    std::printf("Held-out validation: no job cell could be held out (%zu skipped)\n", v.skipped.size());
  } else {
    std::printf(
        "Held-out validation (leave one of %zu job cells out): response time error mean %.1f %%, max %.1f "
        "%%; cost error mean %.1f %%, max %.1f %% (target 15 %%)\n",
        v.rows.size(), v.mean_abs_time_error * 100, v.max_abs_time_error * 100, v.mean_abs_cost_error * 100,
        v.max_abs_cost_error * 100);
  }
  std::printf("Job: %s in %s chunks, %s billing, %s\n", FormatBytes(*data).c_str(), FormatBytes(*chunk).c_str(),
              analysis::BillingRuleName(req.billing), f.arch.c_str());
  if (f.memory > 0 || f.concurrency > 0) {
    double mem = f.memory > 0 ? f.memory : model->min_memory();
    auto p = analysis::Predict(*model, *prices, req, mem, f.concurrency > 0 ? f.concurrency : 1);
    if (!p.ok()) return Fail(p.status().WithContext("cannot predict"));
    PrintPlan("prediction", *p);
    return kExitOk;
  }
  auto plan = analysis::MakePlan(*model, *prices, req);
  if (!plan.ok()) return Fail(plan.status());
  std::printf("Pareto frontier (%zu of %zu plans; faster first):\n", plan->frontier.size(), plan->candidates.size());
  const auto& fr = plan->frontier;
  size_t step =
      fr.size() > static_cast<size_t>(f.frontier_rows) ? (fr.size() + f.frontier_rows - 1) / f.frontier_rows : 1;
  for (size_t i = 0; i < fr.size(); i += step) PrintPlan("", fr[i]);
  if (step > 1 && (fr.size() - 1) % step) PrintPlan("", fr.back());
  if (plan->recommended) {
    PrintPlan("recommended", *plan->recommended);
    std::printf("(%s)\n", plan->why.c_str());
  }
  return kExitOk;
}

}  // namespace

void AddReportCommand(CLI::App& app, Action* action) {
  auto* rep = app.add_subcommand("report",
                                 "Render a results directory: CSV, figures (gnuplot), the findings check, "
                                 "the planner and RESULTS_DIR/report/index.html; a second directory is "
                                 "overlaid on the same figures. Exits non-zero only on errors, never on "
                                 "a finding");
  auto f = std::make_shared<ReportFlags>();
  rep->add_option("RESULTS_DIR", f->dirs, "One or two results directories (faasnet run --out)")
      ->required()
      ->expected(1, 2)
      ->check(CLI::ExistingDirectory);
  rep->add_option("--out", f->out, "Report directory (default: RESULTS_DIR/report)");
  AddPriceOptions(rep, &f->price,
                  "Billing rule of the cost figures: 100ms (2019, the paper's) or 1ms (today); "
                  "default: the price file's");
  rep->callback([f, action] { *action = [f] { return Report(*f); }; });

  auto* plan = app.add_subcommand("plan",
                                  "Recommend memory x concurrency for a data-transfer job from measured "
                                  "results: the cheapest within --deadline or the fastest within --budget; "
                                  "prints the Pareto frontier and the model's held-out error");
  auto p = std::make_shared<PlanFlags>();
  plan->add_option("--from", p->from, "Results directory to fit from")->required()->check(CLI::ExistingDirectory);
  plan->add_option("--data", p->data, "Data to move (MB = 10^6 bytes)")->capture_default_str();
  plan->add_option("--chunk", p->chunk, "Chunk per invocation")->capture_default_str();
  auto* deadline = plan->add_option("--deadline", p->deadline, "Response time limit, e.g. 30s");
  plan->add_option("--budget", p->budget, "Cost limit in USD")->excludes(deadline)->check(CLI::PositiveNumber);
  plan->add_option("--memory", p->memory, "Predict this memory size (MB) instead of searching");
  plan->add_option("--concurrency", p->concurrency, "Predict with this many functions per host");
  plan->add_option("--arch", p->arch, "x86_64 or arm64 prices")
      ->check(CLI::IsMember({"x86_64", "arm64"}))
      ->capture_default_str();
  plan->add_option("--workload", p->workload,
                   "Fit from this workload's cells (params.workload, e.g. boto3 or probe; default: the job cells')");
  plan->add_option("--frontier-rows", p->frontier_rows, "Frontier rows to print at most")->capture_default_str();
  AddPriceOptions(plan, &p->price, "Billing rule: 1ms (today, default) or 100ms (2019)");
  plan->callback([p, action] { *action = [p] { return Plan(*p); }; });
}

}  // namespace faasnet::cli
