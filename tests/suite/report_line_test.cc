#include <gtest/gtest.h>

#include "lambdaclient/client.h"

namespace faasnet::lambdaclient {
namespace {

TEST(ParseReportLine, ReadsLambdasFieldsFromTheLastReport) {
  auto r = ParseReportLine(
      "REPORT RequestId: old\tDuration: 1.00 ms\t\nhello\nREPORT RequestId: 3f1c\tDuration: 12.34 ms\t"
      "Billed Duration: 13 ms\tMemory Size: 1024 MB\tMax Memory Used: 77 MB\t\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->request_id, "3f1c");
  EXPECT_DOUBLE_EQ(*r->duration_ms, 12.34);
  EXPECT_DOUBLE_EQ(*r->billed_duration_ms, 13);
  EXPECT_EQ(*r->memory_size_mb, 1024);
  EXPECT_EQ(*r->max_memory_used_mb, 77);
  EXPECT_FALSE(r->init_duration_ms.has_value());
  EXPECT_FALSE(ParseReportLine("no report here").has_value());
}

TEST(Client, RefusesAnEndpointWithoutScheme) {
  Options o;
  o.endpoint = "127.0.0.1:9001";
  auto c = Client::Create(o);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("http://"), std::string::npos);
}

}  // namespace
}  // namespace faasnet::lambdaclient
