// Isolated hosts for real (root): no IPv6 in host and sandbox namespaces,
// sandbox addresses reused first in, first out and never while the old
// sandbox's veth still exists, and sandboxes started from the parked-child
// pool sitting in a cgroup named after them with their limits.
#include <gtest/gtest.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/strings.h"
#include "sandbox/sandbox.h"
#include "sys/cgroup.h"
#include "sys/listen.h"
#include "sys/netlink.h"
#include "sys/netns.h"
#include "sys/privileged.h"

namespace faasnet::sandbox {
namespace {

namespace fs = std::filesystem;

class NullRegistry final : public ListenerRegistry {
 public:
  Result<std::string> Adopt(sys::UniqueFd fd) override { return sys::BoundAddress(fd.get()); }
  void Remove(const std::string&) override {}
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The value of a net sysctl as seen inside `ns`.
std::string SysctlIn(const sys::NetNamespace& ns, const std::string& path) {
  auto guard = sys::NetnsGuard::Enter(ns);
  EXPECT_TRUE(guard.ok());
  return ReadFile(path);
}

// A link's MAC inside a pinned namespace (iproute2 as an independent check).
std::string MacIn(const std::string& netns, const std::string& dev = "eth0") {
  std::string cmd = "ip -n " + netns + " -o link show " + dev + " 2>/dev/null";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return "";
  char buf[512] = {};
  size_t n = std::fread(buf, 1, sizeof buf - 1, p);
  ::pclose(p);
  std::string out(buf, n);
  auto at = out.find("link/ether ");
  return at == std::string::npos ? "" : out.substr(at + 11, 17);
}

class IsolatedHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FAASNET_REQUIRE_ROOT();
    region_ = "ih" + std::to_string(::getpid());
    dir_ = fs::path("/var/tmp") / ("faasnet-test-" + region_);
    fs::create_directories(dir_);
    auto cg = sys::CgroupFs::OpenSystem();
    ASSERT_TRUE(cg.ok()) << cg.status().ToString();
    cgroups_ = std::move(*cg);
  }
  void TearDown() override {
    sandboxes_.clear();
    if (host_) (void)host_->Destroy();
    host_.reset();
    if (cgroups_) (void)cgroups_->Destroy("faasnet/" + region_);
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  void MakeHost(int parked_pool) {
    HostOptions o;
    o.region = region_;
    o.id = "h0";
    o.index = 40;  // 10.140.0.0/16: away from other tests' regions
    o.runtime_api = &registry_;
    o.runtime_api_port = 0;
    o.parked_pool = parked_pool;
    auto h = CreateIsolatedHost(o, cgroups_.get());
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    host_ = std::move(*h);
  }

  std::unique_ptr<Sandbox> Make(const std::string& id) {
    SandboxSpec s;
    s.id = id;
    s.function = "f";
    s.memory_mb = 128;
    s.cpus = 0.25;
    s.code_dir = "/";
    s.work_dir = (dir_ / id).string();
    s.argv = {"/bin/sleep", "30"};
    auto sb = host_->CreateSandbox(s);
    EXPECT_TRUE(sb.ok()) << sb.status().ToString();
    return sb.ok() ? std::move(*sb) : nullptr;
  }

  bool VethExists(const std::string& name) {
    auto nl = sys::OpenNetlink(*host_->netns());
    return nl.ok() && (*nl)->GetLink(name).ok();
  }

  std::string region_;
  fs::path dir_;
  std::unique_ptr<sys::CgroupFs> cgroups_;
  NullRegistry registry_;
  std::unique_ptr<Host> host_;
  std::vector<std::unique_ptr<Sandbox>> sandboxes_;
};

TEST_F(IsolatedHostTest, NoIpv6InHostOrSandboxNamespaces) {
  MakeHost(0);
  ASSERT_TRUE(host_);
  auto sb = Make("s1");
  ASSERT_TRUE(sb);
  EXPECT_EQ(SysctlIn(*host_->netns(), "/proc/sys/net/ipv6/conf/all/disable_ipv6"), "1\n");
  EXPECT_EQ(SysctlIn(*host_->netns(), "/proc/sys/net/ipv6/conf/fnbr0/disable_ipv6"), "1\n");
  auto ns = sys::NetNamespace::OpenPinned("faasnet-" + region_ + "-s1");
  ASSERT_TRUE(ns.ok()) << ns.status().ToString();
  EXPECT_EQ(SysctlIn(*ns, "/proc/sys/net/ipv6/conf/eth0/disable_ipv6"), "1\n");
  EXPECT_EQ(SysctlIn(*ns, "/proc/sys/net/ipv6/conf/default/disable_ipv6"), "1\n");
}

// fnbr0's MAC address as seen inside the host's namespace ("" on error).
std::string BridgeMac(const sys::NetNamespace& ns) {
  auto guard = sys::NetnsGuard::Enter(ns);
  if (!guard.ok()) return "";
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "fnbr0", IFNAMSIZ - 1);
  int rc = fd >= 0 ? ::ioctl(fd, SIOCGIFHWADDR, &ifr) : -1;
  if (fd >= 0) ::close(fd);
  if (rc != 0) return "";
  char buf[32];
  auto* m = reinterpret_cast<unsigned char*>(ifr.ifr_hwaddr.sa_data);
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return buf;
}

TEST_F(IsolatedHostTest, TheBridgeKeepsItsAddressAsPortsComeAndGo) {
  MakeHost(0);
  ASSERT_TRUE(host_);
  std::string before = BridgeMac(*host_->netns());
  EXPECT_EQ(before, "02:66:6e:62:72:00");
  // veths get random addresses: with a handful, one is lower than any
  // address the bridge could have taken from its ports.
  for (int i = 1; i <= 6; ++i) sandboxes_.push_back(Make("s" + std::to_string(i)));
  EXPECT_EQ(BridgeMac(*host_->netns()), before);
  sandboxes_.clear();
  EXPECT_EQ(BridgeMac(*host_->netns()), before);
}

TEST_F(IsolatedHostTest, AddressesAreReusedFifoOnlyOnceTheOldVethIsGone) {
  MakeHost(0);
  ASSERT_TRUE(host_);
  auto a = Make("s1");
  auto b = Make("s2");
  ASSERT_TRUE(a && b);
  std::string ip_a = a->ipv4(), ip_b = b->ipv4();
  EXPECT_NE(ip_a, ip_b);
  // Something keeps s1's namespace (and so its veth) alive after its teardown.
  auto held = sys::NetNamespace::OpenPinned("faasnet-" + region_ + "-s1");
  ASSERT_TRUE(held.ok());
  ASSERT_TRUE(a->Destroy().ok());
  ASSERT_TRUE(VethExists("vs1"));
  auto c = Make("s3");
  ASSERT_TRUE(c);
  EXPECT_NE(c->ipv4(), ip_a);  // quarantined: s1's eth0 still has that address
  EXPECT_NE(c->ipv4(), ip_b);
  ASSERT_TRUE(b->Destroy().ok());  // s2's namespace goes at once
  (void)held->Destroy();
  for (int i = 0; i < 200 && (VethExists("vs1") || VethExists("vs2")); ++i) ::usleep(10'000);
  ASSERT_FALSE(VethExists("vs1"));
  ASSERT_FALSE(VethExists("vs2"));
  auto d = Make("s4");
  auto e = Make("s5");
  ASSERT_TRUE(d && e);
  EXPECT_EQ(d->ipv4(), ip_a);  // first released, first reused
  EXPECT_EQ(e->ipv4(), ip_b);
  // A reused address keeps its MAC (02:fa + the IPv4 bytes): neighbour caches
  // in the host namespace that still hold s1's entry stay right for s4.
  std::string mac = MacIn("faasnet-" + region_ + "-s4");
  auto octets = Split(ip_a, '.');
  char want[32];
  std::snprintf(want, sizeof want, "02:fa:%02x:%02x:%02x:%02x", std::stoi(std::string(octets[0])),
                std::stoi(std::string(octets[1])), std::stoi(std::string(octets[2])), std::stoi(std::string(octets[3])));
  EXPECT_EQ(mac, want);
}

TEST_F(IsolatedHostTest, ParkedPoolSandboxSitsInItsOwnNamedCgroupWithItsLimits) {
  if (cgroups_->version() != sys::CgroupVersion::kV1) GTEST_SKIP() << "the parked pool needs cgroup v1";
  MakeHost(1);
  ASSERT_TRUE(host_);
  std::string pool_group = "faasnet/" + region_ + "/h0/p0";
  for (int i = 0; i < 200 && !(cgroups_->Exists(pool_group) && !cgroups_->Procs(pool_group)->empty()); ++i) {
    ::usleep(10'000);
  }
  ASSERT_TRUE(cgroups_->Exists(pool_group));
  auto parked = cgroups_->Procs(pool_group);
  ASSERT_TRUE(parked.ok() && parked->size() == 1u);
  pid_t parked_pid = parked->front();

  auto sb = Make("s1");
  ASSERT_TRUE(sb);
  std::string path = "faasnet/" + region_ + "/h0/s1";
  EXPECT_EQ(sb->cgroup_path(), path);
  EXPECT_FALSE(cgroups_->Exists(pool_group));  // renamed
  ASSERT_TRUE(sb->Start().ok());
  EXPECT_EQ(sb->pid(), parked_pid);  // the parked child became the runtime
  // It runs the runtime now, in the sandbox's group, namespace and limits.
  std::string cmdline;
  for (int i = 0; i < 100; ++i) {
    cmdline = ReadFile("/proc/" + std::to_string(sb->pid()) + "/cmdline");
    if (cmdline.rfind("/bin/sleep", 0) == 0) break;
    ::usleep(10'000);
  }
  EXPECT_EQ(cmdline.rfind("/bin/sleep", 0), 0u);
  std::string own = ReadFile("/proc/" + std::to_string(sb->pid()) + "/cgroup");
  EXPECT_NE(own.find("/" + path + "\n"), std::string::npos) << own;
  EXPECT_EQ(ReadFile(cgroups_->DirFor("cpu", path) + "/cpu.cfs_quota_us"), "25000\n");
  EXPECT_EQ(ReadFile(cgroups_->DirFor("memory", path) + "/memory.limit_in_bytes"), std::to_string(128 << 20) + "\n");
  auto ns = sys::NetNamespace::OpenPinned("faasnet-" + region_ + "-s1");
  ASSERT_TRUE(ns.ok());
  struct stat mine {}, its {};
  ASSERT_EQ(::fstat(ns->fd(), &mine), 0);
  ASSERT_EQ(::stat(("/proc/" + std::to_string(sb->pid()) + "/ns/net").c_str(), &its), 0);
  EXPECT_EQ(mine.st_ino, its.st_ino);
  // The pool refills.
  for (int i = 0; i < 200 && !cgroups_->Exists("faasnet/" + region_ + "/h0/p1"); ++i) ::usleep(10'000);
  EXPECT_TRUE(cgroups_->Exists("faasnet/" + region_ + "/h0/p1"));
  ASSERT_TRUE(sb->Destroy().ok());
  ASSERT_TRUE(host_->Destroy().ok());
  EXPECT_FALSE(cgroups_->Exists("faasnet/" + region_ + "/h0"));
}

}  // namespace
}  // namespace faasnet::sandbox
