// cgroup code against FAKE cgroupfs trees (v1 and v2 layouts) in a temp dir:
// no root needed, and v2 is covered on a v1 machine.
#include "sys/cgroup.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "sys/fake_cgroupfs.h"
#include "sys/fd.h"
#include "sys/process.h"
#include "sys/reap.h"

namespace faasnet::sys {
namespace {

std::string Read(const std::string& path) {
  auto r = ReadFile(path);
  return r.ok() ? std::string(*r) : "<" + r.status().ToString() + ">";
}

class FakeTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = MakeTempDir("faasnet-cgroup-test-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    root_ = *dir;
  }
  void TearDown() override { ASSERT_TRUE(RemoveTree(root_).ok()); }

  std::unique_ptr<CgroupFs> OpenTree(const FakeCgroupTreeOptions& o) {
    auto layout = MakeFakeCgroupTree(root_, o);
    EXPECT_TRUE(layout.ok()) << layout.status().ToString();
    if (!layout.ok()) return nullptr;
    auto fs = CgroupFs::Open(*layout);
    EXPECT_TRUE(fs.ok()) << fs.status().ToString();
    return fs.ok() ? std::move(*fs) : nullptr;
  }

  std::string root_;
};

FakeCgroupTreeOptions V1() {
  FakeCgroupTreeOptions o;
  o.version = CgroupVersion::kV1;
  return o;
}
FakeCgroupTreeOptions V2() { return FakeCgroupTreeOptions{}; }

// ---------------------------------------------------------------- mountinfo

TEST(CgroupMounts, HybridMachineIsV1) {
  // This machine's layout: v1 hierarchies plus a controller-less cgroup2.
  const char* text =
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
      "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
      "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
      "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
  auto l = ParseCgroupMounts(text);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->version, CgroupVersion::kV1);
  EXPECT_EQ(l->v1_roots.at("cpu"), "/sys/fs/cgroup/cpu");
  EXPECT_EQ(l->v1_roots.at("memory"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(l->v1_roots.count("name=systemd"), 0u);
}

TEST(CgroupMounts, CoMountedControllersShareAMountPoint) {
  auto l = ParseCgroupMounts(
      "25 24 0:22 / /sys/fs/cgroup/cpu,cpuacct rw shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
      "26 24 0:23 / /sys/fs/cgroup/memory rw shared:10 - cgroup cgroup rw,memory\n");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->v1_roots.at("cpu"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(l->v1_roots.at("cpuacct"), "/sys/fs/cgroup/cpu,cpuacct");
}

TEST(CgroupMounts, UnifiedOnly) {
  auto l = ParseCgroupMounts("30 23 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->version, CgroupVersion::kV2);
  EXPECT_EQ(l->unified_root, "/sys/fs/cgroup");
}

TEST(CgroupMounts, NoneSaysHowToFix) {
  auto l = ParseCgroupMounts("22 1 0:5 / /proc rw - proc proc rw\n");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), Status::Code::kNotFound);
  EXPECT_NE(l.status().message().find("--isolation none"), std::string::npos);
}

TEST(CgroupMounts, DetectsThisMachine) {
  auto l = DetectCgroupLayout();
  ASSERT_TRUE(l.ok()) << l.status().ToString();
}

TEST(CgroupPath, OnlyFaasnetPaths) {
  EXPECT_TRUE(IsFaasnetCgroupPath("faasnet"));
  EXPECT_TRUE(IsFaasnetCgroupPath("faasnet/r1/h-1/s_7.x"));
  EXPECT_TRUE(IsFaasnetCgroupPath("faasnet-test/x"));
  EXPECT_FALSE(IsFaasnetCgroupPath(""));
  EXPECT_FALSE(IsFaasnetCgroupPath("/faasnet"));
  EXPECT_FALSE(IsFaasnetCgroupPath("faasnet/"));
  EXPECT_FALSE(IsFaasnetCgroupPath("user.slice/faasnet"));
  EXPECT_FALSE(IsFaasnetCgroupPath("faasnet/../process_api"));
  EXPECT_FALSE(IsFaasnetCgroupPath("faasnet//x"));
  EXPECT_FALSE(IsFaasnetCgroupPath("faasnet/a b"));
}

// ---------------------------------------------------------------- v1

TEST_F(FakeTreeTest, V1CreateMakesGroupInEveryHierarchy) {
  auto fs = OpenTree(V1());
  ASSERT_TRUE(fs);
  EXPECT_EQ(fs->version(), CgroupVersion::kV1);
  ASSERT_TRUE(fs->Create("faasnet/r1/h1/s1").ok());
  for (const char* c : {"cpu", "cpuacct", "memory", "pids"}) {
    std::string dir = root_ + "/" + c + "/faasnet/r1/h1/s1";
    EXPECT_TRUE(PathExists(dir + "/cgroup.procs")) << dir;
  }
  EXPECT_EQ(Read(root_ + "/cpu/faasnet/r1/h1/s1/cpu.cfs_quota_us"), "-1\n");
  EXPECT_TRUE(fs->Exists("faasnet/r1/h1/s1"));
  ASSERT_TRUE(fs->Create("faasnet/r1/h1/s1").ok());  // idempotent
  ASSERT_TRUE(fs->Create("faasnet/r1/h1/s2").ok());
  auto kids = fs->Children("faasnet/r1/h1");
  ASSERT_TRUE(kids.ok());
  EXPECT_EQ(*kids, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(fs->ProcsFiles("faasnet/r1/h1/s1").size(), 4u);
  EXPECT_EQ(fs->DirFor("memory", "faasnet/x"), root_ + "/memory/faasnet/x");
}

TEST_F(FakeTreeTest, V1SetCpuWritesPeriodAndQuota) {
  auto fs = OpenTree(V1());
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->Create("faasnet/h1").ok());
  ASSERT_TRUE(fs->SetCpu("faasnet/h1", 200000, 100000).ok());
  EXPECT_EQ(Read(root_ + "/cpu/faasnet/h1/cpu.cfs_quota_us"), "200000");
  EXPECT_EQ(Read(root_ + "/cpu/faasnet/h1/cpu.cfs_period_us"), "100000");
  ASSERT_TRUE(fs->SetCpu("faasnet/h1", -1, 50000).ok());
  EXPECT_EQ(Read(root_ + "/cpu/faasnet/h1/cpu.cfs_quota_us"), "-1");
  EXPECT_EQ(fs->SetCpu("faasnet/h1", 500, 100000).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(fs->SetCpu("faasnet/h1", 5000, 100).code(), Status::Code::kInvalidArgument);
}

TEST_F(FakeTreeTest, V1MemoryLimitHasNoSwapAndIsPageRounded) {
  auto fs = OpenTree(V1());
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->Create("faasnet/s1").ok());
  uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  ASSERT_TRUE(fs->SetMemoryLimit("faasnet/s1", 100000000).ok());
  std::string want = std::to_string(100000000 / page * page);
  EXPECT_EQ(Read(root_ + "/memory/faasnet/s1/memory.limit_in_bytes"), want);
  EXPECT_EQ(Read(root_ + "/memory/faasnet/s1/memory.memsw.limit_in_bytes"), want);
  EXPECT_EQ(fs->SetMemoryLimit("faasnet/s1", 100).code(), Status::Code::kInvalidArgument);
}

TEST_F(FakeTreeTest, V1MemoryLimitWithoutSwapAccounting) {
  auto o = V1();
  o.memsw = false;
  auto fs = OpenTree(o);
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->Create("faasnet/s1").ok());
  ASSERT_TRUE(fs->SetMemoryLimit("faasnet/s1", 128 << 20).ok());
  EXPECT_EQ(Read(root_ + "/memory/faasnet/s1/memory.limit_in_bytes"), std::to_string(128 << 20));
  EXPECT_FALSE(PathExists(root_ + "/memory/faasnet/s1/memory.memsw.limit_in_bytes"));
}

TEST_F(FakeTreeTest, ReadBackMismatchIsAnError) {
  auto fs = OpenTree(V1());
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->Create("faasnet/s1").ok());
  // A file that swallows writes and reads back empty: the "kernel" changed the value.
  std::string f = root_ + "/memory/faasnet/s1/memory.limit_in_bytes";
  ASSERT_EQ(::unlink(f.c_str()), 0);
  ASSERT_EQ(::symlink("/dev/null", f.c_str()), 0);
  Status st = fs->SetMemoryLimit("faasnet/s1", 64 << 20);
  EXPECT_EQ(st.code(), Status::Code::kInternal);
  EXPECT_NE(st.message().find("read back " + f), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("wrote '67108864'"), std::string::npos) << st.message();
}

TEST_F(FakeTreeTest, V1PidsLimit) {
  auto fs = OpenTree(V1());
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->Create("faasnet/s1").ok());
  ASSERT_TRUE(fs->SetPidsLimit("faasnet/s1", 64).ok());
  EXPECT_EQ(Read(root_ + "/pids/faasnet/s1/pids.max"), "64");
  ASSERT_TRUE(fs->SetPidsLimit("faasnet/s1", -1).ok());
  EXPECT_EQ(Read(root_ + "/pids/faasnet/s1/pids.max"), "max");
}

TEST_F(FakeTreeTest, V1ReadStats) {
  auto fs = OpenTree(V1());
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->Create("faasnet/s1").ok());
  std::string p = "faasnet/s1";
  ASSERT_TRUE(WriteFile(fs->DirFor("cpuacct", p) + "/cpuacct.usage", "123456789\n").ok());
  ASSERT_TRUE(WriteFile(fs->DirFor("cpu", p) + "/cpu.stat",
                        "nr_periods 10\nnr_throttled 4\nthrottled_time 5000000\nnr_bursts 0\nburst_time 0\n")
                  .ok());
  ASSERT_TRUE(WriteFile(fs->DirFor("memory", p) + "/memory.usage_in_bytes", "1000\n").ok());
  ASSERT_TRUE(WriteFile(fs->DirFor("memory", p) + "/memory.max_usage_in_bytes", "4096000\n").ok());
  ASSERT_TRUE(
      WriteFile(fs->DirFor("memory", p) + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n").ok());
  ASSERT_TRUE(WriteFile(fs->DirFor("pids", p) + "/pids.current", "3\n").ok());
  auto s = fs->ReadStats(p);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->cpu_usage_ns, 123456789u);
  EXPECT_EQ(s->nr_periods, 10u);
  EXPECT_EQ(s->nr_throttled, 4u);
  EXPECT_EQ(s->cpu_throttled_ns, 5000000u);
  EXPECT_EQ(s->memory_current_bytes, 1000u);
  ASSERT_TRUE(s->memory_peak_bytes.has_value());
  EXPECT_EQ(*s->memory_peak_bytes, 4096000u);
  EXPECT_EQ(s->oom_kills, 2u);
  EXPECT_EQ(s->pids_current, 3u);
  ASSERT_TRUE(fs->ResetMemoryPeak(p).ok());
  EXPECT_EQ(Read(fs->DirFor("memory", p) + "/memory.max_usage_in_bytes"), "0");
}

TEST_F(FakeTreeTest, V1MissingControllerSaysWhichAndHow) {
  auto o = V1();
  o.missing_controllers = {"memory"};
  auto layout = MakeFakeCgroupTree(root_, o);
  ASSERT_TRUE(layout.ok());
  auto fs = CgroupFs::Open(*layout);
  ASSERT_FALSE(fs.ok());
  EXPECT_EQ(fs.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(fs.status().message().find("cgroup controller 'memory' is not mounted at " + root_ + "/memory"),
            std::string::npos)
      << fs.status().message();
  EXPECT_NE(fs.status().message().find("--isolation none"), std::string::npos);
}

TEST_F(FakeTreeTest, AttachThenDestroyNeverSignalsFakeMembers) {
  auto fs = OpenTree(V1());
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->Create("faasnet/r1/h1/s1").ok());
  // A real process of ours listed in the FAKE tree must survive Destroy.
  SpawnOptions so;
  so.argv = {"sleep", "30"};
  auto child = Process::Spawn(so);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  ASSERT_TRUE(fs->Attach("faasnet/r1/h1/s1", child->pid()).ok());
  auto procs = fs->Procs("faasnet/r1/h1/s1");
  ASSERT_TRUE(procs.ok());
  EXPECT_EQ(*procs, std::vector<pid_t>{child->pid()});
  ASSERT_TRUE(fs->Destroy("faasnet/r1", std::chrono::milliseconds(500)).ok());
  EXPECT_FALSE(fs->Exists("faasnet/r1"));
  EXPECT_FALSE(PathExists(root_ + "/memory/faasnet/r1"));
  EXPECT_TRUE(fs->Exists("faasnet"));
  EXPECT_TRUE(child->running());
  EXPECT_EQ(::kill(child->pid(), 0), 0);
  ASSERT_TRUE(fs->Destroy("faasnet/r1", std::chrono::milliseconds(500)).ok());  // idempotent
}

TEST_F(FakeTreeTest, RejectsForeignPaths) {
  auto fs = OpenTree(V1());
  ASSERT_TRUE(fs);
  for (const char* bad : {"process_api/x", "/faasnet", "faasnet/../process_api"}) {
    EXPECT_EQ(fs->Create(bad).code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_EQ(fs->Destroy(bad, std::chrono::milliseconds(10)).code(), Status::Code::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(PathExists(root_ + "/memory/process_api"));
}

TEST_F(FakeTreeTest, CgroupOwnerDestroysOnScopeExit) {
  auto fs = OpenTree(V1());
  ASSERT_TRUE(fs);
  {
    auto g = Cgroup::Create(*fs, "faasnet/owned");
    ASSERT_TRUE(g.ok());
    EXPECT_TRUE(fs->Exists("faasnet/owned"));
    ASSERT_TRUE(g->SetPidsLimit(5).ok());
    Cgroup moved = std::move(*g);
    EXPECT_FALSE(g->valid());
    EXPECT_TRUE(moved.valid());
  }
  EXPECT_FALSE(fs->Exists("faasnet/owned"));
  auto kept = Cgroup::Create(*fs, "faasnet/kept");
  ASSERT_TRUE(kept.ok());
  kept->Release();
  EXPECT_TRUE(fs->Exists("faasnet/kept"));
}

// ---------------------------------------------------------------- v2

TEST_F(FakeTreeTest, V2CreateEnablesControllersInAncestorsOnly) {
  auto fs = OpenTree(V2());
  ASSERT_TRUE(fs);
  EXPECT_EQ(fs->version(), CgroupVersion::kV2);
  ASSERT_TRUE(fs->Create("faasnet/r1/h1/s1").ok());
  for (const char* p : {"faasnet", "faasnet/r1", "faasnet/r1/h1"}) {
    EXPECT_EQ(Read(root_ + "/" + p + "/cgroup.subtree_control"), "cpu memory pids\n") << p;
  }
  EXPECT_EQ(Read(root_ + "/faasnet/r1/h1/s1/cgroup.subtree_control"), "\n");
  EXPECT_EQ(fs->ProcsFiles("faasnet/r1/h1/s1"), std::vector<std::string>{root_ + "/faasnet/r1/h1/s1/cgroup.procs"});
  // A leaf that later gets children becomes an inner node with controllers on.
  ASSERT_TRUE(fs->Create("faasnet/r1/h1/s1/inner").ok());
  EXPECT_EQ(Read(root_ + "/faasnet/r1/h1/s1/cgroup.subtree_control"), "cpu memory pids\n");
}

TEST_F(FakeTreeTest, V2CpuMemoryPids) {
  auto fs = OpenTree(V2());
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->Create("faasnet/s1").ok());
  ASSERT_TRUE(fs->SetCpu("faasnet/s1", 50000, 100000).ok());
  EXPECT_EQ(Read(root_ + "/faasnet/s1/cpu.max"), "50000 100000");
  ASSERT_TRUE(fs->SetCpu("faasnet/s1", -1, 100000).ok());
  EXPECT_EQ(Read(root_ + "/faasnet/s1/cpu.max"), "max 100000");
  ASSERT_TRUE(fs->SetMemoryLimit("faasnet/s1", 256 << 20).ok());
  EXPECT_EQ(Read(root_ + "/faasnet/s1/memory.max"), std::to_string(256 << 20));
  EXPECT_EQ(Read(root_ + "/faasnet/s1/memory.swap.max"), "0");
  ASSERT_TRUE(fs->SetPidsLimit("faasnet/s1", 32).ok());
  EXPECT_EQ(Read(root_ + "/faasnet/s1/pids.max"), "32");
  EXPECT_EQ(fs->ResetMemoryPeak("faasnet/s1").code(), Status::Code::kUnimplemented);
}

TEST_F(FakeTreeTest, V2WithoutSwapFile) {
  auto o = V2();
  o.swap_max = false;
  auto fs = OpenTree(o);
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->Create("faasnet/s1").ok());
  ASSERT_TRUE(fs->SetMemoryLimit("faasnet/s1", 128 << 20).ok());
  EXPECT_FALSE(PathExists(root_ + "/faasnet/s1/memory.swap.max"));
}

TEST_F(FakeTreeTest, V2ReadStatsWithAndWithoutPeak) {
  for (bool peak : {true, false}) {
    SCOPED_TRACE(peak ? "with memory.peak" : "without memory.peak");
    ASSERT_TRUE(RemoveTree(root_).ok());
    ASSERT_TRUE(MakeDirs(root_).ok());
    auto o = V2();
    o.memory_peak = peak;
    auto fs = OpenTree(o);
    ASSERT_TRUE(fs);
    ASSERT_TRUE(fs->Create("faasnet/s1").ok());
    std::string d = root_ + "/faasnet/s1";
    ASSERT_TRUE(WriteFile(d + "/cpu.stat",
                          "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 7\nnr_throttled 3\n"
                          "throttled_usec 900\n")
                    .ok());
    ASSERT_TRUE(WriteFile(d + "/memory.current", "8192\n").ok());
    if (peak) {
      ASSERT_TRUE(WriteFile(d + "/memory.peak", "65536\n").ok());
    }
    ASSERT_TRUE(WriteFile(d + "/memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n").ok());
    auto s = fs->ReadStats("faasnet/s1");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(s->cpu_usage_ns, 2500000u);
    EXPECT_EQ(s->nr_periods, 7u);
    EXPECT_EQ(s->nr_throttled, 3u);
    EXPECT_EQ(s->cpu_throttled_ns, 900000u);
    EXPECT_EQ(s->memory_current_bytes, 8192u);
    EXPECT_EQ(s->memory_peak_bytes.has_value(), peak);
    if (peak) {
      EXPECT_EQ(*s->memory_peak_bytes, 65536u);
    }
    EXPECT_EQ(s->oom_kills, 1u);
  }
}

TEST_F(FakeTreeTest, V2KillWritesCgroupKillAndDestroyRemovesTree) {
  auto fs = OpenTree(V2());
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->Create("faasnet/r1/h1/s1").ok());
  ASSERT_TRUE(fs->KillAll("faasnet/r1/h1/s1").ok());
  EXPECT_EQ(Read(root_ + "/faasnet/r1/h1/s1/cgroup.kill"), "1");
  ASSERT_TRUE(fs->Destroy("faasnet/r1").ok());
  EXPECT_FALSE(PathExists(root_ + "/faasnet/r1"));
  EXPECT_TRUE(PathExists(root_ + "/faasnet"));
}

TEST_F(FakeTreeTest, V2MissingOrDisabledControllerSaysHowToFix) {
  auto o = V2();
  o.missing_controllers = {"pids"};
  auto layout = MakeFakeCgroupTree(root_, o);
  ASSERT_TRUE(layout.ok());
  auto fs = CgroupFs::Open(*layout);
  ASSERT_FALSE(fs.ok());
  EXPECT_NE(fs.status().message().find("cgroup v2 controller 'pids' is not available"), std::string::npos)
      << fs.status().message();

  ASSERT_TRUE(RemoveTree(root_).ok());
  ASSERT_TRUE(MakeDirs(root_).ok());
  o = V2();
  o.root_subtree_enabled = false;
  layout = MakeFakeCgroupTree(root_, o);
  ASSERT_TRUE(layout.ok());
  fs = CgroupFs::Open(*layout);
  ASSERT_FALSE(fs.ok());
  EXPECT_EQ(fs.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(fs.status().message().find("echo +cpu > " + root_ + "/cgroup.subtree_control"), std::string::npos)
      << fs.status().message();
}

TEST_F(FakeTreeTest, V2NotMounted) {
  auto fs = CgroupFs::Open(CgroupV2LayoutAt(root_ + "/nothing-here"));
  ASSERT_FALSE(fs.ok());
  EXPECT_EQ(fs.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(fs.status().message().find("cgroup v2 is not mounted at"), std::string::npos);
}

// ---------------------------------------------------------------- reaping

TEST_F(FakeTreeTest, ReapRemovesTheSubtreeOnly) {
  auto fs = OpenTree(V1());
  ASSERT_TRUE(fs);
  ASSERT_TRUE(fs->Create("faasnet/crashed/h1/s1").ok());
  ASSERT_TRUE(fs->Create("faasnet/crashed/h1/s2").ok());
  ASSERT_TRUE(fs->Create("faasnet/other/h1").ok());
  auto r = ReapLeftovers(fs.get(), "faasnet/crashed", "faasnet-unit-test-no-such-prefix-");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok()) << r->ToString();
  EXPECT_EQ(r->cgroups_removed, 4);  // crashed, h1, s1, s2
  EXPECT_EQ(r->netns_removed, 0);
  EXPECT_FALSE(fs->Exists("faasnet/crashed"));
  EXPECT_TRUE(fs->Exists("faasnet/other/h1"));
  EXPECT_EQ(ReapLeftovers(fs.get(), "faasnet/crashed", "netns").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ReapLeftovers(fs.get(), "system.slice", "faasnet").status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace faasnet::sys
