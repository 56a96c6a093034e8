#include "http/parser.h"

#include <gtest/gtest.h>

namespace faasnet::http {
namespace {

TEST(ParserTest, HeadFieldsAndTargetParts) {
  std::string body;
  auto r = ParseRequest(
      "PUT /bucket/a%20key?uploadId=x&partNumber=2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
      "Expect: 100-continue\r\nX-Amz-Meta-A: 1\r\n\r\nabc",
      &body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->method, "PUT");
  EXPECT_EQ(r->RawPath(), "/bucket/a%20key");
  EXPECT_EQ(r->RawQuery(), "uploadId=x&partNumber=2");
  EXPECT_EQ(*r->content_length, 3u);
  EXPECT_TRUE(r->expect_continue);
  EXPECT_EQ(*r->Header("x-amz-meta-a"), "1");
  EXPECT_EQ(body, "abc");
  auto q = SplitQuery(r->RawQuery());
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[1].first, "partNumber");
  EXPECT_EQ(q[1].second, "2");
}

TEST(ParserTest, ChunkedBodyIsDecoded) {
  std::string body;
  auto r = ParseRequest("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n",
                        &body);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->chunked);
  EXPECT_EQ(body, "abcde");
}

TEST(ParserTest, RejectsMalformedAndOversized) {
  EXPECT_FALSE(ParseRequest("NOT HTTP\r\n\r\n").ok());
  EXPECT_FALSE(ParseRequest("GET / HTTP/1.1\r\nBad Header\r\n\r\n").ok());
  EXPECT_FALSE(ParseRequest("GET / HTTP/1.1\r\nHost: h\r\n").ok());  // incomplete head
  std::string big = "GET / HTTP/1.1\r\nX: " + std::string(100000, 'a') + "\r\n\r\n";
  EXPECT_FALSE(ParseRequest(big, nullptr, 8192).ok());
  std::string body;
  EXPECT_FALSE(ParseRequest("PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n", &body).ok());
  EXPECT_FALSE(ParseRequest("PUT /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", &body).ok());
}

TEST(MessageTest, SerializeHeadAddsLengthAndClose) {
  Response r;
  r.status = 404;
  r.Set("X-A", "b");
  std::string head = SerializeHead(r, 12, false);
  EXPECT_EQ(head, "HTTP/1.1 404 Not Found\r\nX-A: b\r\nContent-Length: 12\r\nConnection: close\r\n\r\n");
}

}  // namespace
}  // namespace faasnet::http
