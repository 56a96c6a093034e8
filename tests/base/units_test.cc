#include "base/units.h"

#include <gtest/gtest.h>

namespace faasnet {
namespace {

TEST(UnitsTest, ParsesDecimalAndBinarySizes) {
  EXPECT_EQ(*ParseBytes("10MB"), 10'000'000u);
  EXPECT_EQ(*ParseBytes("10 mb"), 10'000'000u);
  EXPECT_EQ(*ParseBytes("4KiB"), 4096u);
  EXPECT_EQ(*ParseBytes("1.5GB"), 1'500'000'000u);
  EXPECT_EQ(*ParseBytes("512"), 512u);
  EXPECT_EQ(*ParseBytes("1GiB"), 1073741824u);
}

TEST(UnitsTest, RejectsBadSizes) {
  EXPECT_FALSE(ParseBytes("").ok());
  EXPECT_FALSE(ParseBytes("-1MB").ok());
  EXPECT_FALSE(ParseBytes("10XB").ok());
  EXPECT_FALSE(ParseBytes("1.5").ok());
  EXPECT_FALSE(ParseBytes("1.2.3MB").ok());
  EXPECT_FALSE(ParseBytes("99999999999TB").ok());
  EXPECT_NE(ParseBytes("10XB").status().message().find("unknown size unit"), std::string::npos);
}

TEST(UnitsTest, ParsesRatesInBitsAndBytes) {
  EXPECT_EQ(*ParseRateBps("10Mbit"), 10'000'000u);
  EXPECT_EQ(*ParseRateBps("1gbit"), 1'000'000'000u);
  EXPECT_EQ(*ParseRateBps("600Mbps"), 600'000'000u);
  EXPECT_EQ(*ParseRateBps("70MB/s"), 560'000'000u);
  EXPECT_FALSE(ParseRateBps("70").ok());
  EXPECT_FALSE(ParseRateBps("70MB").ok());
}

TEST(UnitsTest, ParsesDurations) {
  EXPECT_EQ(ParseDuration("100ms")->count(), 100'000'000);
  EXPECT_EQ(ParseDuration("1.5s")->count(), 1'500'000'000);
  EXPECT_EQ(ParseDuration("2m")->count(), 120'000'000'000);
  EXPECT_FALSE(ParseDuration("30").ok());
}

TEST(UnitsTest, Formats) {
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(10'000'000), "10 MB");
  EXPECT_EQ(FormatBytes(1'500'000'000), "1.5 GB");
  EXPECT_EQ(FormatByteRate(70e6), "70.0 MB/s");
}

}  // namespace
}  // namespace faasnet
