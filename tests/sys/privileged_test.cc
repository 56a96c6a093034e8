// Privileged tests (root): real namespaces, veth + bridge + addresses with TCP
// between two namespaces, HTB/TBF shaping read back and measured, real cgroups
// (quota, memory limit, attach, stats, OOM, destroy), processes spawned into a
// netns + cgroup, the capability probe and the reaper.
//
// Every address used is inside namespaces these tests create (10.200.0.0/24);
// nothing is added to the root namespace. Names carry this process's pid
// (faasnet-t<pid>-..., faasnet/t<pid>/...), RAII owners remove everything, and
// TearDown reaps this process's leftovers as a safety net.
#include "privileged.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "base/strings.h"
#include "sys/caps.h"
#include "sys/cgroup.h"
#include "sys/fd.h"
#include "sys/listen.h"
#include "sys/netlink.h"
#include "sys/netns.h"
#include "sys/process.h"
#include "sys/reap.h"
#include "sys/tc.h"

namespace faasnet::sys {
namespace {

using testing::TestCgroupRoot;
using testing::TestName;
using namespace std::chrono_literals;

class PrivilegedTest : public ::testing::Test {
 protected:
  void SetUp() override { FAASNET_REQUIRE_ROOT(); }

  void TearDown() override {
    if (::geteuid() != 0) return;
    auto fs = CgroupFs::OpenSystem();
    if (fs.ok() && (*fs)->Exists(TestCgroupRoot())) {
      // The tests' shared parent may remain; anything below it is a leak.
      auto kids = (*fs)->Children(TestCgroupRoot());
      ASSERT_TRUE(kids.ok());
      EXPECT_TRUE(kids->empty()) << "a test leaked cgroup " << TestCgroupRoot() << "/" << kids->front();
    }
    auto report = ReapLeftovers(fs.ok() ? fs->get() : nullptr, TestCgroupRoot(), TestName(""));
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok()) << report->ToString();
    EXPECT_EQ(report->netns_removed, 0) << "a test leaked a namespace: " << report->ToString();
    if (fs.ok()) {
      // faasnet's shared parent: removed when no one else uses it (rmdir fails otherwise).
      for (const auto& dir : {(*fs)->DirFor("cpu", "faasnet"), (*fs)->DirFor("cpuacct", "faasnet"),
                              (*fs)->DirFor("memory", "faasnet"), (*fs)->DirFor("pids", "faasnet")}) {
        ::rmdir(dir.c_str());
      }
    }
  }
};

// ---------------------------------------------------------------- helpers

// host namespace with bridge br0 (10.200.0.1/24); sandboxes s1, s2 with eth0
// (10.200.0.2, 10.200.0.3) attached through veths v1, v2.
struct Topology {
  NetNamespace host, s1, s2;
  std::unique_ptr<NetlinkOps> host_nl, s1_nl, s2_nl;

  static Result<std::unique_ptr<Topology>> Build(const std::string& tag) {
    auto t = std::make_unique<Topology>();
    ASSIGN_OR_RETURN(t->host, NetNamespace::Create(TestName(tag + "-h")));
    ASSIGN_OR_RETURN(t->s1, NetNamespace::Create(TestName(tag + "-s1")));
    ASSIGN_OR_RETURN(t->s2, NetNamespace::Create(TestName(tag + "-s2")));
    ASSIGN_OR_RETURN(t->host_nl, OpenNetlink(t->host));
    ASSIGN_OR_RETURN(t->s1_nl, OpenNetlink(t->s1));
    ASSIGN_OR_RETURN(t->s2_nl, OpenNetlink(t->s2));
    RETURN_IF_ERROR(t->host_nl->CreateBridge("br0").status());
    RETURN_IF_ERROR(t->host_nl->AddAddress("br0", "10.200.0.1/24"));
    int i = 1;
    for (auto* pair : {&t->s1, &t->s2}) {
      NetlinkOps* sn = i == 1 ? t->s1_nl.get() : t->s2_nl.get();
      VethSpec v;
      v.name = "v" + std::to_string(i);
      v.peer_name = "eth0";
      v.peer_netns_fd = pair->fd();
      v.master = "br0";
      RETURN_IF_ERROR(t->host_nl->CreateVeth(v).status());
      RETURN_IF_ERROR(sn->SetUp("lo", true));
      RETURN_IF_ERROR(sn->SetUp("eth0", true));
      RETURN_IF_ERROR(sn->AddAddress("eth0", "10.200.0." + std::to_string(1 + i) + "/24"));
      RETURN_IF_ERROR(sn->AddRoute(RouteSpec{"default", "10.200.0.1", ""}));
      ++i;
    }
    return t;
  }
};

void SetTimeouts(int fd) {
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

sockaddr_in Addr(const char* ip, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

// A listening TCP socket created inside `ns`; returns it and its port.
Result<std::pair<UniqueFd, int>> ListenIn(const NetNamespace& ns, const char* ip) {
  ASSIGN_OR_RETURN(NetnsGuard g, NetnsGuard::Enter(ns));
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Status::FromErrno(errno, "socket");
  SetTimeouts(fd.get());
  sockaddr_in a = Addr(ip, 0);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return Status::FromErrno(errno, "bind", ip);
  if (::listen(fd.get(), 8) != 0) return Status::FromErrno(errno, "listen");
  socklen_t len = sizeof a;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
  return std::make_pair(std::move(fd), static_cast<int>(ntohs(a.sin_port)));
}

// A TCP connection from inside `ns` to ip:port.
Result<UniqueFd> ConnectFrom(const NetNamespace& ns, const char* ip, int port) {
  ASSIGN_OR_RETURN(NetnsGuard g, NetnsGuard::Enter(ns));
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Status::FromErrno(errno, "socket");
  SetTimeouts(fd.get());
  sockaddr_in a = Addr(ip, port);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    return Status::FromErrno(errno, "connect", ip);
  }
  return fd;
}

// Sends `bytes` from `from` to a server in `to` at ip; returns (received, seconds).
Result<std::pair<uint64_t, double>> Transfer(const NetNamespace& from, const NetNamespace& to, const char* ip,
                                             uint64_t bytes) {
  ASSIGN_OR_RETURN(auto listener, ListenIn(to, ip));
  std::atomic<uint64_t> received{0};
  std::thread server([&] {
    UniqueFd conn(::accept4(listener.first.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn) return;
    SetTimeouts(conn.get());
    char buf[65536];
    ssize_t n;
    while ((n = ::read(conn.get(), buf, sizeof buf)) > 0) received += static_cast<uint64_t>(n);
  });
  auto t0 = std::chrono::steady_clock::now();
  auto client = ConnectFrom(from, ip, listener.second);
  if (client.ok()) {
    std::string chunk(65536, 'x');
    uint64_t sent = 0;
    while (sent < bytes) {
      ssize_t n = ::write(client->get(), chunk.data(), std::min<uint64_t>(chunk.size(), bytes - sent));
      if (n <= 0) break;
      sent += static_cast<uint64_t>(n);
    }
    ::shutdown(client->get(), SHUT_WR);
  } else {
    ::shutdown(listener.first.get(), SHUT_RDWR);  // unblock accept
  }
  server.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!client.ok()) return client.status();
  return std::make_pair(received.load(), secs);
}

std::string RunSh(const std::string& script, SpawnOptions o, const std::string& out) {
  o.argv = {"/bin/sh", "-c", script};
  o.stdout_path = out;
  o.stderr_path = out;
  auto p = Process::Spawn(o);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  if (!p.ok()) return "";
  auto st = p->Wait(10000ms);
  EXPECT_TRUE(st.ok() && st->has_value());
  auto text = ReadFile(out);
  return text.ok() ? *text : std::string();
}

// ---------------------------------------------------------------- netns

TEST_F(PrivilegedTest, NetnsPinIsVisibleAndDestroyIsIdempotent) {
  std::string name = TestName("pin");
  {
    auto ns = NetNamespace::Create(name);
    ASSERT_TRUE(ns.ok()) << ns.status().ToString();
    EXPECT_TRUE(ns->pinned());
    EXPECT_TRUE(PathExists("/run/netns/" + name));
    auto dup = NetNamespace::Create(name);
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.status().code(), Status::Code::kAlreadyExists);
    EXPECT_NE(dup.status().message().find("faasnet cleanup"), std::string::npos);
    auto opened = NetNamespace::OpenPinned(name);
    ASSERT_TRUE(opened.ok());
    struct stat a, b;
    ASSERT_EQ(::fstat(ns->fd(), &a), 0);
    ASSERT_EQ(::fstat(opened->fd(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);
    ASSERT_TRUE(opened->Destroy().ok());
    EXPECT_TRUE(PathExists("/run/netns/" + name));  // OpenPinned does not own the pin
    ASSERT_TRUE(ns->Destroy().ok());
    EXPECT_FALSE(PathExists("/run/netns/" + name));
    ASSERT_TRUE(ns->Destroy().ok());
  }
  auto unpinned = NetNamespace::Create(TestName("nopin"), NetNamespace::Options{.pin = false});
  ASSERT_TRUE(unpinned.ok());
  EXPECT_FALSE(PathExists("/run/netns/" + TestName("nopin")));
  EXPECT_EQ(NetNamespace::Create("not-faasnet").status().code(), Status::Code::kInvalidArgument);
}

TEST_F(PrivilegedTest, GuardEntersAndLeaves) {
  auto ns = NetNamespace::Create(TestName("guard"), NetNamespace::Options{.pin = false});
  ASSERT_TRUE(ns.ok());
  auto here = NetNamespace::Current();
  ASSERT_TRUE(here.ok());
  struct stat home, inside, target;
  ASSERT_EQ(::fstat(here->fd(), &home), 0);
  ASSERT_EQ(::fstat(ns->fd(), &target), 0);
  {
    auto g = NetnsGuard::Enter(*ns);
    ASSERT_TRUE(g.ok());
    ASSERT_EQ(::stat("/proc/thread-self/ns/net", &inside), 0);
    EXPECT_EQ(inside.st_ino, target.st_ino);
  }
  ASSERT_EQ(::stat("/proc/thread-self/ns/net", &inside), 0);
  EXPECT_EQ(inside.st_ino, home.st_ino);
}

TEST_F(PrivilegedTest, ListenTcpInsideANamespace) {
  auto ns = NetNamespace::Create(TestName("listen"), NetNamespace::Options{.pin = false});
  ASSERT_TRUE(ns.ok());
  auto nl = OpenNetlink(*ns);
  ASSERT_TRUE(nl.ok());
  ASSERT_TRUE((*nl)->SetUp("lo", true).ok());
  auto fd = ListenTcp(&*ns, "127.0.0.1", 0);
  ASSERT_TRUE(fd.ok()) << fd.status().ToString();
  auto addr = BoundAddress(fd->get());
  ASSERT_TRUE(addr.ok());
  int port = std::stoi(addr->substr(addr->find(':') + 1));
  // Reachable from inside the namespace: the socket lives there.
  auto conn = ConnectFrom(*ns, "127.0.0.1", port);
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
}

// ---------------------------------------------------------------- links

TEST_F(PrivilegedTest, BridgeVethAndTcpBetweenNamespaces) {
  auto topo = Topology::Build("net");
  ASSERT_TRUE(topo.ok()) << topo.status().ToString();
  Topology& t = **topo;
  auto v1 = t.host_nl->GetLink("v1");
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->kind, "veth");
  EXPECT_TRUE(v1->up);
  EXPECT_EQ(v1->master_ifindex, t.host_nl->GetLink("br0")->ifindex);
  auto eth0 = t.s1_nl->GetLink("eth0");
  ASSERT_TRUE(eth0.ok());
  EXPECT_TRUE(eth0->up);
  EXPECT_EQ(*t.s1_nl->Addresses("eth0"), std::vector<std::string>{"10.200.0.2/24"});
  auto before = t.host_nl->ReadStats("v1");
  ASSERT_TRUE(before.ok());

  // Sandbox to sandbox across the bridge, and sandbox to the host's bridge address.
  auto r = Transfer(t.s1, t.s2, "10.200.0.3", 1 << 20);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->first, 1u << 20);
  auto r2 = Transfer(t.s2, t.host, "10.200.0.1", 4096);
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(r2->first, 4096u);

  // What s1 sent is what the host side of its veth received.
  auto after = t.host_nl->ReadStats("v1");
  ASSERT_TRUE(after.ok());
  EXPECT_GE(after->rx_bytes - before->rx_bytes, 1u << 20);
  auto by_index = t.host_nl->ReadStatsByIndex(v1->ifindex);
  ASSERT_TRUE(by_index.ok());
  EXPECT_GE(by_index->rx_bytes, after->rx_bytes);
  auto s1_side = t.s1_nl->ReadStats("eth0");
  ASSERT_TRUE(s1_side.ok());
  EXPECT_GE(s1_side->tx_bytes, 1u << 20);
}

TEST_F(PrivilegedTest, NetlinkReadBackAndErrors) {
  auto ns = NetNamespace::Create(TestName("nl"), NetNamespace::Options{.pin = false});
  ASSERT_TRUE(ns.ok());
  auto nl = OpenNetlink(*ns);
  ASSERT_TRUE(nl.ok());
  NetlinkOps& n = **nl;
  EXPECT_EQ(n.GetLink("nosuch").status().code(), Status::Code::kNotFound);
  VethSpec v;
  v.name = "a";
  v.peer_name = "b";
  v.mtu = 9000;
  v.peer_up = true;
  ASSERT_TRUE(n.CreateVeth(v).ok());
  EXPECT_EQ(n.GetLink("b")->mtu, 9000u);
  EXPECT_TRUE(n.GetLink("b")->up);
  auto dup = n.CreateVeth(v);
  EXPECT_EQ(dup.status().code(), Status::Code::kAlreadyExists);
  EXPECT_NE(dup.status().message().find("create veth a (peer b) in netns " + TestName("nl")), std::string::npos)
      << dup.status().message();
  ASSERT_TRUE(n.SetMtu("a", 1400).ok());
  EXPECT_EQ(n.GetLink("a")->mtu, 1400u);
  ASSERT_TRUE(n.SetUp("a", false).ok());
  EXPECT_FALSE(n.GetLink("a")->up);
  ASSERT_TRUE(n.CreateBridge("br0").ok());
  ASSERT_TRUE(n.SetMaster("a", "br0").ok());
  ASSERT_TRUE(n.SetMaster("a", "").ok());
  EXPECT_EQ(n.GetLink("a")->master_ifindex, 0);
  EXPECT_EQ(n.AddAddress("a", "10.200.0.9").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(n.AddAddress("nosuch", "10.200.0.9/24").code(), Status::Code::kNotFound);
  ASSERT_TRUE(n.SetUp("a", true).ok());
  ASSERT_TRUE(n.AddAddress("a", "10.200.0.9/24").ok());
  ASSERT_TRUE(n.AddRoute(RouteSpec{"10.201.0.0/16", "10.200.0.1", "a"}).ok());
  EXPECT_EQ(n.AddRoute(RouteSpec{"10.201.0.0/16", "10.200.0.1", "a"}).code(), Status::Code::kAlreadyExists);
  auto links = n.ListLinks();
  ASSERT_TRUE(links.ok());
  EXPECT_EQ(links->size(), 4u);  // lo, a, b, br0
  ASSERT_TRUE(n.DeleteLink("a").ok());
  EXPECT_EQ(n.GetLink("b").status().code(), Status::Code::kNotFound);  // the peer went with it
  ASSERT_TRUE(n.DeleteLink("a").ok());
  EXPECT_EQ(n.CreateBridge("name-too-long-for-linux").status().code(), Status::Code::kInvalidArgument);
}

TEST_F(PrivilegedTest, DestroyingTheNamespaceRemovesTheVeth) {
  auto host = NetNamespace::Create(TestName("del-h"), NetNamespace::Options{.pin = false});
  auto sb = NetNamespace::Create(TestName("del-s"));
  ASSERT_TRUE(host.ok() && sb.ok());
  auto nl = OpenNetlink(*host);
  ASSERT_TRUE(nl.ok());
  VethSpec v;
  v.name = "v1";
  v.peer_name = "eth0";
  v.peer_netns_fd = sb->fd();
  ASSERT_TRUE((*nl)->CreateVeth(v).ok());
  ASSERT_TRUE(sb->Destroy().ok());
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while ((*nl)->GetLink("v1").ok() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  EXPECT_EQ((*nl)->GetLink("v1").status().code(), Status::Code::kNotFound);
}

// ---------------------------------------------------------------- tc

TEST_F(PrivilegedTest, HtbClassShapesTrafficToOneSandbox) {
  auto topo = Topology::Build("htb");
  ASSERT_TRUE(topo.ok()) << topo.status().ToString();
  Topology& t = **topo;
  auto tc = OpenTrafficControl(t.host);
  ASSERT_TRUE(tc.ok());
  // Traffic to s2 leaves the host namespace through v2: shape v2's egress.
  HtbQdiscSpec q;
  q.dev = "v2";
  ASSERT_TRUE((*tc)->AddHtbQdisc(q).ok());
  EXPECT_EQ((*tc)->AddHtbQdisc(q).code(), Status::Code::kAlreadyExists);
  HtbClassSpec nic;
  nic.dev = "v2";
  nic.classid = TcHandle(1, 1);
  nic.rate_bps = 1'000'000'000;
  ASSERT_TRUE((*tc)->SetHtbClass(nic).ok());
  HtbClassSpec fn;
  fn.dev = "v2";
  fn.classid = TcHandle(1, 0x10);
  fn.parent = TcHandle(1, 1);
  fn.rate_bps = 50'000'000;
  fn.ceil_bps = 50'000'000;
  fn.quantum_bytes = QuantumForWeight(2);
  fn.prio = 1;
  Status set = (*tc)->SetHtbClass(fn);
  ASSERT_TRUE(set.ok()) << set.ToString();
  auto back = (*tc)->GetHtbClass("v2", TcHandle(1, 0x10));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->rate_bps, 50'000'000u);
  EXPECT_EQ(back->ceil_bps, 50'000'000u);
  EXPECT_EQ(back->parent, TcHandle(1, 1));
  EXPECT_EQ(back->quantum_bytes, QuantumForWeight(2));
  EXPECT_EQ(back->prio, 1u);
  EXPECT_NEAR(static_cast<double>(back->burst_bytes), RecommendedBurstBytes(50'000'000), 200.0);
  U32FilterSpec f;
  f.dev = "v2";
  f.prio = 10;
  f.match = U32Match::kDst;
  f.ipv4_cidr = "10.200.0.3/32";
  f.classid = TcHandle(1, 0x10);
  ASSERT_TRUE((*tc)->AddU32Filter(f).ok());

  const uint64_t bytes = 2'500'000;  // 0.4 s at 50 Mbit/s
  auto r = Transfer(t.s1, t.s2, "10.200.0.3", bytes);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->first, bytes);
  double expected = (bytes - RecommendedBurstBytes(50'000'000)) * 8.0 / 50e6;
  std::printf("[ shaped   ] %.0f bytes in %.3f s = %.1f Mbit/s goodput (class rate 50 Mbit/s)\n",
              static_cast<double>(bytes), r->second, bytes * 8 / r->second / 1e6);
  EXPECT_GE(r->second, 0.75 * expected) << "the class did not limit the rate";
  EXPECT_LE(r->second, 10.0);
  auto stats = (*tc)->ReadClassStats("v2", TcHandle(1, 0x10));
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_GE(stats->bytes, bytes);
  EXPECT_GT(stats->packets, 0u);
  auto root_stats = (*tc)->ReadQdiscStats("v2", TcHandle(1, 0));
  ASSERT_TRUE(root_stats.ok());
  EXPECT_GE(root_stats->bytes, stats->bytes);

  // Change the class in place, then take it down.
  fn.rate_bps = 100'000'000;
  fn.ceil_bps = 200'000'000;
  ASSERT_TRUE((*tc)->SetHtbClass(fn).ok());
  EXPECT_EQ((*tc)->GetHtbClass("v2", TcHandle(1, 0x10))->ceil_bps, 200'000'000u);
  ASSERT_TRUE((*tc)->DeleteFilter("v2", TcHandle(1, 0), 10).ok());
  ASSERT_TRUE((*tc)->DeleteClass("v2", TcHandle(1, 0x10)).ok());
  EXPECT_EQ((*tc)->GetHtbClass("v2", TcHandle(1, 0x10)).status().code(), Status::Code::kNotFound);
  ASSERT_TRUE((*tc)->DeleteRootQdisc("v2").ok());
  ASSERT_TRUE((*tc)->DeleteRootQdisc("v2").ok());
}

TEST_F(PrivilegedTest, IngressRedirectToIfbWithTbf) {
  auto topo = Topology::Build("ifb");
  ASSERT_TRUE(topo.ok()) << topo.status().ToString();
  Topology& t = **topo;
  ASSERT_TRUE(t.host_nl->CreateIfb("ifb0").ok());
  auto tc = OpenTrafficControl(t.host);
  ASSERT_TRUE(tc.ok());
  TbfSpec tbf;
  tbf.dev = "ifb0";
  tbf.rate_bps = 50'000'000;
  Status st = (*tc)->AddTbfQdisc(tbf);
  ASSERT_TRUE(st.ok()) << st.ToString();
  // What s2 sends arrives on v2 in the host namespace: shape v2's ingress.
  st = (*tc)->AddIngressRedirect("v2", "ifb0");
  ASSERT_TRUE(st.ok()) << st.ToString();
  const uint64_t bytes = 2'500'000;
  auto r = Transfer(t.s2, t.s1, "10.200.0.2", bytes);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->first, bytes);
  double expected = (bytes - RecommendedBurstBytes(50'000'000)) * 8.0 / 50e6;
  std::printf("[ shaped   ] ingress via ifb+tbf: %.3f s = %.1f Mbit/s goodput (tbf 50 Mbit/s)\n", r->second,
              bytes * 8 / r->second / 1e6);
  EXPECT_GE(r->second, 0.75 * expected);
  auto stats = (*tc)->ReadQdiscStats("ifb0", TcHandle(1, 0));
  ASSERT_TRUE(stats.ok());
  EXPECT_GE(stats->bytes, bytes);
  ASSERT_TRUE((*tc)->DeleteIngressQdisc("v2").ok());
  ASSERT_TRUE((*tc)->DeleteIngressQdisc("v2").ok());
}

// ---------------------------------------------------------------- cgroups

TEST_F(PrivilegedTest, CgroupQuotaMemoryAttachStatsDestroy) {
  auto fs = CgroupFs::OpenSystem();
  ASSERT_TRUE(fs.ok()) << fs.status().ToString();
  CgroupManager& m = **fs;
  std::string host_path = TestCgroupRoot() + "/h1";
  std::string sb_path = host_path + "/s1";
  auto host = Cgroup::Create(m, host_path);
  ASSERT_TRUE(host.ok()) << host.status().ToString();
  ASSERT_TRUE(host->SetCpu(200000, 100000).ok());  // the host: 2 vCPU
  auto sb = Cgroup::Create(m, sb_path);
  ASSERT_TRUE(sb.ok());
  Status st = sb->SetCpu(20000, 100000);  // 0.2 CPU
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_TRUE(sb->SetMemoryLimit(64 << 20).ok());
  ASSERT_TRUE(sb->SetPidsLimit(32).ok());
  // v1 refuses a child quota above its parent's.
  if (m.version() == CgroupVersion::kV1) {
    EXPECT_FALSE(sb->SetCpu(300000, 100000).ok());
    ASSERT_TRUE(sb->SetCpu(20000, 100000).ok());
  }

  SpawnOptions o;
  o.argv = {"/bin/sh", "-c", "while :; do :; done"};
  o.cgroups = &m;
  o.cgroup = sb_path;
  auto busy = Process::Spawn(o);
  ASSERT_TRUE(busy.ok()) << busy.status().ToString();
  auto cg = ReadFile("/proc/" + std::to_string(busy->pid()) + "/cgroup");
  ASSERT_TRUE(cg.ok());
  EXPECT_NE(cg->find(sb_path), std::string::npos) << *cg;
  auto w = busy->Wait(600ms);
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE(w->has_value());
  auto stats = sb->ReadStats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  std::printf(
      "[ cgroup   ] 0.6 s at 0.2 CPU: usage %.3f s, throttled %.3f s in %lu of %lu periods, "
      "peak %lu B, pids %lu\n",
      stats->cpu_usage_ns / 1e9, stats->cpu_throttled_ns / 1e9, static_cast<unsigned long>(stats->nr_throttled),
      static_cast<unsigned long>(stats->nr_periods), static_cast<unsigned long>(stats->memory_peak_bytes.value_or(0)),
      static_cast<unsigned long>(stats->pids_current));
  EXPECT_GT(stats->cpu_usage_ns, 20'000'000u);
  EXPECT_LT(stats->cpu_usage_ns, 250'000'000u);  // 0.2 CPU x 0.6 s = 0.12 s, far below 0.6 s
  EXPECT_GT(stats->nr_throttled, 0u);
  EXPECT_GT(stats->cpu_throttled_ns, 0u);
  EXPECT_GE(stats->pids_current, 1u);
  EXPECT_GT(stats->memory_current_bytes, 0u);
  ASSERT_TRUE(stats->memory_peak_bytes.has_value() || m.version() == CgroupVersion::kV2);

  // Attach a second, already running process.
  SpawnOptions sleeper;
  sleeper.argv = {"sleep", "30"};
  auto other = Process::Spawn(sleeper);
  ASSERT_TRUE(other.ok());
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(sb->Attach(other->pid()).ok());
  double attach_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ cgroup   ] attach of a running process, isolated: %.3f ms\n", attach_ms);
  auto procs = m.Procs(sb_path);
  ASSERT_TRUE(procs.ok());
  EXPECT_EQ(procs->size(), 2u);

  // Destroy kills what runs inside and removes the group everywhere.
  ASSERT_TRUE(host->Destroy().ok());
  EXPECT_FALSE(m.Exists(sb_path));
  EXPECT_FALSE(m.Exists(host_path));
  auto end = busy->Wait(2000ms);
  ASSERT_TRUE(end.ok() && end->has_value());
  EXPECT_EQ((*end)->signal, SIGKILL);
  auto end2 = other->Wait(2000ms);
  ASSERT_TRUE(end2.ok() && end2->has_value());
  ASSERT_TRUE(host->Destroy().ok());
  sb->Release();  // already gone with its parent
}

TEST_F(PrivilegedTest, OutOfMemoryIsReported) {
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "needs /usr/bin/python3 to allocate memory";
  auto fs = CgroupFs::OpenSystem();
  ASSERT_TRUE(fs.ok()) << fs.status().ToString();
  auto sb = Cgroup::Create(**fs, TestCgroupRoot() + "/oom");
  ASSERT_TRUE(sb.ok());
  ASSERT_TRUE(sb->SetMemoryLimit(32 << 20).ok());
  SpawnOptions o;
  o.argv = {"/usr/bin/python3", "-c", "b = bytearray(256 << 20); b[::4096] = b'x' * len(b[::4096])"};
  o.cgroups = fs->get();
  o.cgroup = sb->path();
  auto p = Process::Spawn(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto st = p->Wait(20000ms);
  ASSERT_TRUE(st.ok() && st->has_value());
  EXPECT_TRUE((*st)->signaled);
  EXPECT_EQ((*st)->signal, SIGKILL);
  EXPECT_TRUE((*st)->oom_killed) << (*st)->ToString();
  auto stats = sb->ReadStats();
  ASSERT_TRUE(stats.ok());
  EXPECT_GE(stats->oom_kills, 1u);
  ASSERT_TRUE(stats->memory_peak_bytes.has_value());
  EXPECT_GE(*stats->memory_peak_bytes, 30u << 20);
  EXPECT_LE(*stats->memory_peak_bytes, 32u << 20);
}

// ---------------------------------------------------------------- processes

TEST_F(PrivilegedTest, ProcessInNetnsAndCgroupWithPrivateTmp) {
  auto fs = CgroupFs::OpenSystem();
  ASSERT_TRUE(fs.ok()) << fs.status().ToString();
  auto region = Cgroup::Create(**fs, TestCgroupRoot() + "/r1");  // destroyed last, with h7
  ASSERT_TRUE(region.ok());
  auto sb = Cgroup::Create(**fs, TestCgroupRoot() + "/r1/h7/s42");
  ASSERT_TRUE(sb.ok());
  auto ns = NetNamespace::Create(TestName("proc"));
  ASSERT_TRUE(ns.ok());
  auto dir = MakeTempDir("faasnet-priv-test-");
  ASSERT_TRUE(dir.ok());
  std::string marker = "faasnet-marker-" + std::to_string(::getpid());

  SpawnOptions o;
  o.cgroups = fs->get();
  o.cgroup = sb->path();
  o.netns = &*ns;
  o.private_tmp = true;
  o.private_tmp_bytes = 16 << 20;
  std::string out = RunSh(
      "cat /proc/self/cgroup; readlink /proc/self/ns/net; echo tmp:$(ls -A /tmp | wc -l); "
      "echo x > /tmp/" +
          marker + "; grep -c ' /run/netns/' /proc/self/mountinfo",
      o, *dir + "/out");
  // The paper's co-location method: the cgroup path names host and sandbox.
  EXPECT_NE(out.find(":" + std::string("/") + sb->path() + "\n"), std::string::npos) << out;
  struct stat st;
  ASSERT_EQ(::fstat(ns->fd(), &st), 0);
  EXPECT_NE(out.find("net:[" + std::to_string(st.st_ino) + "]"), std::string::npos) << out;
  EXPECT_NE(out.find("tmp:0\n"), std::string::npos) << out;  // a fresh tmpfs
  EXPECT_NE(out.find("\n0\n"), std::string::npos) << "the child still sees /run/netns pins:\n" << out;
  EXPECT_FALSE(PathExists("/tmp/" + marker));

  // A bind of a per-sandbox directory instead of a tmpfs.
  ASSERT_TRUE(MakeDirs(*dir + "/tmp").ok());
  o.private_tmp_dir = *dir + "/tmp";
  RunSh("echo y > /tmp/" + marker, o, *dir + "/out2");
  auto y = ReadFile(*dir + "/tmp/" + marker);
  EXPECT_TRUE(y.ok() && *y == "y\n");
  EXPECT_FALSE(PathExists("/tmp/" + marker));

  // A destroyed namespace is refused (never silently the root namespace).
  o.private_tmp = false;
  o.cgroups = nullptr;
  o.argv = {"/bin/true"};
  NetNamespace gone = std::move(*ns);
  ASSERT_TRUE(gone.Destroy().ok());
  o.netns = &gone;
  auto refused = Process::Spawn(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  // An fd that is not a network namespace fails in the child, naming the step.
  std::string bogus = TestName("bogus");
  ASSERT_TRUE(CreateFile(std::string(kNetnsRunDir) + "/" + bogus, "").ok());
  auto not_ns = NetNamespace::OpenPinned(bogus);
  ASSERT_TRUE(not_ns.ok());
  o.netns = &*not_ns;
  auto bad = Process::Spawn(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("setns into netns " + bogus), std::string::npos) << bad.status().message();
  ASSERT_TRUE(RemoveNetnsPin(bogus).ok());
  ASSERT_TRUE(RemoveTree(*dir).ok());
}

// ---------------------------------------------------------------- probe, reap

TEST_F(PrivilegedTest, ProbeReportsThisMachine) {
  Capabilities c = ProbeCapabilities();
  std::printf("%s", c.Report().c_str());
  EXPECT_TRUE(c.root);
  EXPECT_TRUE(c.cap_sys_admin);
  EXPECT_TRUE(c.cap_net_admin);
  EXPECT_TRUE(c.cgroups_usable) << c.cgroup_error;
  EXPECT_TRUE(c.netns);
  EXPECT_TRUE(c.veth);
  EXPECT_TRUE(c.bridge);
  EXPECT_TRUE(c.FullIsolation());
  EXPECT_TRUE(c.tc.Has("htb"));
  EXPECT_TRUE(c.tc.Has("u32"));
  EXPECT_FALSE(c.tc.Summary().empty());
}

TEST_F(PrivilegedTest, ReapRemovesWhatACrashedRunLeft) {
  auto fs = CgroupFs::OpenSystem();
  ASSERT_TRUE(fs.ok()) << fs.status().ToString();
  std::string cg = TestCgroupRoot() + "/crashed";
  std::string ns_name = TestName("crashed");
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t child = ::fork();
  if (child == 0) {
    // A "run" that crashes: pins a namespace, starts a sandbox process in a
    // cgroup, and dies without running any destructor.
    auto ns = NetNamespace::Create(ns_name);
    pid_t sandbox = -1;
    if (ns.ok() && (*fs)->Create(cg + "/s1").ok()) {
      SpawnOptions o;
      o.argv = {"sleep", "60"};
      o.cgroups = fs->get();
      o.cgroup = cg + "/s1";
      auto p = Process::Spawn(o);
      if (p.ok()) sandbox = p->pid();
    }
    ssize_t ignored = ::write(pipe_fds[1], &sandbox, sizeof sandbox);
    (void)ignored;
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  pid_t sandbox = -1;
  ASSERT_EQ(::read(pipe_fds[0], &sandbox, sizeof sandbox), static_cast<ssize_t>(sizeof sandbox));
  ::close(pipe_fds[0]);
  ::waitpid(child, nullptr, 0);
  ASSERT_GT(sandbox, 0);
  EXPECT_TRUE(PathExists("/run/netns/" + ns_name));
  EXPECT_TRUE((*fs)->Exists(cg + "/s1"));

  auto report = ReapLeftovers(fs->get(), cg, ns_name);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->ToString();
  EXPECT_EQ(report->netns_removed, 1);
  EXPECT_EQ(report->cgroups_removed, 2);
  EXPECT_FALSE(PathExists("/run/netns/" + ns_name));
  EXPECT_FALSE((*fs)->Exists(cg));
  // The orphaned sandbox process is dead (gone, or a zombie awaiting its new parent).
  auto stat = ReadFile("/proc/" + std::to_string(sandbox) + "/stat");
  if (stat.ok()) {
    EXPECT_NE(stat->find(") Z "), std::string::npos) << *stat;
  }
}

}  // namespace
}  // namespace faasnet::sys
