#include "analysis/report.h"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "analysis/csv.h"
#include "base/strings.h"

namespace faasnet::analysis {

namespace fs = std::filesystem;

std::string HtmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

constexpr const char* kStyle = R"(
body{font-family:system-ui,sans-serif;max-width:1100px;margin:1em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}td,th{border:1px solid #ccc;padding:.25em .5em;vertical-align:top}
th{background:#f3f3f3;text-align:left}figure{margin:1.5em 0;border-top:1px solid #ddd;padding-top:.5em}
img.figure{max-width:100%;height:auto}.reproduced{background:#dff5df}.not-reproduced{background:#fbdede}
.not-measured{background:#eee}.note{color:#555;font-size:.9em}code{background:#f6f6f6;padding:0 .2em}
)";

// Verifies offline that every figure decoded; the report test reads the result from the DOM.
constexpr const char* kCheckScript = R"(
window.addEventListener('load', function () {
  var imgs = document.querySelectorAll('img.figure'), ok = 0;
  for (var i = 0; i < imgs.length; i++) if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++;
  document.body.setAttribute('data-figures-loaded', String(ok));
});
)";

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out.flush()) return Status::IoError("write " + path);
  return Status::Ok();
}

std::string Num(double v, const char* fmt = "%.4g") {
  if (std::isnan(v)) return "";
  char buf[48];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string Row(const std::vector<std::string>& cells, const char* tag = "td") {
  std::string out = "<tr>";
  for (const auto& c : cells) out += std::string("<") + tag + ">" + c + "</" + tag + ">";
  return out + "</tr>\n";
}

std::string JsonText(const nlohmann::json& j, const char* path) {
  const nlohmann::json* cur = &j;
  for (auto part : Split(path, '.')) {
    if (!cur->is_object() || !cur->contains(std::string(part))) return "";
    cur = &(*cur)[std::string(part)];
  }
  if (cur->is_null()) return "";
  return cur->is_string() ? cur->get<std::string>() : cur->dump();
}

std::string Context(const ResultSet& rs) {
  const nlohmann::json& r = rs.run.raw;
  std::string out =
      "<h3>" + HtmlEscape(rs.label) + " <span class=note>(" + HtmlEscape(rs.dir) + ")</span></h3>\n<table>\n";
  const std::pair<const char*, const char*> rows[] = {
      {"status", "status"},
      {"faasnet", "faasnet_version"},
      {"git commit", "git_commit"},
      {"size", "size"},
      {"platform", "platform.kind"},
      {"endpoint", "platform.endpoint"},
      {"isolation", "platform.isolation"},
      {"oversubscribed", "platform.oversubscribed"},
      {"CPU policy", "platform.cpu_policy"},
      {"network profile", "platform.network_profile.name"},
      {"NIC download (bit/s)", "platform.network_profile.nic_download_bps"},
      {"hosts", "platform.hosts"},
      {"machine CPUs", "machine.cpus"},
      {"CPU model", "machine.cpu_model"},
      {"kernel", "machine.kernel"},
      {"started (unix ms)", "started_unix_ms"},
      {"finished (unix ms)", "finished_unix_ms"}};
  for (const auto& [name, path] : rows) out += Row({name, HtmlEscape(JsonText(r, path))});
  std::string scenarios;
  for (const auto& s : rs.run.scenarios) scenarios += (scenarios.empty() ? "" : ", ") + s;
  out += Row({"scenarios", HtmlEscape(scenarios)});
  out += Row({"records", std::to_string(rs.invocations.size()) + " invocations, " + std::to_string(rs.cells.size()) +
                             " cells, " + std::to_string(rs.telemetry.size()) + " telemetry samples"});
  out += "</table>\n";
  for (const auto& w : rs.warnings) out += "<p class=note>warning: " + HtmlEscape(w) + "</p>\n";
  return out;
}

std::string VerdictClass(Verdict v) {
  std::string s = VerdictName(v);
  for (char& c : s) c = c == ' ' ? '-' : c;
  return s;
}

std::string FindingsTable(const std::vector<Finding>& findings) {
  std::string out =
      "<table class=findings>\n" + Row({"", "finding", "criterion", "paper", "this run", "verdict", "why"}, "th");
  for (const auto& f : findings) {
    out += "<tr class=\"" + VerdictClass(f.verdict) + "\"><td>" + f.id + "</td><td>" + HtmlEscape(f.claim) +
           "</td><td>" + HtmlEscape(f.criterion) + "</td><td>" + HtmlEscape(f.paper) + "</td><td>" +
           HtmlEscape(f.measured) + "</td><td><b>" + VerdictName(f.verdict) + "</b></td><td>" + HtmlEscape(f.reason) +
           "</td></tr>\n";
  }
  return out + "</table>\n";
}

std::string FigureTable(const Figure& f) {
  std::vector<std::string> head = {HtmlEscape(f.xlabel)};
  for (const auto& s : f.series) head.push_back(HtmlEscape(s.label) + (s.line ? " (right axis)" : ""));
  std::string out = "<table>\n" + Row(head, "th");
  for (size_t i = 0; i < f.x.size(); ++i) {
    std::vector<std::string> row = {HtmlEscape(f.x[i])};
    for (const auto& s : f.series) {
      const Point& p = s.points[i];
      std::string cell = Num(p.y);
      if (!std::isnan(p.lo)) cell += " <span class=note>[" + Num(p.lo) + ", " + Num(p.hi) + "]</span>";
      row.push_back(cell);
    }
    out += Row(row);
  }
  return out + "</table>\n";
}

Result<std::string> FigureHtml(const Figure& f, const std::string& dir) {
  ASSIGN_OR_RETURN(std::string svg, ReadTextFile((fs::path(dir) / (f.id + ".svg")).string()));
  std::string out = "<figure id=\"fig-" + HtmlEscape(f.id) + "\">\n<img class=figure alt=\"" + HtmlEscape(f.title) +
                    "\" src=\"data:image/svg+xml;base64," + Base64Encode(svg) + "\">\n<figcaption><b>" +
                    HtmlEscape(f.title) + "</b>";
  if (!f.note.empty()) out += "<br><span class=note>" + HtmlEscape(f.note) + "</span>";
  out += "<br><span class=note>files: ";
  for (const char* ext : {".svg", ".png", ".dat", ".gp"}) {
    out += "<a href=\"" + HtmlEscape(f.id + ext) + "\">" + HtmlEscape(f.id + ext) + "</a> ";
  }
  out += "(medians; [p25, p75] where shown)</span></figcaption>\n" + FigureTable(f) + "</figure>\n";
  return out;
}

// The planner section of the first directory: fit, validation, frontier figure.
Result<std::string> PlannerHtml(const ResultSet& rs, const std::vector<CellStats>& cells, const ReportOptions& o,
                                const std::string& dir, ReportOutcome* outcome) {
  std::string out = "<h2 id=planner>Planner</h2>\n";
  auto model = FitBandwidthModel(cells, rs.run);
  if (!model.ok()) {
    return out + "<p>Not available for " + HtmlEscape(rs.label) + ": " + HtmlEscape(model.status().message()) +
           "</p>\n";
  }
  out += "<p>Model bandwidth(m, n) = min(f(m), A/n) from " + std::to_string(model->cells_used) +
         " S3 download cells of workload '" + HtmlEscape(model->workload) + "': f over " + Num(model->min_memory()) +
         "-" + Num(model->max_memory()) + " MB (";
  for (const auto& [m, b] : model->by_memory) out += Num(m) + " MB: " + Num(b, "%.1f") + " MB/s; ";
  out += "), A = " +
         (model->host_aggregate_mb_per_s ? Num(*model->host_aggregate_mb_per_s, "%.1f") + " MB/s"
                                         : std::string("unbounded (no shared-link-bound cell)")) +
         ", up to " + Num(model->max_per_host) + " functions per host, overhead " +
         Num(model->overhead_billed_ms, "%.0f") + " ms billed / " + Num(model->overhead_client_ms, "%.0f") +
         " ms seen by the client per invocation. A plan's functions share one host (as in Figs 6-7); spreading a job "
         "over hosts is not modelled.</p>\n";
  Validation v = LeaveOneOut(cells, rs.run, o.prices, BillingRule::k1ms);
  outcome->validation = v;
  out += "<h3>Held-out validation (leave one cell out, 1 ms billing)</h3>\n";
  if (v.rows.empty()) {
    out += "<p>No job cell could be held out and predicted.</p>\n";
  } else {
    out += "<p>Response time error: mean " + Num(v.mean_abs_time_error * 100, "%.1f") + " %, max " +
           Num(v.max_abs_time_error * 100, "%.1f") + " %; cost error: mean " +
           Num(v.mean_abs_cost_error * 100, "%.1f") + " %, max " + Num(v.max_abs_cost_error * 100, "%.1f") +
           " % (target: within 15 %).</p>\n<table>\n" +
           Row({"cell", "memory (MB)", "per host", "measured (s)", "predicted (s)", "error", "measured (USD)",
                "predicted (USD)", "error"},
               "th");
    for (const auto& r : v.rows) {
      out += Row({HtmlEscape(r.cell_id), Num(r.memory_mb), std::to_string(r.per_host), Num(r.measured_s),
                  Num(r.predicted_s), Num(r.time_error * 100, "%+.1f%%"), Num(r.measured_usd), Num(r.predicted_usd),
                  Num(r.cost_error * 100, "%+.1f%%")});
    }
    out += "</table>\n";
  }
  for (const auto& s : v.skipped) out += "<p class=note>not predicted: " + HtmlEscape(s) + "</p>\n";
  PlanRequest req;
  req.data_bytes = o.plan_data_bytes;
  req.chunk_bytes = o.plan_chunk_bytes;
  auto plan = MakePlan(*model, o.prices, req);
  if (!plan.ok()) return out + "<p>No plan: " + HtmlEscape(plan.status().message()) + "</p>\n";
  Figure f;
  f.id = "planner-frontier";
  f.title = "Planner: Pareto frontier for " + Num(o.plan_data_bytes / 1e6, "%.0f") + " MB in " +
            Num(o.plan_chunk_bytes / 1e6, "%.0f") + " MB chunks";
  f.xlabel = "plan (memory MB x functions)";
  f.ylabel = "predicted response time (s)";
  f.y2label = "predicted cost (USD)";
  f.note = "cost: " + BillingRuleCaption(BillingRule::k1ms) + ", " + o.prices.name + " x86 prices";
  Series time{"response time (s)", false, "%.3g", {}}, cost{"cost (USD)", true, "%.3g", {}};
  const auto& fr = plan->frontier;
  size_t step = fr.size() > 16 ? (fr.size() + 15) / 16 : 1;
  for (size_t i = 0; i < fr.size(); i += step) {
    size_t k = i + step >= fr.size() ? fr.size() - 1 : i;  // always end on the cheapest
    f.x.push_back(Num(fr[k].memory_mb, "%.0f") + "x" + std::to_string(fr[k].concurrency));
    time.points.push_back({fr[k].response_s});
    cost.points.push_back({fr[k].cost_usd});
    if (k == fr.size() - 1) break;
  }
  f.series = {time, cost};
  RETURN_IF_ERROR(RenderFigure(f, dir));
  outcome->figures.push_back(f);
  ASSIGN_OR_RETURN(std::string fig, FigureHtml(f, dir));
  std::string csv = "memory_mb,concurrency,chunks,mb_per_s,billed_ms,response_s,cost_usd\n";
  for (const auto& p : fr) {
    csv += Num(p.memory_mb, "%.0f") + "," + std::to_string(p.concurrency) + "," + std::to_string(p.chunks) + "," +
           Num(p.mb_per_s) + "," + Num(p.billed_ms, "%.0f") + "," + Num(p.response_s) + "," + Num(p.cost_usd, "%.6g") +
           "\n";
  }
  RETURN_IF_ERROR(WriteText((fs::path(dir) / "planner-frontier.csv").string(), csv));
  return out + "<p>" + std::to_string(plan->candidates.size()) + " candidate plans, " + std::to_string(fr.size()) +
         " on the frontier (<a href=\"planner-frontier.csv\">planner-frontier.csv</a>). " +
         "<code>faasnet plan --data 1GB --chunk 10MB --deadline 30s --from DIR</code> picks one.</p>\n" + fig;
}

}  // namespace

Result<ReportOutcome> WriteReport(const ReportOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  if (o.dirs.empty() || o.dirs.size() > 2) return Status::InvalidArgument("give one or two results directories");
  ReportOutcome outcome;
  outcome.out_dir = o.out_dir.empty() ? (fs::path(o.dirs[0]) / "report").string() : o.out_dir;
  BillingRule billing = o.billing.value_or(o.prices.default_billing);
  std::vector<ResultSet> sets;
  for (const auto& d : o.dirs) {
    ASSIGN_OR_RETURN(ResultSet rs, ReadResults(d));
    for (const auto& w : rs.warnings) outcome.warnings.push_back(w);
    sets.push_back(std::move(rs));
  }
  if (sets.size() == 2 && sets[0].label == sets[1].label) sets[1].label += " (2)";
  std::error_code ec;
  fs::create_directories(outcome.out_dir, ec);
  if (ec) return Status::FromErrno(ec.value(), "create report directory", outcome.out_dir);

  std::vector<std::vector<CellStats>> cells;
  for (const auto& rs : sets) cells.push_back(SummarizeCells(rs, o.prices));
  std::string csv_links;
  for (size_t i = 0; i < sets.size(); ++i) {
    std::string prefix = i == 0 ? "" : fs::path(sets[i].dir).lexically_normal().filename().string() + "-";
    RETURN_IF_ERROR(
        WriteText((fs::path(outcome.out_dir) / (prefix + "invocations.csv")).string(), InvocationsCsv(sets[i])));
    RETURN_IF_ERROR(WriteText((fs::path(outcome.out_dir) / (prefix + "cells.csv")).string(), CellsCsv(cells[i])));
    csv_links += "<li>" + HtmlEscape(sets[i].label) + ": <a href=\"" + HtmlEscape(prefix) + "invocations.csv\">" +
                 HtmlEscape(prefix) + "invocations.csv</a> (one row per invocation), <a href=\"" + HtmlEscape(prefix) +
                 "cells.csv\">" + HtmlEscape(prefix) + "cells.csv</a> (one row per cell)</li>\n";
    outcome.findings.push_back(CheckFindings(cells[i], sets[i].run));
  }

  std::vector<Source> sources;
  for (size_t i = 0; i < sets.size(); ++i) sources.push_back({sets[i].label, &cells[i]});
  std::string figures_html;
  for (Figure& f : BuildFigures(sources, billing)) {
    if (!f.has_data()) {
      std::string why = "figure " + f.id + ": no successful invocation with the measured values, not drawn";
      outcome.warnings.push_back(why);
      figures_html += "<figure id=\"fig-" + HtmlEscape(f.id) + "\"><p><b>" + HtmlEscape(f.title) +
                      "</b>: " + HtmlEscape(why) + "</p></figure>\n";
      continue;
    }
    RETURN_IF_ERROR(RenderFigure(f, outcome.out_dir));
    ASSIGN_OR_RETURN(std::string html, FigureHtml(f, outcome.out_dir));
    figures_html += html;
    outcome.figures.push_back(std::move(f));
  }
  ASSIGN_OR_RETURN(std::string planner, PlannerHtml(sets[0], cells[0], o, outcome.out_dir, &outcome));

  std::time_t now = std::time(nullptr);
  char when[64];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&now));
  std::string html = "<!doctype html>\n<html lang=en><head><meta charset=utf-8><title>faasnet report</title><style>" +
                     std::string(kStyle) + "</style></head>\n<body data-figures-expected=\"" +
                     std::to_string(outcome.figures.size()) + "\">\n<h1>faasnet report</h1>\n<p>Generated " + when +
                     " by faasnet " + FAASNET_VERSION + " from ";
  for (size_t i = 0; i < sets.size(); ++i)
    html += (i ? " and " : "") + ("<code>" + HtmlEscape(sets[i].dir) + "</code>");
  html +=
      ". MB = 10<sup>6</sup> bytes; medians across invocations with p25-p75 whiskers; cost figures say their "
      "billing rule. Prices: " +
      HtmlEscape(o.prices.name) + " (x86 $" + Num(o.prices.gb_second_usd_x86, "%.10g") + "/GB-s, $" +
      Num(o.prices.request_usd_per_million, "%.3g") + "/1M requests, free tier " + (o.prices.free_tier ? "on" : "off") +
      ").</p>\n" +
      "<p><a href=#context>run context</a> · <a href=#findings>findings</a> · <a href=#figures>figures</a> · "
      "<a href=#planner>planner</a> · <a href=#data>data</a></p>\n<h2 id=context>Run context</h2>\n";
  for (const auto& rs : sets) html += Context(rs);
  html +=
      "<h2 id=findings>Findings check</h2>\n<p>Each finding of the paper (F1-F7) and F8 with its criterion, "
      "evaluated on these results. A finding that does not reproduce is a result, not an error.</p>\n";
  for (size_t i = 0; i < sets.size(); ++i) {
    if (sets.size() > 1) html += "<h3>" + HtmlEscape(sets[i].label) + "</h3>\n";
    html += FindingsTable(outcome.findings[i]);
  }
  html += "<h2 id=figures>Figures</h2>\n" + figures_html + planner + "<h2 id=data>Data</h2>\n<ul>\n" + csv_links +
          "</ul>\n<p class=note>Every figure's data (.dat) and gnuplot script (.gp) sit beside this file; "
          "<code>gnuplot NAME.gp</code> re-renders one.</p>\n<script>" +
          kCheckScript + "</script>\n</body></html>\n";
  outcome.index_html = (fs::path(outcome.out_dir) / "index.html").string();
  RETURN_IF_ERROR(WriteText(outcome.index_html, html));
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return outcome;
}

}  // namespace faasnet::analysis
