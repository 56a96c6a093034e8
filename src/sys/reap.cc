#include "sys/reap.h"

#include <functional>

#include "sys/cgroup.h"
#include "sys/fd.h"
#include "sys/netns.h"

namespace faasnet::sys {

std::string ReapReport::ToString() const {
  std::string s =
      "removed " + std::to_string(netns_removed) + " namespaces and " + std::to_string(cgroups_removed) + " cgroups";
  if (!errors.empty()) {
    s += "; errors:";
    for (const auto& e : errors) s += " " + e + ";";
  }
  return s;
}

Result<ReapReport> ReapLeftovers(CgroupManager* cgroups, std::string_view cgroup_path, std::string_view netns_prefix) {
  if (netns_prefix.substr(0, 7) != "faasnet") {
    return Status::InvalidArgument("reap: netns prefix '" + std::string(netns_prefix) + "' must start with 'faasnet'");
  }
  if (cgroups != nullptr && !IsFaasnetCgroupPath(cgroup_path)) {
    return Status::InvalidArgument("reap: cgroup path '" + std::string(cgroup_path) +
                                   "' must be a faasnet cgroup path");
  }
  ReapReport report;
  if (cgroups != nullptr && cgroups->Exists(cgroup_path)) {
    int count = 0;
    std::function<void(const std::string&)> walk = [&](const std::string& p) {
      ++count;
      auto kids = cgroups->Children(p);
      if (kids.ok()) {
        for (const auto& k : *kids) walk(p + "/" + k);
      }
    };
    walk(std::string(cgroup_path));
    Status st = cgroups->Destroy(cgroup_path, std::chrono::milliseconds(5000));
    if (st.ok()) {
      report.cgroups_removed = count;
    } else {
      report.errors.push_back(st.message());
    }
  }
  auto names = ListDir(kNetnsRunDir);
  if (names.ok()) {
    for (const auto& n : *names) {
      if (n.compare(0, netns_prefix.size(), netns_prefix) != 0) continue;
      Status st = RemoveNetnsPin(n);
      if (st.ok()) {
        ++report.netns_removed;
      } else {
        report.errors.push_back(st.message());
      }
    }
  } else if (names.status().code() != Status::Code::kNotFound) {
    report.errors.push_back(names.status().message());
  }
  return report;
}

}  // namespace faasnet::sys
