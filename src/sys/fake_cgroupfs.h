// Test support: a fake cgroupfs tree in a plain directory, laid out like the
// kernel's v1 hierarchies or v2 unified tree, for CgroupFs (see cgroup.h for
// how CgroupFs behaves on a plain directory). Lets unit tests of sandboxes and
// of the v2 code run without root and without cgroup v2 on the machine.
//
// Part of faasnet_sys_fakes (link it from tests only).
// Thread-safety: plain functions over the filesystem.
#ifndef FAASNET_SYS_FAKE_CGROUPFS_H_
#define FAASNET_SYS_FAKE_CGROUPFS_H_

#include <string>
#include <vector>

#include "base/status.h"
#include "sys/cgroup.h"

namespace faasnet::sys {

struct FakeCgroupTreeOptions {
  CgroupVersion version = CgroupVersion::kV2;
  // v1: memory.memsw.* files (absent when swap accounting is off).
  bool memsw = true;
  // v2: memory.peak (Linux >= 5.19), memory.swap.max, cgroup.kill (>= 5.14).
  bool memory_peak = true;
  bool swap_max = true;
  bool cgroup_kill = true;
  // Controllers to leave out: v1 = no hierarchy directory; v2 = not listed in
  // the root's cgroup.controllers.
  std::vector<std::string> missing_controllers;
  // v2: whether the root's cgroup.subtree_control enables the controllers.
  bool root_subtree_enabled = true;
};

// Creates the tree under `root` (which must exist) and returns the layout to
// pass to CgroupFs::Open. Each hierarchy root gets a ".fake-template" dir
// holding the control files (with the kernel's defaults) that a new group
// receives on mkdir.
Result<CgroupLayout> MakeFakeCgroupTree(const std::string& root, const FakeCgroupTreeOptions& options);

}  // namespace faasnet::sys

#endif  // FAASNET_SYS_FAKE_CGROUPFS_H_
