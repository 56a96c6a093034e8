#include "analysis/figures.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/strings.h"
#include "sys/process.h"

namespace faasnet::analysis {

namespace {
bool HasValue(const Series& s) {
  return std::any_of(s.points.begin(), s.points.end(), [](const Point& p) { return !std::isnan(p.y); });
}
}  // namespace

bool Figure::has_y2() const {
  return std::any_of(series.begin(), series.end(), [](const Series& s) { return s.line && HasValue(s); });
}

bool Figure::has_data() const { return std::any_of(series.begin(), series.end(), HasValue); }

namespace {

constexpr const char* kMbps = "bandwidth per function (MB/s, MB = 10^6 bytes)";

// Numeric when every value parses as a number; ordered numerically then.
bool LessX(const std::string& a, const std::string& b) {
  char* ea = nullptr;
  char* eb = nullptr;
  double da = std::strtod(a.c_str(), &ea);
  double db = std::strtod(b.c_str(), &eb);
  bool na = !a.empty() && *ea == '\0', nb = !b.empty() && *eb == '\0';
  if (na && nb) return da < db;
  if (na != nb) return na;
  return a < b;
}

std::string Num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// Cells grouped into x positions by `key(cell)`, and into series by `series(cell)`.
struct Grid {
  std::vector<std::string> x;
  std::vector<std::string> series;
  std::map<std::pair<std::string, std::string>, const CellStats*> at;  // (series, x)
};

template <typename KeyX, typename KeyS>
Grid MakeGrid(const std::vector<const CellStats*>& cells, KeyX key_x, KeyS key_s) {
  Grid g;
  std::set<std::string> xs;
  for (const CellStats* c : cells) {
    std::string x = key_x(*c), s = key_s(*c);
    xs.insert(x);
    if (std::find(g.series.begin(), g.series.end(), s) == g.series.end()) g.series.push_back(s);
    g.at.emplace(std::make_pair(s, x), c);  // the first cell at a point wins (repetitions share a cell)
  }
  g.x.assign(xs.begin(), xs.end());
  std::sort(g.x.begin(), g.x.end(), LessX);
  return g;
}

// One series of `g`: `value(cell)` at each x.
template <typename Value>
Series Column(const Grid& g, const std::string& s, const std::string& label, bool line, Value value) {
  Series out;
  out.label = label;
  out.line = line;
  for (const auto& x : g.x) {
    auto it = g.at.find({s, x});
    out.points.push_back(it == g.at.end() ? Point{} : value(*it->second));
  }
  return out;
}

Point MbpsPoint(const CellStats& c) {
  if (!c.mb_per_s) return {};
  return {c.mb_per_s->median, c.mb_per_s->p25, c.mb_per_s->p75};
}
Point TransferPoint(const CellStats& c) {
  if (!c.transfer_s) return {};
  return {c.transfer_s->median, c.transfer_s->p25, c.transfer_s->p75};
}
Point AggregatePoint(const CellStats& c) { return {c.aggregate_mb_per_s.value_or(NAN)}; }
Point WallPoint(const CellStats& c) { return {c.wall_s.value_or(NAN)}; }

std::string Direction(const CellStats& c) {
  if (!c.direction.empty()) return c.direction == "up" ? "upload" : c.direction == "down" ? "download" : c.direction;
  return c.experiment;
}
std::string MemoryX(const CellStats& c) { return Num(c.memory_mb); }
std::string PerHostX(const CellStats& c) { return Num(c.per_host); }
std::string ChunkX(const CellStats& c) { return c.chunk_mb ? Num(*c.chunk_mb) : c.Param("chunk_mb"); }

// Normalized cost: memory x billed duration relative to the grid's first x.
Series NormalizedCost(const Grid& g, const std::string& s, BillingRule rule) {
  double ref = NAN;
  for (const auto& x : g.x) {
    auto it = g.at.find({s, x});
    if (it != g.at.end() && it->second->priced && it->second->MbMs(rule) > 0) {
      ref = it->second->MbMs(rule);
      break;
    }
  }
  Series out = Column(g, s, std::string("normalized cost, ") + BillingRuleName(rule) + " billing", true,
                      [&](const CellStats& c) { return c.priced ? Point{c.MbMs(rule) / ref} : Point{}; });
  out.format = "%.2f";
  return out;
}

Figure Base(const std::string& id, const std::string& scenario, const std::string& experiment, const std::string& title,
            const std::string& xlabel, const std::string& ylabel, const std::string& y2label = "") {
  Figure f;
  f.id = id;
  f.scenario = scenario;
  f.experiment = experiment;
  f.title = title;
  f.xlabel = xlabel;
  f.ylabel = ylabel;
  f.y2label = y2label;
  return f;
}

std::string CostNote(BillingRule rule) {
  return "normalized cost = sum(memory x billed duration) / the first bar's, " + BillingRuleCaption(rule) +
         "; other rule: " + BillingRuleCaption(rule == BillingRule::k1ms ? BillingRule::k100ms : BillingRule::k1ms);
}

// Bars of `bars` per series plus, for each series, a y2 line of `line`.
template <typename Bars, typename Line>
void BarsAndLine(Figure* f, const Grid& g, Bars bars, const std::string& bar_name, Line line,
                 const std::string& line_name) {
  for (const auto& s : g.series) {
    std::string prefix = g.series.size() > 1 || !s.empty() ? s + ": " : "";
    f->series.push_back(Column(g, s, prefix + bar_name, false, bars));
    f->series.push_back(Column(g, s, prefix + line_name, true, line));
  }
}

std::vector<Figure> Fig2(const std::string& sc, const std::vector<const CellStats*>& cells) {
  Figure f = Base(sc, sc, "", "Fig. 2: iperf3 bandwidth vs memory", "memory (MB)", kMbps);
  Grid g = MakeGrid(cells, MemoryX, Direction);
  f.x = g.x;
  for (const auto& s : g.series) f.series.push_back(Column(g, s, s, false, MbpsPoint));
  return {f};
}

std::vector<Figure> Fig3(const std::string& sc, const std::vector<const CellStats*>& cells) {
  Figure f = Base(sc, sc, "", "Fig. 3: time per chunk and bandwidth vs chunk size", "chunk size (MB)",
                  "time per chunk (s, median, p25-p75)", kMbps);
  Grid g = MakeGrid(cells, ChunkX, Direction);
  f.x = g.x;
  BarsAndLine(&f, g, TransferPoint, "time (s)", MbpsPoint, "MB/s");
  return {f};
}

std::vector<Figure> Fig4(const std::string& sc, const std::vector<const CellStats*>& cells, BillingRule rule) {
  std::vector<Figure> out;
  std::vector<std::string> experiments;
  for (const CellStats* c : cells) {
    if (std::find(experiments.begin(), experiments.end(), c->experiment) == experiments.end())
      experiments.push_back(c->experiment);
  }
  const char* letters[] = {"a", "b", "d", "e", "f", "g"};
  size_t n = 0;
  std::string job_experiment;
  for (const auto& e : experiments) {
    auto sel = cells;
    sel.erase(std::remove_if(sel.begin(), sel.end(), [&](const CellStats* c) { return c->experiment != e; }),
              sel.end());
    Grid g = MakeGrid(sel, MemoryX, [](const CellStats&) { return std::string(); });
    Figure f =
        Base(sc + "-" + e, sc, e,
             "Fig. 4" + std::string(letters[std::min<size_t>(n++, 5)]) + ": S3 " + e + " time and bandwidth vs memory",
             "memory (MB)", "time per 10 MB chunk (s, median, p25-p75)", kMbps);
    f.x = g.x;
    f.series.push_back(Column(g, "", "time (s)", false, TransferPoint));
    f.series.push_back(Column(g, "", "MB/s", true, [](const CellStats& c) { return Point{MbpsPoint(c).y}; }));
    out.push_back(f);
    bool has_job = std::any_of(sel.begin(), sel.end(), [](const CellStats* c) { return c->wall_s.has_value(); });
    if (has_job && (job_experiment.empty() || e == "download")) job_experiment = e;
  }
  if (!job_experiment.empty()) {
    auto sel = cells;
    sel.erase(
        std::remove_if(sel.begin(), sel.end(), [&](const CellStats* c) { return c->experiment != job_experiment; }),
        sel.end());
    Grid g = MakeGrid(sel, MemoryX, [](const CellStats&) { return std::string(); });
    Figure f = Base(sc + "-cost", sc, job_experiment, "Fig. 4c: job response time and normalized cost vs memory",
                    "memory (MB)", "response time of the job (s)", "normalized cost (memory x billed time)");
    f.x = g.x;
    f.series.push_back(Column(g, "", "response time (s)", false, WallPoint));
    f.series.push_back(NormalizedCost(g, "", rule));
    f.series.push_back(NormalizedCost(g, "", rule == BillingRule::k1ms ? BillingRule::k100ms : BillingRule::k1ms));
    f.note = CostNote(rule);
    out.push_back(f);
  }
  return out;
}

std::vector<Figure> Fig5(const std::string& sc, const std::vector<const CellStats*>& cells) {
  Figure f = Base(sc, sc, "", "Fig. 5: co-located functions, iperf3 download", "co-located functions on one host (N)",
                  kMbps, "aggregate bandwidth of the host (MB/s)");
  Grid g = MakeGrid(cells, PerHostX, [](const CellStats&) { return std::string(); });
  f.x = g.x;
  BarsAndLine(&f, g, MbpsPoint, "per function (MB/s)", AggregatePoint, "aggregate (MB/s)");
  return {f};
}

std::vector<Figure> Fig6(const std::string& sc, const std::vector<const CellStats*>& cells) {
  Figure f = Base(sc, sc, "", "Fig. 6: co-located functions, S3 download of the job's chunks",
                  "co-located functions on one host (N)", "download time per chunk (s, median, p25-p75)",
                  "aggregate bandwidth of the host (MB/s)");
  Grid g = MakeGrid(cells, PerHostX, [](const CellStats&) { return std::string(); });
  f.x = g.x;
  BarsAndLine(&f, g, TransferPoint, "download time (s)", AggregatePoint, "aggregate (MB/s)");
  return {f};
}

std::vector<Figure> Fig7(const std::string& sc, const std::vector<const CellStats*>& cells, BillingRule rule) {
  Figure f =
      Base(sc, sc, "", "Fig. 7: concurrency, response time and normalized cost", "concurrent functions on one host (N)",
           "response time of the job (s)", "normalized cost (memory x billed time)");
  Grid g = MakeGrid(cells, PerHostX, [](const CellStats&) { return std::string(); });
  f.x = g.x;
  f.series.push_back(Column(g, "", "response time (s)", false, WallPoint));
  f.series.push_back(NormalizedCost(g, "", rule));
  f.series.push_back(NormalizedCost(g, "", rule == BillingRule::k1ms ? BillingRule::k100ms : BillingRule::k1ms));
  f.note = CostNote(rule);
  return {f};
}

// The parameters that vary across `cells`, most telling first.
std::vector<std::string> Swept(const std::vector<const CellStats*>& cells) {
  std::map<std::string, std::set<std::string>> values;
  for (const CellStats* c : cells) {
    for (auto it = c->params.begin(); it != c->params.end(); ++it) values[it.key()].insert(ParamText(it.value()));
  }
  static const std::vector<std::string> kOrder = {"memory_mb", "chunk_mb", "colocated", "concurrency", "policy",
                                                  "placement", "workload", "action",    "direction",   "profile"};
  std::vector<std::string> out;
  for (const auto& k : kOrder) {
    if (values.count(k) && values[k].size() > 1) out.push_back(k);
  }
  for (const auto& [k, v] : values) {
    if (v.size() > 1 && std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
  }
  return out;
}

std::string XLabel(const std::string& key) {
  if (key == "memory_mb") return "memory (MB)";
  if (key == "chunk_mb") return "chunk size (MB)";
  if (key == "colocated") return "co-located functions on one host (N)";
  if (key == "concurrency") return "concurrent functions (N)";
  return key;
}

std::vector<Figure> Generic(const std::string& sc, const std::vector<const CellStats*>& cells) {
  std::vector<Figure> out;
  std::vector<std::string> experiments;
  for (const CellStats* c : cells) {
    if (std::find(experiments.begin(), experiments.end(), c->experiment) == experiments.end())
      experiments.push_back(c->experiment);
  }
  for (const auto& e : experiments) {
    std::vector<const CellStats*> sel;
    for (const CellStats* c : cells) {
      if (c->experiment == e) sel.push_back(c);
    }
    std::vector<std::string> swept = Swept(sel);
    std::string x_key = swept.empty() ? "cell" : swept[0];
    auto key_x = [&](const CellStats& c) { return swept.empty() ? c.cell_id : c.Param(x_key); };
    auto key_s = [&](const CellStats& c) {
      std::string s;
      for (size_t i = 1; i < swept.size(); ++i) s += (s.empty() ? "" : ", ") + swept[i] + "=" + c.Param(swept[i]);
      return s;
    };
    std::string id = experiments.size() > 1 && !e.empty() ? sc + "-" + e : sc;
    Figure f = Base(id, sc, e, sc + (e.empty() ? "" : " / " + e) + ": bandwidth vs " + XLabel(x_key), XLabel(x_key),
                    std::string(kMbps) + ", median, p25-p75");
    Grid g = MakeGrid(sel, key_x, key_s);
    f.x = g.x;
    bool mixed = std::any_of(sel.begin(), sel.end(), [](const CellStats* c) { return !c->mb_per_s_by_memory.empty(); });
    for (const auto& s : g.series) {
      if (!mixed) {
        f.series.push_back(Column(g, s, s.empty() ? "MB/s" : s, false, MbpsPoint));
        continue;
      }
      // Cells mixing memory sizes (e.g. policies): one series per memory size.
      std::set<double> mems;
      for (const CellStats* c : sel) {
        for (const auto& [m, q] : c->mb_per_s_by_memory) mems.insert(m);
      }
      for (double m : mems) {
        f.series.push_back(
            Column(g, s, (s.empty() ? "" : s + ", ") + Num(m) + " MB functions", false, [m](const CellStats& c) {
              auto it = c.mb_per_s_by_memory.find(m);
              if (it == c.mb_per_s_by_memory.end()) return Point{};
              return Point{it->second.median, it->second.p25, it->second.p75};
            }));
      }
    }
    out.push_back(f);
  }
  return out;
}

std::vector<Figure> ForScenario(const std::string& sc, const std::vector<const CellStats*>& cells, BillingRule rule) {
  if (sc == "fig2-iperf-memory") return Fig2(sc, cells);
  if (sc == "fig3-chunk-size") return Fig3(sc, cells);
  if (sc == "fig4-memory-s3") return Fig4(sc, cells, rule);
  if (sc == "fig5-colocated-iperf") return Fig5(sc, cells);
  if (sc == "fig6-colocated-s3") return Fig6(sc, cells);
  if (sc == "fig7-concurrency-cost") return Fig7(sc, cells, rule);
  return Generic(sc, cells);
}

// Adds `add`'s series to `into`, on the union of both x axes.
void Merge(Figure* into, const Figure& add, const std::string& into_label, const std::string& add_label,
           bool first_merge) {
  std::vector<std::string> xs = into->x;
  for (const auto& x : add.x) {
    if (std::find(xs.begin(), xs.end(), x) == xs.end()) xs.push_back(x);
  }
  std::sort(xs.begin(), xs.end(), LessX);
  auto remap = [&](const Series& s, const std::vector<std::string>& from) {
    Series r = s;
    r.points.assign(xs.size(), Point{});
    for (size_t i = 0; i < from.size(); ++i) {
      r.points[std::find(xs.begin(), xs.end(), from[i]) - xs.begin()] = s.points[i];
    }
    return r;
  };
  std::vector<Series> merged;
  for (const auto& s : into->series) {
    Series r = remap(s, into->x);
    if (first_merge) r.label = into_label + ": " + r.label;
    merged.push_back(r);
  }
  for (const auto& s : add.series) {
    Series r = remap(s, add.x);
    r.label = add_label + ": " + r.label;
    merged.push_back(r);
  }
  into->x = xs;
  into->series = merged;
}

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string Fmt(double v) {
  if (std::isnan(v)) return "NaN";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::vector<Figure> BuildFigures(const std::vector<Source>& sources, BillingRule billing) {
  std::vector<Figure> out;
  std::map<std::string, size_t> index;
  std::map<std::string, int> merges;
  for (const auto& src : sources) {
    std::vector<std::string> scenarios;
    for (const auto& c : *src.cells) {
      if (std::find(scenarios.begin(), scenarios.end(), c.scenario) == scenarios.end()) scenarios.push_back(c.scenario);
    }
    for (const auto& sc : scenarios) {
      for (Figure& f : ForScenario(sc, Select(*src.cells, sc), billing)) {
        auto it = index.find(f.id);
        if (it == index.end()) {
          index[f.id] = out.size();
          out.push_back(std::move(f));
          continue;
        }
        Merge(&out[it->second], f, sources[0].label, src.label, merges[f.id]++ == 0);
      }
    }
  }
  // A figure present in only one of several sources still names its source.
  if (sources.size() > 1) {
    for (auto& f : out) {
      if (merges[f.id] == 0) {
        for (auto& s : f.series) s.label = sources[0].label + ": " + s.label;
      }
    }
  }
  return out;
}

std::string GnuplotData(const Figure& f) {
  std::string out = "# " + f.title + "\n# x";
  for (const auto& s : f.series) out += " | " + s.label + " (y lo hi)";
  out += "\n";
  for (size_t i = 0; i < f.x.size(); ++i) {
    out += Quote(f.x[i]);
    for (const auto& s : f.series) {
      const Point& p = s.points[i];
      out += " " + Fmt(p.y) + " " + Fmt(p.lo) + " " + Fmt(p.hi);
    }
    out += "\n";
  }
  return out;
}

std::string GnuplotScript(const Figure& f) {
  std::ostringstream gp;
  size_t bars = std::count_if(f.series.begin(), f.series.end(), [](const Series& s) { return !s.line; });
  double group = 0.8, width = bars ? group / bars : group;
  gp << "# " << f.title << " (faasnet report; data in " << f.id << ".dat)\n"
     << "set terminal svg size 900,520 dynamic noenhanced font 'DejaVu Sans,11' background rgb 'white'\n"
     << "set output '" << f.id << ".svg'\n"
     << "set datafile missing 'NaN'\n"
     << "set title " << Quote(f.title) << "\n"
     << "set xlabel " << Quote(f.xlabel) << "\n"
     << "set ylabel " << Quote(f.ylabel) << "\n"
     << "set yrange [0:*]\nset xrange [-0.6:" << (f.x.size() ? f.x.size() - 0.4 : 0.6) << "]\n"
     << "set style fill solid 0.75 border -1\nset boxwidth " << width * 0.95 << "\n"
     << "set key outside top center horizontal Left reverse\nset grid ytics\n";
  if (f.has_y2()) {
    gp << "set y2label " << Quote(f.y2label) << "\nset y2range [0:*]\nset ytics nomirror\nset y2tics\n";
  }
  if (!f.note.empty()) gp << "set bmargin 5\nset label 1 " << Quote(f.note) << " at screen 0.01,0.02 left font ',9'\n";
  // Tic labels centred under each group of bars.
  gp << "set xtics (";
  for (size_t i = 0; i < f.x.size(); ++i) gp << (i ? ", " : "") << Quote(f.x[i]) << " " << i;
  gp << ")\n";
  gp << "plot \\\n";
  std::vector<std::string> parts;
  size_t k = 0, lines = 0;
  for (size_t i = 0; i < f.series.size(); ++i) {
    const Series& s = f.series[i];
    if (!HasValue(s)) continue;  // gnuplot refuses a plot whose points are all undefined
    size_t col = 2 + 3 * i;
    std::string c = std::to_string(col), lo = std::to_string(col + 1), hi = std::to_string(col + 2);
    std::string lt = std::to_string(i + 1);
    if (!s.line) {
      double off = -group / 2 + width * (k++ + 0.5);
      std::string x = "($0+(" + Fmt(off) + "))";
      parts.push_back("  '" + f.id + ".dat' using " + x + ":" + c + " with boxes lt " + lt + " title " +
                      Quote(s.label));
      bool whiskers = std::any_of(s.points.begin(), s.points.end(), [](const Point& p) { return !std::isnan(p.lo); });
      if (whiskers) {
        parts.push_back("  '' using " + x + ":" + c + ":" + lo + ":" + hi +
                        " with yerrorbars lc rgb 'black' pt 7 ps 0 notitle");
      }
      parts.push_back("  '' using " + x + ":" + c + ":(sprintf('" + s.format + "',$" + c +
                      ")) with labels offset 0,0.6 font ',8' notitle");
    } else {
      parts.push_back("  '" + f.id + ".dat' using 0:" + c + " axes x1y2 with linespoints lw 2 pt 7 lt " + lt +
                      " title " + Quote(s.label));
      parts.push_back("  '' using 0:" + c + ":(sprintf('" + s.format + "',$" + c +
                      ")) axes x1y2 with labels offset 0," + (lines++ % 2 ? "-0.9" : "0.9") + " font ',8' tc lt " + lt +
                      " notitle");
    }
  }
  for (size_t i = 0; i < parts.size(); ++i) gp << parts[i] << (i + 1 < parts.size() ? ", \\\n" : "\n");
  gp << "set terminal pngcairo size 900,520 noenhanced font 'DejaVu Sans,10' background rgb 'white'\n"
     << "set output '" << f.id << ".png'\nreplot\nunset output\n";
  return gp.str();
}

bool HaveProgram(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  for (auto dir : Split(path ? path : "/usr/bin:/bin", ':')) {
    std::string p = std::string(dir) + "/" + program;
    if (::access(p.c_str(), X_OK) == 0) return true;
  }
  return false;
}

Status RenderFigure(const Figure& f, const std::string& dir) {
  namespace fs = std::filesystem;
  if (!f.has_data()) return Status::InvalidArgument("figure " + f.id + ": no data to draw");
  if (!HaveProgram("gnuplot")) {
    return Status::FailedPrecondition(
        "gnuplot not found in PATH: install it (apt-get install gnuplot-nox, or "
        "scripts/setup)");
  }
  for (const auto& [ext, text] : {std::pair{".dat", GnuplotData(f)}, std::pair{".gp", GnuplotScript(f)}}) {
    std::string path = (fs::path(dir) / (f.id + ext)).string();
    std::ofstream out(path);
    out << text;
    if (!out.flush()) return Status::IoError("write " + path);
  }
  sys::SpawnOptions o;
  o.argv = {"gnuplot", f.id + ".gp"};
  o.cwd = dir;
  o.inherit_env = true;
  o.stderr_path = (fs::path(dir) / (f.id + ".gnuplot.log")).string();
  ASSIGN_OR_RETURN(sys::Process p, sys::Process::Spawn(o));
  auto waited = p.Wait(std::chrono::milliseconds(60000));
  if (!waited.ok()) return waited.status();
  if (!*waited) {
    (void)p.KillAndWait();
    return Status::Timeout("gnuplot " + f.id + ".gp: no result after 60 s");
  }
  std::ifstream log(o.stderr_path);
  std::stringstream ss;
  ss << log.rdbuf();
  if (!(*waited)->success()) {
    return Status::Internal("gnuplot " + (fs::path(dir) / (f.id + ".gp")).string() + " " + (*waited)->ToString() +
                            ": " + ss.str());
  }
  if (ss.str().empty()) fs::remove(o.stderr_path);
  return Status::Ok();
}

}  // namespace faasnet::analysis
