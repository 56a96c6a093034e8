// What this machine lets faasnet do: privileges, cgroup controllers, network
// namespaces, veth/bridge/ifb, and traffic-control kinds, each with a
// human-readable fix when missing. The region calls ProbeCapabilities at
// start-up and either refuses with the report's problems or falls back to
// `--isolation none` (and labels results as unisolated).
//
// The network probe creates one throwaway, unpinned namespace
// ("faasnet-probe-<pid>-<n>") and builds a bridge, a veth pair, an ifb and
// test qdiscs inside it, never in the caller's namespace; the namespace is
// gone when the probe returns. Cost: a few ms.
//
// Thread-safety: ProbeCapabilities may be called from any thread; the
// report is a plain value.
#ifndef FAASNET_SYS_CAPS_H_
#define FAASNET_SYS_CAPS_H_

#include <optional>
#include <string>
#include <vector>

#include "sys/cgroup.h"
#include "sys/tc.h"

namespace faasnet::sys {

struct ControllerStatus {
  std::string name;  // "cpu", "memory", ...
  std::string path;  // where it is (v1 mount point; v2 unified root)
  bool mounted = false;
  bool writable = false;
};

struct Capabilities {
  bool root = false;           // effective uid 0
  bool cap_sys_admin = false;  // namespaces, mounts, cgroupfs writes
  bool cap_net_admin = false;  // links, addresses, tc

  std::optional<CgroupVersion> cgroup_version;
  std::vector<ControllerStatus> controllers;
  bool cgroups_usable = false;  // CgroupFs::Open would succeed
  std::string cgroup_error;     // why not, with the fix

  bool network_probed = false;
  bool netns = false;
  bool veth = false;
  bool bridge = false;
  bool ifb = false;
  TcSupport tc;

  // One line per missing piece: what is missing, what it costs, how to fix.
  std::vector<std::string> problems;

  // Root-level isolation works: cgroups, netns, veth and bridge.
  bool FullIsolation() const;
  // A multi-line report for logs and `faasnet doctor`-style output.
  std::string Report() const;
};

struct ProbeOptions {
  bool probe_network = true;  // create the scratch namespace and try links and tc
  // Cgroup layout to check; nullopt = detect from /proc/self/mountinfo.
  std::optional<CgroupLayout> layout;
};

// Never fails: what cannot be probed is reported as missing, with the reason.
Capabilities ProbeCapabilities(const ProbeOptions& options = {});

}  // namespace faasnet::sys

#endif  // FAASNET_SYS_CAPS_H_
