#include "sys/fake_cgroupfs.h"

#include <algorithm>
#include <map>

#include "sys/fd.h"

namespace faasnet::sys {

namespace {

using Files = std::map<std::string, std::string>;

Status WriteFiles(const std::string& dir, const Files& files) {
  RETURN_IF_ERROR(MakeDirs(dir));
  for (const auto& [name, content] : files) RETURN_IF_ERROR(CreateFile(dir + "/" + name, content));
  return Status::Ok();
}

bool Missing(const FakeCgroupTreeOptions& o, const std::string& c) {
  return std::find(o.missing_controllers.begin(), o.missing_controllers.end(), c) != o.missing_controllers.end();
}

// Kernel defaults of a new v1 group, per controller.
Files V1Files(const std::string& controller, const FakeCgroupTreeOptions& o) {
  Files f = {{"cgroup.procs", ""}, {"tasks", ""}, {"notify_on_release", "0\n"}};
  if (controller == "cpu") {
    f["cpu.cfs_period_us"] = "100000\n";
    f["cpu.cfs_quota_us"] = "-1\n";
    f["cpu.shares"] = "1024\n";
    f["cpu.stat"] = "nr_periods 0\nnr_throttled 0\nthrottled_time 0\nnr_bursts 0\nburst_time 0\n";
  } else if (controller == "cpuacct") {
    f["cpuacct.usage"] = "0\n";
    f["cpuacct.stat"] = "user 0\nsystem 0\n";
  } else if (controller == "memory") {
    f["memory.limit_in_bytes"] = "9223372036854771712\n";
    f["memory.usage_in_bytes"] = "0\n";
    f["memory.max_usage_in_bytes"] = "0\n";
    f["memory.oom_control"] = "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n";
    if (o.memsw) {
      f["memory.memsw.limit_in_bytes"] = "9223372036854771712\n";
      f["memory.memsw.usage_in_bytes"] = "0\n";
    }
  } else if (controller == "pids") {
    f["pids.max"] = "max\n";
    f["pids.current"] = "0\n";
  }
  return f;
}

}  // namespace

Result<CgroupLayout> MakeFakeCgroupTree(const std::string& root, const FakeCgroupTreeOptions& o) {
  if (o.version == CgroupVersion::kV1) {
    std::vector<std::string> present;
    for (const char* c : {"cpu", "cpuacct", "memory", "pids"}) {
      if (Missing(o, c)) continue;
      present.emplace_back(c);
      std::string dir = root + "/" + c;
      Files files = V1Files(c, o);
      RETURN_IF_ERROR(WriteFiles(dir + "/.fake-template", files));
      // The root group: same files, unlimited, plus the root-only ones.
      files["cgroup.sane_behavior"] = "0\n";
      RETURN_IF_ERROR(WriteFiles(dir, files));
    }
    return CgroupV1LayoutAt(root, present);
  }
  std::string controllers;
  for (const char* c : {"cpuset", "cpu", "io", "memory", "hugetlb", "pids"}) {
    if (Missing(o, c)) continue;
    controllers += (controllers.empty() ? "" : " ") + std::string(c);
  }
  std::string enabled;
  if (o.root_subtree_enabled) {
    for (const char* c : {"cpu", "memory", "pids"}) {
      if (!Missing(o, c)) enabled += (enabled.empty() ? "" : " ") + std::string(c);
    }
  }
  RETURN_IF_ERROR(WriteFiles(root, {{"cgroup.controllers", controllers + "\n"},
                                    {"cgroup.subtree_control", enabled + "\n"},
                                    {"cgroup.procs", ""},
                                    {"cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\n"},
                                    {"memory.stat", ""}}));
  Files child = {
      {"cgroup.procs", ""},
      {"cgroup.controllers", enabled + "\n"},
      {"cgroup.subtree_control", "\n"},
      {"cgroup.events", "populated 0\nfrozen 0\n"},
      {"cpu.max", "max 100000\n"},
      {"cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n"},
      {"memory.max", "max\n"},
      {"memory.current", "0\n"},
      {"memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n"},
      {"pids.max", "max\n"},
      {"pids.current", "0\n"},
  };
  if (o.memory_peak) child["memory.peak"] = "0\n";
  if (o.swap_max) child["memory.swap.max"] = "max\n";
  if (o.cgroup_kill) child["cgroup.kill"] = "";
  RETURN_IF_ERROR(WriteFiles(root + "/.fake-template", child));
  return CgroupV2LayoutAt(root);
}

}  // namespace faasnet::sys
