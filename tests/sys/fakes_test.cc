// The in-memory netlink and tc fakes (what callers' unit tests build on) and
// the pure tc helpers.
#include <gtest/gtest.h>

#include "sys/caps.h"
#include "sys/fake_cgroupfs.h"
#include "sys/fake_netlink.h"
#include "sys/fake_tc.h"
#include "sys/fd.h"
#include "sys/tc.h"

namespace faasnet::sys {
namespace {

TEST(TcHelpers, HandlesFormatAndParseLikeTc) {
  EXPECT_EQ(FormatTcHandle(TcHandle(1, 0)), "1:");
  EXPECT_EQ(FormatTcHandle(TcHandle(1, 0x10)), "1:10");
  EXPECT_EQ(FormatTcHandle(TcHandle(0xffff, 0)), "ffff:");
  EXPECT_EQ(FormatTcHandle(kTcRoot), "root");
  EXPECT_EQ(FormatTcHandle(kTcIngress), "ingress");
  EXPECT_EQ(*ParseTcHandle("1:10"), TcHandle(1, 0x10));
  EXPECT_EQ(*ParseTcHandle("1:"), TcHandle(1, 0));
  EXPECT_EQ(*ParseTcHandle("ffff:"), kTcIngressHandle);
  EXPECT_EQ(*ParseTcHandle("root"), kTcRoot);
  for (const char* bad : {"", "1", ":1", "1:x", "10000:1", "1:10000"}) {
    EXPECT_FALSE(ParseTcHandle(bad).ok()) << bad;
  }
}

TEST(TcHelpers, BurstIsFourMillisecondsOfRate) {
  EXPECT_EQ(RecommendedBurstBytes(1'000'000'000), 500'000u);  // MACHINE.md: 500 KB at 1 gbit
  EXPECT_EQ(RecommendedBurstBytes(5'000'000'000ull), 2'500'000u);
  EXPECT_EQ(RecommendedBurstBytes(10'000'000), 15'140u);  // floor: 10 full frames
  EXPECT_EQ(RecommendedBurstBytes(1'000'000'000, std::chrono::microseconds(8000)), 1'000'000u);
}

TEST(TcHelpers, QuantumIsProportionalToWeight) {
  EXPECT_EQ(QuantumForWeight(1), 16384u);
  EXPECT_EQ(QuantumForWeight(8), 8 * 16384u);
  EXPECT_EQ(QuantumForWeight(8) / QuantumForWeight(1), 8u);
  EXPECT_EQ(QuantumForWeight(0.01), 1514u);  // at least one frame
}

TEST(TcSupport, SummaryAndMissing) {
  TcSupport s;
  s.qdiscs = {{"htb", true}, {"netem", false}};
  s.filters = {{"u32", true}};
  s.actions = {{"mirred", true}};
  EXPECT_TRUE(s.Has("htb"));
  EXPECT_TRUE(s.Has("u32"));
  EXPECT_FALSE(s.Has("netem"));
  EXPECT_FALSE(s.Has("cake"));
  EXPECT_EQ(s.Missing(), std::vector<std::string>{"netem"});
  EXPECT_EQ(s.Summary(), "tc: htb u32 mirred; missing: netem");
}

TEST(FakeNetlink, SandboxWiringIsRecorded) {
  FakeNetlink host("faasnet-h1");
  ASSERT_TRUE(host.CreateBridge("br0").ok());
  ASSERT_TRUE(host.AddAddress("br0", "10.200.0.1/24").ok());
  VethSpec v;
  v.name = "v7";
  v.peer_name = "eth0";
  v.peer_netns_fd = 42;
  v.master = "br0";
  auto idx = host.CreateVeth(v);
  ASSERT_TRUE(idx.ok());
  auto link = host.GetLink("v7");
  ASSERT_TRUE(link.ok());
  EXPECT_EQ(link->ifindex, *idx);
  EXPECT_EQ(link->master_ifindex, host.GetLink("br0")->ifindex);
  EXPECT_TRUE(link->up);
  EXPECT_FALSE(host.GetLink("eth0").ok());  // the peer went to another namespace
  ASSERT_EQ(host.veths().size(), 1u);
  EXPECT_EQ(host.veths()[0].peer_netns_fd, 42);
  EXPECT_EQ(host.calls(),
            (std::vector<std::string>{"CreateBridge br0", "AddAddress br0 10.200.0.1/24", "CreateVeth v7 eth0",
                                      "GetLink v7", "GetLink br0", "GetLink eth0"}));
  LinkStats st;
  st.rx_bytes = 100;
  host.SetStats("v7", st);
  EXPECT_EQ(host.ReadStats("v7")->rx_bytes, 100u);
  EXPECT_EQ(host.ReadStatsByIndex(*idx)->rx_bytes, 100u);
  ASSERT_TRUE(host.DeleteLink("v7").ok());
  ASSERT_TRUE(host.DeleteLink("v7").ok());
  EXPECT_EQ(host.GetLink("v7").status().code(), Status::Code::kNotFound);
}

TEST(FakeNetlink, ValidatesLikeTheKernel) {
  FakeNetlink n;
  VethSpec v;
  v.name = "a-name-longer-than-15";
  v.peer_name = "b";
  EXPECT_EQ(n.CreateVeth(v).status().code(), Status::Code::kInvalidArgument);
  v.name = "a";
  v.master = "nobridge";
  EXPECT_EQ(n.CreateVeth(v).status().code(), Status::Code::kNotFound);
  v.master.clear();
  ASSERT_TRUE(n.CreateVeth(v).ok());
  EXPECT_TRUE(n.GetLink("b").ok());  // same-namespace peer exists here
  EXPECT_EQ(n.CreateVeth(v).status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(n.AddAddress("a", "10.0.0.1").code(), Status::Code::kInvalidArgument);  // no prefix
  EXPECT_EQ(n.AddAddress("a", "10.0.0.300/24").code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(n.AddAddress("a", "10.0.0.1/24").ok());
  EXPECT_EQ(n.AddAddress("a", "10.0.0.1/24").code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(*n.Addresses("a"), std::vector<std::string>{"10.0.0.1/24"});
  ASSERT_TRUE(n.AddRoute({"default", "10.0.0.254", ""}).ok());
  EXPECT_EQ(n.AddRoute({"default", "10.0.0.254", ""}).code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(n.AddRoute({"10.1.0.0/16", "x", ""}).code(), Status::Code::kInvalidArgument);
}

TEST(FakeNetlink, FailNextInjectsOneFailure) {
  FakeNetlink n;
  n.FailNext("CreateBridge", Status::PermissionDenied("create bridge br0: Operation not permitted"));
  EXPECT_EQ(n.CreateBridge("br0").status().code(), Status::Code::kPermissionDenied);
  EXPECT_TRUE(n.CreateBridge("br0").ok());
}

TEST(FakeTc, RecordsHtbTreeWithDefaults) {
  FakeTrafficControl tc("faasnet-h1");
  HtbQdiscSpec q;
  q.dev = "up0";
  q.default_class = 0x99;
  ASSERT_TRUE(tc.AddHtbQdisc(q).ok());
  EXPECT_EQ(tc.AddHtbQdisc(q).code(), Status::Code::kAlreadyExists);
  HtbClassSpec nic;
  nic.dev = "up0";
  nic.classid = TcHandle(1, 1);
  nic.rate_bps = 1'000'000'000;
  ASSERT_TRUE(tc.SetHtbClass(nic).ok());
  HtbClassSpec fn;
  fn.dev = "up0";
  fn.classid = TcHandle(1, 0x10);
  fn.parent = TcHandle(1, 1);
  fn.rate_bps = 100'000'000;
  fn.ceil_bps = 1'000'000'000;
  fn.quantum_bytes = QuantumForWeight(2);
  ASSERT_TRUE(tc.SetHtbClass(fn).ok());
  auto back = tc.GetHtbClass("up0", TcHandle(1, 0x10));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->burst_bytes, RecommendedBurstBytes(100'000'000));
  EXPECT_EQ(back->cburst_bytes, RecommendedBurstBytes(1'000'000'000));
  EXPECT_EQ(tc.classes().at({"up0", TcHandle(1, 1)}).ceil_bps, 1'000'000'000u);  // ceil defaults to rate

  U32FilterSpec f;
  f.dev = "up0";
  f.prio = 10;
  f.match = U32Match::kDst;
  f.ipv4_cidr = "10.200.1.7/32";
  f.classid = TcHandle(1, 0x10);
  ASSERT_TRUE(tc.AddU32Filter(f).ok());
  EXPECT_EQ(tc.DeleteClass("up0", TcHandle(1, 0x10)).code(), Status::Code::kUnavailable);  // filter points at it
  ASSERT_TRUE(tc.DeleteFilter("up0", TcHandle(1, 0), 10).ok());
  ASSERT_TRUE(tc.DeleteClass("up0", TcHandle(1, 0x10)).ok());
  ASSERT_TRUE(tc.DeleteClass("up0", TcHandle(1, 0x10)).ok());  // idempotent

  TcStats s;
  s.bytes = 1234;
  tc.SetClassStats("up0", TcHandle(1, 1), s);
  EXPECT_EQ(tc.ReadClassStats("up0", TcHandle(1, 1))->bytes, 1234u);
  EXPECT_EQ(tc.ReadClassStats("up0", TcHandle(1, 0x10)).status().code(), Status::Code::kNotFound);
  ASSERT_TRUE(tc.DeleteRootQdisc("up0").ok());
  EXPECT_TRUE(tc.classes().empty());
  EXPECT_TRUE(tc.qdiscs().empty());
}

TEST(FakeTc, ValidatesLikeTheRealOne) {
  FakeTrafficControl tc;
  HtbClassSpec c;
  c.dev = "up0";
  c.classid = TcHandle(1, 1);
  c.rate_bps = 1000;
  EXPECT_EQ(tc.SetHtbClass(c).code(), Status::Code::kNotFound);  // no qdisc yet
  HtbQdiscSpec q;
  q.dev = "up0";
  ASSERT_TRUE(tc.AddHtbQdisc(q).ok());
  c.rate_bps = 0;
  EXPECT_EQ(tc.SetHtbClass(c).code(), Status::Code::kInvalidArgument);
  c.rate_bps = 2000;
  c.ceil_bps = 1000;
  EXPECT_EQ(tc.SetHtbClass(c).code(), Status::Code::kInvalidArgument);
  c.ceil_bps = 0;
  c.classid = TcHandle(2, 1);
  EXPECT_EQ(tc.SetHtbClass(c).code(), Status::Code::kInvalidArgument);  // major must match the qdisc
  U32FilterSpec f;
  f.dev = "up0";
  f.ipv4_cidr = "10.0.0.0/33";
  EXPECT_EQ(tc.AddU32Filter(f).code(), Status::Code::kInvalidArgument);
  TbfSpec t;
  t.dev = "ifb0";
  t.rate_bps = 50'000'000;
  ASSERT_TRUE(tc.AddTbfQdisc(t).ok());
  EXPECT_EQ(tc.qdiscs().at({"ifb0", TcHandle(1, 0)}).tbf.burst_bytes, RecommendedBurstBytes(50'000'000));
  ASSERT_TRUE(tc.AddIngressRedirect("v1", "ifb0").ok());
  EXPECT_EQ(tc.AddIngressRedirect("v1", "ifb0").code(), Status::Code::kAlreadyExists);
  ASSERT_TRUE(tc.DeleteIngressQdisc("v1").ok());
  EXPECT_TRUE(tc.redirects().empty());
  tc.FailNext("AddTbfQdisc", Status::Unimplemented("no tbf"));
  t.dev = "ifb1";
  EXPECT_EQ(tc.AddTbfQdisc(t).code(), Status::Code::kUnimplemented);
}

TEST(Caps, ProbeWithoutNetworkOnAFakeTree) {
  auto dir = MakeTempDir("faasnet-caps-test-");
  ASSERT_TRUE(dir.ok());
  auto layout = MakeFakeCgroupTree(*dir, FakeCgroupTreeOptions{});
  ASSERT_TRUE(layout.ok());
  ProbeOptions o;
  o.probe_network = false;
  o.layout = *layout;
  Capabilities c = ProbeCapabilities(o);
  ASSERT_TRUE(c.cgroup_version.has_value());
  EXPECT_EQ(*c.cgroup_version, CgroupVersion::kV2);
  EXPECT_TRUE(c.cgroups_usable) << c.cgroup_error;
  ASSERT_EQ(c.controllers.size(), 3u);
  EXPECT_TRUE(c.controllers[0].mounted);
  EXPECT_FALSE(c.FullIsolation());  // network not probed
  std::string report = c.Report();
  EXPECT_NE(report.find("cgroups: v2 cpu(rw) memory(rw) pids(rw), usable"), std::string::npos) << report;
  EXPECT_NE(report.find("network: not probed"), std::string::npos) << report;
  ASSERT_TRUE(RemoveTree(*dir).ok());
}

}  // namespace
}  // namespace faasnet::sys
