#include "store/behavior.h"

#include <gtest/gtest.h>

namespace faasnet::store {
namespace {

TEST(BehaviorTest, ParsesLatencySpecs) {
  EXPECT_EQ(LatencySpec::Parse("none")->kind, LatencySpec::Kind::kNone);
  auto fixed = LatencySpec::Parse("20ms");
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(fixed->a, std::chrono::milliseconds(20));
  auto uni = LatencySpec::Parse("uniform:10ms,30ms");
  ASSERT_TRUE(uni.ok());
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100; ++i) {
    auto d = uni->Sample(rng);
    EXPECT_GE(d, std::chrono::milliseconds(10));
    EXPECT_LE(d, std::chrono::milliseconds(30));
  }
  auto ln = LatencySpec::Parse("lognormal:median=20ms,sigma=0.5");
  ASSERT_TRUE(ln.ok());
  std::vector<int64_t> v;
  for (int i = 0; i < 2001; ++i) v.push_back(ln->Sample(rng).count());
  std::nth_element(v.begin(), v.begin() + 1000, v.end());
  EXPECT_NEAR(static_cast<double>(v[1000]), 20e6, 2e6);  // the median is the median
  EXPECT_FALSE(LatencySpec::Parse("uniform:30ms,10ms").ok());
  EXPECT_FALSE(LatencySpec::Parse("lognormal:sigma=1").ok());
  EXPECT_FALSE(LatencySpec::Parse("20").ok());
}

TEST(BehaviorTest, YamlDefaultsAndPerBucketOverrides) {
  auto cfg = BehaviorConfig::FromYaml(R"(
# comment
default:
  first_byte_latency: 15ms
  connection_rate: 90MB/s
buckets:
  slow:
    request_rate: 100/s
)");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->For("any").connection_rate_bytes_per_s, 90'000'000u);
  EXPECT_EQ(cfg->For("slow").connection_rate_bytes_per_s, 90'000'000u);  // inherits the default
  EXPECT_EQ(cfg->For("slow").request_rate_per_s, 100);
  EXPECT_EQ(cfg->For("any").request_rate_per_s, 0);
}

TEST(BehaviorTest, YamlErrorsNameTheField) {
  auto bad = BehaviorConfig::FromYaml("default:\n  conection_rate: 1MB/s\n", "b.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("b.yaml: default.conection_rate (line 2)"), std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(BehaviorConfig::FromYaml("default:\n  connection_rate: fast\n").ok());
  EXPECT_FALSE(BehaviorConfig::FromYaml("[1, 2]").ok());
  EXPECT_FALSE(BehaviorConfig::FromYaml("default: {first_byte_latency: [").ok());
}

TEST(BehaviorTest, RateLimiterAllowsBurstThenRefuses) {
  RateLimiter l(10, 5);
  int ok = 0;
  for (int i = 0; i < 20; ++i) ok += l.TryAcquire();
  EXPECT_GE(ok, 5);
  EXPECT_LE(ok, 6);
}

}  // namespace
}  // namespace faasnet::store
