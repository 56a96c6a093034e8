// workload/probe.h on a fake environment: ids, cgroup and host key, netdev and CPU deltas, events
// that cannot run (function errors), and a transfer that fails (an ok:false response). S3 transfers
// against a real store and iperf against iperf3 -s: tests/clients/test_workloads.py.
#include "workload/probe.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>

namespace faasnet::workload {
namespace {

using nlohmann::json;

// Variables and files from maps; /proc/net/dev's counters grow by 1000/500 bytes per read and the
// CPU time by 2/1 ms per call, so deltas are known.
class FakeEnv : public Environment {
 public:
  std::map<std::string, std::string, std::less<>> vars;
  std::map<std::string, std::string, std::less<>> files;
  bool netdev = true;
  mutable int netdev_reads = 0;
  mutable int cpu_calls = 0;

  std::optional<std::string> GetEnv(std::string_view name) const override {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  }
  Result<std::string> ReadFile(const std::string& path) const override {
    if (path == "/proc/net/dev" && netdev) {
      const int n = netdev_reads++;
      return "h\nh\n lo: 9 9 0 0 0 0 0 0 9 9 0 0 0 0 0 0\n eth0: " + std::to_string(5000 + 1000 * n) +
             " 1 0 0 0 0 0 0 " + std::to_string(7000 + 500 * n) + " 1 0 0 0 0 0 0\n";
    }
    auto it = files.find(path);
    if (it == files.end()) return Status::NotFound("open " + path + ": No such file or directory");
    return it->second;
  }
  CpuUsage Cpu() const override {
    const int n = cpu_calls++;
    return {10.0 + 2.0 * n, 5.0 + 1.0 * n};
  }
};

json Handle(Probe& probe, std::string_view event) {
  auto r = probe.Handle(event);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? json::parse(*r) : json();
}

TEST(WorkloadProbe, HostIdReportsCgroupPaperKeyAndFaasnetIds) {
  FakeEnv env;
  env.vars = {{"FAASNET_HOST_ID", "h1"}, {"FAASNET_SANDBOX_ID", "s4"}};
  env.files["/proc/self/cgroup"] = "5:cpu:/faasnet/r/h1/s4\n4:memory:/faasnet/r/h1/s4\n0::/\n";
  Probe probe(env);
  json j = Handle(probe, R"({"action":"host-id"})");
  EXPECT_EQ(j["action"], "host-id");
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["ids"]["host_id"], "h1");
  EXPECT_EQ(j["ids"]["sandbox_id"], "s4");
  EXPECT_EQ(j["ids"]["cgroup"], "5:cpu:/faasnet/r/h1/s4");
  EXPECT_EQ(j["cgroup_lines"], (json{"5:cpu:/faasnet/r/h1/s4", "4:memory:/faasnet/r/h1/s4", "0::/"}));
  EXPECT_EQ(j["paper_host_key"], "/faasnet/r/h1");
}

TEST(WorkloadProbe, NoopReportsDeltasOfNetdevAndCpu) {
  FakeEnv env;
  Probe probe(env);
  json j = Handle(probe, R"({"action":"noop"})");
  EXPECT_EQ(j["netdev"], (json{{"rx_bytes", 1000}, {"tx_bytes", 500}}));  // lo's 9 bytes not counted
  EXPECT_DOUBLE_EQ(j["cpu"]["user_ms"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(j["cpu"]["system_ms"].get<double>(), 1.0);
  EXPECT_TRUE(j["ids"]["host_id"].is_null());
  EXPECT_EQ(j["ids"]["cgroup"], "");
  EXPECT_EQ(Handle(probe, "")["action"], "noop");
}

TEST(WorkloadProbe, UnreadableNetdevIsNull) {
  FakeEnv env;
  env.netdev = false;
  Probe probe(env);
  EXPECT_TRUE(Handle(probe, R"({"action":"noop"})")["netdev"].is_null());
}

TEST(WorkloadProbe, EventsThatCannotRunAreErrors) {
  FakeEnv env;
  Probe probe(env);
  auto bad = probe.Handle(R"({"action":"s3-get","bucket":"b"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);

  auto bad_endpoint = probe.Handle(R"({"action":"s3-get","bucket":"b","keys":["k"],"endpoint":"ftp://x"})");
  ASSERT_FALSE(bad_endpoint.ok());
  EXPECT_EQ(bad_endpoint.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(bad_endpoint.status().message().find("ftp://x"), std::string::npos);

  auto no_iperf = probe.Handle(R"({"action":"iperf"})");
  ASSERT_FALSE(no_iperf.ok());
  EXPECT_NE(no_iperf.status().message().find("FAASNET_IPERF_HOST"), std::string::npos);

  env.vars = {{"FAASNET_IPERF_HOST", "127.0.0.1"}, {"FAASNET_IPERF_PORTS", "52x01"}};
  auto bad_ports = probe.Handle(R"({"action":"iperf"})");
  ASSERT_FALSE(bad_ports.ok());
  EXPECT_NE(bad_ports.status().message().find("FAASNET_IPERF_PORTS"), std::string::npos);
}

TEST(WorkloadProbe, IperfTakesHostAndFirstPortFromTheEnvironment) {
  FakeEnv env;
  env.vars = {{"FAASNET_IPERF_HOST", "127.0.0.1"}, {"FAASNET_IPERF_PORTS", "1, 2,3"}};  // nothing on port 1
  Probe probe(env);
  json j = Handle(probe, R"({"action":"iperf","direction":"down","duration_s":1})");
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["error_class"], "iperf");
  EXPECT_NE(j["error"].get<std::string>().find("iperf3 127.0.0.1:1"), std::string::npos) << j["error"];
  EXPECT_EQ(j["host"], "127.0.0.1");
  EXPECT_EQ(j["port"], 1);
  EXPECT_EQ(j["direction"], "down");
}

TEST(WorkloadProbe, S3EndpointFromEventThenEnvironmentThenAws) {
  FakeEnv env;
  S3Target aws = ResolveS3Endpoint("", env);
  EXPECT_EQ(aws.endpoint, "https://s3.us-east-1.amazonaws.com");
  EXPECT_FALSE(aws.path_style);
  env.vars["AWS_REGION"] = "eu-west-1";
  EXPECT_EQ(ResolveS3Endpoint("", env).endpoint, "https://s3.eu-west-1.amazonaws.com");
  env.vars["FAASNET_S3_ENDPOINT"] = "http://10.100.0.1:9000";
  EXPECT_EQ(ResolveS3Endpoint("", env).endpoint, "http://10.100.0.1:9000");
  EXPECT_TRUE(ResolveS3Endpoint("", env).path_style);
  env.vars["AWS_ENDPOINT_URL_S3"] = "http://10.100.0.1:9100";
  EXPECT_EQ(ResolveS3Endpoint("", env).endpoint, "http://10.100.0.1:9100");
  EXPECT_EQ(ResolveS3Endpoint("http://127.0.0.1:1", env).endpoint, "http://127.0.0.1:1");
}

TEST(WorkloadProbe, NoopSleepsWhenAsked) {
  FakeEnv env;
  Probe probe(env);
  const auto t0 = std::chrono::steady_clock::now();
  json j = Handle(probe, R"({"action":"noop","sleep_ms":50})");
  EXPECT_EQ(j["ok"], true);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(50));
}

// Transfers that fail are responses (a result row), not function errors.
TEST(WorkloadProbe, FailedDownloadIsAnOkFalseResponse) {
  FakeEnv env;
  env.vars = {{"AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1"}, {"AWS_ACCESS_KEY_ID", "AK"},
              {"AWS_SECRET_ACCESS_KEY", "SK"}};
  Probe probe(env);
  json j = Handle(probe, R"({"action":"s3-get","bucket":"b","keys":["k1","k2"]})");
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["error_class"], "connection");
  EXPECT_NE(j["error"].get<std::string>().find("b/k1"), std::string::npos) << j["error"];
  ASSERT_EQ(j["objects"].size(), 1u);  // stopped at the first failure
  EXPECT_EQ(j["objects"][0]["bytes"], 0);
  EXPECT_EQ(j["endpoint"], "http://127.0.0.1:1");
}

}  // namespace
}  // namespace faasnet::workload
