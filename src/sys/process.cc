#include "sys/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "base/log.h"
#include "sys/cgroup.h"
#include "sys/netns.h"

extern char** environ;

namespace faasnet::sys {

namespace {

// Steps the child reports on failure; indexes into kStepNames.
enum Step : int {
  kStepJoinCgroup = 0,
  kStepSetns,
  kStepUnshareMount,
  kStepMountSlave,
  kStepMountTmp,
  kStepRlimit,
  kStepSetsid,
  kStepDeathSignal,
  kStepChdir,
  kStepDup,
  kStepExec,
};
const char* const kStepNames[] = {
    "join cgroup",
    "setns into netns",
    "unshare mount namespace",
    "make mounts slaves",
    "mount private /tmp",
    "setrlimit",
    "setsid",
    "set parent-death signal",
    "chdir",
    "redirect stdio",
    "execve",
};

struct ChildError {
  int step;
  int err;
  int index;  // which cgroup file / rlimit
};

int ToRlimit(RlimitResource r) {
  switch (r) {
    case RlimitResource::kNofile:
      return RLIMIT_NOFILE;
    case RlimitResource::kNproc:
      return RLIMIT_NPROC;
    case RlimitResource::kAs:
      return RLIMIT_AS;
    case RlimitResource::kCore:
      return RLIMIT_CORE;
    case RlimitResource::kCpu:
      return RLIMIT_CPU;
    case RlimitResource::kFsize:
      return RLIMIT_FSIZE;
    case RlimitResource::kStack:
      return RLIMIT_STACK;
    case RlimitResource::kMemlock:
      return RLIMIT_MEMLOCK;
  }
  return RLIMIT_NOFILE;
}

std::string EnvValue(const std::vector<std::string>& env, std::string_view key) {
  for (const auto& e : env) {
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=') {
      return e.substr(key.size() + 1);
    }
  }
  return {};
}

Result<std::string> ResolveProgram(const std::string& name, const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  std::string path = EnvValue(env, "PATH");
  if (path.empty()) {
    const char* p = ::getenv("PATH");
    path = p ? p : "/usr/local/bin:/usr/bin:/bin";
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return Status::NotFound("spawn " + name + ": not found in PATH (" + path + ")");
}

// Writes the failing step to the parent and exits. Async-signal-safe.
[[noreturn]] void ChildFail(int fd, int step, int index) {
  ChildError e{step, errno, index};
  ssize_t ignored = ::write(fd, &e, sizeof e);
  (void)ignored;
  ::_exit(127);
}

// Makes `fd` the descriptor `target` without close-on-exec. Async-signal-safe.
bool MoveFd(int fd, int target) {
  if (fd == target) return ::fcntl(fd, F_SETFD, 0) == 0;
  return ::dup2(fd, target) == target;
}

}  // namespace

std::string SignalName(int signal) {
  const char* abbrev = ::sigabbrev_np(signal);
  if (abbrev) return std::string("SIG") + abbrev;
  return "signal " + std::to_string(signal);
}

std::string ExitStatus::ToString() const {
  std::string s;
  if (exited) {
    s = "exited with code " + std::to_string(code);
  } else if (signaled) {
    s = "killed by signal " + std::to_string(signal) + " (" + SignalName(signal) + ")";
    if (core_dumped) s += ", core dumped";
  } else {
    s = "unknown status";
  }
  if (oom_killed) s += ", out of memory";
  return s;
}

Result<Process> Process::Spawn(const SpawnOptions& o) {
  if (o.argv.empty()) return Status::InvalidArgument("spawn: empty argv");
  const std::string& name = o.argv[0];
  ASSIGN_OR_RETURN(std::string program, ResolveProgram(name, o.env));
  std::string what = "spawn " + program;

  // Everything the child needs is prepared here: after fork only
  // async-signal-safe calls are allowed.
  std::vector<std::string> env_strings;
  if (o.inherit_env) {
    for (char** e = environ; e && *e; ++e) {
      std::string_view entry(*e);
      std::string_view key = entry.substr(0, entry.find('='));
      bool overridden = false;
      for (const auto& mine : o.env) {
        if (mine.size() > key.size() && mine.compare(0, key.size(), key) == 0 && mine[key.size()] == '=') {
          overridden = true;
          break;
        }
      }
      if (!overridden) env_strings.emplace_back(entry);
    }
  }
  for (const auto& e : o.env) env_strings.push_back(e);
  std::vector<char*> argv, envp;
  for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv[0] = const_cast<char*>(name.c_str());
  argv.push_back(nullptr);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  auto open_or = [&](const std::string& path, int flags) -> Result<UniqueFd> {
    return OpenFile(path.empty() ? std::string("/dev/null") : path, flags, 0644);
  };
  int out_flags = O_WRONLY | O_CREAT | (o.append_output ? O_APPEND : O_TRUNC);
  ASSIGN_OR_RETURN(UniqueFd in_fd, open_or(o.stdin_path, O_RDONLY));
  ASSIGN_OR_RETURN(UniqueFd out_fd, open_or(o.stdout_path, out_flags));
  UniqueFd err_fd_owner;
  int err_fd = out_fd.get();
  if (o.stderr_path != o.stdout_path || o.stdout_path.empty()) {
    ASSIGN_OR_RETURN(err_fd_owner, open_or(o.stderr_path, out_flags));
    err_fd = err_fd_owner.get();
  }

  std::vector<std::string> procs_files;
  std::vector<UniqueFd> procs_fds;
  std::vector<int> procs_raw;
  uint64_t oom_at_start = 0;
  if (o.cgroups != nullptr) {
    if (!o.cgroups->Exists(o.cgroup)) {
      return Status::NotFound(what + ": cgroup " + o.cgroup + " does not exist (create it first)");
    }
    procs_files = o.cgroups->ProcsFiles(o.cgroup);
    for (const auto& f : procs_files) {
      ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(f, O_WRONLY));
      procs_raw.push_back(fd.get());
      procs_fds.push_back(std::move(fd));
    }
    auto stats = o.cgroups->ReadStats(o.cgroup);
    if (stats.ok()) oom_at_start = stats->oom_kills;
  }
  if (o.netns != nullptr && !o.netns->valid()) {
    return Status::FailedPrecondition(what + ": netns " + o.netns->name() + " is not open (destroyed?)");
  }
  int netns_fd = o.netns ? o.netns->fd() : -1;
  std::string tmpfs_opts = "mode=1777";
  if (o.private_tmp_bytes) tmpfs_opts += ",size=" + std::to_string(o.private_tmp_bytes);
  std::vector<std::pair<int, rlimit>> limits;
  for (const auto& r : o.rlimits) {
    rlimit l{};
    l.rlim_cur = r.soft == UINT64_MAX ? RLIM_INFINITY : r.soft;
    l.rlim_max = r.hard == UINT64_MAX ? RLIM_INFINITY : r.hard;
    limits.emplace_back(ToRlimit(r.resource), l);
  }

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Status::FromErrno(errno, what + ": pipe2");
  UniqueFd report_read(pipe_fds[0]), report_write(pipe_fds[1]);

  // Block signals across fork so no handler of the parent runs in the child
  // before the child resets dispositions.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    int rfd = report_write.get();
    for (size_t i = 0; i < procs_raw.size(); ++i) {
      // "0" moves the writing process itself (v1 and v2).
      if (::write(procs_raw[i], "0", 1) != 1) ChildFail(rfd, kStepJoinCgroup, static_cast<int>(i));
    }
    if (netns_fd >= 0 && ::setns(netns_fd, CLONE_NEWNET) != 0) ChildFail(rfd, kStepSetns, 0);
    if (o.private_tmp) {
      if (::unshare(CLONE_NEWNS) != 0) ChildFail(rfd, kStepUnshareMount, 0);
      if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) ChildFail(rfd, kStepMountSlave, 0);
      // Drop this namespace's copies of the /run/netns pins (see netns.h).
      ::umount2(kNetnsRunDir, MNT_DETACH);
      int rc = o.private_tmp_dir.empty()
                   ? ::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, tmpfs_opts.c_str())
                   : ::mount(o.private_tmp_dir.c_str(), "/tmp", nullptr, MS_BIND | MS_REC, nullptr);
      if (rc != 0) ChildFail(rfd, kStepMountTmp, 0);
    }
    for (size_t i = 0; i < limits.size(); ++i) {
      if (::setrlimit(static_cast<__rlimit_resource_t>(limits[i].first), &limits[i].second) != 0) {
        ChildFail(rfd, kStepRlimit, static_cast<int>(i));
      }
    }
    if (o.new_session && ::setsid() < 0) ChildFail(rfd, kStepSetsid, 0);
    if (o.parent_death_signal != 0) {
      if (::prctl(PR_SET_PDEATHSIG, o.parent_death_signal) != 0) ChildFail(rfd, kStepDeathSignal, 0);
      if (::getppid() != parent) ::_exit(127);  // the parent is already gone
    }
    if (!o.cwd.empty() && ::chdir(o.cwd.c_str()) != 0) ChildFail(rfd, kStepChdir, 0);
    // Move the stdio sources above 2 first so the dup2s cannot clobber each other.
    int src[3] = {in_fd.get(), out_fd.get(), err_fd};
    for (int& s : src) {
      if (s <= 2) {
        int moved = ::fcntl(s, F_DUPFD_CLOEXEC, 3);
        if (moved < 0) ChildFail(rfd, kStepDup, 0);
        s = moved;
      }
    }
    for (int t = 0; t < 3; ++t) {
      if (!MoveFd(src[t], t)) ChildFail(rfd, kStepDup, t);
    }
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; ++s) ::sigaction(s, &dfl, nullptr);  // SIGKILL/SIGSTOP fail harmlessly
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Everything above 2 closes on exec (the report pipe included).
    ::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
    ::execve(program.c_str(), argv.data(), envp.data());
    ChildFail(rfd, kStepExec, 0);
  }
  int fork_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return Status::FromErrno(fork_err, what + ": fork");
  report_write.Reset();

  Process p;
  p.pid_ = pid;
  p.name_ = program;
  p.cgroups_ = o.cgroups;
  p.cgroup_ = o.cgroup;
  p.oom_kills_at_start_ = oom_at_start;
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    p.pidfd_.Reset(pidfd);
    ::fcntl(pidfd, F_SETFD, FD_CLOEXEC);
  }

  ChildError e{};
  ssize_t n;
  do {
    n = ::read(report_read.get(), &e, sizeof e);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof e)) {
    (void)p.Wait();  // reap the failed child
    std::string step = (e.step >= 0 && e.step <= kStepExec) ? kStepNames[e.step] : "setup";
    if (e.step == kStepJoinCgroup && e.index >= 0 && static_cast<size_t>(e.index) < procs_files.size()) {
      step += " " + procs_files[e.index];
    } else if (e.step == kStepSetns && o.netns) {
      step += " " + o.netns->name();
    } else if (e.step == kStepChdir) {
      step += " " + o.cwd;
    } else if (e.step == kStepMountTmp) {
      step += o.private_tmp_dir.empty() ? " (tmpfs)" : " (bind " + o.private_tmp_dir + ")";
    }
    return Status::FromErrno(e.err, what + ":", step);
  }
  return p;
}

Process::Process(Process&& other) noexcept
    : pid_(other.pid_),
      pidfd_(std::move(other.pidfd_)),
      status_(other.status_),
      cgroups_(other.cgroups_),
      cgroup_(std::move(other.cgroup_)),
      oom_kills_at_start_(other.oom_kills_at_start_),
      name_(std::move(other.name_)) {
  other.pid_ = -1;
}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    if (running()) (void)KillAndWait();
    pid_ = other.pid_;
    pidfd_ = std::move(other.pidfd_);
    status_ = other.status_;
    cgroups_ = other.cgroups_;
    cgroup_ = std::move(other.cgroup_);
    oom_kills_at_start_ = other.oom_kills_at_start_;
    name_ = std::move(other.name_);
    other.pid_ = -1;
  }
  return *this;
}

Process::~Process() {
  if (running()) {
    auto st = KillAndWait();
    if (!st.ok()) spdlog::warn("kill and reap pid {} ({}): {}", pid_, name_, st.status().ToString());
  }
}

Result<ExitStatus> Process::Reap() {
  int ws = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &ws, 0);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return Status::FromErrno(errno, "waitpid " + std::to_string(pid_), name_);
  ExitStatus s;
  if (WIFEXITED(ws)) {
    s.exited = true;
    s.code = WEXITSTATUS(ws);
  } else if (WIFSIGNALED(ws)) {
    s.signaled = true;
    s.signal = WTERMSIG(ws);
    s.core_dumped = WCOREDUMP(ws);
  }
  if (s.signaled && s.signal == SIGKILL && cgroups_ != nullptr) {
    auto stats = cgroups_->ReadStats(cgroup_);
    if (stats.ok() && stats->oom_kills > oom_kills_at_start_) s.oom_killed = true;
  }
  status_ = s;
  pidfd_.Reset();
  return s;
}

Result<std::optional<ExitStatus>> Process::Wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return Status::FailedPrecondition("wait: no process");
  if (status_) return std::optional<ExitStatus>(*status_);
  if (timeout.count() >= 0) {
    if (pidfd_.valid()) {
      pollfd pfd{pidfd_.get(), POLLIN, 0};
      auto deadline = std::chrono::steady_clock::now() + timeout;
      while (true) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        int rc = ::poll(&pfd, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
        if (rc > 0) break;
        if (rc == 0) return std::optional<ExitStatus>();
        if (errno != EINTR) return Status::FromErrno(errno, "poll pidfd of " + std::to_string(pid_), name_);
      }
    } else {
      // No pidfd (kernel < 5.3): poll waitid without reaping.
      auto deadline = std::chrono::steady_clock::now() + timeout;
      while (true) {
        siginfo_t info{};
        if (::waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid_) break;
        if (std::chrono::steady_clock::now() >= deadline) return std::optional<ExitStatus>();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  }
  ASSIGN_OR_RETURN(ExitStatus s, Reap());
  return std::optional<ExitStatus>(s);
}

Result<ExitStatus> Process::Wait() {
  ASSIGN_OR_RETURN(auto s, Wait(std::chrono::milliseconds(-1)));
  return *s;
}

Status Process::Kill(int signal) {
  if (!running()) return Status::Ok();
  int rc = pidfd_.valid() ? static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd_.get(), signal, nullptr, 0))
                          : ::kill(pid_, signal);
  if (rc != 0 && errno != ESRCH) {
    return Status::FromErrno(errno, "kill -" + std::to_string(signal) + " " + std::to_string(pid_), name_);
  }
  return Status::Ok();
}

Result<ExitStatus> Process::KillAndWait() {
  RETURN_IF_ERROR(Kill(SIGKILL));
  return Wait();
}

}  // namespace faasnet::sys
