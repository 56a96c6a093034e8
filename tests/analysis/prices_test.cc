#include "analysis/prices.h"

#include <gtest/gtest.h>

namespace faasnet::analysis {
namespace {

TEST(BillingTest, RoundsUpToTheRulesGranularity) {
  EXPECT_EQ(BilledMs(100, BillingRule::k100ms), 100);
  EXPECT_EQ(BilledMs(100.5, BillingRule::k100ms), 200);
  EXPECT_EQ(BilledMs(1, BillingRule::k100ms), 100);
  EXPECT_EQ(BilledMs(1.2, BillingRule::k1ms), 2);
  EXPECT_EQ(BilledMs(1234.0, BillingRule::k1ms), 1234);
  // A run of 0 ms still bills one unit; float noise does not add one.
  EXPECT_EQ(BilledMs(0, BillingRule::k1ms), 1);
  EXPECT_EQ(BilledMs(300.0000000001, BillingRule::k100ms), 300);
  // The 100 ms rule never bills less than the 1 ms rule.
  for (double d : {0.5, 99.0, 101.0, 2501.7})
    EXPECT_GE(BilledMs(d, BillingRule::k100ms), BilledMs(d, BillingRule::k1ms));
}

TEST(BillingTest, RuleNamesParseBack) {
  for (BillingRule r : {BillingRule::k1ms, BillingRule::k100ms}) EXPECT_EQ(*ParseBillingRule(BillingRuleName(r)), r);
  EXPECT_FALSE(ParseBillingRule("10ms").ok());
}

TEST(CostTest, OneGbSecondCostsTheGbSecondPricePlusOneRequest) {
  PriceSheet p;
  p.gb_second_usd_x86 = 0.00002;
  p.gb_second_usd_arm = 0.00001;
  p.request_usd_per_million = 0.5;
  Cost c = InvocationCost(p, 1024, 1000);
  EXPECT_DOUBLE_EQ(c.compute_usd, 0.00002);
  EXPECT_DOUBLE_EQ(c.request_usd, 0.5 / 1e6);
  EXPECT_DOUBLE_EQ(InvocationCost(p, 2048, 500, Arch::kArm).compute_usd, 0.00001);
  EXPECT_EQ(c.s3_usd, 0);
  p.s3_get_usd_per_thousand = 0.4;
  p.s3_transfer_usd_per_gb = 0.09;
  EXPECT_DOUBLE_EQ(InvocationCost(p, 128, 100, Arch::kX86, 1, 0, 2e9).s3_usd, 0.4 / 1000 + 2 * 0.09);
}

TEST(CostTest, FreeTierIsOffByDefaultAndSubtractsTheAllowanceWhenOn) {
  PriceSheet p;
  Cost c = InvocationCost(p, 1024, 1000);
  EXPECT_DOUBLE_EQ(ApplyFreeTier(p, c, 1, 1, Arch::kX86).total(), c.total());
  p.free_tier = true;
  EXPECT_DOUBLE_EQ(ApplyFreeTier(p, c, 1, 1, Arch::kX86).total(), 0);
  p.free_gb_seconds_per_month = 0.5;
  p.free_requests_per_month = 0;
  EXPECT_NEAR(ApplyFreeTier(p, c, 1, 1, Arch::kX86).compute_usd, c.compute_usd / 2, 1e-15);
}

TEST(PriceFileTest, TheShippedFileParsesAndNamesItsSources) {
  auto p = LoadPriceSheet(std::string(FAASNET_SOURCE_DIR) + "/prices/lambda.yaml");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  PriceSheet defaults;  // the built-in fallback must agree with the file
  EXPECT_DOUBLE_EQ(p->gb_second_usd_x86, defaults.gb_second_usd_x86);
  EXPECT_DOUBLE_EQ(p->gb_second_usd_arm, defaults.gb_second_usd_arm);
  EXPECT_DOUBLE_EQ(p->request_usd_per_million, defaults.request_usd_per_million);
  EXPECT_LT(p->gb_second_usd_arm, p->gb_second_usd_x86);
  EXPECT_FALSE(p->free_tier);
  EXPECT_EQ(p->default_billing, BillingRule::k100ms);
  EXPECT_FALSE(p->sources.empty());
  EXPECT_GT(p->s3_get_usd_per_thousand, 0);
}

TEST(PriceFileTest, ErrorsNameTheFileLineAndSetting) {
  auto typo = ParsePriceSheet("name: x\ngb_second_usd:\n  x86_64: 0.1\n  armm64: 0.2\n", "p.yaml");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("p.yaml: line 4: gb_second_usd.armm64: unknown setting"), std::string::npos)
      << typo.status().message();
  auto bad = ParsePriceSheet("request_usd_per_million: lots\n", "p.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 1: request_usd_per_million: not a non-negative number: 'lots'"),
            std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(ParsePriceSheet("default_billing: 10ms\n", "p.yaml").ok());
  EXPECT_FALSE(ParsePriceSheet("free_tier: {enabled: maybe}\n", "p.yaml").ok());
  EXPECT_FALSE(ParsePriceSheet("[1, 2", "p.yaml").ok());
  auto on = ParsePriceSheet("free_tier: {enabled: true}\ndefault_billing: 1ms\n", "p.yaml");
  ASSERT_TRUE(on.ok());
  EXPECT_TRUE(on->free_tier);
  EXPECT_EQ(on->default_billing, BillingRule::k1ms);
}

}  // namespace
}  // namespace faasnet::analysis
