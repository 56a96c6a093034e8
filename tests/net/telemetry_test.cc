// Telemetry: per-sandbox class counters over an invocation, and the NIC
// utilisation sampler with a fake clock.
#include "net/telemetry.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "sys/fake_netlink.h"
#include "sys/fake_tc.h"

namespace faasnet::net {
namespace {

using namespace std::chrono_literals;
using sys::TcHandle;
using sys::TcStats;

constexpr uint64_t kMbit = 1'000'000;

sys::VethSpec UplinkVeth() {
  sys::VethSpec v;
  v.name = "up0";
  v.peer_name = "c0";
  return v;
}

std::unique_ptr<Shaper> MakeShaper(PolicyKind kind, sys::FakeTrafficControl* up, sys::FakeTrafficControl* down) {
  Shaper::Options o;
  o.host = "h0";
  o.policy.kind = kind;
  o.nic = NicCapacity{100 * kMbit, 100 * kMbit};
  o.upload = ShapedLink{up, "up0"};
  o.download = ShapedLink{down, "c0"};
  auto s = Shaper::Create(o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

TEST(TelemetryTest, InvocationUsageIsTheDeltaOfItsClasses) {
  sys::FakeTrafficControl up("h"), down("core");
  auto s = MakeShaper(PolicyKind::kFair, &up, &down);
  ASSERT_TRUE(s->AddSandbox("a", "10.100.0.10", 128).ok());
  up.SetClassStats("up0", TcHandle(1, 0x100), TcStats{.bytes = 1000, .drops = 1, .overlimits = 5});
  down.SetClassStats("c0", TcHandle(1, 0x100), TcStats{.bytes = 50'000, .drops = 0, .overlimits = 7});
  auto before = ReadSandboxCounters(*s, "a");
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_TRUE(before->per_sandbox);
  up.SetClassStats("up0", TcHandle(1, 0x100), TcStats{.bytes = 3000, .drops = 4, .overlimits = 6});
  down.SetClassStats("c0", TcHandle(1, 0x100), TcStats{.bytes = 10'050'000, .drops = 3, .overlimits = 107});
  auto after = ReadSandboxCounters(*s, "a");
  ASSERT_TRUE(after.ok());
  SandboxNetUsage u = UsageBetween(*before, *after);
  EXPECT_TRUE(u.per_sandbox);
  EXPECT_EQ(u.upload_bytes, 2000u);
  EXPECT_EQ(u.download_bytes, 10'000'000u);
  EXPECT_EQ(u.upload_drops, 3u);
  EXPECT_EQ(u.download_drops, 3u);
  EXPECT_EQ(u.upload_overlimits, 1u);
  EXPECT_EQ(u.download_overlimits, 100u);
  nlohmann::json j = ToJson(u);
  EXPECT_EQ(j["download_bytes"], 10'000'000u);
  EXPECT_EQ(j["download_shaper_drops"], 3u);
  EXPECT_EQ(j["per_sandbox_classes"], true);
  // Unknown sandbox under a per-sandbox policy: NotFound.
  EXPECT_EQ(ReadSandboxCounters(*s, "zz").status().code(), Status::Code::kNotFound);
  // A recreated class (counter went back) counts from zero.
  SandboxTcCounters reset;
  reset.per_sandbox = true;
  reset.of[Index(Direction::kDownload)].bytes = 500;
  EXPECT_EQ(UsageBetween(*after, reset).download_bytes, 500u);
}

TEST(TelemetryTest, SharedAndNoneHaveNoPerSandboxClasses) {
  sys::FakeTrafficControl up("h"), down("core");
  for (PolicyKind k : {PolicyKind::kShared, PolicyKind::kNone}) {
    auto s = MakeShaper(k, &up, &down);
    ASSERT_TRUE(s->AddSandbox("a", "10.100.0.10", 128).ok());
    auto c = ReadSandboxCounters(*s, "a");
    ASSERT_TRUE(c.ok());
    EXPECT_FALSE(c->per_sandbox);
    EXPECT_FALSE(UsageBetween(*c, *c).per_sandbox);
  }
}

TEST(TelemetryTest, SamplerEmitsRatePerIntervalAndHost) {
  auto now = std::chrono::steady_clock::time_point(50s);
  std::vector<NicSample> seen;
  UtilisationSampler::Options o;
  o.now = [&] { return now; };
  o.on_sample = [&](const NicSample& s) { seen.push_back(s); };
  UtilisationSampler sampler(o);
  uint64_t up_bytes = 0, down_bytes = 1'000'000;
  bool fail = false;
  sampler.AddSource("h0", Direction::kUpload, 100 * kMbit, [&]() -> Result<uint64_t> { return up_bytes; });
  sampler.AddSource("h0", Direction::kDownload, 100 * kMbit, [&]() -> Result<uint64_t> {
    if (fail) return Status::Unavailable("read stats: gone");
    return down_bytes;
  });
  ASSERT_TRUE(sampler.SampleOnce().ok());
  EXPECT_TRUE(seen.empty()) << "the first reading is the baseline";
  now += 100ms;
  up_bytes += 625'000;      // 50 Mbit/s for 100 ms
  down_bytes += 1'250'000;  // 100 Mbit/s
  ASSERT_TRUE(sampler.SampleOnce().ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].t_ms, 100);
  EXPECT_EQ(seen[0].host, "h0");
  EXPECT_EQ(seen[0].direction, Direction::kUpload);
  EXPECT_EQ(seen[0].bytes, 625'000u);
  EXPECT_EQ(seen[0].rate_bps, 50 * kMbit);
  EXPECT_DOUBLE_EQ(seen[0].utilisation, 0.5);
  EXPECT_EQ(seen[1].rate_bps, 100 * kMbit);
  EXPECT_DOUBLE_EQ(seen[1].utilisation, 1.0);
  // A failing counter skips its row and reports the error; the others go on.
  now += 100ms;
  fail = true;
  Status st = sampler.SampleOnce();
  EXPECT_EQ(st.code(), Status::Code::kUnavailable);
  EXPECT_NE(st.message().find("sample NIC of host h0"), std::string::npos);
  EXPECT_EQ(seen.size(), 3u);
  fail = false;
  now += 100ms;
  down_bytes += 1'250'000;
  ASSERT_TRUE(sampler.SampleOnce().ok());
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[4].t_ms, 300);
  EXPECT_EQ(seen[4].rate_bps, 50 * kMbit) << "over the 200 ms since its last good reading";
  EXPECT_EQ(sampler.samples().size(), 5u);
  nlohmann::json j = ToJson(seen[1]);
  EXPECT_EQ(j["direction"], "download");
  EXPECT_EQ(j["t_ms"], 100);
  EXPECT_EQ(j["rate_bps"], 100 * kMbit);
}

TEST(TelemetryTest, CountersFromTheShaperAndFromLinks) {
  sys::FakeTrafficControl up("h"), down("core");
  auto s = MakeShaper(PolicyKind::kShared, &up, &down);
  down.SetQdiscStats("c0", TcHandle(1, 0), TcStats{.bytes = 777});
  auto root = RootQdiscCounter(s.get(), Direction::kDownload)();
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(*root, 777u);
  auto nl = std::make_shared<sys::FakeNetlink>("h");
  ASSERT_TRUE(nl->CreateVeth(UplinkVeth()).ok());
  nl->SetStats("up0", sys::LinkStats{.rx_bytes = 11, .tx_bytes = 22});
  EXPECT_EQ(*LinkCounter(nl, "up0", true)(), 22u);
  EXPECT_EQ(*LinkCounter(nl, "up0", false)(), 11u);
  EXPECT_FALSE(LinkCounter(nl, "nope", true)().ok());
}

TEST(TelemetryTest, SamplerThreadStartsAndStops) {
  UtilisationSampler::Options o;
  o.interval = 10ms;
  UtilisationSampler sampler(o);
  std::atomic<uint64_t> bytes{0};
  sampler.AddSource("h0", Direction::kUpload, 0, [&]() -> Result<uint64_t> { return bytes += 1000; });
  ASSERT_TRUE(sampler.Start().ok());
  EXPECT_EQ(sampler.Start().code(), Status::Code::kFailedPrecondition);
  for (int i = 0; i < 200 && sampler.samples().size() < 3; ++i) std::this_thread::sleep_for(5ms);
  sampler.Stop();
  sampler.Stop();
  auto samples = sampler.samples();
  ASSERT_GE(samples.size(), 3u);
  EXPECT_EQ(samples[0].bytes, 1000u);
  EXPECT_EQ(samples[0].utilisation, 0.0) << "NIC unknown";
  EXPECT_LT(samples[0].t_ms, samples[2].t_ms);
}

}  // namespace
}  // namespace faasnet::net
