#include "sys/caps.h"

#include <unistd.h>

#include <atomic>
#include <charconv>

#include "base/strings.h"
#include "sys/fd.h"
#include "sys/netlink.h"
#include "sys/netns.h"

namespace faasnet::sys {

namespace {

constexpr int kCapNetAdmin = 12;
constexpr int kCapSysAdmin = 21;

uint64_t EffectiveCaps() {
  auto status = ReadFile("/proc/self/status");
  if (!status.ok()) return 0;
  for (std::string_view line : Split(*status, '\n')) {
    if (line.substr(0, 7) != "CapEff:") continue;
    std::string_view hex = Trim(line.substr(7));
    uint64_t v = 0;
    std::from_chars(hex.data(), hex.data() + hex.size(), v, 16);
    return v;
  }
  return 0;
}

std::atomic<int> probe_counter{0};

}  // namespace

bool Capabilities::FullIsolation() const { return cgroups_usable && netns && veth && bridge; }

std::string Capabilities::Report() const {
  std::string r;
  r += "privileges: " + std::string(root ? "root" : "not root") + ", CAP_SYS_ADMIN " + (cap_sys_admin ? "yes" : "no") +
       ", CAP_NET_ADMIN " + (cap_net_admin ? "yes" : "no") + "\n";
  r += "cgroups: " + std::string(cgroup_version ? CgroupVersionName(*cgroup_version) : "none");
  for (const auto& c : controllers) {
    r += " " + c.name + (c.mounted ? (c.writable ? "(rw)" : "(ro)") : "(missing)");
  }
  r += cgroups_usable ? ", usable\n" : ", NOT usable\n";
  if (network_probed) {
    r += std::string("network: netns ") + (netns ? "yes" : "no") + ", veth " + (veth ? "yes" : "no") + ", bridge " +
         (bridge ? "yes" : "no") + ", ifb " + (ifb ? "yes" : "no") + "\n";
    r += tc.Summary() + "\n";
  } else {
    r += "network: not probed\n";
  }
  for (const auto& p : problems) r += "problem: " + p + "\n";
  r += FullIsolation() ? "isolation: full\n" : "isolation: unavailable (run with --isolation none)\n";
  return r;
}

Capabilities ProbeCapabilities(const ProbeOptions& options) {
  Capabilities c;
  c.root = ::geteuid() == 0;
  uint64_t caps = EffectiveCaps();
  c.cap_sys_admin = (caps >> kCapSysAdmin) & 1;
  c.cap_net_admin = (caps >> kCapNetAdmin) & 1;
  if (!c.cap_sys_admin) {
    c.problems.push_back(
        "CAP_SYS_ADMIN is missing: namespaces and cgroups cannot be created; run faasnet as root "
        "(sudo) or with --isolation none");
  }
  if (!c.cap_net_admin) {
    c.problems.push_back(
        "CAP_NET_ADMIN is missing: links and tc cannot be configured; run faasnet as root (sudo) "
        "or with --isolation none");
  }

  Result<CgroupLayout> layout = options.layout ? Result<CgroupLayout>(*options.layout) : DetectCgroupLayout();
  if (!layout.ok()) {
    c.cgroup_error = layout.status().message();
    c.problems.push_back(c.cgroup_error);
  } else {
    c.cgroup_version = layout->version;
    if (layout->version == CgroupVersion::kV1) {
      std::string base = "/sys/fs/cgroup";
      if (!layout->v1_roots.empty()) {
        const std::string& any = layout->v1_roots.begin()->second;
        base = any.substr(0, any.rfind('/'));
      }
      for (const char* name : {"cpu", "cpuacct", "memory", "pids"}) {
        ControllerStatus s{name, base + "/" + name, false, false};
        auto it = layout->v1_roots.find(name);
        if (it != layout->v1_roots.end()) {
          s.path = it->second;
          s.mounted = PathExists(s.path);
          s.writable = s.mounted && ::access(s.path.c_str(), W_OK) == 0;
        }
        c.controllers.push_back(s);
      }
    } else {
      const std::string& root = layout->unified_root;
      auto have = ReadFile(root + "/cgroup.controllers");
      auto on = ReadFile(root + "/cgroup.subtree_control");
      bool writable = ::access(root.c_str(), W_OK) == 0;
      for (const char* name : {"cpu", "memory", "pids"}) {
        ControllerStatus s{name, root, false, false};
        if (have.ok()) {
          for (auto w : Split(Trim(*have), ' ')) s.mounted |= (w == name);
        }
        bool enabled = false;
        if (on.ok()) {
          for (auto w : Split(Trim(*on), ' ')) enabled |= (w == name);
        }
        s.writable = s.mounted && enabled && writable;
        c.controllers.push_back(s);
      }
    }
    auto fs = CgroupFs::Open(*layout);
    c.cgroups_usable = fs.ok();
    if (!fs.ok()) {
      c.cgroup_error = fs.status().message();
      c.problems.push_back(c.cgroup_error);
    }
  }

  if (options.probe_network) {
    c.network_probed = true;
    std::string name = "faasnet-probe-" + std::to_string(::getpid()) + "-" + std::to_string(probe_counter++);
    auto ns = NetNamespace::Create(name, NetNamespace::Options{.pin = false});
    if (!ns.ok()) {
      c.problems.push_back("cannot create a network namespace (" + ns.status().message() +
                           "): run as root or with --isolation none");
    } else {
      c.netns = true;
      auto ops = OpenNetlink(*ns);
      if (!ops.ok()) {
        c.problems.push_back("cannot open rtnetlink in a new namespace: " + ops.status().message());
      } else {
        auto br = (*ops)->CreateBridge("probe-br");
        c.bridge = br.ok();
        if (!c.bridge) {
          c.problems.push_back("cannot create a bridge (" + br.status().message() +
                               "): load the bridge module (modprobe bridge) or run with --isolation none");
        }
        VethSpec spec;
        spec.name = "probe-v0";
        spec.peer_name = "probe-v1";
        auto veth = (*ops)->CreateVeth(spec);
        c.veth = veth.ok();
        if (!c.veth) {
          c.problems.push_back("cannot create a veth pair (" + veth.status().message() +
                               "): load the veth module (modprobe veth) or run with --isolation none");
        }
        auto ifb = (*ops)->CreateIfb("probe-ifb");
        c.ifb = ifb.ok();
        if (!c.ifb) {
          c.problems.push_back("no ifb device (" + ifb.status().message() +
                               "): ingress shaping of sandboxes is unavailable; modprobe ifb");
        }
      }
      auto tc = ProbeTcSupport(*ns);
      if (tc.ok()) {
        c.tc = *tc;
        if (!c.tc.Has("htb")) c.problems.push_back("tc qdisc htb is missing: per-function shaping is unavailable");
        if (!c.tc.Has("u32")) c.problems.push_back("tc filter u32 is missing: per-sandbox classes are unavailable");
        if (!c.tc.Has("netem")) {
          c.problems.push_back("tc qdisc netem is missing: link latency is injected by the store instead");
        }
      } else {
        c.problems.push_back("cannot probe tc: " + tc.status().message());
      }
    }
  }
  return c;
}

}  // namespace faasnet::sys
