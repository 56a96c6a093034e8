// The region's network wiring (RegionNetwork) against the in-memory netlink
// and tc fakes: a shaper per host on the uplink's two ends, sandboxes getting
// and losing their classes, counters for records, NIC samples written to the
// telemetry file, the token-bucket controller ending a one-time burst, and a
// teardown that removes every root qdisc.
#include "region/network.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sys/fake_netlink.h"
#include "sys/fake_tc.h"

namespace faasnet::region {
namespace {

using sys::FakeNetlink;
using sys::FakeTrafficControl;
using sys::TcHandle;

constexpr uint64_t kMbit = 1'000'000;

class RegionNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("faasnet-netw-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Host i: upload on "up0" in its namespace, download on "uph<i>" in the core.
  HostUplink Host(int i) {
    HostUplink u;
    u.host = "h" + std::to_string(i);
    auto up = std::make_unique<FakeTrafficControl>("faasnet-r-" + u.host);
    auto down = std::make_unique<FakeTrafficControl>("faasnet-r-core");
    up_.push_back(up.get());
    down_.push_back(down.get());
    u.upload_tc = std::move(up);
    u.download_tc = std::move(down);
    u.upload_dev = "up0";
    u.download_dev = "up" + u.host;
    auto up_nl = std::make_shared<FakeNetlink>("faasnet-r-" + u.host);
    auto down_nl = std::make_shared<FakeNetlink>("faasnet-r-core");
    sys::VethSpec v;
    v.name = u.upload_dev;
    v.peer_name = "x";
    EXPECT_TRUE(up_nl->CreateVeth(v).ok());
    v.name = u.download_dev;
    EXPECT_TRUE(down_nl->CreateVeth(v).ok());
    up_nl_.push_back(up_nl.get());
    down_nl_.push_back(down_nl.get());
    u.upload_nl = up_nl;
    u.download_nl = down_nl;
    return u;
  }

  std::unique_ptr<RegionNetwork> Make(net::NetworkProfile profile, int hosts) {
    RegionNetwork::Options o;
    o.controller.now = [this] { return now_; };
    o.profile.profile = std::move(profile);
    o.telemetry_path = (dir_ / "telemetry.jsonl").string();
    o.start_threads = false;
    std::vector<HostUplink> links;
    for (int i = 0; i < hosts; ++i) links.push_back(Host(i));
    auto n = RegionNetwork::Create(std::move(o), std::move(links));
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? std::move(*n) : nullptr;
  }

  static net::NetworkProfile Profile(net::PolicyKind kind) {
    net::NetworkProfile p;
    p.name = "test";
    p.policy.kind = kind;
    p.policy.host_memory_mb = 3840;
    p.nic = net::NicCapacity{100 * kMbit, 200 * kMbit};
    p.policy.token_bucket.sustained_rate_bps = 20 * kMbit;
    p.policy.token_bucket.one_time_burst_bytes = 1'000'000;
    return p;
  }

  std::vector<nlohmann::json> TelemetryLines() {
    std::ifstream in(dir_ / "telemetry.jsonl");
    std::vector<nlohmann::json> out;
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }

  std::filesystem::path dir_;
  net::TokenBucketController::Clock::time_point now_{};  // the controllers' clock
  std::vector<FakeTrafficControl*> up_, down_;
  std::vector<FakeNetlink*> up_nl_, down_nl_;
};

TEST_F(RegionNetworkTest, ShapesUploadsOnTheHostEndAndDownloadsOnTheCoreEnd) {
  auto n = Make(Profile(net::PolicyKind::kFair), 2);
  ASSERT_TRUE(n);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(up_[i]->classes().at({"up0", TcHandle(1, 1)}).rate_bps, 100 * kMbit);
    std::string core_dev = "uph" + std::to_string(i);
    EXPECT_EQ(down_[i]->classes().at({core_dev, TcHandle(1, 1)}).rate_bps, 200 * kMbit);
  }
  EXPECT_NE(n->profile_json().find("\"name\":\"test\""), std::string::npos);
}

TEST_F(RegionNetworkTest, SandboxesGetClassesOnTheirHostOnlyAndLoseThem) {
  auto n = Make(Profile(net::PolicyKind::kProportional), 2);
  ASSERT_TRUE(n);
  size_t base_up = up_[1]->classes().size(), base_down = down_[1]->classes().size();
  ASSERT_TRUE(n->AddSandbox(1, "s7", "10.101.0.2", 512).ok());
  EXPECT_EQ(up_[1]->classes().size(), base_up + 1);
  EXPECT_EQ(down_[1]->classes().size(), base_down + 1);
  EXPECT_EQ(up_[0]->filters().size(), 0u);  // host 0 untouched
  ASSERT_EQ(up_[1]->filters().size(), 1u);
  EXPECT_EQ(up_[1]->filters()[0].match, sys::U32Match::kSrc);  // uploads: by source
  EXPECT_EQ(up_[1]->filters()[0].ipv4_cidr.rfind("10.101.0.2", 0), 0u);
  ASSERT_EQ(down_[1]->filters().size(), 1u);
  EXPECT_EQ(down_[1]->filters()[0].match, sys::U32Match::kDst);  // downloads: by destination
  EXPECT_EQ(down_[1]->filters()[0].dev, "uph1");

  // Counters for the record: the sandbox's own classes.
  uint32_t down_class = *n->shaper(1).ClassOf("s7", net::Direction::kDownload);
  down_[1]->SetClassStats("uph1", down_class, sys::TcStats{.bytes = 5000, .drops = 3, .overlimits = 9});
  auto c = n->ReadCounters(1, "s7");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->per_sandbox);
  net::SandboxNetUsage u = net::UsageBetween(net::SandboxTcCounters{true, {}}, *c);
  EXPECT_EQ(u.download_bytes, 5000u);
  EXPECT_EQ(u.download_drops, 3u);
  EXPECT_EQ(u.download_overlimits, 9u);

  ASSERT_TRUE(n->RemoveSandbox(1, "s7").ok());
  EXPECT_EQ(up_[1]->classes().size(), base_up);
  EXPECT_EQ(down_[1]->classes().size(), base_down);
  EXPECT_TRUE(up_[1]->filters().empty());
  EXPECT_TRUE(down_[1]->filters().empty());
  EXPECT_TRUE(n->RemoveSandbox(1, "s7").ok());           // idempotent
  EXPECT_FALSE(n->AddSandbox(2, "s8", "10.102.0.2", 128).ok());  // no such host
}

TEST_F(RegionNetworkTest, GuaranteesAreDividedOverEachHostsOwnMemory) {
  RegionNetwork::Options o;
  o.profile.profile = Profile(net::PolicyKind::kProportional);  // host_memory 3840 MB
  o.start_threads = false;
  std::vector<HostUplink> links;
  links.push_back(Host(0));
  links.back().memory_mb = 1024;
  auto n = RegionNetwork::Create(std::move(o), std::move(links));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ASSERT_TRUE((*n)->AddSandbox(0, "s1", "10.100.0.2", 512).ok());
  uint32_t cls = *(*n)->shaper(0).ClassOf("s1", net::Direction::kDownload);
  // 512 of the host's 1024 MB: half the download NIC (less the other-traffic class's share, if any).
  uint64_t rate = down_[0]->classes().at({"uph0", cls}).rate_bps;
  EXPECT_GT(rate, 90 * kMbit);
  EXPECT_LE(rate, 100 * kMbit);
}

TEST_F(RegionNetworkTest, SharedGivesNoPerSandboxCounters) {
  auto n = Make(Profile(net::PolicyKind::kShared), 1);
  ASSERT_TRUE(n);
  ASSERT_TRUE(n->AddSandbox(0, "s1", "10.100.0.2", 128).ok());
  auto c = n->ReadCounters(0, "s1");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->per_sandbox);
}

TEST_F(RegionNetworkTest, UnshapedDirectionsAreSampledFromTheUplinkCounters) {
  auto n = Make(Profile(net::PolicyKind::kNone), 1);
  ASSERT_TRUE(n);
  EXPECT_TRUE(up_[0]->qdiscs().empty());
  EXPECT_TRUE(down_[0]->qdiscs().empty());
  ASSERT_TRUE(n->SampleOnce().ok());  // the baseline
  sys::LinkStats up{}, down{};
  up.tx_bytes = 1000;
  down.tx_bytes = 250'000;
  up_nl_[0]->SetStats("up0", up);
  down_nl_[0]->SetStats("uph0", down);
  ASSERT_TRUE(n->SampleOnce().ok());
  ASSERT_TRUE(n->Shutdown().ok());  // flushes and closes the file
  auto lines = TelemetryLines();
  uint64_t up_bytes = 0, down_bytes = 0;
  for (const auto& l : lines) {
    EXPECT_EQ(l.at("host"), "h0");
    (l.at("direction") == "upload" ? up_bytes : down_bytes) += l.at("bytes").get<uint64_t>();
    EXPECT_TRUE(l.contains("t_ms") && l.contains("rate_bps") && l.contains("utilisation"));
  }
  EXPECT_EQ(up_bytes, 1000u);
  EXPECT_EQ(down_bytes, 250'000u);
}

TEST_F(RegionNetworkTest, ShapedDirectionsAreSampledFromTheRootQdisc) {
  auto n = Make(Profile(net::PolicyKind::kFair), 1);
  ASSERT_TRUE(n);
  ASSERT_TRUE(n->SampleOnce().ok());
  down_[0]->SetQdiscStats("uph0", TcHandle(1, 0), sys::TcStats{.bytes = 77'000});
  ASSERT_TRUE(n->SampleOnce().ok());
  ASSERT_TRUE(n->Shutdown().ok());
  uint64_t down_bytes = 0;
  for (const auto& l : TelemetryLines()) {
    if (l.at("direction") == "download") down_bytes += l.at("bytes").get<uint64_t>();
  }
  EXPECT_EQ(down_bytes, 77'000u);
}

TEST_F(RegionNetworkTest, TokenBucketBurstEndsAfterItsBytes) {
  auto n = Make(Profile(net::PolicyKind::kTokenBucket), 1);
  ASSERT_TRUE(n);
  ASSERT_TRUE(n->AddSandbox(0, "s1", "10.100.0.2", 128).ok());
  uint32_t cls = *n->shaper(0).ClassOf("s1", net::Direction::kDownload);
  uint64_t ceil_in_burst = down_[0]->classes().at({"uph0", cls}).ceil_bps;
  ASSERT_TRUE(n->PollBurstsOnce().ok());  // first sight
  down_[0]->SetClassStats("uph0", cls, sys::TcStats{.bytes = 2'000'000});
  now_ += std::chrono::seconds(1);  // past any poll interval
  ASSERT_TRUE(n->PollBurstsOnce().ok());
  auto events = n->burst_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].sandbox_id, "s1");
  EXPECT_EQ(events[0].direction, net::Direction::kDownload);
  EXPECT_EQ(down_[0]->classes().at({"uph0", cls}).ceil_bps, 20 * kMbit);
  EXPECT_GT(ceil_in_burst, 20 * kMbit);
}

TEST_F(RegionNetworkTest, ShutdownRemovesEveryRootQdisc) {
  auto n = Make(Profile(net::PolicyKind::kCapped), 2);
  ASSERT_TRUE(n);
  ASSERT_TRUE(n->AddSandbox(0, "s1", "10.100.0.2", 128).ok());
  ASSERT_TRUE(n->Shutdown().ok());
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(up_[i]->qdiscs().empty());
    EXPECT_TRUE(down_[i]->qdiscs().empty());
  }
  EXPECT_TRUE(n->Shutdown().ok());  // idempotent
}

TEST_F(RegionNetworkTest, AFailingHostRemovesWhatWasInstalled) {
  RegionNetwork::Options o;
  o.profile.profile = Profile(net::PolicyKind::kFair);
  o.start_threads = false;
  std::vector<HostUplink> links;
  links.push_back(Host(0));
  links.push_back(Host(1));
  down_[1]->FailNext("AddHtbQdisc", Status::PermissionDenied("no"));
  auto n = RegionNetwork::Create(std::move(o), std::move(links));
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find("h1"), std::string::npos);
}

}  // namespace
}  // namespace faasnet::region
