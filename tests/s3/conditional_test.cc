#include "s3/conditional.h"

#include <gtest/gtest.h>

#include <vector>

namespace faasnet::s3 {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

TimePoint Example() { return sys_days(year(1994) / November / 6) + 8h + 49min + 37s; }

TEST(HttpDate, FormatsImfFixdate) {
  EXPECT_EQ(FormatHttpDate(Example()), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(FormatHttpDate(sys_days(year(2013) / May / 24)), "Fri, 24 May 2013 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(Example() + 999ms), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(HttpDate, ParsesAllThreeFormats) {
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), Example());
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), Example());
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), Example());
  EXPECT_EQ(ParseHttpDate("Sun Nov 16 08:49:37 1994"), Example() + days(10));
  EXPECT_EQ(ParseHttpDate("Thursday, 01-Jan-70 00:00:00 GMT"), TimePoint());
  EXPECT_EQ(ParseHttpDate("Wednesday, 01-Jan-25 00:00:00 GMT"), sys_days(year(2025) / January / 1));
  for (std::string_view bad :
       {"", "Sun, 06 Nov 1994 08:49:37", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT junk",
        "1994-11-06T08:49:37Z"}) {
    EXPECT_FALSE(ParseHttpDate(bad)) << bad;
  }
  // Round trip over a range of dates.
  for (int i = 0; i < 400; ++i) {
    TimePoint t = Example() + days(i * 37) + seconds(i * 1234);
    EXPECT_EQ(ParseHttpDate(FormatHttpDate(t)), floor<seconds>(t));
  }
}

TEST(Iso8601, FormatAndParse) {
  TimePoint t = sys_days(year(2013) / May / 24) + 123ms;
  EXPECT_EQ(FormatIso8601(t), "2013-05-24T00:00:00.123Z");
  EXPECT_EQ(FormatIso8601(sys_days(year(2013) / May / 24)), "2013-05-24T00:00:00.000Z");
  EXPECT_EQ(ParseIso8601("2013-05-24T00:00:00.123Z"), t);
  EXPECT_EQ(ParseIso8601("2013-05-24T00:00:00Z"), sys_days(year(2013) / May / 24));
  EXPECT_EQ(ParseIso8601("2013-05-24T00:00:00.5Z"), sys_days(year(2013) / May / 24) + 500ms);
  for (std::string_view bad : {"2013-05-24T00:00:00", "2013-05-24 00:00:00Z", "2013-05-24T00:00:00.Z",
                               "2013-13-24T00:00:00Z", "2013-05-24T00:00:00+01:00", ""}) {
    EXPECT_FALSE(ParseIso8601(bad)) << bad;
  }
}

TEST(Etag, ListMatching) {
  EXPECT_TRUE(EtagListMatches("\"abc\"", "\"abc\"", false));
  EXPECT_TRUE(EtagListMatches("\"abc\"", "abc", false));
  EXPECT_TRUE(EtagListMatches("\"x\", \"abc\"", "\"abc\"", false));
  EXPECT_TRUE(EtagListMatches("*", "\"abc\"", false));
  EXPECT_FALSE(EtagListMatches("\"abd\"", "\"abc\"", false));
  EXPECT_FALSE(EtagListMatches("W/\"abc\"", "\"abc\"", false));  // strong comparison
  EXPECT_TRUE(EtagListMatches("W/\"abc\"", "\"abc\"", true));    // weak comparison
  EXPECT_FALSE(EtagListMatches("", "\"abc\"", true));
}

class Preconds : public ::testing::Test {
 protected:
  const std::string etag = "\"e1\"";
  const TimePoint modified = Example();
  const std::string before = "Sat, 05 Nov 1994 08:49:37 GMT";
  const std::string same = "Sun, 06 Nov 1994 08:49:37 GMT";
  const std::string after = "Mon, 07 Nov 1994 08:49:37 GMT";

  std::string Eval(std::vector<HeaderPair> headers, bool get = true) {
    S3Error e = EvaluatePreconditions(ReadPreconditions(headers), etag, modified + 300ms, get);
    return e.ok() ? "ok" : e.code;
  }
  std::string EvalCopy(std::vector<HeaderPair> headers) {
    S3Error e = EvaluateCopySourcePreconditions(ReadCopySourcePreconditions(headers), etag, modified);
    return e.ok() ? "ok" : e.code;
  }
};

TEST_F(Preconds, Single) {
  EXPECT_EQ(Eval({}), "ok");
  EXPECT_EQ(Eval({{"If-Match", "\"e1\""}}), "ok");
  EXPECT_EQ(Eval({{"If-Match", "\"e2\""}}), "PreconditionFailed");
  EXPECT_EQ(Eval({{"If-Match", "*"}}), "ok");
  EXPECT_EQ(Eval({{"If-None-Match", "\"e1\""}}), "NotModified");
  EXPECT_EQ(Eval({{"If-None-Match", "*"}}), "NotModified");
  EXPECT_EQ(Eval({{"If-None-Match", "\"e2\""}}), "ok");
  EXPECT_EQ(Eval({{"If-Modified-Since", same}}), "NotModified");
  EXPECT_EQ(Eval({{"If-Modified-Since", after}}), "NotModified");
  EXPECT_EQ(Eval({{"If-Modified-Since", before}}), "ok");
  EXPECT_EQ(Eval({{"If-Unmodified-Since", same}}), "ok");
  EXPECT_EQ(Eval({{"If-Unmodified-Since", after}}), "ok");
  EXPECT_EQ(Eval({{"If-Unmodified-Since", before}}), "PreconditionFailed");
  EXPECT_EQ(Eval({{"If-Modified-Since", "not a date"}}), "ok");  // ignored
}

TEST_F(Preconds, S3Precedence) {
  // If-Match true + If-Unmodified-Since false -> 200.
  EXPECT_EQ(Eval({{"If-Match", "\"e1\""}, {"If-Unmodified-Since", before}}), "ok");
  // If-None-Match false + If-Modified-Since true -> 304.
  EXPECT_EQ(Eval({{"If-None-Match", "\"e1\""}, {"If-Modified-Since", before}}), "NotModified");
  // If-None-Match true (no match) + If-Modified-Since false -> 200 (If-None-Match wins).
  EXPECT_EQ(Eval({{"If-None-Match", "\"e2\""}, {"If-Modified-Since", after}}), "ok");
  // If-Match failing wins over everything.
  EXPECT_EQ(Eval({{"If-Match", "\"e2\""}, {"If-None-Match", "\"e1\""}}), "PreconditionFailed");
}

TEST_F(Preconds, NonGetRequests) {
  EXPECT_EQ(Eval({{"If-None-Match", "*"}}, /*get=*/false), "PreconditionFailed");
  EXPECT_EQ(Eval({{"If-Modified-Since", after}}, false), "ok");  // only for GET/HEAD
  EXPECT_EQ(Eval({{"If-Match", "\"e2\""}}, false), "PreconditionFailed");
}

TEST_F(Preconds, CopySource) {
  EXPECT_EQ(EvalCopy({{"x-amz-copy-source-if-match", "\"e1\""}}), "ok");
  EXPECT_EQ(EvalCopy({{"x-amz-copy-source-if-match", "\"e2\""}}), "PreconditionFailed");
  EXPECT_EQ(EvalCopy({{"x-amz-copy-source-if-none-match", "\"e1\""}}), "PreconditionFailed");
  EXPECT_EQ(EvalCopy({{"x-amz-copy-source-if-modified-since", after}}), "PreconditionFailed");
  EXPECT_EQ(EvalCopy({{"x-amz-copy-source-if-modified-since", before}}), "ok");
  EXPECT_EQ(EvalCopy({{"x-amz-copy-source-if-unmodified-since", before}}), "PreconditionFailed");
  EXPECT_EQ(EvalCopy({{"x-amz-copy-source-if-match", "\"e1\""}, {"x-amz-copy-source-if-unmodified-since", before}}),
            "ok");
  EXPECT_EQ(EvalCopy({{"x-amz-copy-source-if-none-match", "\"e1\""}, {"x-amz-copy-source-if-modified-since", before}}),
            "PreconditionFailed");
  // The plain headers do not apply to the copy source.
  EXPECT_EQ(EvalCopy({{"If-Match", "\"e2\""}}), "ok");
}

}  // namespace
}  // namespace faasnet::s3
