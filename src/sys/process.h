// Child processes, optionally inside a cgroup, a network namespace and a new
// mount namespace with a private /tmp.
//
// Spawn forks, and the child performs, in this order and with only
// async-signal-safe calls: join the cgroup (writes "0" to the pre-opened
// cgroup.procs of every hierarchy: /sys must still be the root netns's view,
// so this comes before setns), setns into the network namespace, unshare the
// mount namespace and mount the private /tmp, set rlimits, chdir, redirect
// stdin/stdout/stderr, reset signal mask and dispositions, close every other
// descriptor, execve. A failing step is reported back over a close-on-exec
// pipe, so Spawn returns e.g. "spawn /opt/fn/bootstrap: join cgroup
// /sys/fs/cgroup/memory/faasnet/r1/h1/s7/cgroup.procs: No space left on device"
// rather than a child that exits 127.
//
// Cost note (cgroup v1, docs MACHINE.md): joining a cgroup waits for an RCU
// grace period (~6-16 ms) unless another attach happened within a few ms;
// spawning a batch of sandboxes back-to-back pays it about once.
//
// Ownership: Process is the move-only owner of one child: it holds the pid and
// a pidfd (no pid-reuse races), reaps the child in Wait, and its destructor
// SIGKILLs and reaps a child still running (no zombies, no orphans left by
// the owner). Processes the child itself forks are not tracked here: destroy
// the sandbox's cgroup to kill them all.
// Thread-safety: a Process belongs to one thread at a time. Spawn may be called
// from several threads at once.
#ifndef FAASNET_SYS_PROCESS_H_
#define FAASNET_SYS_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "sys/fd.h"

namespace faasnet::sys {

class CgroupManager;
class NetNamespace;

enum class RlimitResource { kNofile, kNproc, kAs, kCore, kCpu, kFsize, kStack, kMemlock };

struct Rlimit {
  RlimitResource resource;
  uint64_t soft;  // UINT64_MAX = unlimited
  uint64_t hard;
};

struct SpawnOptions {
  // argv[0] is the program: a path, or a name looked up in PATH (the child's
  // env PATH when set, else the parent's).
  std::vector<std::string> argv;
  // "KEY=VALUE" entries. With inherit_env the parent's environment comes
  // first and these override it.
  std::vector<std::string> env;
  bool inherit_env = false;
  std::string cwd;  // "" = inherit the parent's

  // "" = /dev/null. The same path for stdout and stderr shares one file.
  std::string stdin_path;
  std::string stdout_path;
  std::string stderr_path;
  bool append_output = false;  // O_APPEND instead of truncating

  // Isolation (all optional). The cgroup is joined before anything else.
  CgroupManager* cgroups = nullptr;
  std::string cgroup;  // path for `cgroups`, e.g. "faasnet/r1/h1/s7"
  const NetNamespace* netns = nullptr;
  // A new mount namespace (needs CAP_SYS_ADMIN) in which /tmp is private: a
  // bind of `private_tmp_dir` when set, else a fresh tmpfs of
  // `private_tmp_bytes` (0 = the kernel's default, half of RAM). Mounts are
  // made slaves of the parent's, and /run/netns is unmounted in the child so
  // its copy pins no other sandbox's namespace.
  bool private_tmp = false;
  std::string private_tmp_dir;
  uint64_t private_tmp_bytes = 0;

  std::vector<Rlimit> rlimits;
  bool new_session = true;  // setsid(): the child leads its own process group
  // Signal sent to the child when the THREAD that spawned it exits
  // (PR_SET_PDEATHSIG); 0 = none. Only for spawning threads that live as long
  // as the children.
  int parent_death_signal = 0;
};

struct ExitStatus {
  bool exited = false;  // normal exit: `code` is valid
  int code = 0;
  bool signaled = false;  // killed by `signal`
  int signal = 0;
  bool core_dumped = false;
  // Killed by SIGKILL while the cgroup's oom_kill counter went up (only known
  // when the process was spawned into a cgroup).
  bool oom_killed = false;

  bool success() const { return exited && code == 0; }
  // "exited with code 3", "killed by signal 9 (SIGKILL), out of memory".
  std::string ToString() const;
};

// A child forked ahead of time that has already joined its cgroup (on
// cgroup v1 the slow step, see the cost note above) and waits, closing every
// descriptor it inherited, until Process::Launch hands it the rest of a
// SpawnOptions. A pool of them takes the cgroup attach off a cold start's
// path. The child dies with the thread that parked it (PR_SET_PDEATHSIG)
// until it is launched.
// Ownership: move-only owner of the waiting child; the destructor SIGKILLs
// and reaps a child never launched. Thread-safety: one thread at a time.
class ParkedChild {
 public:
  ParkedChild() = default;
  // Forks a child into `cgroup` (which must exist) of `cgroups`. Fails with
  // the step that failed; nothing is left running then.
  static Result<ParkedChild> Park(CgroupManager* cgroups, const std::string& cgroup);
  ParkedChild(ParkedChild&& other) noexcept;
  ParkedChild& operator=(ParkedChild&& other) noexcept;
  ParkedChild(const ParkedChild&) = delete;
  ParkedChild& operator=(const ParkedChild&) = delete;
  ~ParkedChild();

  bool valid() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // SIGKILL and reap. Idempotent.
  void Kill();

 private:
  friend class Process;
  pid_t pid_ = -1;
  UniqueFd pidfd_;
  UniqueFd control_;  // the launch message and the fds go through it
  UniqueFd report_;   // the child's step report (EOF once it exec'd)
};

class Process {
 public:
  Process() = default;
  // Starts the child (see the header comment for the order of steps). On
  // failure nothing is left running and the Status names the failing step.
  static Result<Process> Spawn(const SpawnOptions& options);
  // Starts a parked child as Spawn would, minus joining the cgroup: it is in
  // its cgroup already, which `options.cgroups`/`options.cgroup` must name
  // (its path now, if the group was renamed since). On failure the child is
  // reaped and the Status names the failing step.
  static Result<Process> Launch(ParkedChild parked, const SpawnOptions& options);

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  // SIGKILLs and reaps the child if it was not reaped yet.
  ~Process();

  bool valid() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }
  // True until Wait has reaped the child.
  bool running() const { return pid_ > 0 && !status_; }

  // Waits up to `timeout` (negative: forever) for the child to exit and reaps
  // it. nullopt on timeout (the child is still running). Calling again after
  // the child was reaped returns the same status.
  Result<std::optional<ExitStatus>> Wait(std::chrono::milliseconds timeout);
  Result<ExitStatus> Wait();
  // Sends `signal` through the pidfd. OK (and nothing sent) after reaping.
  Status Kill(int signal);
  // SIGKILL, then Wait().
  Result<ExitStatus> KillAndWait();

 private:
  Result<ExitStatus> Reap();

  pid_t pid_ = -1;
  UniqueFd pidfd_;
  std::optional<ExitStatus> status_;
  CgroupManager* cgroups_ = nullptr;
  std::string cgroup_;
  uint64_t oom_kills_at_start_ = 0;
  std::string name_;
};

// The signal's name ("SIGKILL"), or "signal N".
std::string SignalName(int signal);

}  // namespace faasnet::sys

#endif  // FAASNET_SYS_PROCESS_H_
