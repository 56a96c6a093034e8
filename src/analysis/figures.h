// Figures: the paper's Figures 2-7 and the extension experiments, as data
// (Figure) built from per-cell summaries, then drawn by gnuplot (Debian's
// gnuplot-nox, run as a subprocess) into SVG and PNG.
//
// Selection is by scenario name: fig2-iperf-memory, fig3-chunk-size,
// fig4-memory-s3, fig5-colocated-iperf, fig6-colocated-s3,
// fig7-concurrency-cost mirror the paper (bars with value labels, a line on
// a secondary axis where the paper has one); every other scenario
// (client-comparison, policies, burst, placement, modern-memory, ...) gets a
// generic figure per experiment: x = the swept parameter, y = median MB/s
// with p25-p75 whiskers. Several sources (result directories) overlay on one
// figure: their series are labelled "<RunLabel()>: ..." (results.h).
//
// Rendering writes <id>.dat and <id>.gp into the output directory (so a user
// can re-render or restyle them) and runs `gnuplot <id>.gp` there.
//
// Thread-safety: pure functions, except RenderFigure (writes files, spawns).
#ifndef FAASNET_ANALYSIS_FIGURES_H_
#define FAASNET_ANALYSIS_FIGURES_H_

#include <cmath>
#include <string>
#include <vector>

#include "analysis/cells.h"
#include "base/status.h"

namespace faasnet::analysis {

struct Point {
  double y = NAN;             // NaN: no data at this x
  double lo = NAN, hi = NAN;  // whiskers (p25, p75) when known
};

struct Series {
  std::string label;
  bool line = false;            // false: bars on the left axis; true: a line on the right (y2) axis
  std::string format = "%.3g";  // value labels
  std::vector<Point> points;    // one per Figure::x
};

struct Figure {
  std::string id;  // file stem, e.g. "fig4-memory-s3-download"
  std::string scenario, experiment;
  std::string title, xlabel, ylabel, y2label;
  std::string note;  // written under the plot, e.g. the billing rule of a cost figure
  std::vector<std::string> x;
  std::vector<Series> series;

  bool has_y2() const;
  // True when any series has a value (a scenario whose invocations all failed has none).
  bool has_data() const;
};

// One result directory's cells, labelled for overlays.
struct Source {
  std::string label;
  const std::vector<CellStats>* cells = nullptr;
};

// The figures of every scenario present in `sources`, in scenario order of
// first appearance. With several sources, figures of the same id merge into
// one (series prefixed by the source label, x values united).
std::vector<Figure> BuildFigures(const std::vector<Source>& sources, BillingRule billing);

// The gnuplot data file and script for `f` (script renders `<id>.svg` and
// `<id>.png` in the current directory).
std::string GnuplotData(const Figure& f);
std::string GnuplotScript(const Figure& f);

// Writes <id>.dat/.gp into `dir` and runs `gnuplot` there. Series without
// any value are left out of the plot; a figure without data is InvalidArgument. FailedPrecondition
// (with the package to install) when gnuplot is not in PATH; Internal with
// gnuplot's stderr when it fails.
Status RenderFigure(const Figure& f, const std::string& dir);

// True when `program` is found in PATH (or is an executable path).
bool HaveProgram(const std::string& program);

}  // namespace faasnet::analysis

#endif  // FAASNET_ANALYSIS_FIGURES_H_
