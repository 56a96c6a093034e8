// workload/response.h: the response JSON per action, as docs/formats/results.md defines it.
#include "workload/response.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace faasnet::workload {
namespace {

using nlohmann::json;

Response Common(Action action) {
  Response r;
  r.action = action;
  r.cpu = {1.5, 0.5};
  r.netdev = NetDevCounters{100, 20, 1};
  r.ids.host_id = "h0";
  r.ids.sandbox_id = "s1";
  r.ids.cgroup = "0::/";
  return r;
}

TEST(WorkloadResponse, CommonFields) {
  json j = json::parse(ResponseJson(Common(Action::kNoop)));
  EXPECT_EQ(j["action"], "noop");
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["error"], "");
  EXPECT_FALSE(j.contains("error_class"));
  EXPECT_EQ(j["bytes"], 0);
  EXPECT_EQ(j["mb_per_s"], 0.0);
  EXPECT_EQ(j["netdev"], (json{{"rx_bytes", 100}, {"tx_bytes", 20}}));
  EXPECT_EQ(j["cpu"], (json{{"user_ms", 1.5}, {"system_ms", 0.5}}));
  EXPECT_EQ(j["ids"], (json{{"host_id", "h0"}, {"sandbox_id", "s1"}, {"cgroup", "0::/"}}));
  EXPECT_FALSE(j.contains("objects"));
  EXPECT_FALSE(j.contains("intervals"));
}

TEST(WorkloadResponse, UnknownCountersAndIdsAreNull) {
  Response r;
  json j = json::parse(ResponseJson(r));
  EXPECT_TRUE(j["netdev"].is_null());
  EXPECT_TRUE(j["ids"]["host_id"].is_null());
  EXPECT_TRUE(j["ids"]["sandbox_id"].is_null());
}

TEST(WorkloadResponse, S3GetObjectsAndBandwidth) {
  Response r = Common(Action::kS3Get);
  r.bytes = 10'000'000;
  r.elapsed_ms = 100;
  r.bucket = "b";
  r.objects.push_back({"k", 10'000'000, 1.0, 2.0, 101.0, 200, 1, 0});
  json j = json::parse(ResponseJson(r));
  EXPECT_DOUBLE_EQ(j["mb_per_s"].get<double>(), 100.0);  // 10 MB in 100 ms
  ASSERT_EQ(j["objects"].size(), 1u);
  EXPECT_EQ(j["objects"][0]["key"], "k");
  EXPECT_EQ(j["objects"][0]["bytes"], 10'000'000);
  EXPECT_EQ(j["objects"][0]["t_start_ms"], 1.0);
  EXPECT_EQ(j["objects"][0]["t_first_byte_ms"], 2.0);
  EXPECT_EQ(j["objects"][0]["t_last_byte_ms"], 101.0);
  EXPECT_EQ(j["bucket"], "b");
  EXPECT_FALSE(j.contains("fetched"));
}

TEST(WorkloadResponse, FailureCarriesItsClass) {
  Response r = Common(Action::kS3Put);
  r.ok = false;
  r.error = "PutObject b/k: 403 AccessDenied";
  r.error_class = "auth";
  json j = json::parse(ResponseJson(r));
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["error"], "PutObject b/k: 403 AccessDenied");
  EXPECT_EQ(j["error_class"], "auth");
  EXPECT_TRUE(j["objects"].is_array());
}

TEST(WorkloadResponse, IperfAndHostId) {
  Response r = Common(Action::kIperf);
  r.iperf = IperfEvent{Direction::kDown, 3, 0.5, "10.0.0.1", 5201};
  r.intervals.push_back({0, 1, 5'000'000, 5.0, std::nullopt});
  r.retransmits = 7;
  json j = json::parse(ResponseJson(r));
  EXPECT_EQ(j["direction"], "down");
  EXPECT_EQ(j["duration_s"], 3);
  EXPECT_EQ(j["interval_s"], 0.5);
  EXPECT_EQ(j["port"], 5201);
  EXPECT_EQ(j["intervals"][0], (json{{"t_s", 0.0}, {"seconds", 1.0}, {"bytes", 5'000'000}, {"mb_per_s", 5.0},
                                      {"retransmits", nullptr}}));
  EXPECT_EQ(j["retransmits"], 7);

  Response h = Common(Action::kHostId);
  h.cgroup_lines = {"1:cpu:/faasnet/r/h0/s1", "0::/"};
  json k = json::parse(ResponseJson(h));
  EXPECT_EQ(k["cgroup_lines"].size(), 2u);
  EXPECT_TRUE(k["paper_host_key"].is_null());
  h.paper_host_key = "/faasnet/r/h0";
  EXPECT_EQ(json::parse(ResponseJson(h))["paper_host_key"], "/faasnet/r/h0");
}

TEST(WorkloadResponse, InvalidUtf8IsReplacedNotThrown) {
  Response r = Common(Action::kHostId);
  r.cgroup_lines = {std::string("bad \xff byte")};
  EXPECT_NO_THROW(json::parse(ResponseJson(r)));
}

}  // namespace
}  // namespace faasnet::workload
