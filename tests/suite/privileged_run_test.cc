// The runner on the fully isolated region (root): sandboxes, the shaped host
// NIC of `lambda-2019` and the store over https (store.tls), with the probe
// and the boto3 workload; nothing of the region is left afterwards.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sys/privileged.h"
#include "suite/local_platform.h"
#include "suite/runner.h"

namespace faasnet::suite {
namespace {

namespace fs = std::filesystem;

TEST(PrivilegedRun, LambdaProfileShapesAndServesTheStoreOverHttps) {
  FAASNET_REQUIRE_ROOT();
  fs::path base = fs::path("/var/tmp") / ("faasnet-suite-ptest-" + std::to_string(::getpid()));
  fs::remove_all(base);
  fs::create_directories(base / "region");
  LocalOptions o;
  o.base.isolation = region::Isolation::kFull;
  o.base.name = "sp" + std::to_string(::getpid() % 100000);
  o.work_dir = (base / "region").string();
  o.python_bootstrap = FAASNET_PYTHON_BOOTSTRAP;
  o.probe_dir = FAASNET_PROBE_DIR;
  o.boto3_dir = FAASNET_BOTO3_DIR;
  o.iperf_base_port = 26201;
  auto s = Scenario::FromYaml(R"(
name: p
experiments:
  - name: get
    workload: [probe, boto3]
    action: s3-get
    chunk_mb: 5
    chunks: 2
    memory_mb: 256
    profile: lambda-2019
)",
                              Size::kQuick, "p.yaml");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::string out = (base / "results").string();
  {
    LocalPlatform platform(o);
    auto w = ResultsWriter::Open(out, false);
    ASSERT_TRUE(w.ok());
    auto sum = suite::Run({*s}, platform, **w, RunOptions{});
    ASSERT_TRUE(sum.ok()) << sum.status().ToString();
    EXPECT_EQ(sum->cells_run, 2);
    EXPECT_EQ(sum->errors, 0);
  }
  std::ifstream in(out + "/invocations.jsonl");
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) {
    auto r = nlohmann::json::parse(line);
    ++rows;
    EXPECT_EQ(r["error_type"], "") << line;
    EXPECT_EQ(r["result"]["bytes"], 5000000);
    EXPECT_EQ(r["result"]["endpoint"].get<std::string>().rfind("https://", 0), 0u) << r["result"]["endpoint"];
    EXPECT_EQ(r["params"]["policy"], "shared");
    // Shaped to lambda-2019's ~70 MB/s host NIC: never faster (5 MB in no less than ~70 ms).
    EXPECT_LT(r["result"]["mb_per_s"].get<double>(), 75.0);
    EXPECT_GE(r["net_rx_bytes"].get<double>(), 5000000.0);  // the sandbox's own interface saw the object
  }
  EXPECT_EQ(rows, 4);
  // The region is gone: no namespace of it is left.
  std::string ns_prefix = "faasnet-" + o.base.name + "-";
  for (const auto& e : fs::directory_iterator("/run/netns"))
    EXPECT_NE(e.path().filename().string().rfind(ns_prefix, 0), 0u) << e.path();
  fs::remove_all(base);
}

}  // namespace
}  // namespace faasnet::suite
