// The planner is pure data: every policy's classes, rates, ceils, bursts,
// quanta and filters for given NICs and sandboxes.
#include "net/policy.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <numeric>

namespace faasnet::net {
namespace {

using sys::TcHandle;

constexpr uint64_t kMbit = 1'000'000;
constexpr uint64_t kNic = 100 * kMbit;

SandboxNet Sb(const std::string& id, int ip_last, int mem, uint32_t slot) {
  SandboxNet s;
  s.id = id;
  s.ipv4 = "10.100.0." + std::to_string(ip_last);
  s.memory_mb = mem;
  s.slot = slot;
  return s;
}

PolicyParams Params(PolicyKind kind) {
  PolicyParams p;
  p.kind = kind;
  return p;
}

NicCapacity Nic(uint64_t up = kNic, uint64_t down = kNic) { return NicCapacity{up, down}; }

uint64_t Pool(uint64_t nic) { return nic - nic / 100; }

TEST(PolicyTest, NamesRoundTrip) {
  for (PolicyKind k : {PolicyKind::kNone, PolicyKind::kShared, PolicyKind::kFair, PolicyKind::kProportional,
                       PolicyKind::kCapped, PolicyKind::kTokenBucket}) {
    auto back = ParsePolicyKind(PolicyKindName(k));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, k);
  }
  auto bad = ParsePolicyKind("fifo");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("token-bucket"), std::string::npos);
  EXPECT_STREQ(DirectionName(Direction::kUpload), "upload");
  EXPECT_STREQ(DirectionName(Direction::kDownload), "download");
}

TEST(PolicyTest, NoneShapesNothing) {
  auto plan = PlanShaping(Params(PolicyKind::kNone), NicCapacity{}, {Sb("a", 10, 128, 0)});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  for (const auto& dp : plan->directions) {
    EXPECT_FALSE(dp.shaped);
    EXPECT_TRUE(dp.base_classes.empty());
    EXPECT_TRUE(dp.sandboxes.empty());
  }
}

TEST(PolicyTest, SharedIsOneFifoClassAtTheNic) {
  auto plan = PlanShaping(Params(PolicyKind::kShared), Nic(50 * kMbit, 200 * kMbit),
                          {Sb("a", 10, 128, 0), Sb("b", 11, 1024, 1)});
  ASSERT_TRUE(plan.ok());
  const auto& up = plan->of(Direction::kUpload);
  const auto& down = plan->of(Direction::kDownload);
  EXPECT_TRUE(up.shaped);
  EXPECT_EQ(up.qdisc.handle, TcHandle(1, 0));
  EXPECT_EQ(up.qdisc.parent, sys::kTcRoot);
  EXPECT_EQ(up.qdisc.default_class, kNicMinor);
  ASSERT_EQ(up.base_classes.size(), 1u);
  EXPECT_EQ(up.base_classes[0].classid, TcHandle(1, 1));
  EXPECT_EQ(up.base_classes[0].parent, TcHandle(1, 0));
  EXPECT_EQ(up.base_classes[0].rate_bps, 50 * kMbit);
  EXPECT_EQ(up.base_classes[0].ceil_bps, 50 * kMbit);
  EXPECT_EQ(down.base_classes[0].rate_bps, 200 * kMbit);
  EXPECT_TRUE(up.sandboxes.empty());  // every function in the one FIFO
  // Bursts: 4 ms at the rate (100 KB at 200 Mbit/s).
  EXPECT_EQ(down.base_classes[0].burst_bytes, 100'000u);
  EXPECT_EQ(down.base_classes[0].cburst_bytes, 100'000u);
}

TEST(PolicyTest, ShapedPoliciesNeedTheNic) {
  for (PolicyKind k : {PolicyKind::kShared, PolicyKind::kFair, PolicyKind::kProportional, PolicyKind::kCapped}) {
    auto plan = PlanShaping(Params(k), NicCapacity{kNic, 0}, {});
    ASSERT_FALSE(plan.ok());
    EXPECT_EQ(plan.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(plan.status().message().find("download"), std::string::npos) << plan.status().message();
  }
}

TEST(PolicyTest, BaseClassesOfPerSandboxPolicies) {
  auto plan = PlanShaping(Params(PolicyKind::kFair), Nic(), {});
  ASSERT_TRUE(plan.ok());
  const auto& dp = plan->of(Direction::kDownload);
  EXPECT_EQ(dp.qdisc.default_class, kOtherMinor);
  ASSERT_EQ(dp.base_classes.size(), 2u);
  const auto& nic = dp.base_classes[0];
  const auto& other = dp.base_classes[1];
  EXPECT_EQ(nic.classid, TcHandle(1, 1));
  EXPECT_EQ(nic.rate_bps, kNic);
  EXPECT_EQ(nic.ceil_bps, kNic);
  EXPECT_EQ(other.classid, TcHandle(1, 2));
  EXPECT_EQ(other.parent, TcHandle(1, 1));
  EXPECT_EQ(other.rate_bps, kNic / 100);
  EXPECT_EQ(other.ceil_bps, kNic);
  EXPECT_GT(other.quantum_bytes, 0u);
}

TEST(PolicyTest, FairGivesEqualGuaranteesAndQuantaBorrowingToTheNic) {
  std::vector<SandboxNet> sbs = {Sb("a", 10, 128, 0), Sb("b", 11, 512, 1), Sb("c", 12, 3008, 2)};
  auto plan = PlanShaping(Params(PolicyKind::kFair), Nic(), sbs);
  ASSERT_TRUE(plan.ok());
  for (Direction d : kDirections) {
    const auto& dp = plan->of(d);
    ASSERT_EQ(dp.sandboxes.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      const auto& s = dp.sandboxes[i];
      EXPECT_EQ(s.sandbox_id, sbs[i].id);
      EXPECT_EQ(s.cls.classid, TcHandle(1, static_cast<uint16_t>(0x100 + i)));
      EXPECT_EQ(s.cls.parent, TcHandle(1, 1));
      EXPECT_EQ(s.cls.rate_bps, Pool(kNic) / 3);
      EXPECT_EQ(s.cls.ceil_bps, kNic);
      EXPECT_EQ(s.cls.quantum_bytes, dp.sandboxes[0].cls.quantum_bytes);
      EXPECT_GT(s.cls.quantum_bytes, 65536u) << "one quantum must exceed a 64 KB GSO packet";
      EXPECT_EQ(s.filter.classid, s.cls.classid);
      EXPECT_EQ(s.filter.prio, 100 + i);
      EXPECT_EQ(s.filter.parent, TcHandle(1, 0));
      EXPECT_EQ(s.filter.ipv4_cidr, sbs[i].ipv4 + "/32");
      EXPECT_EQ(s.filter.match, d == Direction::kUpload ? sys::U32Match::kSrc : sys::U32Match::kDst);
      EXPECT_FALSE(s.in_burst);
    }
    EXPECT_LE(dp.guaranteed_sum_bps + kNic / 100, kNic);
    EXPECT_DOUBLE_EQ(dp.guarantee_scale, 1.0);
  }
}

TEST(PolicyTest, FairWithHostMemoryUsesStableSlots) {
  PolicyParams p = Params(PolicyKind::kFair);
  p.host_memory_mb = 3840;  // 30 slots of 128 MB
  auto plan = PlanShaping(p, Nic(), {Sb("a", 10, 128, 0), Sb("b", 11, 128, 1)});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->of(Direction::kUpload).sandboxes[0].cls.rate_bps, Pool(kNic) / 30);
  // More sandboxes than slots: the guarantees shrink to fit.
  std::vector<SandboxNet> many;
  for (uint32_t i = 0; i < 40; ++i) many.push_back(Sb("s" + std::to_string(i), 10 + static_cast<int>(i), 128, i));
  plan = PlanShaping(p, Nic(), many);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->of(Direction::kUpload).sandboxes[0].cls.rate_bps, Pool(kNic) / 40);
  EXPECT_LE(plan->of(Direction::kUpload).guaranteed_sum_bps, Pool(kNic));
}

TEST(PolicyTest, ProportionalGuaranteesAndQuantaFollowMemory) {
  std::vector<SandboxNet> sbs = {Sb("a", 10, 128, 0), Sb("b", 11, 256, 1), Sb("c", 12, 512, 2), Sb("d", 13, 1024, 3)};
  PolicyParams p = Params(PolicyKind::kProportional);
  p.host_memory_mb = 3840;
  auto plan = PlanShaping(p, Nic(), sbs);
  ASSERT_TRUE(plan.ok());
  const auto& dp = plan->of(Direction::kDownload);
  ASSERT_EQ(dp.sandboxes.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const auto& c = dp.sandboxes[i].cls;
    EXPECT_EQ(c.rate_bps, static_cast<uint64_t>(static_cast<double>(Pool(kNic)) * sbs[i].memory_mb / 3840.0));
    EXPECT_EQ(c.ceil_bps, kNic) << "work-conserving";
    EXPECT_EQ(c.quantum_bytes, sys::QuantumForWeight(sbs[i].memory_mb / 128.0, p.quantum_bytes_per_weight));
  }
  // Ratios 1:2:4:8 in both guarantee and quantum.
  EXPECT_EQ(dp.sandboxes[3].cls.quantum_bytes, 8 * dp.sandboxes[0].cls.quantum_bytes);
  EXPECT_NEAR(static_cast<double>(dp.sandboxes[3].cls.rate_bps) / static_cast<double>(dp.sandboxes[0].cls.rate_bps),
              8.0, 1e-6);
  EXPECT_DOUBLE_EQ(dp.guarantee_scale, 1.0);
}

TEST(PolicyTest, ProportionalGuaranteeOfOneSandboxDoesNotDependOnOthersUntilOversubscribed) {
  PolicyParams p = Params(PolicyKind::kProportional);
  p.host_memory_mb = 3840;
  auto alone = PlanShaping(p, Nic(), {Sb("a", 10, 512, 0)});
  auto with = PlanShaping(p, Nic(), {Sb("a", 10, 512, 0), Sb("b", 11, 2048, 1)});
  ASSERT_TRUE(alone.ok() && with.ok());
  EXPECT_EQ(alone->of(Direction::kUpload).sandboxes[0].cls.rate_bps,
            with->of(Direction::kUpload).sandboxes[0].cls.rate_bps);
  // 8 GB on a 3.75 GB host: the active memory becomes the basis, so the
  // guarantees still fit the NIC (half each).
  auto over = PlanShaping(p, Nic(), {Sb("a", 10, 4096, 0), Sb("b", 11, 4096, 1)});
  ASSERT_TRUE(over.ok());
  const auto& dp = over->of(Direction::kUpload);
  EXPECT_EQ(dp.sandboxes[0].cls.rate_bps, Pool(kNic) / 2);
  EXPECT_LE(dp.guaranteed_sum_bps, Pool(kNic));
  EXPECT_NEAR(static_cast<double>(dp.guaranteed_sum_bps), static_cast<double>(Pool(kNic)), 2.0);
  // Without a host memory, the active sandboxes divide the pool.
  p.host_memory_mb = 0;
  auto dyn = PlanShaping(p, Nic(), {Sb("a", 10, 128, 0), Sb("b", 11, 384, 1)});
  ASSERT_TRUE(dyn.ok());
  EXPECT_EQ(dyn->of(Direction::kUpload).sandboxes[0].cls.rate_bps, Pool(kNic) / 4);
  EXPECT_EQ(dyn->of(Direction::kUpload).sandboxes[1].cls.rate_bps, Pool(kNic) * 3 / 4);
}

TEST(PolicyTest, CappedIsAHardCapProportionalToMemory) {
  PolicyParams p = Params(PolicyKind::kCapped);
  p.host_memory_mb = 3840;
  auto plan = PlanShaping(p, Nic(), {Sb("a", 10, 128, 0), Sb("b", 11, 1024, 1)});
  ASSERT_TRUE(plan.ok());
  for (const auto& s : plan->of(Direction::kUpload).sandboxes) {
    EXPECT_EQ(s.cls.ceil_bps, s.cls.rate_bps) << "no borrowing";
    EXPECT_EQ(s.cls.cburst_bytes, s.cls.burst_bytes);
  }
  EXPECT_EQ(plan->of(Direction::kUpload).sandboxes[0].cls.rate_bps,
            static_cast<uint64_t>(static_cast<double>(Pool(kNic)) * 128 / 3840.0));
  // A cap per GB (Fargate-like), independent of the host.
  p.capped_bps_per_gb = 40 * kMbit;
  plan = PlanShaping(p, Nic(), {Sb("a", 10, 500, 0), Sb("b", 11, 1000, 1)});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->of(Direction::kUpload).sandboxes[0].cls.rate_bps, 20 * kMbit);
  EXPECT_EQ(plan->of(Direction::kUpload).sandboxes[1].cls.rate_bps, 40 * kMbit);
  // Caps above the NIC are scaled into it (otherwise HTB leaks past the parent).
  plan = PlanShaping(p, Nic(), {Sb("a", 10, 2000, 0), Sb("b", 11, 2000, 1)});
  ASSERT_TRUE(plan.ok());
  EXPECT_LE(plan->of(Direction::kUpload).guaranteed_sum_bps, Pool(kNic));
  EXPECT_EQ(plan->of(Direction::kUpload).sandboxes[0].cls.rate_bps,
            plan->of(Direction::kUpload).sandboxes[1].cls.rate_bps);
}

TEST(PolicyTest, TokenBucketBurstThenSustained) {
  PolicyParams p = Params(PolicyKind::kTokenBucket);
  p.token_bucket.sustained_rate_bps = 20 * kMbit;
  p.token_bucket.one_time_burst_bytes = 5'000'000;
  p.token_bucket.burst_rate_bps = 80 * kMbit;
  SandboxNet a = Sb("a", 10, 128, 0);
  SandboxNet b = Sb("b", 11, 3008, 1);
  b.burst_spent[Index(Direction::kDownload)] = true;
  auto plan = PlanShaping(p, Nic(), {a, b});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const auto& down = plan->of(Direction::kDownload);
  const auto& up = plan->of(Direction::kUpload);
  // a: both directions in burst; ceil is the burst rate.
  EXPECT_TRUE(down.sandboxes[0].in_burst);
  EXPECT_EQ(down.sandboxes[0].one_time_burst_bytes, 5'000'000u);
  EXPECT_EQ(down.sandboxes[0].cls.rate_bps, 20 * kMbit);
  EXPECT_EQ(down.sandboxes[0].cls.ceil_bps, 80 * kMbit);
  // b: download burst spent -> ceil = sustained; upload still bursting.
  EXPECT_FALSE(down.sandboxes[1].in_burst);
  EXPECT_EQ(down.sandboxes[1].cls.rate_bps, 20 * kMbit);
  EXPECT_EQ(down.sandboxes[1].cls.ceil_bps, 20 * kMbit);
  EXPECT_TRUE(up.sandboxes[1].in_burst);
  // Memory-independent: a 128 MB and a 3008 MB sandbox get the same.
  EXPECT_EQ(up.sandboxes[0].cls.rate_bps, up.sandboxes[1].cls.rate_bps);
  EXPECT_EQ(up.sandboxes[0].cls.quantum_bytes, up.sandboxes[1].cls.quantum_bytes);
  // The refilling bucket: 100 ms of the sustained rate by default (250 KB).
  EXPECT_EQ(down.sandboxes[1].cls.burst_bytes, 250'000u);
  EXPECT_EQ(down.sandboxes[1].cls.cburst_bytes, 250'000u);
  // Burst rate defaults to the NIC; an explicit bucket is used as is.
  p.token_bucket.burst_rate_bps = 0;
  p.token_bucket.bucket_bytes = 1'000'000;
  plan = PlanShaping(p, Nic(), {a});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->of(Direction::kUpload).sandboxes[0].cls.ceil_bps, kNic);
  EXPECT_EQ(plan->of(Direction::kUpload).sandboxes[0].cls.burst_bytes, 1'000'000u);
  // No one-time burst: straight to the sustained rate.
  p.token_bucket.one_time_burst_bytes = 0;
  plan = PlanShaping(p, Nic(), {a});
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->of(Direction::kUpload).sandboxes[0].in_burst);
  EXPECT_EQ(plan->of(Direction::kUpload).sandboxes[0].cls.ceil_bps, 20 * kMbit);
}

TEST(PolicyTest, TokenBucketGuaranteesScaleWhenTheNicIsOversubscribed) {
  PolicyParams p = Params(PolicyKind::kTokenBucket);
  p.token_bucket.sustained_rate_bps = 40 * kMbit;
  std::vector<SandboxNet> sbs;
  for (uint32_t i = 0; i < 5; ++i) sbs.push_back(Sb("s" + std::to_string(i), 10 + static_cast<int>(i), 128, i));
  auto plan = PlanShaping(p, Nic(), sbs);  // 5 x 40 > 99
  ASSERT_TRUE(plan.ok());
  const auto& dp = plan->of(Direction::kUpload);
  EXPECT_LE(dp.guaranteed_sum_bps, Pool(kNic));
  for (const auto& s : dp.sandboxes) {
    EXPECT_EQ(s.cls.rate_bps, Pool(kNic) / 5);
    EXPECT_EQ(s.cls.ceil_bps, 40 * kMbit) << "still capped at the sustained rate";
  }
}

TEST(PolicyTest, BurstsFollowTheWindow) {
  PolicyParams p = Params(PolicyKind::kFair);
  p.burst_window_us = 4000;
  auto plan = PlanShaping(p, Nic(1'000 * kMbit, 5'000 * kMbit), {Sb("a", 10, 128, 0)});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->of(Direction::kUpload).base_classes[0].burst_bytes, 500'000u);      // 1 gbit: 500 KB
  EXPECT_EQ(plan->of(Direction::kDownload).base_classes[0].burst_bytes, 2'500'000u);  // 5 gbit: 2.5 MB
  EXPECT_EQ(plan->of(Direction::kDownload).sandboxes[0].cls.cburst_bytes, 2'500'000u);
  // Small rates get at least 10 frames (3.3 Mbit/s: one of 30 slots).
  p.host_memory_mb = 3840;
  auto small = PlanShaping(p, Nic(), {Sb("a", 10, 128, 0)});
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->of(Direction::kUpload).sandboxes[0].cls.burst_bytes, 10u * 1514);
}

TEST(PolicyTest, SlotsPickClassesAndPriosRegardlessOfOrder) {
  auto plan = PlanShaping(Params(PolicyKind::kFair), Nic(), {Sb("z", 10, 128, 7), Sb("y", 11, 128, 2)});
  ASSERT_TRUE(plan.ok());
  const auto& dp = plan->of(Direction::kUpload);
  ASSERT_EQ(dp.sandboxes.size(), 2u);
  EXPECT_EQ(dp.sandboxes[0].sandbox_id, "y");  // ordered by slot
  EXPECT_EQ(dp.sandboxes[0].cls.classid, TcHandle(1, 0x102));
  EXPECT_EQ(dp.sandboxes[0].filter.prio, 102);
  EXPECT_EQ(dp.sandboxes[1].cls.classid, TcHandle(1, 0x107));
  EXPECT_EQ(dp.Find("z")->filter.prio, 107);
  EXPECT_EQ(dp.Find("nope"), nullptr);
}

TEST(PolicyTest, RejectsBadInput) {
  auto check = [](std::vector<SandboxNet> sbs, const std::string& needle) {
    auto plan = PlanShaping(Params(PolicyKind::kFair), Nic(), sbs);
    ASSERT_FALSE(plan.ok()) << needle;
    EXPECT_EQ(plan.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(plan.status().message().find(needle), std::string::npos) << plan.status().message();
  };
  check({Sb("a", 10, 128, 0), Sb("a", 11, 128, 1)}, "twice");
  check({Sb("a", 10, 128, 0), Sb("b", 11, 128, 0)}, "slot 0 is taken");
  check({Sb("a", 10, 128, kMaxSlots)}, "slot must be");
  check({Sb("a", 10, 0, 0)}, "memory");
  check({Sb("", 10, 128, 0)}, "without an id");
  for (std::string ip : {"10.100.0", "10.100.0.256", "10.100.0.1/32", "a.b.c.d", "10..0.1", ""}) {
    SandboxNet s = Sb("a", 10, 128, 0);
    s.ipv4 = ip;
    check({s}, "not an IPv4 address");
  }
  PolicyParams tb = Params(PolicyKind::kTokenBucket);
  EXPECT_FALSE(PlanShaping(tb, Nic(), {}).ok()) << "token-bucket needs a sustained rate";
  tb.token_bucket.sustained_rate_bps = 50 * kMbit;
  tb.token_bucket.burst_rate_bps = 10 * kMbit;
  EXPECT_FALSE(PlanShaping(tb, Nic(), {}).ok()) << "burst rate below sustained";
  PolicyParams q = Params(PolicyKind::kProportional);
  q.quantum_bytes_per_weight = 100;
  EXPECT_FALSE(PlanShaping(q, Nic(), {}).ok());
  q = Params(PolicyKind::kProportional);
  q.weight_unit_mb = 0;
  EXPECT_FALSE(PlanShaping(q, Nic(), {}).ok());
}

TEST(PolicyTest, JsonAndDescriptionForResults) {
  PolicyParams p = Params(PolicyKind::kTokenBucket);
  p.token_bucket.sustained_rate_bps = 20 * kMbit;
  p.token_bucket.one_time_burst_bytes = 1'000'000;
  auto plan = PlanShaping(p, Nic(), {Sb("a", 10, 128, 0)});
  ASSERT_TRUE(plan.ok());
  nlohmann::json j = ToJson(*plan);
  EXPECT_EQ(j["policy"], "token-bucket");
  EXPECT_EQ(j["download"]["nic_bps"], kNic);
  EXPECT_EQ(j["download"]["sandboxes"][0]["sandbox"], "a");
  EXPECT_EQ(j["download"]["sandboxes"][0]["classid"], "1:100");
  EXPECT_EQ(j["download"]["sandboxes"][0]["match"], "dst 10.100.0.10/32");
  EXPECT_EQ(j["upload"]["sandboxes"][0]["match"], "src 10.100.0.10/32");
  EXPECT_EQ(j["upload"]["sandboxes"][0]["in_burst"], true);
  nlohmann::json pj = ToJson(p);
  EXPECT_EQ(pj["policy"], "token-bucket");
  EXPECT_EQ(pj["token_bucket"]["sustained_rate_bps"], 20 * kMbit);
  EXPECT_EQ(Describe(*plan), "token-bucket: nic up 100 Mbit/s down 100 Mbit/s, 1 sandbox classes");
}

}  // namespace
}  // namespace faasnet::net
