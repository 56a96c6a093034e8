// Privileged tests (root): every policy applied by net::Shaper to a real
// topology in namespaces of this test process (tests/net/topology.h: a core,
// a host with a bridge, sandboxes), read back, measured with real TCP flows
// (net_flow processes) at small rates (NIC 100 Mbit/s), and torn down.
//
// Every address lives in namespaces created here ("faasnet-tnet<pid>-..."),
// nothing touches the root namespace; each flow is bounded in bytes and in
// time (<= 2 s); the Topology's destructor removes the namespaces and with
// them every link, qdisc and filter, also when a check fails. TearDown checks
// that nothing of this process is left in /run/netns.
#include "sys/privileged.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include "net/profile.h"
#include "net/shaper.h"
#include "net/telemetry.h"
#include "net/token_bucket.h"
#include "sys/netns.h"
#include "sys/tc.h"
#include "topology.h"

namespace faasnet::net {
namespace {

using testing::CommonWindow;
using testing::FlowResult;
using testing::FlowSpec;
using testing::kGoodputPerRate;
using testing::Topology;
using namespace std::chrono_literals;

constexpr uint64_t kMbit = 1'000'000;
constexpr uint64_t kNic = 100 * kMbit;

std::string Prefix(const std::string& tag) { return "faasnet-tnet" + std::to_string(::getpid()) + "-" + tag; }

class NetPrivilegedTest : public ::testing::Test {
 protected:
  void SetUp() override { FAASNET_REQUIRE_ROOT(); }

  void TearDown() override {
    if (::geteuid() != 0) return;
    std::string mine = Prefix("");
    DIR* d = ::opendir(sys::kNetnsRunDir);
    if (d == nullptr) return;
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      EXPECT_NE(name.rfind(mine, 0), 0u) << "a test left namespace " << name;
      if (name.rfind(mine, 0) == 0) (void)sys::RemoveNetnsPin(name);
    }
    ::closedir(d);
  }

  std::unique_ptr<Topology> Build(const std::string& tag, int sandboxes) {
    auto t = Topology::Build(Prefix(tag), sandboxes);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? std::move(*t) : nullptr;
  }

  static Shaper::Options Opts(Topology& t, PolicyKind kind) {
    Shaper::Options o;
    o.host = "h0";
    o.policy.kind = kind;
    o.nic = NicCapacity{kNic, kNic};
    o.upload = t.upload_link();
    o.download = t.download_link();
    return o;
  }

  static std::vector<FlowResult> Flows(Topology& t, const std::vector<FlowSpec>& specs) {
    auto r = RunFlows(t, specs, FAASNET_NET_FLOW);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    for (const auto& f : *r) EXPECT_EQ(f.error, "") << "flow of s" << f.spec.sandbox;
    return *r;
  }

  static std::vector<FlowSpec> Downloads(int n, double seconds = 2.0) {
    std::vector<FlowSpec> v;
    for (int i = 0; i < n; ++i) v.push_back(FlowSpec{Direction::kDownload, i, 50'000'000, seconds, ""});
    return v;
  }
};

TEST_F(NetPrivilegedTest, EveryPolicyInstallsReadsBackAndTearsDown) {
  auto t = Build("all", 2);
  ASSERT_TRUE(t);
  for (PolicyKind k : {PolicyKind::kNone, PolicyKind::kShared, PolicyKind::kFair, PolicyKind::kProportional,
                       PolicyKind::kCapped, PolicyKind::kTokenBucket}) {
    SCOPED_TRACE(PolicyKindName(k));
    Shaper::Options o = Opts(*t, k);
    o.policy.host_memory_mb = 3840;
    o.policy.token_bucket.sustained_rate_bps = 20 * kMbit;
    o.policy.token_bucket.one_time_burst_bytes = 1'000'000;
    auto s = Shaper::Create(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ASSERT_TRUE((*s)->AddSandbox("a", Topology::SandboxIp(0), 128).ok());
    ASSERT_TRUE((*s)->AddSandbox("b", Topology::SandboxIp(1), 1024).ok());
    Status v = (*s)->Verify();
    EXPECT_TRUE(v.ok()) << v.ToString();
    bool per_sandbox = k != PolicyKind::kNone && k != PolicyKind::kShared;
    EXPECT_EQ((*s)->ClassOf("b", Direction::kDownload).has_value(), per_sandbox);
    if (per_sandbox) {
      auto c = t->core_tc()->GetHtbClass("c0", *(*s)->ClassOf("b", Direction::kDownload));
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      EXPECT_GT(c->rate_bps, 0u);
    }
    ASSERT_TRUE((*s)->RemoveSandbox("a").ok());
    EXPECT_TRUE((*s)->Verify().ok());
    ASSERT_TRUE((*s)->Teardown().ok());
    ASSERT_TRUE((*s)->Teardown().ok());
    EXPECT_EQ(t->host_tc()->ReadQdiscStats("up0", sys::TcHandle(1, 0)).status().code(), Status::Code::kNotFound);
    EXPECT_EQ(t->core_tc()->ReadQdiscStats("c0", sys::TcHandle(1, 0)).status().code(), Status::Code::kNotFound);
  }
}

TEST_F(NetPrivilegedTest, OneFlowGetsTheConfiguredRateBothWays) {
  auto t = Build("rate", 1);
  ASSERT_TRUE(t);
  auto s = Shaper::Create(Opts(*t, PolicyKind::kFair));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE((*s)->AddSandbox("a", Topology::SandboxIp(0), 128).ok());
  for (Direction d : kDirections) {
    auto flows = Flows(*t, {FlowSpec{d, 0, 50'000'000, 1.5, ""}});
    ASSERT_EQ(flows.size(), 1u);
    auto w = CommonWindow(flows, 0.3);
    double want = kNic * kGoodputPerRate;
    std::printf("[ shaped   ] %s: %.2f Mbit/s goodput of %.2f (%.4f)\n", DirectionName(d), w.goodput_bps[0] / 1e6,
                want / 1e6, w.goodput_bps[0] / want);
    EXPECT_GE(w.goodput_bps[0], 0.9 * want) << DirectionName(d);
    EXPECT_LE(w.goodput_bps[0], 1.03 * want) << DirectionName(d);
  }
  // The sandbox's classes counted what it moved.
  auto c = ReadSandboxCounters(**s, "a");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_GT(c->of[Index(Direction::kUpload)].bytes, 10'000'000u);
  EXPECT_GT(c->of[Index(Direction::kDownload)].bytes, 10'000'000u);
}

TEST_F(NetPrivilegedTest, FairGivesNearEqualSharesAndTheWholeNic) {
  auto t = Build("fair", 3);
  ASSERT_TRUE(t);
  Shaper::Options o = Opts(*t, PolicyKind::kFair);
  o.policy.host_memory_mb = 3840;
  auto s = Shaper::Create(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*s)->AddSandbox("s" + std::to_string(i), Topology::SandboxIp(i), 128).ok());
  auto flows = Flows(*t, Downloads(3));
  ASSERT_EQ(flows.size(), 3u);
  auto w = CommonWindow(flows, 0.4);
  double jain = testing::Jain(w.goodput_bps);
  std::printf("[ fair     ] %.2f / %.2f / %.2f Mbit/s, Jain %.4f, aggregate %.2f Mbit/s\n", w.goodput_bps[0] / 1e6,
              w.goodput_bps[1] / 1e6, w.goodput_bps[2] / 1e6, jain, w.aggregate_bps / 1e6);
  EXPECT_GE(jain, 0.95);
  EXPECT_GE(w.aggregate_bps, 0.9 * kNic * kGoodputPerRate);
  EXPECT_LE(w.aggregate_bps, 1.03 * kNic * kGoodputPerRate);
}

TEST_F(NetPrivilegedTest, ProportionalSplitsByMemoryAndLendsWhatIsIdle) {
  auto t = Build("prop", 2);
  ASSERT_TRUE(t);
  Shaper::Options o = Opts(*t, PolicyKind::kProportional);
  o.policy.host_memory_mb = 3840;
  auto s = Shaper::Create(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE((*s)->AddSandbox("small", Topology::SandboxIp(0), 128).ok());
  ASSERT_TRUE((*s)->AddSandbox("big", Topology::SandboxIp(1), 512).ok());
  auto flows = Flows(*t, Downloads(2));
  ASSERT_EQ(flows.size(), 2u);
  auto w = CommonWindow(flows, 0.4);
  double ratio = w.goodput_bps[1] / w.goodput_bps[0];
  std::printf("[ prop     ] 128 MB %.2f, 512 MB %.2f Mbit/s: ratio %.3f (want 4)\n", w.goodput_bps[0] / 1e6,
              w.goodput_bps[1] / 1e6, ratio);
  EXPECT_NEAR(ratio, 4.0, 0.4);
  EXPECT_GE(w.aggregate_bps, 0.9 * kNic * kGoodputPerRate);
  // Alone, the 128 MB sandbox borrows the whole NIC (work-conserving).
  auto alone = Flows(*t, {FlowSpec{Direction::kDownload, 0, 50'000'000, 1.2, ""}});
  ASSERT_EQ(alone.size(), 1u);
  auto a = CommonWindow(alone, 0.3);
  EXPECT_GE(a.goodput_bps[0], 0.9 * kNic * kGoodputPerRate);
}

TEST_F(NetPrivilegedTest, CappedDoesNotLend) {
  auto t = Build("cap", 1);
  ASSERT_TRUE(t);
  Shaper::Options o = Opts(*t, PolicyKind::kCapped);
  o.policy.capped_bps_per_gb = 160 * kMbit;  // 128 MB -> 20.48 Mbit/s
  auto s = Shaper::Create(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE((*s)->AddSandbox("a", Topology::SandboxIp(0), 128).ok());
  auto flows = Flows(*t, {FlowSpec{Direction::kDownload, 0, 10'000'000, 1.5, ""}});
  ASSERT_EQ(flows.size(), 1u);
  auto w = CommonWindow(flows, 0.3);
  double cap = 20.48e6 * kGoodputPerRate;
  std::printf("[ capped   ] %.2f Mbit/s alone on a 100 Mbit/s NIC (cap %.2f)\n", w.goodput_bps[0] / 1e6, cap / 1e6);
  EXPECT_GE(w.goodput_bps[0], 0.9 * cap);
  EXPECT_LE(w.goodput_bps[0], 1.05 * cap);
}

TEST_F(NetPrivilegedTest, TokenBucketBurstsOnceThenSustains) {
  auto t = Build("tb", 1);
  ASSERT_TRUE(t);
  Shaper::Options o = Opts(*t, PolicyKind::kTokenBucket);
  o.policy.token_bucket.sustained_rate_bps = 20 * kMbit;
  o.policy.token_bucket.one_time_burst_bytes = 4'000'000;  // 0.32 s at the NIC's 100 Mbit/s
  auto s = Shaper::Create(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE((*s)->AddSandbox("a", Topology::SandboxIp(0), 128).ok());
  TokenBucketController ctl(s->get());
  ASSERT_TRUE(ctl.Start().ok());
  auto flows = Flows(*t, {FlowSpec{Direction::kDownload, 0, 20'000'000, 1.6, ""}});
  ASSERT_EQ(flows.size(), 1u);
  ctl.Stop();
  auto events = ctl.events();
  ASSERT_EQ(events.size(), 1u) << "the download burst ended once (no upload traffic)";
  const BurstEvent& e = events[0];
  EXPECT_EQ(e.direction, Direction::kDownload);
  double err = (static_cast<double>(e.bytes_at_switch) - 4e6) / 4e6;
  const FlowResult& f = flows[0];
  int64_t at = std::chrono::duration_cast<std::chrono::nanoseconds>(e.at.time_since_epoch()).count();
  // Before the switch: at the burst rate (the NIC); after it: sustained.
  double burst_rate = testing::BytesAt(f, at) * 8 / ((at - f.first_ns) / 1e9);
  int64_t from = at + 200'000'000, to = f.last_ns - 50'000'000;
  double sustained = (testing::BytesAt(f, to) - testing::BytesAt(f, from)) * 8 / ((to - from) / 1e9);
  std::printf("[ tb       ] switch at %.3f MB (%+.2f%%) after %.0f ms; burst %.1f Mbit/s, then %.2f Mbit/s\n",
              e.bytes_at_switch / 1e6, err * 100, std::chrono::duration<double, std::milli>(e.after).count(),
              burst_rate / 1e6, sustained / 1e6);
  EXPECT_LE(std::abs(err), 0.05);
  EXPECT_GE(burst_rate, 0.8 * kNic * kGoodputPerRate);
  EXPECT_NEAR(sustained, 20e6 * kGoodputPerRate, 0.1 * 20e6);
  auto cls = t->core_tc()->GetHtbClass("c0", *(*s)->ClassOf("a", Direction::kDownload));
  ASSERT_TRUE(cls.ok());
  EXPECT_EQ(cls->ceil_bps, 20 * kMbit);
  // Never replenished: after a pause, a new flow starts at the sustained rate
  // (plus at most the refilling bucket, 100 ms worth).
  std::this_thread::sleep_for(300ms);
  auto again = Flows(*t, {FlowSpec{Direction::kDownload, 0, 5'000'000, 1.0, ""}});
  ASSERT_EQ(again.size(), 1u);
  double second = static_cast<double>(again[0].bytes) * 8 / ((again[0].last_ns - again[0].first_ns) / 1e9);
  std::printf("[ tb       ] after a pause: %.2f Mbit/s\n", second / 1e6);
  EXPECT_LE(second, 1.2 * 20e6);
}

TEST_F(NetPrivilegedTest, SharedKeepsTheAggregateAsFlowsAreAdded) {
  auto t = Build("shr", 3);
  ASSERT_TRUE(t);
  auto s = Shaper::Create(Opts(*t, PolicyKind::kShared));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  double agg[2];
  int i = 0;
  for (int n : {1, 3}) {
    auto flows = Flows(*t, Downloads(n, 1.5));
    ASSERT_EQ(flows.size(), static_cast<size_t>(n));
    agg[i++] = CommonWindow(flows, 0.4).aggregate_bps;
  }
  std::printf("[ shared   ] aggregate 1 flow %.2f, 3 flows %.2f Mbit/s\n", agg[0] / 1e6, agg[1] / 1e6);
  EXPECT_NEAR(agg[1] / agg[0], 1.0, 0.05);
  EXPECT_GE(agg[0], 0.9 * kNic * kGoodputPerRate);
}

TEST_F(NetPrivilegedTest, IngressIfbShapesDownloadsToo) {
  auto t = Build("ifb", 1);
  ASSERT_TRUE(t);
  auto ifb = IngressIfb::Create(t->host_nl(), t->host_tc(), "up0", "ifb0");
  ASSERT_TRUE(ifb.ok()) << ifb.status().ToString();
  Shaper::Options o = Opts(*t, PolicyKind::kFair);
  o.download = ifb->link();
  auto s = Shaper::Create(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE((*s)->AddSandbox("a", Topology::SandboxIp(0), 128).ok());
  auto flows = Flows(*t, {FlowSpec{Direction::kDownload, 0, 50'000'000, 1.2, ""}});
  ASSERT_EQ(flows.size(), 1u);
  auto w = CommonWindow(flows, 0.3);
  std::printf("[ ifb      ] download via ifb: %.2f Mbit/s\n", w.goodput_bps[0] / 1e6);
  EXPECT_GE(w.goodput_bps[0], 0.9 * kNic * kGoodputPerRate);
  EXPECT_LE(w.goodput_bps[0], 1.03 * kNic * kGoodputPerRate);
  ASSERT_TRUE((*s)->Teardown().ok());
  ASSERT_TRUE(ifb->Destroy().ok());
  EXPECT_EQ(t->host_nl()->GetLink("ifb0").status().code(), Status::Code::kNotFound);
}

TEST_F(NetPrivilegedTest, NicSamplerSeesTheShapedRate) {
  auto t = Build("smp", 1);
  ASSERT_TRUE(t);
  auto s = Shaper::Create(Opts(*t, PolicyKind::kShared));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  UtilisationSampler sampler;
  sampler.AddSource("h0", Direction::kDownload, kNic, RootQdiscCounter(s->get(), Direction::kDownload));
  ASSERT_TRUE(sampler.Start().ok());
  auto flows = Flows(*t, {FlowSpec{Direction::kDownload, 0, 50'000'000, 1.2, ""}});
  sampler.Stop();
  auto samples = sampler.samples();
  ASSERT_GE(samples.size(), 8u);
  // The busiest samples are at the NIC (HTB counts frames, so ~1.0).
  double best = 0;
  for (const auto& x : samples) best = std::max(best, x.utilisation);
  std::printf("[ sampler  ] %zu samples, peak utilisation %.3f\n", samples.size(), best);
  EXPECT_GE(best, 0.9);
  EXPECT_LE(best, 1.1);
}

TEST_F(NetPrivilegedTest, LinkLatencyIsReportedAsNotAvailableWithoutNetem) {
  auto scratch = sys::NetNamespace::Create(Prefix("probe"), sys::NetNamespace::Options{.pin = false});
  ASSERT_TRUE(scratch.ok()) << scratch.status().ToString();
  auto support = sys::ProbeTcSupport(*scratch);
  ASSERT_TRUE(support.ok()) << support.status().ToString();
  auto p = NetworkProfile::FromFile(std::string(FAASNET_PROFILES_DIR) + "/lambda-2019.yaml");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto r = Resolve(*p, *support);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->notes.size(), 1u);
  std::printf("[ profile  ] tc: %s\n[ profile  ] %s\n", support->Summary().c_str(), r->notes[0].c_str());
  EXPECT_NE(r->notes[0].find("not available"), std::string::npos);
  if (!support->Has("netem")) {
    EXPECT_NE(r->notes[0].find("netem is missing"), std::string::npos);
  }
  EXPECT_FALSE(r->link_latency_applied);
}

}  // namespace
}  // namespace faasnet::net
