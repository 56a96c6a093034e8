#include "suite/results.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace faasnet::suite {
namespace {

TEST(Summarize, InterpolatesPercentilesAndNullsWhenEmpty) {
  auto s = Summarize({4, 1, 3, 2});
  EXPECT_DOUBLE_EQ(s["median"].get<double>(), 2.5);
  EXPECT_DOUBLE_EQ(s["p25"].get<double>(), 1.75);
  EXPECT_DOUBLE_EQ(s["p75"].get<double>(), 3.25);
  EXPECT_DOUBLE_EQ(s["mean"].get<double>(), 2.5);
  EXPECT_TRUE(Summarize({})["median"].is_null());
}

TEST(ResultsWriter, RefusesToOverwriteAndResumesWhatWasDone) {
  auto dir = (std::filesystem::temp_directory_path() / ("faasnet-res-" + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(dir);
  {
    auto w = ResultsWriter::Open(dir, false);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_TRUE((*w)->WriteRun({{"status", "running"}}).ok());
    ASSERT_TRUE((*w)->AppendCell({{"cell_id", "a/b/c"}}).ok());
    ASSERT_TRUE((*w)->AppendInvocation({{"cell_id", "a/b/c"}}).ok());
  }
  auto again = ResultsWriter::Open(dir, false);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("--resume"), std::string::npos);
  auto resumed = ResultsWriter::Open(dir, true);
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ((*resumed)->done_cells().count("a/b/c"), 1u);
  ASSERT_TRUE((*resumed)->AppendInvocation({{"cell_id", "x"}}).ok());
  std::ifstream in(dir + "/invocations.jsonl");
  std::string l1, l2;
  std::getline(in, l1);
  std::getline(in, l2);
  EXPECT_NE(l1.find("a/b/c"), std::string::npos);  // kept
  EXPECT_NE(l2.find("\"x\""), std::string::npos);   // appended
  std::ofstream(dir + "/cells.jsonl", std::ios::app) << "garbage\n";
  auto broken = ResultsWriter::Open(dir, true);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("cells.jsonl: line 2"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace faasnet::suite
