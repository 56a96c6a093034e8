#include "sys/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
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

namespace {

// What the child does after joining its cgroup, as raw values prepared before
// fork (Spawn) or rebuilt from the launch message (a parked child).
struct ChildPlan {
  int netns_fd = -1;
  bool private_tmp = false;
  const char* private_tmp_dir = "";  // "" = tmpfs
  const char* tmpfs_opts = "";
  const std::pair<int, rlimit>* limits = nullptr;
  size_t nlimits = 0;
  bool new_session = true;
  int parent_death_signal = 0;
  bool reset_death_signal = false;  // a parked child: clear its own death signal first
  pid_t parent = 0;
  const char* cwd = "";
  int src[3] = {-1, -1, -1};  // stdin, stdout, stderr sources
  const char* program = "";
  char* const* argv = nullptr;
  char* const* envp = nullptr;
};

// Every step after the cgroup, then execve. Async-signal-safe; never returns.
[[noreturn]] void RunChild(const ChildPlan& c, int rfd) {
  if (c.netns_fd >= 0 && ::setns(c.netns_fd, CLONE_NEWNET) != 0) ChildFail(rfd, kStepSetns, 0);
  if (c.private_tmp) {
    if (::unshare(CLONE_NEWNS) != 0) ChildFail(rfd, kStepUnshareMount, 0);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) ChildFail(rfd, kStepMountSlave, 0);
    // Drop this namespace's copies of the /run/netns pins (see netns.h).
    ::umount2(kNetnsRunDir, MNT_DETACH);
    int rc = c.private_tmp_dir[0] == '\0'
                 ? ::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, c.tmpfs_opts)
                 : ::mount(c.private_tmp_dir, "/tmp", nullptr, MS_BIND | MS_REC, nullptr);
    if (rc != 0) ChildFail(rfd, kStepMountTmp, 0);
  }
  for (size_t i = 0; i < c.nlimits; ++i) {
    if (::setrlimit(static_cast<__rlimit_resource_t>(c.limits[i].first), &c.limits[i].second) != 0) {
      ChildFail(rfd, kStepRlimit, static_cast<int>(i));
    }
  }
  if (c.new_session && ::setsid() < 0) ChildFail(rfd, kStepSetsid, 0);
  if (c.reset_death_signal || c.parent_death_signal != 0) {
    if (::prctl(PR_SET_PDEATHSIG, c.parent_death_signal) != 0) ChildFail(rfd, kStepDeathSignal, 0);
    if (c.parent_death_signal != 0 && ::getppid() != c.parent) ::_exit(127);  // the parent is already gone
  }
  if (c.cwd[0] != '\0' && ::chdir(c.cwd) != 0) ChildFail(rfd, kStepChdir, 0);
  // Move the stdio sources above 2 first so the dup2s cannot clobber each other.
  int src[3] = {c.src[0], c.src[1], c.src[2]};
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
  ::execve(c.program, c.argv, c.envp);
  ChildFail(rfd, kStepExec, 0);
}

// What Spawn and Launch prepare in the parent: the program, argv/envp, the
// stdio files and the rlimits, with the strings they point into.
struct Prepared {
  std::string program;
  std::string what;  // "spawn <program>"
  std::vector<std::string> env_strings;
  std::vector<char*> argv, envp;
  UniqueFd in_fd, out_fd, err_fd_owner;
  int err_fd = -1;
  std::string tmpfs_opts;
  std::vector<std::pair<int, rlimit>> limits;
};

Result<Prepared> Prepare(const SpawnOptions& o) {
  Prepared p;
  if (o.argv.empty()) return Status::InvalidArgument("spawn: empty argv");
  const std::string& name = o.argv[0];
  ASSIGN_OR_RETURN(p.program, ResolveProgram(name, o.env));
  p.what = "spawn " + p.program;
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
      if (!overridden) p.env_strings.emplace_back(entry);
    }
  }
  for (const auto& e : o.env) p.env_strings.push_back(e);
  for (const auto& a : o.argv) p.argv.push_back(const_cast<char*>(a.c_str()));
  p.argv[0] = const_cast<char*>(name.c_str());
  p.argv.push_back(nullptr);
  for (auto& e : p.env_strings) p.envp.push_back(e.data());
  p.envp.push_back(nullptr);

  auto open_or = [&](const std::string& path, int flags) -> Result<UniqueFd> {
    return OpenFile(path.empty() ? std::string("/dev/null") : path, flags, 0644);
  };
  int out_flags = O_WRONLY | O_CREAT | (o.append_output ? O_APPEND : O_TRUNC);
  ASSIGN_OR_RETURN(p.in_fd, open_or(o.stdin_path, O_RDONLY));
  ASSIGN_OR_RETURN(p.out_fd, open_or(o.stdout_path, out_flags));
  p.err_fd = p.out_fd.get();
  if (o.stderr_path != o.stdout_path || o.stdout_path.empty()) {
    ASSIGN_OR_RETURN(p.err_fd_owner, open_or(o.stderr_path, out_flags));
    p.err_fd = p.err_fd_owner.get();
  }
  if (o.netns != nullptr && !o.netns->valid()) {
    return Status::FailedPrecondition(p.what + ": netns " + o.netns->name() + " is not open (destroyed?)");
  }
  p.tmpfs_opts = "mode=1777";
  if (o.private_tmp_bytes) p.tmpfs_opts += ",size=" + std::to_string(o.private_tmp_bytes);
  for (const auto& r : o.rlimits) {
    rlimit l{};
    l.rlim_cur = r.soft == UINT64_MAX ? RLIM_INFINITY : r.soft;
    l.rlim_max = r.hard == UINT64_MAX ? RLIM_INFINITY : r.hard;
    p.limits.emplace_back(ToRlimit(r.resource), l);
  }
  return p;
}

ChildPlan PlanFor(const SpawnOptions& o, const Prepared& p) {
  ChildPlan c;
  c.netns_fd = o.netns ? o.netns->fd() : -1;
  c.private_tmp = o.private_tmp;
  c.private_tmp_dir = o.private_tmp_dir.c_str();
  c.tmpfs_opts = p.tmpfs_opts.c_str();
  c.limits = p.limits.data();
  c.nlimits = p.limits.size();
  c.new_session = o.new_session;
  c.parent_death_signal = o.parent_death_signal;
  c.parent = ::getpid();
  c.cwd = o.cwd.c_str();
  c.src[0] = p.in_fd.get();
  c.src[1] = p.out_fd.get();
  c.src[2] = p.err_fd;
  c.program = p.program.c_str();
  c.argv = p.argv.data();
  c.envp = p.envp.data();
  return c;
}

// Waits for the child's report: EOF (its exec closed the pipe) is success;
// a ChildError names the step that failed (the child is reaped then).
Status AwaitExec(int report_fd, Process& p, const std::string& what, const std::vector<std::string>& procs_files,
                 const SpawnOptions& o) {
  ChildError e{};
  ssize_t n;
  do {
    n = ::read(report_fd, &e, sizeof e);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof e)) return Status::Ok();
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

// The cgroup.procs files of `cgroup`, opened for the child to write "0" into.
Status OpenProcsFiles(CgroupManager* cgroups, const std::string& cgroup, const std::string& what,
                      std::vector<std::string>* files, std::vector<UniqueFd>* fds, std::vector<int>* raw) {
  if (!cgroups->Exists(cgroup)) {
    return Status::NotFound(what + ": cgroup " + cgroup + " does not exist (create it first)");
  }
  *files = cgroups->ProcsFiles(cgroup);
  for (const auto& f : *files) {
    ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(f, O_WRONLY));
    raw->push_back(fd.get());
    fds->push_back(std::move(fd));
  }
  return Status::Ok();
}

UniqueFd OpenPidfd(pid_t pid) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) ::fcntl(pidfd, F_SETFD, FD_CLOEXEC);
  return UniqueFd(pidfd);
}

// The launch message of a parked child: a header, the rlimits, then
// NUL-terminated strings (program, cwd, private tmp dir, tmpfs options,
// argv..., envp...); the netns and stdio fds travel as SCM_RIGHTS.
struct LaunchHeader {
  int32_t has_netns;
  int32_t private_tmp;
  int32_t new_session;
  int32_t parent_death_signal;
  int32_t nlimits;
  int32_t argc;
  int32_t envc;
};
constexpr size_t kMaxLaunchBytes = 256 * 1024;
constexpr size_t kMaxLaunchStrings = 4096;
constexpr size_t kMaxLaunchLimits = 16;

}  // namespace

Result<Process> Process::Spawn(const SpawnOptions& o) {
  ASSIGN_OR_RETURN(Prepared prep, Prepare(o));
  const std::string& what = prep.what;
  // Everything the child needs is prepared here: after fork only
  // async-signal-safe calls are allowed.
  std::vector<std::string> procs_files;
  std::vector<UniqueFd> procs_fds;
  std::vector<int> procs_raw;
  uint64_t oom_at_start = 0;
  if (o.cgroups != nullptr) {
    RETURN_IF_ERROR(OpenProcsFiles(o.cgroups, o.cgroup, what, &procs_files, &procs_fds, &procs_raw));
    auto stats = o.cgroups->ReadStats(o.cgroup);
    if (stats.ok()) oom_at_start = stats->oom_kills;
  }
  ChildPlan plan = PlanFor(o, prep);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Status::FromErrno(errno, what + ": pipe2");
  UniqueFd report_read(pipe_fds[0]), report_write(pipe_fds[1]);

  // Block signals across fork so no handler of the parent runs in the child
  // before the child resets dispositions.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = ::fork();
  if (pid == 0) {
    int rfd = report_write.get();
    for (size_t i = 0; i < procs_raw.size(); ++i) {
      // "0" moves the writing process itself (v1 and v2).
      if (::write(procs_raw[i], "0", 1) != 1) ChildFail(rfd, kStepJoinCgroup, static_cast<int>(i));
    }
    RunChild(plan, rfd);
  }
  int fork_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return Status::FromErrno(fork_err, what + ": fork");
  report_write.Reset();

  Process p;
  p.pid_ = pid;
  p.name_ = prep.program;
  p.cgroups_ = o.cgroups;
  p.cgroup_ = o.cgroup;
  p.oom_kills_at_start_ = oom_at_start;
  p.pidfd_ = OpenPidfd(pid);
  RETURN_IF_ERROR(AwaitExec(report_read.get(), p, what, procs_files, o));
  return p;
}

// ---------------------------------------------------------------- parked children

ParkedChild::ParkedChild(ParkedChild&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      control_(std::move(other.control_)),
      report_(std::move(other.report_)) {}

ParkedChild& ParkedChild::operator=(ParkedChild&& other) noexcept {
  if (this != &other) {
    Kill();
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::move(other.pidfd_);
    control_ = std::move(other.control_);
    report_ = std::move(other.report_);
  }
  return *this;
}

ParkedChild::~ParkedChild() { Kill(); }

void ParkedChild::Kill() {
  if (pid_ <= 0) return;
  if (pidfd_.valid()) {
    ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
  } else {
    ::kill(pid_, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  pidfd_.Reset();
  control_.Reset();
  report_.Reset();
}

Result<ParkedChild> ParkedChild::Park(CgroupManager* cgroups, const std::string& cgroup) {
  if (cgroups == nullptr) return Status::InvalidArgument("park: no cgroup manager");
  std::string what = "park a child in " + cgroup;
  std::vector<std::string> procs_files;
  std::vector<UniqueFd> procs_fds;
  std::vector<int> procs_raw;
  RETURN_IF_ERROR(OpenProcsFiles(cgroups, cgroup, what, &procs_files, &procs_fds, &procs_raw));
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return Status::FromErrno(errno, what + ": socketpair");
  }
  UniqueFd control(sv[0]), child_control(sv[1]);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Status::FromErrno(errno, what + ": pipe2");
  UniqueFd report_read(pipe_fds[0]), report_write(pipe_fds[1]);
  // The descriptors the child keeps (sorted): everything else it closes first.
  std::vector<int> keep = procs_raw;
  keep.push_back(report_write.get());
  keep.push_back(child_control.get());
  std::sort(keep.begin(), keep.end());
  // The child's buffers, allocated now: after fork it may not allocate.
  std::vector<char> buf(kMaxLaunchBytes);
  std::vector<char*> strings(kMaxLaunchStrings + 2);
  std::vector<std::pair<int, rlimit>> limits(kMaxLaunchLimits);

  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    int rfd = report_write.get();
    int cfd = child_control.get();
    // Keep nothing of the parent's open, from the start: the join below may
    // wait a while, and an inherited descriptor (a server's connection, a
    // namespace) must not outlive the parent's own close meanwhile.
    unsigned next = 3;
    for (int k : keep) {
      if (static_cast<unsigned>(k) > next) ::syscall(SYS_close_range, next, static_cast<unsigned>(k - 1), 0U);
      next = static_cast<unsigned>(k) + 1;
    }
    ::syscall(SYS_close_range, next, ~0U, 0U);
    // The slow step, while nobody waits for it.
    for (size_t i = 0; i < procs_raw.size(); ++i) {
      if (::write(procs_raw[i], "0", 1) != 1) ChildFail(rfd, kStepJoinCgroup, static_cast<int>(i));
    }
    for (int fd : procs_raw) ::close(fd);
    // Die with the thread that parked us (until launched: RunChild resets it).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(0);
    // Wait for the launch message (EOF: never launched).
    int fds[4] = {-1, -1, -1, -1};
    iovec iov{buf.data(), buf.size()};
    alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof fds)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof cbuf;
    ssize_t n;
    do {
      n = ::recvmsg(cfd, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) ::_exit(0);
    int nfds = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        nfds = static_cast<int>((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        if (nfds > 4) nfds = 4;
        std::memcpy(fds, CMSG_DATA(c), static_cast<size_t>(nfds) * sizeof(int));
      }
    }
    LaunchHeader h;
    if (static_cast<size_t>(n) < sizeof h) ChildFail(rfd, kStepExec, 0);
    std::memcpy(&h, buf.data(), sizeof h);
    size_t off = sizeof h;
    if (h.nlimits < 0 || static_cast<size_t>(h.nlimits) > kMaxLaunchLimits || h.argc < 1 || h.envc < 0 ||
        static_cast<size_t>(h.argc + h.envc + 4) > kMaxLaunchStrings || nfds != 3 + (h.has_netns ? 1 : 0)) {
      ChildFail(rfd, kStepExec, 0);
    }
    for (int i = 0; i < h.nlimits; ++i) {
      std::memcpy(&limits[static_cast<size_t>(i)], buf.data() + off, sizeof limits[0]);
      off += sizeof limits[0];
    }
    // The strings, each NUL-terminated.
    size_t count = static_cast<size_t>(4 + h.argc + h.envc);
    for (size_t i = 0; i < count; ++i) {
      if (off >= static_cast<size_t>(n)) ChildFail(rfd, kStepExec, 0);
      strings[i] = buf.data() + off;
      void* nul = std::memchr(buf.data() + off, '\0', static_cast<size_t>(n) - off);
      if (nul == nullptr) ChildFail(rfd, kStepExec, 0);
      off = static_cast<size_t>(static_cast<char*>(nul) - buf.data()) + 1;
    }
    char** argv = strings.data() + 4;
    char** envp = argv + h.argc + 1;
    // argv and envp need their NULLs: shift envp by one to make room.
    for (int i = h.envc - 1; i >= 0; --i) envp[i] = argv[h.argc + i];
    argv[h.argc] = nullptr;
    envp[h.envc] = nullptr;
    ChildPlan c;
    c.netns_fd = h.has_netns ? fds[3] : -1;
    c.private_tmp = h.private_tmp != 0;
    c.program = strings[0];
    c.cwd = strings[1];
    c.private_tmp_dir = strings[2];
    c.tmpfs_opts = strings[3];
    c.limits = limits.data();
    c.nlimits = static_cast<size_t>(h.nlimits);
    c.new_session = h.new_session != 0;
    c.parent_death_signal = h.parent_death_signal;
    c.reset_death_signal = true;
    c.parent = parent;
    c.src[0] = fds[0];
    c.src[1] = fds[1];
    c.src[2] = fds[2];
    c.argv = argv;
    c.envp = envp;
    RunChild(c, rfd);
  }
  int fork_err = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return Status::FromErrno(fork_err, what + ": fork");
  report_write.Reset();
  child_control.Reset();
  ParkedChild parked;
  parked.pid_ = pid;
  parked.pidfd_ = OpenPidfd(pid);
  parked.control_ = std::move(control);
  parked.report_ = std::move(report_read);
  return parked;
}

Result<Process> Process::Launch(ParkedChild parked, const SpawnOptions& o) {
  if (!parked.valid()) return Status::FailedPrecondition("launch: no parked child");
  if (o.cgroups == nullptr) return Status::InvalidArgument("launch: the parked child's cgroup manager is needed");
  ASSIGN_OR_RETURN(Prepared prep, Prepare(o));
  const std::string& what = prep.what;
  if (static_cast<size_t>(o.argv.size() + prep.env_strings.size() + 4) > kMaxLaunchStrings ||
      prep.limits.size() > kMaxLaunchLimits) {
    return Status::InvalidArgument(what + ": too many arguments, variables or rlimits for a parked child");
  }
  uint64_t oom_at_start = 0;
  if (auto stats = o.cgroups->ReadStats(o.cgroup); stats.ok()) oom_at_start = stats->oom_kills;

  LaunchHeader h{};
  h.has_netns = o.netns ? 1 : 0;
  h.private_tmp = o.private_tmp ? 1 : 0;
  h.new_session = o.new_session ? 1 : 0;
  h.parent_death_signal = o.parent_death_signal;
  h.nlimits = static_cast<int32_t>(prep.limits.size());
  h.argc = static_cast<int32_t>(o.argv.size());
  h.envc = static_cast<int32_t>(prep.env_strings.size());
  std::string msg(reinterpret_cast<const char*>(&h), sizeof h);
  for (const auto& l : prep.limits) msg.append(reinterpret_cast<const char*>(&l), sizeof l);
  auto add = [&](const std::string& str) {
    msg += str;
    msg.push_back('\0');
  };
  add(prep.program);
  add(o.cwd);
  add(o.private_tmp_dir);
  add(prep.tmpfs_opts);
  for (size_t i = 0; i < o.argv.size(); ++i) add(o.argv[i]);
  for (const auto& e : prep.env_strings) add(e);
  if (msg.size() > kMaxLaunchBytes) return Status::InvalidArgument(what + ": launch message too large");

  int fds[4] = {prep.in_fd.get(), prep.out_fd.get(), prep.err_fd, o.netns ? o.netns->fd() : -1};
  size_t nfds = o.netns ? 4 : 3;
  iovec iov{msg.data(), msg.size()};
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof fds)] = {};
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = cbuf;
  m.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
  cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
  std::memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));

  Process p;
  p.pid_ = std::exchange(parked.pid_, -1);
  p.pidfd_ = std::move(parked.pidfd_);
  p.name_ = prep.program;
  p.cgroups_ = o.cgroups;
  p.cgroup_ = o.cgroup;
  p.oom_kills_at_start_ = oom_at_start;
  UniqueFd control = std::move(parked.control_), report = std::move(parked.report_);
  ssize_t sent;
  do {
    sent = ::sendmsg(control.get(), &m, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent != static_cast<ssize_t>(msg.size())) {
    int err = errno;
    (void)p.KillAndWait();
    return Status::FromErrno(err, what + ": send the launch message to parked child", std::to_string(p.pid_));
  }
  RETURN_IF_ERROR(AwaitExec(report.get(), p, what, {}, o));
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
