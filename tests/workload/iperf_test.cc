// workload/iperf.h: iperf3's JSON report (shape of iperf3 3.12 -J) into samples; RunIperfClient's
// argument checks and its error for a server that is not there. A real test against iperf3 -s is in
// tests/clients/test_workloads.py.
#include "workload/iperf.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace faasnet::workload {
namespace {

// Trimmed from a real `iperf3 -c 127.0.0.1 -t 2 -J` (streams and most fields dropped).
constexpr const char* kUpReport = R"({
  "start": {"test_start": {"protocol": "TCP", "num_streams": 1, "duration": 2, "reverse": 0}},
  "intervals": [
    {"streams": [], "sum": {"start": 0, "end": 1.000023, "seconds": 1.000023, "bytes": 4000000,
                            "bits_per_second": 31999264.0, "retransmits": 3, "omitted": false, "sender": true}},
    {"streams": [], "sum": {"start": 1.000023, "end": 2.0, "seconds": 0.999977, "bytes": 6000000,
                            "bits_per_second": 48001104.0, "retransmits": 0, "omitted": false, "sender": true}},
    {"streams": []}
  ],
  "end": {"sum_sent": {"start": 0, "end": 2.0, "seconds": 2.0, "bytes": 10000000, "retransmits": 3, "sender": true},
          "sum_received": {"start": 0, "end": 2.0005, "seconds": 2.0005, "bytes": 9990000, "sender": true}}
})";

TEST(WorkloadIperf, ParsesIntervalsTotalsAndRetransmits) {
  auto r = ParseIperfJson(kUpReport);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->intervals.size(), 2u);  // the interval without "sum" is skipped
  EXPECT_DOUBLE_EQ(r->intervals[0].t_s, 0);
  EXPECT_EQ(r->intervals[0].bytes, 4'000'000u);
  EXPECT_NEAR(r->intervals[0].mb_per_s, 4.0 / 1.000023, 1e-9);
  EXPECT_EQ(r->intervals[0].retransmits, 3);
  EXPECT_DOUBLE_EQ(r->intervals[1].t_s, 1.000023);
  EXPECT_EQ(r->bytes, 9'990'000u);
  EXPECT_DOUBLE_EQ(r->seconds, 2.0005);
  EXPECT_EQ(r->retransmits, 3);
  EXPECT_FALSE(r->json.empty());
}

TEST(WorkloadIperf, ReceiverIntervalsHaveNoRetransmits) {
  auto r = ParseIperfJson(R"({"intervals": [{"sum": {"start": 0, "seconds": 1, "bytes": 5}}],
                              "end": {"sum_received": {"seconds": 1, "bytes": 5}}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->intervals[0].retransmits.has_value());
  EXPECT_FALSE(r->retransmits.has_value());
}

TEST(WorkloadIperf, ErrorsInTheReport) {
  auto e = ParseIperfJson(R"({"start": {}, "intervals": [], "end": {},
                              "error": "unable to connect to server: Connection refused"})");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("Connection refused"), std::string::npos);
  EXPECT_FALSE(ParseIperfJson("").ok());
  auto unfinished = ParseIperfJson(R"({"intervals": [], "end": {}})");
  ASSERT_FALSE(unfinished.ok());
  EXPECT_NE(unfinished.status().message().find("sum_received"), std::string::npos);
}

TEST(WorkloadIperf, ClientChecksItsOptions) {
  IperfOptions o;
  EXPECT_EQ(RunIperfClient(o).status().code(), Status::Code::kInvalidArgument);  // no host
  o.host = "127.0.0.1";
  o.port = 0;
  EXPECT_EQ(RunIperfClient(o).status().code(), Status::Code::kInvalidArgument);
}

TEST(WorkloadIperf, ClientReportsAServerThatIsNotThere) {
  IperfOptions o;
  o.host = "127.0.0.1";
  o.port = 1;  // nothing listens on port 1 of loopback
  o.duration_s = 1;
  auto r = RunIperfClient(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(r.status().message().find("iperf3 127.0.0.1:1: "), std::string::npos) << r.status().message();
}

size_t OpenFds() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// A warm function runs many tests in one process: libiperf's report file and sockets must not pile up.
TEST(WorkloadIperf, RepeatedTestsLeakNoDescriptors) {
  IperfOptions o;
  o.host = "127.0.0.1";
  o.port = 1;
  o.duration_s = 1;
  (void)RunIperfClient(o);
  const size_t before = OpenFds();
  for (int i = 0; i < 20; ++i) ASSERT_FALSE(RunIperfClient(o).ok());
  EXPECT_EQ(OpenFds(), before);
}

}  // namespace
}  // namespace faasnet::workload
