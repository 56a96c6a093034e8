// make_synthetic_results DIR [local|aws|http] [seed] [paper]: writes a synthetic results
// directory from the known model in synthetic.h (for trying `faasnet report`
// and `faasnet plan` without a run, and for the overlay: two dirs, two kinds).
#include <cstdlib>
#include <iostream>
#include <string>

#include "synthetic.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: make_synthetic_results DIR [local|aws|http] [seed] [paper]\n";
    return 2;
  }
  faasnet::analysis::testing::World w;
  if (argc > 3) w.seed = static_cast<uint32_t>(std::atoi(argv[3]));
  // "paper": the S3 client follows the paper's Fig. 4a medians instead of min(a x memory, cap).
  if (argc > 4 && std::string(argv[4]) == "paper") w.client_table = faasnet::analysis::testing::PaperFig4a();
  faasnet::analysis::testing::WriteSyntheticResults(argv[1], w, {}, argc > 2 ? argv[2] : "local");
  return 0;
}
