#include "analysis/results.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "synthetic.h"

namespace faasnet::analysis {
namespace {

using testing::TempDir;
using testing::World;

std::string Lines(const std::string& path, size_t first, size_t count) {
  std::string text = testing::ReadFile(path), out;
  size_t line = 0, pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (line >= first && line < first + count) out += text.substr(pos, nl - pos + 1);
    pos = nl + 1;
    ++line;
  }
  return out;
}

TEST(ReadResultsTest, ReadsEveryFileOfASyntheticRun) {
  TempDir tmp;
  World w;
  testing::Selection sel;
  sel.scenarios = {"fig2-iperf-memory", "fig6-colocated-s3"};
  sel.colocated = {1, 4};
  testing::WriteSyntheticResults(tmp.path(), w, sel, "aws");
  auto rs = ReadResults(tmp.path());
  ASSERT_TRUE(rs.ok()) << rs.status().ToString();
  // fig2: 2 directions x memories x reps; fig6: one job of job_chunks per N.
  size_t expected = 2 * sel.memories.size() * w.reps + sel.colocated.size() * w.job_chunks;
  EXPECT_EQ(rs->invocations.size(), expected);
  EXPECT_EQ(rs->cells.size(), 2 * sel.memories.size() + sel.colocated.size());
  EXPECT_FALSE(rs->telemetry.empty());
  EXPECT_EQ(rs->run.platform_kind, "aws");
  EXPECT_EQ(rs->label, "aws " + std::filesystem::path(tmp.path()).filename().string());
  EXPECT_EQ(rs->run.scenarios, sel.scenarios);
  ASSERT_TRUE(rs->run.nic_download_bps.has_value());
  EXPECT_NEAR(*rs->run.nic_download_bps * 0.956 / 8 / 1e6, w.nic_mb_per_s, 1e-9);
  const Invocation& first = rs->invocations.front();
  EXPECT_EQ(first.line, 1u);
  EXPECT_TRUE(first.ok());
  // null fields read as unknown, never as zero.
  EXPECT_FALSE(first.init_duration_ms.has_value());
  EXPECT_FALSE(first.cpu_time_ms.has_value());
  EXPECT_TRUE(first.cpu_throttled_ms.has_value());
  ASSERT_TRUE(first.MbPerS().has_value());
  EXPECT_NEAR(*first.MbPerS(), *first.bytes / *first.elapsed_ms / 1000, 1e-9);
}

TEST(ReadResultsTest, ALabelNamesThePlatformOnce) {
  EXPECT_EQ(RunLabel("aws", "run-20261127"), "aws run-20261127");
  EXPECT_EQ(RunLabel("aws", "aws"), "aws");
  EXPECT_EQ(RunLabel("local", "demo-local"), "demo-local");
  EXPECT_EQ(RunLabel("aws", "run_aws.2"), "run_aws.2");
  EXPECT_EQ(RunLabel("aws", "awsome"), "aws awsome");  // a word, not a substring
  EXPECT_EQ(RunLabel("", "x"), "unknown x");
}

class MalformedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::Selection sel;
    sel.scenarios = {"fig2-iperf-memory"};
    testing::WriteSyntheticResults(tmp_.path(), World{}, sel);
    inv_ = tmp_ / "invocations.jsonl";
  }
  std::string Error() {
    auto rs = ReadResults(tmp_.path());
    return rs.ok() ? "" : rs.status().message();
  }
  TempDir tmp_;
  std::string inv_;
};

TEST_F(MalformedTest, BadJsonInTheMiddleNamesFileAndLine) {
  testing::WriteFile(inv_, Lines(inv_, 0, 2) + "{not json\n" + Lines(inv_, 2, 3));
  EXPECT_EQ(Error(), inv_ + ": line 3: not valid JSON");
}

TEST_F(MalformedTest, AWrongTypeNamesTheField) {
  testing::WriteFile(inv_, Lines(inv_, 0, 1) + R"({"cell_id": "c", "memory_mb": "big"})" + "\n");
  EXPECT_EQ(Error(), inv_ + ": line 2: field 'memory_mb': expected a number, got string");
  testing::WriteFile(inv_, R"({"cell_id": "c", "memory_mb": 128, "result": {"bytes": "x"}})"
                           "\n");
  EXPECT_EQ(Error(), inv_ + ": line 1: field 'result.bytes': expected a number, got string");
  testing::WriteFile(inv_, R"({"memory_mb": 128})"
                           "\n");
  EXPECT_EQ(Error(), inv_ + ": line 1: field 'cell_id' is missing");
  testing::WriteFile(inv_, "[1]\n");
  EXPECT_EQ(Error(), inv_ + ": line 1: expected a JSON object, got array");
}

TEST_F(MalformedTest, AnotherSchemaVersionIsRefused) {
  testing::WriteFile(inv_, R"({"schema_version": 2, "cell_id": "c", "memory_mb": 128})"
                           "\n");
  EXPECT_NE(Error().find("line 1: schema_version 2 is not supported"), std::string::npos) << Error();
}

TEST_F(MalformedTest, AHalfWrittenLastLineIsSkippedWithAWarning) {
  std::string two = Lines(inv_, 0, 2);
  testing::WriteFile(inv_, two + two.substr(0, 40));  // no newline: an interrupted append
  auto rs = ReadResults(tmp_.path());
  ASSERT_TRUE(rs.ok()) << rs.status().ToString();
  EXPECT_EQ(rs->invocations.size(), 2u);
  ASSERT_EQ(rs->warnings.size(), 1u);
  EXPECT_NE(rs->warnings[0].find("line 3: half-written last line skipped"), std::string::npos);
}

TEST_F(MalformedTest, MissingFilesSayWhatIsMissing) {
  std::filesystem::remove(tmp_ / "cells.jsonl");
  auto rs = ReadResults(tmp_.path());
  ASSERT_TRUE(rs.ok());
  EXPECT_EQ(rs->warnings.size(), 1u);
  std::filesystem::remove(tmp_ / "run.json");
  EXPECT_NE(Error().find("run.json: missing"), std::string::npos);
  auto rs2 = ReadResults(tmp_ / "nonexistent");
  EXPECT_EQ(rs2.status().code(), Status::Code::kNotFound);
}

TEST(ParseTest, NullsAndFallbacks) {
  auto inv = ParseInvocation(nlohmann::json::parse(R"({"cell_id": "c", "params": {"memory_mb": 256, "action": "s3-get"},
      "duration_ms": null, "client_ms": 150.5, "billed_duration_ms_1ms": null,
      "result": {"ok": true, "bytes": 1000000, "elapsed_ms": 100}})"),
                             "x");
  ASSERT_TRUE(inv.ok()) << inv.status().ToString();
  EXPECT_EQ(inv->memory_mb, 256);  // from params
  EXPECT_EQ(inv->action, "s3-get");
  EXPECT_FALSE(inv->duration_ms.has_value());
  // No platform duration: bill what the client saw, under each rule.
  EXPECT_EQ(*inv->BilledMs(BillingRule::k1ms), 151);
  EXPECT_EQ(*inv->BilledMs(BillingRule::k100ms), 200);
  EXPECT_DOUBLE_EQ(*inv->MbPerS(), 10.0);
  auto failed =
      ParseInvocation(nlohmann::json::parse(R"({"cell_id": "c", "memory_mb": 128, "error_type": "Timeout"})"), "x");
  ASSERT_TRUE(failed.ok());
  EXPECT_FALSE(failed->ok());
  EXPECT_FALSE(failed->BilledMs(BillingRule::k1ms).has_value());
}

}  // namespace
}  // namespace faasnet::analysis
