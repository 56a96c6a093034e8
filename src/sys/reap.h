// Reaping what a crashed faasnet run left behind: pinned network namespaces
// (/run/netns/<prefix>*) and a faasnet cgroup subtree with whatever still
// runs in it. Used by `faasnet cleanup` and at region start-up.
//
// Everything is found by faasnet's own names only: the netns prefix and the
// cgroup path must start with "faasnet", so nothing else on the machine is
// touched. Narrow them (e.g. "faasnet/<region-id>", "faasnet-<region-id>-")
// when several faasnet runs or test suites share the machine: a broad reap
// would tear down the others' sandboxes too.
//
// Order: cgroups first (killing the processes that may still hold namespaces
// alive), then the namespace pins; the kernel then frees the namespaces and
// their veths.
//
// Thread-safety: safe to call from any thread; concurrent reaps of the same
// names race benignly (every step tolerates "already gone").
#ifndef FAASNET_SYS_REAP_H_
#define FAASNET_SYS_REAP_H_

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace faasnet::sys {

class CgroupManager;

struct ReapReport {
  int netns_removed = 0;
  int cgroups_removed = 0;          // groups (the subtree root and its descendants)
  std::vector<std::string> errors;  // one per thing that could not be removed
  bool ok() const { return errors.empty(); }
  // "removed 3 namespaces and 12 cgroups" (+ "; errors: ...").
  std::string ToString() const;
};

// Removes every /run/netns entry whose name starts with `netns_prefix`, and the
// cgroup `cgroup_path` with all its descendants (in every hierarchy) when
// `cgroups` is given. InvalidArgument when a prefix/path does not start with
// "faasnet"; otherwise a report (errors inside it).
Result<ReapReport> ReapLeftovers(CgroupManager* cgroups, std::string_view cgroup_path = "faasnet",
                                 std::string_view netns_prefix = "faasnet");

}  // namespace faasnet::sys

#endif  // FAASNET_SYS_REAP_H_
