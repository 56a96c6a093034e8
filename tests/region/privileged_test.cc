// The region's network for real (root): a region whose network profile
// shapes each host's uplink at small rates, a python function in a sandbox
// downloading from the region's store (and from an iperf3 server in the
// region core), measured against the configured rate; the records carry the
// profile and the sandbox's usage; telemetry is written; and nothing is left
// behind (namespaces, and with them every qdisc, and cgroups).
// Skips without root (fails when CI=true).
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "lambda/platform.h"
#include "region/network.h"
#include "region/region.h"
#include "region/region_server.h"
#include "s3client/client.h"
#include "sys/netlink.h"
#include "sys/netns.h"
#include "sys/privileged.h"

namespace faasnet::region {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

// HTB counts Ethernet frames; TCP goodput is at most 1448/1514 of a rate.
constexpr double kGoodputPerRate = 1448.0 / 1514.0;
constexpr uint64_t kRateBps = 40'000'000;
constexpr size_t kObjectBytes = 10'000'000;  // 2 s at 40 Mbit/s

// Reads `bytes` of an object through boto3 and times the body alone (after
// the response head, so the store's first-byte latency is not in it); or
// runs iperf3 -R against the region core's server.
constexpr char kFunction[] = R"PY(
import json, os, subprocess, time
def handler(event, context):
    if event["action"] == "iperf":
        port = os.environ["FAASNET_IPERF_PORTS"].split(",")[0]
        out = subprocess.run(["iperf3", "-c", os.environ["FAASNET_IPERF_HOST"], "-p", port, "-R", "-t", "3",
                              "-J"], capture_output=True, timeout=20, text=True)
        end = json.loads(out.stdout)["end"]
        return {"rate_bps": end["sum_received"]["bits_per_second"]}
    import boto3
    s3 = boto3.client("s3", endpoint_url=os.environ["FAASNET_S3_ENDPOINT"])
    r = s3.get_object(Bucket=event["bucket"], Key=event["key"])
    body, n = r["Body"], 0
    t0 = time.monotonic()
    while True:
        b = body.read(1 << 16)
        if not b:
            break
        n += len(b)
    seconds = time.monotonic() - t0
    return {"bytes": n, "seconds": seconds, "rate_bps": n * 8 / seconds,
            "endpoint": os.environ["FAASNET_S3_ENDPOINT"]}
)PY";

class RegionNetworkPrivilegedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FAASNET_REQUIRE_ROOT();
    name_ = "rp" + std::to_string(::getpid());
    // Not under /tmp: every sandbox gets a private /tmp.
    dir_ = fs::path("/var/tmp") / ("faasnet-test-" + name_);
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "code");
    std::ofstream(dir_ / "code" / "app.py") << kFunction;
  }
  void TearDown() override {
    if (server_) server_->Stop();
    server_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // A region named name_ with `network` as its network section.
  void Start(const std::string& network) {
    std::string yaml = "name: " + name_ +
                       "\nhosts: {count: 1, vcpus: 2, memory: 3840}\ncpu_policy: fixed\nfixed_cpus: 1\n"
                       "network:\n" +
                       network;
    auto cfg = RegionConfig::FromYaml(yaml, "test region");
    ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
    RegionServerOptions o;
    o.config = *cfg;
    o.work_dir = (dir_ / "region").string();
    o.s3_listen = "127.0.0.1:0";
    o.lambda_listen = "127.0.0.1:0";
    o.python_bootstrap = FAASNET_SOURCE_DIR "/runtime/python/bootstrap.py";
    o.store_fsync = false;
    auto s = RegionServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);

    // The object, put from the root namespace on 127.0.0.1 (not shaped).
    s3client::Options co;
    co.endpoint = server_->s3_endpoint();
    std::ifstream creds(server_->credentials_file());
    for (std::string line; std::getline(creds, line);) {
      auto eq = line.find(" = ");
      if (eq == std::string::npos) continue;
      std::string k = line.substr(0, eq), v = line.substr(eq + 3);
      if (k == "aws_access_key_id") co.credentials.access_key_id = v;
      if (k == "aws_secret_access_key") co.credentials.secret_access_key = v;
    }
    auto client = s3client::Client::Create(co);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    ASSERT_TRUE(client->CreateBucket("data").ok());
    ASSERT_TRUE(client->PutObjectAuto("data", "blob", std::string(kObjectBytes, 'x')).ok());

    lambda::CreateFunctionInput in;
    in.function_name = "probe";
    in.runtime = "python3.11";
    in.handler = "app.handler";
    in.role = "arn:aws:iam::000000000000:role/x";
    in.memory_mb = 1024;
    in.timeout_s = 30;
    in.code.local_path = (dir_ / "code").string();
    auto fn = server_->region()->CreateFunction(in);
    ASSERT_TRUE(fn.ok()) << fn.error().message;
  }

  // Invokes `probe` with `event` and returns its response.
  nlohmann::json Invoke(const nlohmann::json& event) {
    lambda::InvokeRequest req;
    req.function_name = "probe";
    req.payload = event.dump();
    std::optional<lambda::LambdaResult<lambda::InvokeResult>> out;
    asio::io_context ioc;
    asio::co_spawn(
        ioc, [&]() -> asio::awaitable<void> { out = co_await server_->region()->Invoke(req); }, asio::detached);
    ioc.run();
    EXPECT_TRUE(out && out->ok());
    if (!out || !out->ok()) return {};
    EXPECT_EQ((*out)->function_error, "") << (*out)->payload;
    return nlohmann::json::parse((*out)->payload, nullptr, false);
  }

  std::vector<nlohmann::json> Lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<nlohmann::json> out;
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }

  std::vector<std::string> Leftovers() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/run/netns", ec)) {
      std::string n = e.path().filename().string();
      if (n.rfind("faasnet-" + name_ + "-", 0) == 0) out.push_back(n);
    }
    if (fs::exists("/sys/fs/cgroup/cpu/faasnet/" + name_)) out.push_back("cgroup faasnet/" + name_);
    return out;
  }

  std::string name_;
  fs::path dir_;
  std::unique_ptr<RegionServer> server_;
};

TEST_F(RegionNetworkPrivilegedTest, Lambda2019SharedNicShapesStoreDownloadsAndLeavesNothing) {
  Start("  profile: lambda-2019\n  nic: 40Mbit\n  store: {first_byte_latency: none, connection_rate: 0B/s}\n");
  ASSERT_TRUE(server_);
  // lambda-2019 serves the store over https (store.tls), as S3 is.
  EXPECT_EQ(server_->store_endpoint_for_host(0), "https://10.100.255.254:9443");
  ASSERT_NE(server_->core_netns(), nullptr);

  nlohmann::json r = Invoke({{"action", "s3"}, {"bucket", "data"}, {"key", "blob"}});
  ASSERT_EQ(r.value("bytes", 0), static_cast<int64_t>(kObjectBytes)) << r.dump();
  EXPECT_EQ(r["endpoint"], server_->store_endpoint_for_host(0));
  double expected = kRateBps * kGoodputPerRate;
  double ratio = r["rate_bps"].get<double>() / expected;
  std::cerr << "store download in the sandbox: " << r.dump() << " = " << ratio << " of the goodput of 40 Mbit/s\n";
  EXPECT_GT(ratio, 0.95) << r.dump();
  EXPECT_LT(ratio, 1.03) << r.dump();

  // The record: the profile as resolved, the policy, the bytes.
  auto records = Lines(server_->records_path());
  ASSERT_FALSE(records.empty());
  const auto& rec = records.back();
  EXPECT_EQ(rec.at("network_profile").at("name"), "lambda-2019");
  EXPECT_EQ(rec.at("network_policy"), "shared");
  EXPECT_EQ(rec.at("network_profile").at("nic_download_bps"), kRateBps);
  EXPECT_FALSE(rec.at("net").at("per_sandbox_classes").get<bool>());  // shared: one class for all
  EXPECT_GE(rec.at("net_rx_bytes").get<uint64_t>(), kObjectBytes);

  // NIC samples: the download ran near the NIC's rate for a while.
  server_->network()->SampleOnce();
  double peak = 0;
  for (const auto& s : Lines(server_->telemetry_path())) {
    if (s.at("host") == "h0" && s.at("direction") == "download") peak = std::max(peak, s.at("utilisation").get<double>());
  }
  EXPECT_GT(peak, 0.8);

  // Holding the host's namespace shows when the kernel has really freed the
  // core's: the uplink's host end goes with it.
  auto host_ns = sys::NetNamespace::OpenPinned("faasnet-" + name_ + "-h0");
  ASSERT_TRUE(host_ns.ok());
  server_->Stop();
  EXPECT_TRUE(Leftovers().empty()) << ::testing::PrintToString(Leftovers());
  auto nl = sys::OpenNetlink(*host_ns);
  ASSERT_TRUE(nl.ok());
  bool uplink_gone = false;
  for (int i = 0; i < 300 && !uplink_gone; ++i) {
    uplink_gone = !(*nl)->GetLink("up0").ok();
    if (!uplink_gone) ::usleep(10'000);
  }
  EXPECT_TRUE(uplink_gone) << "the core namespace outlived Stop()";

}

TEST_F(RegionNetworkPrivilegedTest, FairGivesTheSandboxItsOwnClassesAndIperfInTheCoreIsShaped) {
  uint16_t port = static_cast<uint16_t>(20000 + ::getpid() % 20000);
  Start("  profile: proportional\n  policy: fair\n  nic: 40Mbit\n  iperf_ports: [" + std::to_string(port) + "]\n");
  ASSERT_TRUE(server_);
  nlohmann::json r = Invoke({{"action", "iperf"}});
  ASSERT_TRUE(r.contains("rate_bps")) << r.dump();
  double ratio = r["rate_bps"].get<double>() / (kRateBps * kGoodputPerRate);
  std::cerr << "iperf3 -R in the sandbox: " << r.dump() << " = " << ratio << " of the goodput of 40 Mbit/s\n";
  EXPECT_GT(ratio, 0.95) << r.dump();
  EXPECT_LT(ratio, 1.03) << r.dump();

  // The warm sandbox still has its class in both directions; the record has its counters.
  EXPECT_EQ(server_->network()->shaper(0).sandbox_count(), 1u);
  auto records = Lines(server_->records_path());
  ASSERT_FALSE(records.empty());
  const auto& net = records.back().at("net");
  EXPECT_TRUE(net.at("per_sandbox_classes").get<bool>());
  EXPECT_GT(net.at("download_bytes").get<uint64_t>(), 10'000'000u);  // 3 s at ~38 Mbit/s
  EXPECT_EQ(records.back().at("network_policy"), "fair");

  // Deleting the function retires its sandbox, and with it its classes.
  ASSERT_TRUE(server_->region()->DeleteFunction("probe").ok());
  for (int i = 0; i < 100 && server_->network()->shaper(0).sandbox_count() > 0; ++i) ::usleep(20'000);
  EXPECT_EQ(server_->network()->shaper(0).sandbox_count(), 0u);

  server_->Stop();
  EXPECT_TRUE(Leftovers().empty()) << ::testing::PrintToString(Leftovers());
}

}  // namespace
}  // namespace faasnet::region
