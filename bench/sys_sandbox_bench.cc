// Sandbox set-up cost through faasnet_sys: what one sandbox needs, created and
// destroyed N times (default 200), with median / p90 / p99 / max per phase.
//
// One sandbox = a network namespace (pinned at /run/netns unless --no-pin), a
// veth whose far end is moved into it as eth0 and whose near end is enslaved
// to the host's bridge, lo and eth0 up, an address and a default route inside,
// and a cgroup under the host's group with CPU quota, memory limit (no swap)
// and pids limit. Destroy = cgroup destroy + namespace destroy (the kernel
// removes the veth). The host namespace and its bridge are set up once; every
// address lives inside namespaces this program creates (10.201.0.0/16).
//
// Reference (docs MACHINE.md): ~52 ms per create+destroy with one `ip` process
// per step; netlink floor ~1 ms; target median <= 5 ms, p99 <= 20 ms.
//
//   sudo build-sys/bench/sys_sandbox_bench                 # 200 sequential create+destroy
//   sudo build-sys/bench/sys_sandbox_bench --batch 256     # 256 alive at once, then all destroyed
//   sudo build-sys/bench/sys_sandbox_bench --spawn         # also start /bin/true in each sandbox
//   options: --count N, --no-pin, --no-cgroup
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "sys/cgroup.h"
#include "sys/netlink.h"
#include "sys/netns.h"
#include "sys/process.h"
#include "sys/reap.h"

using namespace faasnet;
using namespace faasnet::sys;
using Clock = std::chrono::steady_clock;

namespace {

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Series {
  explicit Series(std::string n) : name(std::move(n)) {}
  std::string name;
  std::vector<double> ms;
  void Print() const {
    if (ms.empty()) return;
    std::vector<double> v = ms;
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5))]; };
    std::printf("%-28s n=%-4zu median %7.3f ms  p90 %7.3f  p99 %7.3f  max %7.3f\n", name.c_str(), v.size(), at(0.5),
                at(0.9), at(0.99), v.back());
  }
};

struct Options {
  int count = 200;
  bool batch = false;
  bool pin = true;
  bool cgroup = true;
  bool spawn = false;
};

struct Sandbox {
  NetNamespace ns;
  Cgroup cg;
};

[[noreturn]] void Die(const Status& st) {
  std::fprintf(stderr, "sys_sandbox_bench: %s\n", st.ToString().c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--count" && i + 1 < argc) {
      o.count = std::atoi(argv[++i]);
    } else if (a == "--batch" && i + 1 < argc) {
      o.batch = true;
      o.count = std::atoi(argv[++i]);
    } else if (a == "--no-pin") {
      o.pin = false;
    } else if (a == "--no-cgroup") {
      o.cgroup = false;
    } else if (a == "--spawn") {
      o.spawn = true;
    } else {
      std::fprintf(stderr, "usage: %s [--count N | --batch N] [--no-pin] [--no-cgroup] [--spawn]\n", argv[0]);
      return 2;
    }
  }
  if (o.count < 1 || o.count > 4000) {
    std::fprintf(stderr, "count must be within 1..4000\n");
    return 2;
  }
  if (::geteuid() != 0) {
    std::fprintf(stderr, "sys_sandbox_bench needs root (namespaces, cgroups)\n");
    return 1;
  }

  std::string tag = "faasnet-bench" + std::to_string(::getpid());
  std::string cg_root = "faasnet/bench" + std::to_string(::getpid());
  std::unique_ptr<CgroupFs> fs;
  Cgroup host_cg;
  if (o.cgroup) {
    auto opened = CgroupFs::OpenSystem();
    if (!opened.ok()) Die(opened.status());
    fs = std::move(*opened);
    auto h = Cgroup::Create(*fs, cg_root + "/h1");
    if (!h.ok()) Die(h.status());
    host_cg = std::move(*h);
    if (Status st = host_cg.SetCpu(200000, 100000); !st.ok()) Die(st);  // a 2-vCPU host
  }
  auto host = NetNamespace::Create(tag + "-h", NetNamespace::Options{.pin = false});
  if (!host.ok()) Die(host.status());
  auto host_nl = OpenNetlink(*host);
  if (!host_nl.ok()) Die(host_nl.status());
  if (auto br = (*host_nl)->CreateBridge("br0"); !br.ok()) Die(br.status());
  if (Status st = (*host_nl)->AddAddress("br0", "10.201.0.1/16"); !st.ok()) Die(st);

  Series total{"create+destroy"}, create{"create"}, destroy{"destroy"};
  Series s_ns{"  netns (unshare+pin)"}, s_veth{"  veth + bridge port"}, s_inside{"  lo/eth0 up, addr, route"},
      s_cg{"  cgroup + limits"}, s_spawn{"  spawn /bin/true + wait"}, s_cg_destroy{"  cgroup destroy"},
      s_ns_destroy{"  netns destroy"};

  auto make = [&](int i) -> Sandbox {
    Sandbox sb;
    auto t0 = Clock::now();
    auto ns = NetNamespace::Create(tag + "-s" + std::to_string(i), NetNamespace::Options{.pin = o.pin});
    if (!ns.ok()) Die(ns.status());
    sb.ns = std::move(*ns);
    auto t1 = Clock::now();
    VethSpec v;
    v.name = "vb" + std::to_string(i);  // unique: the kernel frees old ones asynchronously
    v.peer_name = "eth0";
    v.peer_netns_fd = sb.ns.fd();
    v.master = "br0";
    if (auto r = (*host_nl)->CreateVeth(v); !r.ok()) Die(r.status());
    auto t2 = Clock::now();
    {
      auto nl = OpenNetlink(sb.ns);
      if (!nl.ok()) Die(nl.status());
      if (Status st = (*nl)->SetUp("lo", true); !st.ok()) Die(st);
      if (Status st = (*nl)->SetUp("eth0", true); !st.ok()) Die(st);
      std::string addr = "10.201." + std::to_string(1 + i / 250) + "." + std::to_string(1 + i % 250) + "/16";
      if (Status st = (*nl)->AddAddress("eth0", addr); !st.ok()) Die(st);
      if (Status st = (*nl)->AddRoute(RouteSpec{"default", "10.201.0.1", ""}); !st.ok()) Die(st);
    }
    auto t3 = Clock::now();
    if (o.cgroup) {
      auto cg = Cgroup::Create(*fs, cg_root + "/h1/s" + std::to_string(i));
      if (!cg.ok()) Die(cg.status());
      sb.cg = std::move(*cg);
      for (Status st : {sb.cg.SetCpu(8500, 100000), sb.cg.SetMemoryLimit(128ull << 20), sb.cg.SetPidsLimit(64)}) {
        if (!st.ok()) Die(st);
      }
    }
    auto t4 = Clock::now();
    s_ns.ms.push_back(Ms(t1 - t0));
    s_veth.ms.push_back(Ms(t2 - t1));
    s_inside.ms.push_back(Ms(t3 - t2));
    if (o.cgroup) s_cg.ms.push_back(Ms(t4 - t3));
    if (o.spawn) {
      SpawnOptions so;
      so.argv = {"/bin/true"};
      so.netns = &sb.ns;
      if (o.cgroup) {
        so.cgroups = fs.get();
        so.cgroup = sb.cg.path();
      }
      auto t5 = Clock::now();
      auto p = Process::Spawn(so);
      if (!p.ok()) Die(p.status());
      auto st = p->Wait();
      if (!st.ok()) Die(st.status());
      s_spawn.ms.push_back(Ms(Clock::now() - t5));
    }
    return sb;
  };
  auto unmake = [&](Sandbox& sb) {
    auto t0 = Clock::now();
    if (o.cgroup) {
      if (Status st = sb.cg.Destroy(); !st.ok()) Die(st);
    }
    auto t1 = Clock::now();
    if (Status st = sb.ns.Destroy(); !st.ok()) Die(st);
    auto t2 = Clock::now();
    if (o.cgroup) s_cg_destroy.ms.push_back(Ms(t1 - t0));
    s_ns_destroy.ms.push_back(Ms(t2 - t1));
  };

  auto wall0 = Clock::now();
  if (!o.batch) {
    for (int i = 0; i < o.count; ++i) {
      auto t0 = Clock::now();
      Sandbox sb = make(i);
      auto t1 = Clock::now();
      unmake(sb);
      auto t2 = Clock::now();
      create.ms.push_back(Ms(t1 - t0));
      destroy.ms.push_back(Ms(t2 - t1));
      total.ms.push_back(Ms(t2 - t0));
    }
  } else {
    std::vector<Sandbox> alive;
    alive.reserve(o.count);
    for (int i = 0; i < o.count; ++i) {
      auto t0 = Clock::now();
      alive.push_back(make(i));
      create.ms.push_back(Ms(Clock::now() - t0));
    }
    std::printf("%d sandboxes alive at once\n", o.count);
    for (auto& sb : alive) {
      auto t0 = Clock::now();
      unmake(sb);
      destroy.ms.push_back(Ms(Clock::now() - t0));
    }
  }
  double wall = Ms(Clock::now() - wall0);

  std::printf("sandbox set-up via faasnet_sys (%s, %d sandboxes, pin=%s, cgroup=%s%s)\n",
              o.batch ? "batch" : "sequential", o.count, o.pin ? "yes" : "no", o.cgroup ? "yes" : "no",
              o.spawn ? ", spawn" : "");
  if (!o.batch) total.Print();
  create.Print();
  for (const Series* s : {&s_ns, &s_veth, &s_inside, &s_cg, &s_spawn}) s->Print();
  destroy.Print();
  for (const Series* s : {&s_cg_destroy, &s_ns_destroy}) s->Print();
  std::printf("wall %.1f ms for %d sandboxes (%.3f ms each)\n", wall, o.count, wall / o.count);

  // The kernel frees namespaces (and their veths) asynchronously: wait until the
  // host side is empty so the next run starts clean, and report how long it took.
  auto t0 = Clock::now();
  while (Clock::now() - t0 < std::chrono::seconds(30)) {
    auto links = (*host_nl)->ListLinks();
    if (links.ok() && links->size() <= 2) break;  // lo + br0
    ::usleep(1000);
  }
  std::printf("kernel freed the last veth %.1f ms after the last destroy\n", Ms(Clock::now() - t0));
  if (o.cgroup && !o.batch) {
    // cgroup attach cost (MACHINE.md: an RCU grace period when isolated,
    // ~0.05 ms right after another attach).
    auto g = Cgroup::Create(*fs, cg_root + "/h1/attach");
    if (!g.ok()) Die(g.status());
    std::vector<Process> sleepers;
    for (int i = 0; i < 20; ++i) {
      SpawnOptions so;
      so.argv = {"sleep", "30"};
      auto p = Process::Spawn(so);
      if (!p.ok()) Die(p.status());
      sleepers.push_back(std::move(*p));
    }
    Series isolated("attach, isolated (50 ms gap)"), b2b("attach, back-to-back");
    for (int i = 0; i < 20; ++i) {
      if (i < 10) ::usleep(50000);
      auto t = Clock::now();
      if (Status st = g->Attach(sleepers[i].pid()); !st.ok()) Die(st);
      (i < 10 ? isolated : b2b).ms.push_back(Ms(Clock::now() - t));
    }
    isolated.Print();
    b2b.Print();
    if (Status st = g->Destroy(); !st.ok()) Die(st);
  }
  if (o.cgroup) {
    if (Status st = host_cg.Destroy(); !st.ok()) Die(st);
    auto r = ReapLeftovers(fs.get(), cg_root, tag);
    if (r.ok() && !r->ok()) std::fprintf(stderr, "cleanup: %s\n", r->ToString().c_str());
    for (const char* c : {"cpu", "cpuacct", "memory", "pids"}) ::rmdir(fs->DirFor(c, "faasnet").c_str());
  }
  return 0;
}
