#include "s3/range.h"

#include <gtest/gtest.h>

namespace faasnet::s3 {
namespace {

// The range for `header` on a 1000-byte object; fails the test on error.
std::optional<ByteRange> Range(std::string_view header, uint64_t size = 1000) {
  auto r = ParseRange(header, size);
  EXPECT_TRUE(r.ok()) << header << ": " << r.error().message;
  return r.ok() ? *r : std::nullopt;
}

void ExpectRange(std::string_view header, uint64_t first, uint64_t last, uint64_t size = 1000) {
  auto r = Range(header, size);
  ASSERT_TRUE(r.has_value()) << header;
  EXPECT_EQ(r->first, first) << header;
  EXPECT_EQ(r->last, last) << header;
}

TEST(Range, Forms) {
  ExpectRange("bytes=0-99", 0, 99);
  ExpectRange("bytes=500-", 500, 999);
  ExpectRange("bytes=-500", 500, 999);
  ExpectRange("bytes=0-0", 0, 0);
  ExpectRange("bytes=999-999", 999, 999);
  ExpectRange(" bytes=10-20 ", 10, 20);
  EXPECT_EQ(Range("bytes=0-99")->length(), 100u);
}

TEST(Range, EndIsClampedAndSuffixLargerThanObjectIsWhole) {
  ExpectRange("bytes=900-5000", 900, 999);
  ExpectRange("bytes=0-18446744073709551615", 0, 999);
  ExpectRange("bytes=-5000", 0, 999);
}

TEST(Range, Unsatisfiable) {
  for (std::string_view h : {"bytes=1000-", "bytes=1000-2000", "bytes=-0", "bytes=5000-6000"}) {
    auto r = ParseRange(h, 1000);
    ASSERT_FALSE(r.ok()) << h;
    EXPECT_EQ(r.error().code, "InvalidRange");
    EXPECT_EQ(r.error().http_status, 416);
  }
  EXPECT_EQ(ParseRange("bytes=0-0", 0).error().code, "InvalidRange");
  EXPECT_EQ(ParseRange("bytes=-1", 0).error().code, "InvalidRange");
}

TEST(Range, InvalidOrMultiRangeIsIgnored) {
  for (std::string_view h :
       {"", "bytes=", "bytes=-", "bytes=a-b", "bytes=10-5", "items=0-1", "bytes=0-1,5-6", "bytes 0-1", "bytes=1-2-3",
        "bytes=+1-2", "bytes=0x1-2", "bytes=99999999999999999999-", "BYTES=0-1"}) {
    auto r = ParseRange(h, 1000);
    ASSERT_TRUE(r.ok()) << h;
    EXPECT_FALSE(r->has_value()) << h;
  }
}

TEST(Range, ContentRange) { EXPECT_EQ((ByteRange{0, 9}).ContentRange(443), "bytes 0-9/443"); }

TEST(CopySourceRange, OnlyClosedRangesWithinTheSource) {
  auto r = ParseCopySourceRange("bytes=0-9", 100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first, 0u);
  EXPECT_EQ(r->last, 9u);
  EXPECT_TRUE(ParseCopySourceRange("bytes=99-99", 100).ok());
  for (std::string_view h : {"bytes=0-100", "bytes=5-", "bytes=-5", "bytes=9-0", "junk", ""}) {
    auto bad = ParseCopySourceRange(h, 100);
    ASSERT_FALSE(bad.ok()) << h;
    EXPECT_EQ(bad.error().code, "InvalidArgument") << h;
  }
}

}  // namespace
}  // namespace faasnet::s3
