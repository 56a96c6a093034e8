// The one-time-burst controller, stepped with a fake clock against the tc
// fake: it switches a class after exactly its burst, only once, polls fast
// only near a threshold, and its thread starts and stops.
#include "net/token_bucket.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "sys/fake_tc.h"

namespace faasnet::net {
namespace {

using namespace std::chrono_literals;
using Clock = TokenBucketController::Clock;
using sys::TcHandle;

constexpr uint64_t kMbit = 1'000'000;

class TokenBucketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Shaper::Options o;
    o.host = "h0";
    o.policy.kind = PolicyKind::kTokenBucket;
    o.policy.token_bucket.sustained_rate_bps = 20 * kMbit;
    o.policy.token_bucket.one_time_burst_bytes = 10'000'000;
    o.policy.token_bucket.burst_rate_bps = 80 * kMbit;  // 10 MB/s: the burst lasts >= 1 s
    o.nic = NicCapacity{100 * kMbit, 100 * kMbit};
    o.upload = ShapedLink{&up_, "up0"};
    o.download = ShapedLink{&down_, "c0"};
    auto s = Shaper::Create(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    shaper_ = std::move(*s);
    ASSERT_TRUE(shaper_->AddSandbox("a", "10.100.0.10", 128).ok());
  }

  TokenBucketController::Options Opts() {
    TokenBucketController::Options o;
    o.now = [this] { return now_; };
    return o;
  }
  void SetBytes(uint64_t down_bytes, uint64_t up_bytes = 0) {
    down_.SetClassStats("c0", TcHandle(1, 0x100), sys::TcStats{.bytes = down_bytes});
    up_.SetClassStats("up0", TcHandle(1, 0x100), sys::TcStats{.bytes = up_bytes});
  }
  uint64_t DownCeil() { return down_.classes().at({"c0", TcHandle(1, 0x100)}).ceil_bps; }

  sys::FakeTrafficControl up_{"h"}, down_{"core"};
  std::unique_ptr<Shaper> shaper_;
  Clock::time_point now_ = Clock::time_point(100s);
};

TEST_F(TokenBucketTest, SwitchesAfterTheBurstAndOnlyOnce) {
  std::vector<BurstEvent> seen;
  auto o = Opts();
  o.on_switch = [&](const BurstEvent& e) { seen.push_back(e); };
  TokenBucketController c(shaper_.get(), o);
  SetBytes(0);
  auto next = c.PollOnce();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(DownCeil(), 80 * kMbit);
  // A flow at the burst rate (10 MB/s): 9.99 MB after 999 ms, still bursting.
  now_ += 999ms;
  SetBytes(9'990'000);
  ASSERT_TRUE(c.PollOnce().ok());
  EXPECT_EQ(DownCeil(), 80 * kMbit);
  now_ += 1ms;
  SetBytes(10'000'100);
  ASSERT_TRUE(c.PollOnce().ok());
  EXPECT_EQ(DownCeil(), 20 * kMbit) << "sustained from now on";
  auto events = c.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].sandbox_id, "a");
  EXPECT_EQ(events[0].direction, Direction::kDownload);
  EXPECT_EQ(events[0].configured_bytes, 10'000'000u);
  EXPECT_EQ(events[0].bytes_at_switch, 10'000'100u);
  EXPECT_EQ(events[0].at, now_);
  EXPECT_EQ(events[0].after, 1000ms);
  ASSERT_EQ(seen.size(), 1u);
  nlohmann::json j = ToJson(events[0]);
  EXPECT_EQ(j["direction"], "download");
  EXPECT_DOUBLE_EQ(j["after_ms"].get<double>(), 1000.0);
  // Never replenished: idle for a minute, no return to the burst rate.
  now_ += 60s;
  SetBytes(10'000'100);
  ASSERT_TRUE(c.PollOnce().ok());
  EXPECT_EQ(DownCeil(), 20 * kMbit);
  EXPECT_EQ(c.events().size(), 1u);
  // Upload is independent and still bursting.
  EXPECT_EQ(up_.classes().at({"up0", TcHandle(1, 0x100)}).ceil_bps, 80 * kMbit);
  EXPECT_EQ(shaper_->BurstWatches().size(), 1u);
}

TEST_F(TokenBucketTest, WaitsAsLongAsTheBurstCannotRunOutAndPollsFastNearTheEnd) {
  TokenBucketController c(shaper_.get(), Opts());
  SetBytes(0);
  // Idle, 10 MB left at <= 10 MB/s: cannot end within 1 s, but the longest wait is 100 ms.
  auto next = c.PollOnce();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next - now_, 100ms);
  // Moving, 50 KB left: 5 ms at the ceil.
  now_ += 100ms;
  SetBytes(9'950'000);
  ASSERT_TRUE((next = c.PollOnce()).ok());
  EXPECT_EQ(*next - now_, 5ms);
  // Moving, 2 KB left: never below the minimum interval (1 ms).
  now_ += 5ms;
  SetBytes(9'998'000);
  ASSERT_TRUE((next = c.PollOnce()).ok());
  EXPECT_EQ(*next - now_, 1ms);
  // Idle with 2 KB left: back to the idle poll interval (10 ms), not 1 ms.
  now_ += 1ms;
  ASSERT_TRUE((next = c.PollOnce()).ok());
  EXPECT_EQ(*next - now_, 10ms);
  // Not due yet: no read.
  size_t reads = down_.calls().size();
  now_ += 5ms;
  ASSERT_TRUE((next = c.PollOnce()).ok());
  EXPECT_EQ(*next - now_, 5ms);
  EXPECT_EQ(down_.calls().size(), reads);
}

TEST_F(TokenBucketTest, NothingToWatchSleepsThePollInterval) {
  ASSERT_TRUE(shaper_->RemoveSandbox("a").ok());
  TokenBucketController c(shaper_.get(), Opts());
  auto next = c.PollOnce();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next - now_, 10ms);
  EXPECT_TRUE(c.events().empty());
}

TEST_F(TokenBucketTest, ASandboxRemovedMeanwhileIsSkipped) {
  TokenBucketController c(shaper_.get(), Opts());
  SetBytes(0);
  ASSERT_TRUE(c.PollOnce().ok());
  down_.FailNext("ReadClassStats", Status::NotFound("class gone"));
  now_ += 1ms;
  ASSERT_TRUE(c.PollOnce().ok());
  EXPECT_TRUE(c.events().empty());
}

TEST_F(TokenBucketTest, AFailedSwitchIsReportedAndRetried) {
  TokenBucketController c(shaper_.get(), Opts());
  SetBytes(12'000'000);
  down_.FailNext("SetHtbClass", Status::Internal("boom"));
  auto next = c.PollOnce();
  ASSERT_FALSE(next.ok());
  EXPECT_NE(next.status().message().find("boom"), std::string::npos);
  now_ += 1ms;
  ASSERT_TRUE(c.PollOnce().ok());
  EXPECT_EQ(DownCeil(), 20 * kMbit);
  ASSERT_EQ(c.events().size(), 1u);
}

TEST_F(TokenBucketTest, ThreadStartsAndStops) {
  TokenBucketController::Options o;  // the real clock
  TokenBucketController c(shaper_.get(), o);
  SetBytes(20'000'000, 0);  // the fake is read from the controller's thread only below
  ASSERT_TRUE(c.Start().ok());
  EXPECT_EQ(c.Start().code(), Status::Code::kFailedPrecondition);
  for (int i = 0; i < 200 && c.events().empty(); ++i) std::this_thread::sleep_for(5ms);
  c.Stop();
  c.Stop();
  ASSERT_EQ(c.events().size(), 1u);
  EXPECT_EQ(DownCeil(), 20 * kMbit);
}

}  // namespace
}  // namespace faasnet::net
