// workload/event.h: every action's fields, defaults, and the messages of bad events.
#include "workload/event.h"

#include <gtest/gtest.h>

namespace faasnet::workload {
namespace {

TEST(WorkloadEvent, S3GetWithKeysAndEndpoint) {
  auto e = ParseEvent(R"({"action":"s3-get","bucket":"b","keys":["k1","k/2"],"endpoint":"http://h:1"})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->action, Action::kS3Get);
  EXPECT_EQ(e->s3_get.bucket, "b");
  EXPECT_EQ(e->s3_get.keys, (std::vector<std::string>{"k1", "k/2"}));
  EXPECT_EQ(e->s3_get.endpoint, "http://h:1");
}

TEST(WorkloadEvent, S3PutGeneratedTakesBytesAsNumberOrSize) {
  auto a = ParseEvent(R"({"action":"s3-put","bucket":"b","key":"k","bytes":1234})");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->s3_put.bytes, 1234u);
  EXPECT_EQ(a->s3_put.seed, 1u);
  EXPECT_FALSE(a->s3_put.fetch);
  auto b = ParseEvent(R"({"action":"s3-put","bucket":"b","key":"k","bytes":"10MB","seed":7})");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->s3_put.bytes, 10'000'000u);
  EXPECT_EQ(b->s3_put.seed, 7u);
}

TEST(WorkloadEvent, S3PutFetchNeedsASourceAndNoSize) {
  auto e = ParseEvent(R"({"action":"s3-put","bucket":"b","key":"k","fetch":true,"source_key":"src"})");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_TRUE(e->s3_put.fetch);
  EXPECT_EQ(e->s3_put.source_key, "src");
  EXPECT_FALSE(ParseEvent(R"({"action":"s3-put","bucket":"b","key":"k","fetch":true})").ok());
  // The suite sends the chunk size along: accepted (and checked), the source's size is what goes up.
  EXPECT_TRUE(ParseEvent(R"({"action":"s3-put","bucket":"b","key":"k","fetch":true,"source_key":"s","bytes":1})").ok());
  EXPECT_FALSE(ParseEvent(R"({"action":"s3-put","bucket":"b","key":"k","fetch":true,"source_key":"s","bytes":0})").ok());
  EXPECT_FALSE(ParseEvent(R"({"action":"s3-put","bucket":"b","key":"k","fetch":true,"source_key":"s","seed":1})").ok());
  EXPECT_FALSE(ParseEvent(R"({"action":"s3-put","bucket":"b","key":"k","source_key":"s","bytes":1})").ok());
}

TEST(WorkloadEvent, IperfDefaultsAndDirections) {
  auto up = ParseEvent(R"({"action":"iperf"})");
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(up->iperf.direction, Direction::kUp);
  EXPECT_EQ(up->iperf.duration_s, 10);
  EXPECT_EQ(up->iperf.host, "");
  EXPECT_EQ(up->iperf.port, 0);
  EXPECT_DOUBLE_EQ(up->iperf.interval_s, 1.0);
  EXPECT_DOUBLE_EQ(ParseEvent(R"({"action":"iperf","interval_s":0.1})")->iperf.interval_s, 0.1);
  auto down = ParseEvent(R"({"action":"iperf","direction":"down","duration_s":3,"host":"10.0.0.1","port":5202})");
  ASSERT_TRUE(down.ok()) << down.status().ToString();
  EXPECT_EQ(down->iperf.direction, Direction::kDown);
  EXPECT_EQ(down->iperf.duration_s, 3);
  EXPECT_EQ(down->iperf.host, "10.0.0.1");
  EXPECT_EQ(down->iperf.port, 5202);
}

TEST(WorkloadEvent, EmptyPayloadIsNoopAndHostIdTakesNothing) {
  auto e = ParseEvent("  ");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->action, Action::kNoop);
  EXPECT_EQ(e->sleep_ms, 0);
  EXPECT_EQ(ParseEvent(R"({"action":"host-id"})")->action, Action::kHostId);
  EXPECT_FALSE(ParseEvent(R"({"action":"noop","x":1})").ok());
  EXPECT_FALSE(ParseEvent(R"({"action":"host-id","sleep_ms":1})").ok());
  EXPECT_EQ(ParseEvent(R"({"action":"noop","sleep_ms":300})")->sleep_ms, 300);
  EXPECT_FALSE(ParseEvent(R"({"action":"noop","sleep_ms":-1})").ok());
  EXPECT_FALSE(ParseEvent(R"({"action":"noop","sleep_ms":900001})").ok());
}

// Each bad event fails with InvalidArgument and a message naming what is wrong.
TEST(WorkloadEvent, BadEventsNameTheProblem) {
  const std::pair<const char*, const char*> cases[] = {
      {"not json", "not valid JSON"},
      {"[1,2]", "must be a JSON object"},
      {R"({"bucket":"b"})", "missing \"action\""},
      {R"({"action":"s3-delete"})", "unknown action \"s3-delete\""},
      {R"({"action":"s3-get","keys":["k"]})", "missing \"bucket\""},
      {R"({"action":"s3-get","bucket":"b"})", "missing \"keys\""},
      {R"({"action":"s3-get","bucket":"b","keys":[]})", "\"keys\" must be a list"},
      {R"({"action":"s3-get","bucket":"b","keys":[1]})", "every key must be a non-empty string"},
      {R"({"action":"s3-get","bucket":"b","key":"k","keys":["k"]})", "unknown field \"key\""},
      {R"({"action":"s3-get","bucket":7,"keys":["k"]})", "\"bucket\" must be a non-empty string"},
      {R"({"action":"s3-put","bucket":"b","key":"k"})", "missing \"bytes\""},
      {R"({"action":"s3-put","bucket":"b","key":"k","bytes":0})", "\"bytes\" must be in"},
      {R"({"action":"s3-put","bucket":"b","key":"k","bytes":-5})", "\"bytes\" must be a positive integer"},
      {R"({"action":"s3-put","bucket":"b","key":"k","bytes":"ten"})", "\"bytes\""},
      {R"({"action":"s3-put","bucket":"b","key":"k","bytes":"5GB"})", "\"bytes\" must be in"},
      {R"({"action":"iperf","direction":"sideways"})", "\"direction\" must be \"up\" or \"down\""},
      {R"({"action":"iperf","duration_s":0})", "\"duration_s\" must be an integer in [1, 900]"},
      {R"({"action":"iperf","duration_s":2.5})", "\"duration_s\" must be an integer"},
      {R"({"action":"iperf","port":70000})", "\"port\" must be an integer in [1, 65535]"},
      {R"({"action":"iperf","interval_s":0.01})", "\"interval_s\" must be a number in [0.1, 60]"},
      {R"({"action":"iperf","interval_s":"1"})", "\"interval_s\" must be a number"},
  };
  for (const auto& [event, message] : cases) {
    auto e = ParseEvent(event);
    ASSERT_FALSE(e.ok()) << event;
    EXPECT_EQ(e.status().code(), Status::Code::kInvalidArgument) << event;
    EXPECT_NE(e.status().message().find(message), std::string::npos) << event << " -> " << e.status().message();
  }
}

TEST(WorkloadEvent, Names) {
  EXPECT_STREQ(ActionName(Action::kS3Get), "s3-get");
  EXPECT_STREQ(ActionName(Action::kHostId), "host-id");
  EXPECT_STREQ(DirectionName(Direction::kDown), "down");
}

}  // namespace
}  // namespace faasnet::workload
