#include "sys/cgroup.h"

#include <linux/magic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <charconv>
#include <thread>

#include "base/log.h"
#include "base/strings.h"
#include "sys/fd.h"

namespace faasnet::sys {

namespace {

constexpr char kFakeTemplateDir[] = ".fake-template";

const std::vector<std::string>& NeededControllers(CgroupVersion v) {
  static const std::vector<std::string> v1 = {"cpu", "cpuacct", "memory", "pids"};
  static const std::vector<std::string> v2 = {"cpu", "memory", "pids"};
  return v == CgroupVersion::kV1 ? v1 : v2;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t')) ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\n' && text[j] != '\t') ++j;
    if (j > i) out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

std::optional<uint64_t> ParseU64(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// The value of `key` in "key value\n" lines (cpu.stat, memory.events, ...).
std::optional<uint64_t> KeyValue(std::string_view text, std::string_view key) {
  for (std::string_view line : Split(text, '\n')) {
    auto sp = line.find(' ');
    if (sp == std::string_view::npos) continue;
    if (line.substr(0, sp) == key) return ParseU64(Trim(line.substr(sp + 1)));
  }
  return std::nullopt;
}

bool IsKernelCgroupFs(const std::string& dir) {
  struct statfs fs;
  if (::statfs(dir.c_str(), &fs) != 0) return false;
  return fs.f_type == CGROUP_SUPER_MAGIC || fs.f_type == CGROUP2_SUPER_MAGIC;
}

uint64_t PageSize() {
  static const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

// Writes `value` to `file` and checks that reading it back gives `expect`
// (default: the value itself).
Status WriteChecked(const std::string& file, const std::string& value, std::string_view expect = {}) {
  RETURN_IF_ERROR(WriteFile(file, value));
  ASSIGN_OR_RETURN(std::string back, ReadFile(file, 4096));
  std::string_view want = expect.empty() ? std::string_view(value) : expect;
  if (Trim(back) != want) {
    return Status::Internal("read back " + file + ": wrote '" + value + "', the kernel reports '" +
                            std::string(Trim(back)) + "'");
  }
  return Status::Ok();
}

Status CheckPath(std::string_view path) {
  if (!IsFaasnetCgroupPath(path)) {
    return Status::InvalidArgument("cgroup path '" + std::string(path) +
                                   "': must be relative, of [A-Za-z0-9._-] components, and start with 'faasnet'");
  }
  return Status::Ok();
}

// Sleeps a little longer each round: the common case (a killed process exits
// within ~100 us) stays fast, a slow exit does not spin.
void Backoff(int round) {
  auto us = std::min(50 << std::min(round, 7), 5000);
  std::this_thread::sleep_for(std::chrono::microseconds(us));
}

std::vector<pid_t> ParsePids(std::string_view text) {
  std::vector<pid_t> pids;
  for (const auto& w : Words(text)) {
    if (auto v = ParseU64(w)) pids.push_back(static_cast<pid_t>(*v));
  }
  return pids;
}

}  // namespace

const char* CgroupVersionName(CgroupVersion v) { return v == CgroupVersion::kV1 ? "v1" : "v2"; }

Result<CgroupLayout> ParseCgroupMounts(std::string_view mountinfo) {
  CgroupLayout v1;
  v1.version = CgroupVersion::kV1;
  std::string unified;
  for (std::string_view line : Split(mountinfo, '\n')) {
    // "<id> <parent> <maj:min> <root> <mountpoint> <opts> [optional...] - <fstype> <source> <superopts>"
    auto dash = line.find(" - ");
    if (dash == std::string_view::npos) continue;
    auto head = Words(line.substr(0, dash));
    auto tail = Words(line.substr(dash + 3));
    if (head.size() < 5 || tail.size() < 3) continue;
    const std::string& mountpoint = head[4];
    if (tail[0] == "cgroup2") {
      if (unified.empty()) unified = mountpoint;
    } else if (tail[0] == "cgroup") {
      for (std::string_view opt : Split(tail[2], ',')) {
        if (opt == "rw" || opt == "ro" || opt.find('=') != std::string_view::npos) continue;
        v1.v1_roots.emplace(std::string(opt), mountpoint);  // first mount of a hierarchy wins
      }
    }
  }
  if (v1.v1_roots.count("cpu") || v1.v1_roots.count("memory")) return v1;
  if (!unified.empty()) return CgroupV2LayoutAt(unified);
  if (!v1.v1_roots.empty()) return v1;
  return Status::NotFound(
      "no cgroup filesystem is mounted (mountinfo lists neither 'cgroup' nor 'cgroup2'): "
      "mount cgroup2 at /sys/fs/cgroup or run with --isolation none");
}

Result<CgroupLayout> DetectCgroupLayout(const std::string& mountinfo_path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(mountinfo_path, 16 << 20));
  return ParseCgroupMounts(text);
}

CgroupLayout CgroupV1LayoutAt(const std::string& root, const std::vector<std::string>& controllers) {
  CgroupLayout l;
  l.version = CgroupVersion::kV1;
  for (const auto& c : controllers) l.v1_roots[c] = root + "/" + c;
  return l;
}

CgroupLayout CgroupV2LayoutAt(const std::string& root) {
  CgroupLayout l;
  l.version = CgroupVersion::kV2;
  l.unified_root = root;
  return l;
}

bool IsFaasnetCgroupPath(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') return false;
  auto parts = Split(path, '/');
  if (parts.front().substr(0, 7) != "faasnet") return false;
  for (auto p : parts) {
    if (p.empty() || p == "." || p == "..") return false;
    for (char c : p) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                c == '-';
      if (!ok) return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------- CgroupFs

CgroupFs::CgroupFs(CgroupLayout layout, std::vector<Root> roots)
    : layout_(std::move(layout)), roots_(std::move(roots)) {}

Result<std::unique_ptr<CgroupFs>> CgroupFs::OpenSystem() {
  ASSIGN_OR_RETURN(CgroupLayout layout, DetectCgroupLayout());
  return Open(std::move(layout));
}

Result<std::unique_ptr<CgroupFs>> CgroupFs::Open(CgroupLayout layout) {
  std::vector<Root> roots;
  const auto& needed = NeededControllers(layout.version);
  if (layout.version == CgroupVersion::kV1) {
    // Where a missing controller would be mounted, for the message.
    std::string base = "/sys/fs/cgroup";
    if (!layout.v1_roots.empty()) {
      const std::string& any = layout.v1_roots.begin()->second;
      base = any.substr(0, any.rfind('/'));
    }
    for (const auto& c : needed) {
      auto it = layout.v1_roots.find(c);
      std::string dir = it == layout.v1_roots.end() ? base + "/" + c : it->second;
      struct stat st;
      if (it == layout.v1_roots.end() || ::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return Status::FailedPrecondition("cgroup controller '" + c + "' is not mounted at " + dir +
                                          ": mount it (mount -t cgroup -o " + c + " cgroup " + dir +
                                          ") or run with --isolation none");
      }
      auto same = std::find_if(roots.begin(), roots.end(), [&](const Root& r) { return r.dir == dir; });
      if (same != roots.end()) {
        same->controllers.push_back(c);
      } else {
        roots.push_back(Root{dir, {c}, IsKernelCgroupFs(dir)});
      }
    }
  } else {
    const std::string& dir = layout.unified_root;
    auto available = ReadFile(dir + "/cgroup.controllers");
    if (!available.ok()) {
      return Status::FailedPrecondition("cgroup v2 is not mounted at " + dir + " (" + available.status().message() +
                                        "): mount it (mount -t cgroup2 none " + dir + ") or run with --isolation none");
    }
    auto enabled = ReadFile(dir + "/cgroup.subtree_control");
    auto have = Words(*available);
    auto on = enabled.ok() ? Words(*enabled) : std::vector<std::string>{};
    for (const auto& c : needed) {
      if (!Contains(have, c)) {
        return Status::FailedPrecondition("cgroup v2 controller '" + c + "' is not available at " + dir +
                                          " (cgroup.controllers: '" + std::string(Trim(*available)) +
                                          "'): enable it in the kernel or boot options, or run with "
                                          "--isolation none");
      }
      if (!Contains(on, c)) {
        return Status::FailedPrecondition("cgroup v2 controller '" + c + "' is not enabled in " + dir +
                                          "/cgroup.subtree_control: run `echo +" + c + " > " + dir +
                                          "/cgroup.subtree_control` as root, or run with --isolation none");
      }
    }
    roots.push_back(Root{dir, needed, IsKernelCgroupFs(dir)});
  }
  for (const auto& r : roots) {
    if (::access(r.dir.c_str(), W_OK) != 0) {
      return Status::PermissionDenied("cgroup hierarchy " + r.dir +
                                      " is not writable: run faasnet as root (CAP_SYS_ADMIN) or with "
                                      "--isolation none");
    }
  }
  return std::unique_ptr<CgroupFs>(new CgroupFs(std::move(layout), std::move(roots)));
}

std::string CgroupFs::DirFor(std::string_view controller, std::string_view path) const {
  std::string root;
  if (layout_.version == CgroupVersion::kV2) {
    root = layout_.unified_root;
  } else {
    auto it = layout_.v1_roots.find(std::string(controller));
    root = it == layout_.v1_roots.end() ? roots_.front().dir : it->second;
  }
  return root + "/" + std::string(path);
}

Status CgroupFs::MakeGroupDir(const Root& root, const std::string& dir, bool enable_subtree) {
  bool created = false;
  if (::mkdir(dir.c_str(), 0755) == 0) {
    created = true;
  } else if (errno != EEXIST) {
    return Status::FromErrno(errno, "mkdir", dir);
  }
  if (created && !root.kernel) {
    // A fake tree: the kernel would have filled the new group with control files.
    std::string tmpl = root.dir + "/" + kFakeTemplateDir;
    auto names = ListDir(tmpl);
    if (names.ok()) {
      for (const auto& n : *names) {
        std::string src = tmpl + "/" + n, dst = dir + "/" + n;
        char target[4096];
        ssize_t len = ::readlink(src.c_str(), target, sizeof target - 1);
        if (len >= 0) {
          target[len] = '\0';
          if (::symlink(target, dst.c_str()) != 0) return Status::FromErrno(errno, "symlink", dst);
          continue;
        }
        ASSIGN_OR_RETURN(std::string content, ReadFile(src));
        RETURN_IF_ERROR(CreateFile(dst, content));
      }
    }
  }
  if (enable_subtree && layout_.version == CgroupVersion::kV2) {
    std::string file = dir + "/cgroup.subtree_control";
    ASSIGN_OR_RETURN(std::string current, ReadFile(file));
    auto on = Words(current);
    std::string want;
    for (const auto& c : root.controllers) {
      if (!Contains(on, c)) want += (want.empty() ? "+" : " +") + c;
    }
    if (!want.empty()) {
      RETURN_IF_ERROR(WriteFile(file, want));
      ASSIGN_OR_RETURN(std::string back, ReadFile(file));
      auto now = Words(back);
      for (const auto& c : root.controllers) {
        if (!Contains(now, c) && root.kernel) {
          return Status::Internal("read back " + file + ": wrote '" + want + "', but '" + c + "' is not enabled ('" +
                                  std::string(Trim(back)) + "')");
        }
      }
      if (!root.kernel) {
        // Plain file: record the union, as the kernel would show it.
        std::string all;
        for (const auto& c : on) all += (all.empty() ? "" : " ") + c;
        for (const auto& c : root.controllers) {
          if (!Contains(on, c)) all += (all.empty() ? "" : " ") + c;
        }
        RETURN_IF_ERROR(CreateFile(file, all + "\n"));
      }
    }
  }
  return Status::Ok();
}

Status CgroupFs::Create(std::string_view path) {
  RETURN_IF_ERROR(CheckPath(path));
  auto parts = Split(path, '/');
  for (const auto& root : roots_) {
    // A concurrent Destroy of an emptied ancestor can race with the mkdir of
    // its child (ENOENT); retrying the chain a few times settles it.
    Status st;
    for (int attempt = 0; attempt < 3; ++attempt) {
      std::string dir = root.dir;
      for (size_t i = 0; i < parts.size(); ++i) {
        dir += "/";
        dir += parts[i];
        bool leaf = i + 1 == parts.size();
        st = MakeGroupDir(root, dir, /*enable_subtree=*/!leaf);
        if (!st.ok()) break;
      }
      if (st.code() != Status::Code::kNotFound) break;
    }
    RETURN_IF_ERROR(st);
  }
  return Status::Ok();
}

bool CgroupFs::Exists(std::string_view path) const {
  if (!IsFaasnetCgroupPath(path)) return false;
  return PathExists(roots_.front().dir + "/" + std::string(path));
}

Status CgroupFs::SetCpu(std::string_view path, int64_t quota_us, int64_t period_us) {
  RETURN_IF_ERROR(CheckPath(path));
  if (period_us < 1000 || period_us > 1000000) {
    return Status::InvalidArgument("cpu period " + std::to_string(period_us) + " us for cgroup " + std::string(path) +
                                   ": must be within 1000..1000000 us");
  }
  if (quota_us >= 0 && quota_us < 1000) {
    return Status::InvalidArgument("cpu quota " + std::to_string(quota_us) + " us for cgroup " + std::string(path) +
                                   ": below the kernel's minimum of 1000 us");
  }
  if (layout_.version == CgroupVersion::kV2) {
    std::string value =
        (quota_us < 0 ? std::string("max") : std::to_string(quota_us)) + " " + std::to_string(period_us);
    return WriteChecked(DirFor("cpu", path) + "/cpu.max", value);
  }
  std::string dir = DirFor("cpu", path);
  // Lift the quota first: a new period with the old quota may briefly exceed
  // the parent's ratio, which v1 refuses.
  RETURN_IF_ERROR(WriteFile(dir + "/cpu.cfs_quota_us", "-1"));
  RETURN_IF_ERROR(WriteChecked(dir + "/cpu.cfs_period_us", std::to_string(period_us)));
  return WriteChecked(dir + "/cpu.cfs_quota_us", std::to_string(quota_us < 0 ? -1 : quota_us));
}

Status CgroupFs::SetMemoryLimit(std::string_view path, uint64_t bytes) {
  RETURN_IF_ERROR(CheckPath(path));
  uint64_t page = PageSize();
  uint64_t limit = bytes / page * page;
  if (limit == 0) {
    return Status::InvalidArgument("memory limit " + std::to_string(bytes) + " bytes for cgroup " + std::string(path) +
                                   ": less than one page");
  }
  std::string value = std::to_string(limit);
  std::string dir = DirFor("memory", path);
  if (layout_.version == CgroupVersion::kV2) {
    RETURN_IF_ERROR(WriteChecked(dir + "/memory.max", value));
    if (PathExists(dir + "/memory.swap.max")) RETURN_IF_ERROR(WriteChecked(dir + "/memory.swap.max", "0"));
    return Status::Ok();
  }
  std::string memsw = dir + "/memory.memsw.limit_in_bytes";
  if (!PathExists(memsw)) return WriteChecked(dir + "/memory.limit_in_bytes", value);
  // memsw.limit must stay >= limit at every step: raise memsw first when growing.
  ASSIGN_OR_RETURN(uint64_t old_memsw, ReadUint64File(memsw));
  if (limit > old_memsw) {
    RETURN_IF_ERROR(WriteChecked(memsw, value));
    return WriteChecked(dir + "/memory.limit_in_bytes", value);
  }
  RETURN_IF_ERROR(WriteChecked(dir + "/memory.limit_in_bytes", value));
  return WriteChecked(memsw, value);
}

Status CgroupFs::SetPidsLimit(std::string_view path, int64_t max) {
  RETURN_IF_ERROR(CheckPath(path));
  std::string file = DirFor("pids", path) + "/pids.max";
  if (!PathExists(file)) {
    return Status::FailedPrecondition("cgroup " + std::string(path) + " has no pids.max (" + file +
                                      "): the pids controller is missing");
  }
  return WriteChecked(file, max < 0 ? std::string("max") : std::to_string(max));
}

Status CgroupFs::Attach(std::string_view path, pid_t pid) {
  RETURN_IF_ERROR(CheckPath(path));
  std::string value = std::to_string(pid);
  for (const auto& root : roots_) {
    std::string file = root.dir + "/" + std::string(path) + "/cgroup.procs";
    RETURN_IF_ERROR(WriteFile(file, value));
    ASSIGN_OR_RETURN(std::string back, ReadFile(file));
    auto pids = ParsePids(back);
    if (std::find(pids.begin(), pids.end(), pid) == pids.end()) {
      return Status::Internal("read back " + file + ": pid " + value +
                              " is not a member after the write (did it exit?)");
    }
  }
  return Status::Ok();
}

Result<std::vector<pid_t>> CgroupFs::Procs(std::string_view path) const {
  RETURN_IF_ERROR(CheckPath(path));
  ASSIGN_OR_RETURN(std::string text, ReadFile(roots_.front().dir + "/" + std::string(path) + "/cgroup.procs"));
  return ParsePids(text);
}

std::vector<std::string> CgroupFs::ProcsFiles(std::string_view path) const {
  std::vector<std::string> files;
  for (const auto& root : roots_) files.push_back(root.dir + "/" + std::string(path) + "/cgroup.procs");
  return files;
}

Result<std::vector<std::string>> CgroupFs::Children(std::string_view path) const {
  RETURN_IF_ERROR(CheckPath(path));
  ASSIGN_OR_RETURN(auto names, ListSubdirs(roots_.front().dir + "/" + std::string(path)));
  std::vector<std::string> out;
  for (auto& n : names) {
    if (!n.empty() && n[0] != '.') out.push_back(std::move(n));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<CgroupStats> CgroupFs::ReadStats(std::string_view path) const {
  RETURN_IF_ERROR(CheckPath(path));
  CgroupStats s;
  auto need = [](const std::string& file, std::string_view text, std::string_view key) -> Result<uint64_t> {
    auto v = KeyValue(text, key);
    if (!v) return Status::Internal("parse " + file + ": no '" + std::string(key) + "' line");
    return *v;
  };
  std::string mem = DirFor("memory", path);
  if (layout_.version == CgroupVersion::kV1) {
    ASSIGN_OR_RETURN(s.cpu_usage_ns, ReadUint64File(DirFor("cpuacct", path) + "/cpuacct.usage"));
    std::string cpu_stat_file = DirFor("cpu", path) + "/cpu.stat";
    ASSIGN_OR_RETURN(std::string cpu_stat, ReadFile(cpu_stat_file));
    ASSIGN_OR_RETURN(s.nr_periods, need(cpu_stat_file, cpu_stat, "nr_periods"));
    ASSIGN_OR_RETURN(s.nr_throttled, need(cpu_stat_file, cpu_stat, "nr_throttled"));
    ASSIGN_OR_RETURN(s.cpu_throttled_ns, need(cpu_stat_file, cpu_stat, "throttled_time"));
    ASSIGN_OR_RETURN(s.memory_current_bytes, ReadUint64File(mem + "/memory.usage_in_bytes"));
    ASSIGN_OR_RETURN(s.memory_peak_bytes, ReadUint64File(mem + "/memory.max_usage_in_bytes"));
    std::string oom_file = mem + "/memory.oom_control";
    ASSIGN_OR_RETURN(std::string oom, ReadFile(oom_file));
    s.oom_kills = KeyValue(oom, "oom_kill").value_or(0);  // absent before Linux 4.13
  } else {
    std::string cpu_stat_file = DirFor("cpu", path) + "/cpu.stat";
    ASSIGN_OR_RETURN(std::string cpu_stat, ReadFile(cpu_stat_file));
    ASSIGN_OR_RETURN(uint64_t usage_us, need(cpu_stat_file, cpu_stat, "usage_usec"));
    s.cpu_usage_ns = usage_us * 1000;
    // Bandwidth lines appear only when the cpu controller is enabled.
    s.nr_periods = KeyValue(cpu_stat, "nr_periods").value_or(0);
    s.nr_throttled = KeyValue(cpu_stat, "nr_throttled").value_or(0);
    s.cpu_throttled_ns = KeyValue(cpu_stat, "throttled_usec").value_or(0) * 1000;
    ASSIGN_OR_RETURN(s.memory_current_bytes, ReadUint64File(mem + "/memory.current"));
    if (PathExists(mem + "/memory.peak")) {
      ASSIGN_OR_RETURN(s.memory_peak_bytes, ReadUint64File(mem + "/memory.peak"));
    }
    std::string events_file = mem + "/memory.events";
    ASSIGN_OR_RETURN(std::string events, ReadFile(events_file));
    s.oom_kills = KeyValue(events, "oom_kill").value_or(0);
  }
  std::string pids_file = DirFor("pids", path) + "/pids.current";
  if (PathExists(pids_file)) {
    ASSIGN_OR_RETURN(s.pids_current, ReadUint64File(pids_file));
  }
  return s;
}

Status CgroupFs::ResetMemoryPeak(std::string_view path) {
  RETURN_IF_ERROR(CheckPath(path));
  if (layout_.version == CgroupVersion::kV2) {
    return Status::Unimplemented("reset memory.peak of cgroup " + std::string(path) +
                                 ": cgroup v2 resets it only per open file; read deltas instead");
  }
  std::string file = DirFor("memory", path) + "/memory.max_usage_in_bytes";
  return WriteFile(file, "0");
}

Status CgroupFs::KillTree(const Root& root, const std::string& dir) {
  auto children = ListSubdirs(dir);
  if (!children.ok()) {
    if (children.status().code() == Status::Code::kNotFound) return Status::Ok();
    return children.status();
  }
  for (const auto& n : *children) {
    if (!n.empty() && n[0] != '.') RETURN_IF_ERROR(KillTree(root, dir + "/" + n));
  }
  std::string procs_file = dir + "/cgroup.procs";
  auto text = ReadFile(procs_file);
  if (!text.ok()) {
    if (text.status().code() == Status::Code::kNotFound) return Status::Ok();
    return text.status();
  }
  if (!root.kernel) {
    // A fake tree lists pids that are not really members: never signal them.
    return Trim(*text).empty() ? Status::Ok() : CreateFile(procs_file, "");
  }
  for (pid_t pid : ParsePids(*text)) {
    if (pid > 0 && ::kill(pid, SIGKILL) != 0 && errno != ESRCH) {
      return Status::FromErrno(errno, "kill -9 " + std::to_string(pid) + " in", dir);
    }
  }
  return Status::Ok();
}

Status CgroupFs::KillAll(std::string_view path) {
  RETURN_IF_ERROR(CheckPath(path));
  if (layout_.version == CgroupVersion::kV2) {
    std::string kill_file = DirFor("cpu", path) + "/cgroup.kill";
    if (PathExists(kill_file)) {
      RETURN_IF_ERROR(WriteFile(kill_file, "1"));
      if (roots_.front().kernel) return Status::Ok();
    }
  }
  for (const auto& root : roots_) RETURN_IF_ERROR(KillTree(root, root.dir + "/" + std::string(path)));
  return Status::Ok();
}

Status CgroupFs::DestroyTree(const Root& root, const std::string& dir, std::chrono::steady_clock::time_point deadline) {
  auto subdirs = ListSubdirs(dir);
  if (!subdirs.ok()) {
    if (subdirs.status().code() == Status::Code::kNotFound) return Status::Ok();
    return subdirs.status();
  }
  for (const auto& n : *subdirs) {
    if (!n.empty() && n[0] != '.') RETURN_IF_ERROR(DestroyTree(root, dir + "/" + n, deadline));
  }
  if (!root.kernel) {
    // A plain directory: remove the copied control files first.
    ASSIGN_OR_RETURN(auto names, ListDir(dir));
    for (const auto& n : names) {
      std::string f = dir + "/" + n;
      struct stat st;
      if (::lstat(f.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) ::unlink(f.c_str());
    }
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) return Status::FromErrno(errno, "rmdir", dir);
    return Status::Ok();
  }
  for (int round = 0;; ++round) {
    auto text = ReadFile(dir + "/cgroup.procs");
    if (!text.ok() && text.status().code() == Status::Code::kNotFound) return Status::Ok();
    bool empty = text.ok() && Trim(*text).empty();
    if (empty) {
      if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return Status::Ok();
      if (errno != EBUSY) return Status::FromErrno(errno, "rmdir", dir);
    } else if (text.ok()) {
      for (pid_t pid : ParsePids(*text)) ::kill(pid, SIGKILL);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Timeout("destroy cgroup " + dir + ": " +
                             (empty ? std::string("rmdir stays busy")
                                    : "processes still running: " + std::string(Trim(text.ok() ? *text : ""))));
    }
    Backoff(round);
  }
}

Status CgroupFs::Destroy(std::string_view path, std::chrono::milliseconds timeout) {
  RETURN_IF_ERROR(CheckPath(path));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // Kill everything first, in every hierarchy, so processes die in parallel
  // with the walk below.
  RETURN_IF_ERROR(KillAll(path));
  for (const auto& root : roots_) {
    RETURN_IF_ERROR(DestroyTree(root, root.dir + "/" + std::string(path), deadline));
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- Cgroup

Status CgroupFs::Rename(std::string_view from, std::string_view to) {
  RETURN_IF_ERROR(CheckPath(from));
  RETURN_IF_ERROR(CheckPath(to));
  if (layout_.version != CgroupVersion::kV1) {
    return Status::Unimplemented("rename cgroup " + std::string(from) + ": cgroup v2 cannot rename groups");
  }
  auto parent = [](std::string_view p) { return p.substr(0, p.rfind('/')); };
  if (parent(from) != parent(to)) {
    return Status::InvalidArgument("rename cgroup " + std::string(from) + " to " + std::string(to) +
                                   ": only within the same parent");
  }
  std::vector<std::pair<std::string, std::string>> done;
  for (const auto& root : roots_) {
    std::string a = root.dir + "/" + std::string(from), b = root.dir + "/" + std::string(to);
    if (::rename(a.c_str(), b.c_str()) != 0) {
      Status st = Status::FromErrno(errno, "rename cgroup", a + " to " + b);
      for (auto it = done.rbegin(); it != done.rend(); ++it) (void)::rename(it->second.c_str(), it->first.c_str());
      return st;
    }
    done.emplace_back(a, b);
  }
  return Status::Ok();
}

Result<Cgroup> Cgroup::Create(CgroupManager& manager, std::string path) {
  RETURN_IF_ERROR(manager.Create(path));
  return Cgroup(&manager, std::move(path));
}

Cgroup::Cgroup(Cgroup&& other) noexcept : manager_(other.manager_), path_(std::move(other.path_)) {
  other.manager_ = nullptr;
}

Cgroup& Cgroup::operator=(Cgroup&& other) noexcept {
  if (this != &other) {
    (void)Destroy();
    manager_ = other.manager_;
    path_ = std::move(other.path_);
    other.manager_ = nullptr;
  }
  return *this;
}

Cgroup::~Cgroup() {
  Status st = Destroy();
  if (!st.ok()) spdlog::warn("destroy cgroup {}: {}", path_, st.ToString());
}

Status Cgroup::Destroy(std::chrono::milliseconds timeout) {
  if (manager_ == nullptr) return Status::Ok();
  RETURN_IF_ERROR(manager_->Destroy(path_, timeout));
  manager_ = nullptr;
  return Status::Ok();
}

}  // namespace faasnet::sys
