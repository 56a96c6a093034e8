// workload/proc.h: /proc/net/dev and /proc/self/cgroup from fixture text, and the paper's host key.
#include "workload/proc.h"

#include <gtest/gtest.h>

namespace faasnet::workload {
namespace {

constexpr const char* kNetDev =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls "
    "carrier compressed\n"
    "    lo: 980851202912 56840658    0    1    0     0          0         0 980851202912 56840658    0    0    0 "
    "    0       0          0\n"
    "  eth0: 202312698    4518    0    0    0     0          0         0   207751    2644    0    0    0     0 "
    "      0          0\n"
    "veth-s1:1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0\n";

TEST(WorkloadNetDev, SumsInterfacesExceptLoopback) {
  auto c = ParseNetDev(kNetDev);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->rx_bytes, 202312698u + 1000u);
  EXPECT_EQ(c->tx_bytes, 207751u + 2000u);
  EXPECT_EQ(c->interfaces, 2);
}

TEST(WorkloadNetDev, OnlyLoopbackCountsNothing) {
  auto c = ParseNetDev("h1\nh2\n    lo: 5 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0\n");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->rx_bytes, 0u);
  EXPECT_EQ(c->interfaces, 0);
}

TEST(WorkloadNetDev, MalformedLinesAreErrors) {
  auto a = ParseNetDev("h1\nh2\n  eth0 1 2 3\n");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("line 3"), std::string::npos) << a.status().message();
  auto b = ParseNetDev("h1\nh2\n  eth0: 1 2 3\n");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("eth0"), std::string::npos);
  EXPECT_FALSE(ParseNetDev("h1\nh2\n  eth0: x 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0\n").ok());
}

TEST(WorkloadCgroup, ParsesV1AndV2Lines) {
  auto lines = ParseCgroup("4:memory:/faasnet/r1/h0/s3\n1:cpu,cpuacct:/faasnet/r1/h0/s3\n0::/\n");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].hierarchy_id, "4");
  EXPECT_EQ(lines[0].controllers, "memory");
  EXPECT_EQ(lines[0].path, "/faasnet/r1/h0/s3");
  EXPECT_EQ(lines[1].controllers, "cpu,cpuacct");
  EXPECT_EQ(lines[2].hierarchy_id, "0");
  EXPECT_EQ(lines[2].controllers, "");
  EXPECT_EQ(lines[2].path, "/");
  EXPECT_EQ(lines[2].text, "0::/");
}

TEST(WorkloadCgroup, PaperHostKeyOnLambdaIsTheSandboxRootSegment) {
  auto lines = ParseCgroup(
      "11:perf_event:/\n"
      "10:memory:/sandbox-root-Xa1b2C/sandbox-7d8e9f\n"
      "9:cpu,cpuacct:/sandbox-root-Xa1b2C/sandbox-7d8e9f\n");
  EXPECT_EQ(PaperHostKey(lines), "sandbox-root-Xa1b2C");
}

TEST(WorkloadCgroup, PaperHostKeyOnFaasnetAndDockerIsTheParentCgroup) {
  EXPECT_EQ(PaperHostKey(ParseCgroup("5:cpu:/faasnet/r1/h2/s9\n4:memory:/faasnet/r1/h2/s9/\n0::/\n")),
            "/faasnet/r1/h2");
  EXPECT_EQ(PaperHostKey(ParseCgroup("0::/docker/0123abcd\n")), "/docker");
}

TEST(WorkloadCgroup, PaperHostKeyIsEmptyWithoutACgroupPath) {
  EXPECT_EQ(PaperHostKey(ParseCgroup("0::/\n")), "");
  EXPECT_EQ(PaperHostKey(ParseCgroup("4:memory:/process_api\n0::/\n")), "");
  EXPECT_EQ(PaperHostKey(ParseCgroup("")), "");
  EXPECT_EQ(PaperHostKey(ParseCgroup("garbage\n")), "");
}

}  // namespace
}  // namespace faasnet::workload
