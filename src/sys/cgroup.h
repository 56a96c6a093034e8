// cgroups for sandboxes: CPU quota, memory limit without swap, pids limit,
// membership, usage statistics and teardown, on cgroup v1 and v2.
//
// Layout. faasnet writes only below its own top-level groups, whose first path
// component starts with "faasnet" (the process may already sit in somebody
// else's memory cgroup; that group is never written). The region uses
//   faasnet/<region-id>/<host-id>/<sandbox-id>
// so that a host-level group carries the emulated host's vCPU quota and its
// sandboxes contend for it, and /proc/<pid>/cgroup inside a sandbox shows the
// host and sandbox ids. Paths given to this API are relative to the hierarchy
// root ("faasnet/r1/h1/s7"); on v1 the same path is created in every hierarchy
// that carries a needed controller (cpu, cpuacct, memory, pids), on v2 once
// under the unified mount with the controllers enabled in the ancestors'
// cgroup.subtree_control (only ancestors faasnet created).
//
// Kernel semantics worth knowing (measured on the reference machine, see
// docs MACHINE.md):
//  * Attach cost (v1): moving a process costs one RCU grace period (~6-16 ms at
//    HZ 250) when no other attach happened in the last few ms, and ~0.05 ms
//    right after another attach (to any hierarchy). Attaching one process to
//    the four v1 hierarchies costs one grace period in total, not four.
//    Callers that start many sandboxes should therefore attach (or spawn, see
//    process.h) back-to-back in a batch, or keep a warm pool of attached
//    processes; Attach is cheap to call right after a previous Attach.
//  * Read-back: every value written is read back; a value the kernel changed
//    is an error naming the file, the value written and the value read.
//    Memory limits are rounded DOWN to the page size before writing (the
//    kernel would do it silently otherwise).
//  * v1 cpu: a child's quota/period may not exceed its parent's (EINVAL); v2
//    has no such check.
//
// Test seam. CgroupManager is an interface; CgroupFs implements it over a
// CgroupLayout whose roots may point at a FAKE tree in a temp dir (see
// fake_cgroupfs.h). On a plain filesystem (statfs magic is not cgroupfs)
// CgroupFs imitates the kernel where a plain directory cannot: mkdir copies
// the control files of "<root>/.fake-template/" into the new group, rmdir
// first removes the group's files, and "killing" a group's processes only
// empties its cgroup.procs file: no signal is ever sent to the pids a fake
// tree lists.
//
// Ownership: CgroupFs owns nothing in the kernel; Cgroup is the move-only owner
// of one group (its destructor destroys the group, killing what runs in it).
// Thread-safety: CgroupFs methods may be called from several threads at once
// (they share no mutable state; the kernel serialises cgroupfs writes); one
// Cgroup object belongs to one thread at a time.
#ifndef FAASNET_SYS_CGROUP_H_
#define FAASNET_SYS_CGROUP_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace faasnet::sys {

enum class CgroupVersion { kV1, kV2 };
const char* CgroupVersionName(CgroupVersion v);  // "v1" / "v2"

// Where the hierarchies are mounted.
struct CgroupLayout {
  CgroupVersion version = CgroupVersion::kV2;
  // v2: the unified mount point, e.g. "/sys/fs/cgroup".
  std::string unified_root;
  // v1: controller name -> mount point of the hierarchy carrying it, e.g.
  // "cpu" -> "/sys/fs/cgroup/cpu" (co-mounted controllers share a mount point).
  std::map<std::string, std::string> v1_roots;
};

// Parses /proc/<pid>/mountinfo text. v1 is chosen when any "cgroup" mount
// carries cpu or memory (a hybrid system's controller-less cgroup2 mount is
// ignored); otherwise the first "cgroup2" mount. NotFound when neither exists.
Result<CgroupLayout> ParseCgroupMounts(std::string_view mountinfo);
// ParseCgroupMounts of the file (default: this process's mount table).
Result<CgroupLayout> DetectCgroupLayout(const std::string& mountinfo_path = "/proc/self/mountinfo");
// Layouts rooted at a directory, for fake trees: v1 = <root>/<controller> for
// each of `controllers`; v2 = <root> itself.
CgroupLayout CgroupV1LayoutAt(const std::string& root,
                              const std::vector<std::string>& controllers = {"cpu", "cpuacct", "memory", "pids"});
CgroupLayout CgroupV2LayoutAt(const std::string& root);

// True when `path` is a valid faasnet cgroup path: '/'-separated components of
// [A-Za-z0-9._-] (no "." or ".."), the first starting with "faasnet".
bool IsFaasnetCgroupPath(std::string_view path);

// Usage of one group (and its descendants, as the kernel accounts them).
struct CgroupStats {
  uint64_t cpu_usage_ns = 0;      // v1 cpuacct.usage; v2 cpu.stat usage_usec x 1000
  uint64_t cpu_throttled_ns = 0;  // v1 cpu.stat throttled_time; v2 throttled_usec x 1000
  uint64_t nr_periods = 0;        // CFS periods with runnable tasks
  uint64_t nr_throttled = 0;      // ...of which throttled
  // v1 memory.max_usage_in_bytes; v2 memory.peak (kernel >= 5.19); nullopt when absent.
  std::optional<uint64_t> memory_peak_bytes;
  uint64_t memory_current_bytes = 0;  // v1 memory.usage_in_bytes; v2 memory.current
  uint64_t oom_kills = 0;             // v1 memory.oom_control oom_kill; v2 memory.events oom_kill
  uint64_t pids_current = 0;          // pids.current (0 when the pids controller is absent)
};

// The operations the sandbox layer needs, by path. Implementations: CgroupFs
// (real cgroupfs or a fake tree). Every method fails with a Status naming the
// file and the operation; a path that is not IsFaasnetCgroupPath is an
// InvalidArgument before anything is touched.
class CgroupManager {
 public:
  virtual ~CgroupManager() = default;

  virtual CgroupVersion version() const = 0;

  // Creates the group and its missing ancestors (mkdir -p) in every hierarchy;
  // OK when it already exists (so host-level parents can be shared).
  virtual Status Create(std::string_view path) = 0;
  // True when the group exists (in the first hierarchy).
  virtual bool Exists(std::string_view path) const = 0;

  // CPU bandwidth: `quota_us` of CPU time per `period_us`; quota_us < 0 means
  // unlimited. 1000 <= period_us <= 1000000 and quota_us >= 1000 (kernel limits).
  virtual Status SetCpu(std::string_view path, int64_t quota_us, int64_t period_us) = 0;
  // Memory limit with no swap (v1 memory.limit_in_bytes and, when present,
  // memory.memsw.limit_in_bytes; v2 memory.max and memory.swap.max = 0).
  // `bytes` is rounded down to the page size. EBUSY from the kernel (usage
  // above the new limit) comes back as Unavailable.
  virtual Status SetMemoryLimit(std::string_view path, uint64_t bytes) = 0;
  // pids.max; max < 0 means unlimited. FailedPrecondition without a pids controller.
  virtual Status SetPidsLimit(std::string_view path, int64_t max) = 0;

  // Moves process `pid` (all its threads) into the group in every hierarchy
  // and reads membership back. See the attach-cost note above.
  virtual Status Attach(std::string_view path, pid_t pid) = 0;
  // The pids in the group itself (not its descendants).
  virtual Result<std::vector<pid_t>> Procs(std::string_view path) const = 0;
  // The cgroup.procs files a child process writes "0" into to join the group
  // itself before exec (one per distinct hierarchy), absolute paths.
  virtual std::vector<std::string> ProcsFiles(std::string_view path) const = 0;
  // Names of the child groups of `path`.
  virtual Result<std::vector<std::string>> Children(std::string_view path) const = 0;

  virtual Result<CgroupStats> ReadStats(std::string_view path) const = 0;
  // Resets the memory high-water mark (v1 memory.max_usage_in_bytes), e.g.
  // between invocations of a warm sandbox. v2's memory.peak resets only per
  // open file description: Unimplemented there.
  virtual Status ResetMemoryPeak(std::string_view path) = 0;

  // Renames group `from` to `to` (same parent) in every hierarchy, processes
  // and limits included; /proc/<pid>/cgroup shows the new name. cgroup v1
  // only: v2 has no rename (Unimplemented). On a failure after the first
  // hierarchy the ones renamed are renamed back.
  virtual Status Rename(std::string_view from, std::string_view to) = 0;

  // SIGKILLs every process in the group and its descendants (v2: cgroup.kill
  // when the kernel has it). Does not wait.
  virtual Status KillAll(std::string_view path) = 0;
  // Kills what still runs in the group and its descendants, waits until they
  // are gone (at most `timeout`), then removes the groups, deepest first, in
  // every hierarchy. Idempotent: OK when the group does not exist. Timeout
  // when processes survive (e.g. stuck in D state) or rmdir stays EBUSY.
  virtual Status Destroy(std::string_view path,
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) = 0;
};

// CgroupManager over cgroupfs (or a fake tree laid out like it).
class CgroupFs final : public CgroupManager {
 public:
  // Checks that every needed controller is mounted and writable: v1 cpu,
  // cpuacct, memory, pids; v2 cpu, memory, pids listed in the root's
  // cgroup.controllers and enabled in its cgroup.subtree_control (the root is
  // not faasnet's to change). On failure: FailedPrecondition saying which
  // controller is missing where, and how to fix it or run with --isolation none.
  // PermissionDenied when the hierarchy is not writable (not root).
  static Result<std::unique_ptr<CgroupFs>> Open(CgroupLayout layout);
  // Open(DetectCgroupLayout()).
  static Result<std::unique_ptr<CgroupFs>> OpenSystem();

  const CgroupLayout& layout() const { return layout_; }
  // Absolute directory of `path` in the hierarchy carrying `controller`
  // (v2: the controller is ignored).
  std::string DirFor(std::string_view controller, std::string_view path) const;

  CgroupVersion version() const override { return layout_.version; }
  Status Create(std::string_view path) override;
  bool Exists(std::string_view path) const override;
  Status SetCpu(std::string_view path, int64_t quota_us, int64_t period_us) override;
  Status SetMemoryLimit(std::string_view path, uint64_t bytes) override;
  Status SetPidsLimit(std::string_view path, int64_t max) override;
  Status Attach(std::string_view path, pid_t pid) override;
  Result<std::vector<pid_t>> Procs(std::string_view path) const override;
  std::vector<std::string> ProcsFiles(std::string_view path) const override;
  Result<std::vector<std::string>> Children(std::string_view path) const override;
  Result<CgroupStats> ReadStats(std::string_view path) const override;
  Status ResetMemoryPeak(std::string_view path) override;
  Status Rename(std::string_view from, std::string_view to) override;
  Status KillAll(std::string_view path) override;
  Status Destroy(std::string_view path, std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) override;

 private:
  struct Root {
    std::string dir;                       // mount point
    std::vector<std::string> controllers;  // needed controllers it carries
    bool kernel = true;                    // false: a plain directory tree (fake)
  };
  explicit CgroupFs(CgroupLayout layout, std::vector<Root> roots);
  Status KillTree(const Root& root, const std::string& dir);
  Status DestroyTree(const Root& root, const std::string& dir, std::chrono::steady_clock::time_point deadline);
  Status MakeGroupDir(const Root& root, const std::string& dir, bool enable_subtree);

  CgroupLayout layout_;
  std::vector<Root> roots_;  // distinct hierarchies, each once
};

// Move-only owner of one cgroup: the destructor calls Destroy() (errors are
// logged). `manager` must outlive the Cgroup.
class Cgroup {
 public:
  Cgroup() = default;
  // manager.Create(path) and returns the owner; the error of Create otherwise.
  static Result<Cgroup> Create(CgroupManager& manager, std::string path);
  // Takes ownership of an existing group (e.g. one renamed for a sandbox).
  static Cgroup Adopt(CgroupManager& manager, std::string path) { return Cgroup(&manager, std::move(path)); }
  Cgroup(Cgroup&& other) noexcept;
  Cgroup& operator=(Cgroup&& other) noexcept;
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;
  ~Cgroup();

  bool valid() const { return manager_ != nullptr; }
  const std::string& path() const { return path_; }
  CgroupManager* manager() const { return manager_; }

  Status SetCpu(int64_t quota_us, int64_t period_us) { return manager_->SetCpu(path_, quota_us, period_us); }
  Status SetMemoryLimit(uint64_t bytes) { return manager_->SetMemoryLimit(path_, bytes); }
  Status SetPidsLimit(int64_t max) { return manager_->SetPidsLimit(path_, max); }
  Status Attach(pid_t pid) { return manager_->Attach(path_, pid); }
  Result<CgroupStats> ReadStats() const { return manager_->ReadStats(path_); }
  Status KillAll() { return manager_->KillAll(path_); }
  // Idempotent; after success the object is empty (valid() == false).
  Status Destroy(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
  // Forgets the group without destroying it.
  void Release() { manager_ = nullptr; }

 private:
  Cgroup(CgroupManager* manager, std::string path) : manager_(manager), path_(std::move(path)) {}
  CgroupManager* manager_ = nullptr;
  std::string path_;
};

}  // namespace faasnet::sys

#endif  // FAASNET_SYS_CGROUP_H_
