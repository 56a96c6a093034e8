#include "sys/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/log.h"

namespace faasnet::sys {

namespace {

constexpr char kThreadNetns[] = "/proc/thread-self/ns/net";

std::atomic<bool> run_dir_ready{false};

}  // namespace

bool IsFaasnetNetnsName(std::string_view name) {
  if (name.size() < 7 || name.size() > 64 || name.substr(0, 7) != "faasnet") return false;
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Status DisableIpv6(const NetNamespace& ns) {
  ASSIGN_OR_RETURN(NetnsGuard guard, NetnsGuard::Enter(ns));
  for (const char* path :
       {"/proc/sys/net/ipv6/conf/all/disable_ipv6", "/proc/sys/net/ipv6/conf/default/disable_ipv6"}) {
    int fd = ::open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return Status::Ok();  // no IPv6 in this kernel
      return Status::FromErrno(errno, "open", std::string(path) + " in " + ns.name());
    }
    char back[4] = {};
    ssize_t n = ::write(fd, "1", 1);
    int err = errno;
    if (n == 1 && ::lseek(fd, 0, SEEK_SET) == 0) n = ::read(fd, back, sizeof back - 1);
    ::close(fd);
    if (n < 0) return Status::FromErrno(err, "write 1 to", std::string(path) + " in " + ns.name());
    if (back[0] != '1') {
      return Status::Internal(std::string(path) + " in " + ns.name() + " reads '" + back + "' after writing 1");
    }
  }
  return Status::Ok();
}

Status EnsureNetnsRunDir() {
  if (run_dir_ready.load(std::memory_order_acquire)) return Status::Ok();
  RETURN_IF_ERROR(MakeDirs(kNetnsRunDir, 0755));
  // As iproute2 does: make /run/netns a mount point of its own and shared, so
  // that unmounting a pin propagates into mount namespaces that copied it.
  bool made_mount = false;
  while (::mount("", kNetnsRunDir, "none", MS_SHARED | MS_REC, nullptr) != 0) {
    if (errno != EINVAL || made_mount) return Status::FromErrno(errno, "mount --make-rshared", kNetnsRunDir);
    if (::mount(kNetnsRunDir, kNetnsRunDir, "none", MS_BIND | MS_REC, nullptr) != 0) {
      return Status::FromErrno(errno, "mount --rbind", kNetnsRunDir);
    }
    made_mount = true;
  }
  run_dir_ready.store(true, std::memory_order_release);
  return Status::Ok();
}

Status RemoveNetnsPin(std::string_view name) {
  std::string path = std::string(kNetnsRunDir) + "/" + std::string(name);
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return Status::FromErrno(errno, "umount", path);
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Status::FromErrno(errno, "unlink", path);
  return Status::Ok();
}

Result<NetNamespace> NetNamespace::Create(std::string_view name, Options options) {
  if (!IsFaasnetNetnsName(name)) {
    return Status::InvalidArgument("netns name '" + std::string(name) +
                                   "': must start with 'faasnet' and be at most 64 characters of [A-Za-z0-9._-]");
  }
  std::string path = std::string(kNetnsRunDir) + "/" + std::string(name);
  if (options.pin) {
    RETURN_IF_ERROR(EnsureNetnsRunDir());
    int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0) {
      if (errno == EEXIST) {
        return Status::AlreadyExists("create netns " + std::string(name) + ": " + path +
                                     " exists (a leftover of a crashed run? `faasnet cleanup` removes it)");
      }
      return Status::FromErrno(errno, "create netns pin", path);
    }
    ::close(fd);
  }
  auto fail = [&](Status st) -> Result<NetNamespace> {
    if (options.pin) ::unlink(path.c_str());
    return st;
  };
  // unshare in the calling thread, then setns back: cheaper than a helper
  // thread (~0.35 ms for the unshare itself).
  int home = ::open(kThreadNetns, O_RDONLY | O_CLOEXEC);
  if (home < 0) return fail(Status::FromErrno(errno, "open", kThreadNetns));
  UniqueFd home_fd(home);
  if (::unshare(CLONE_NEWNET) != 0) {
    int err = errno;
    Status st = Status::FromErrno(err, "unshare(CLONE_NEWNET) for netns", name);
    if (err == EPERM) {
      st = Status::PermissionDenied(st.message() + " (needs CAP_SYS_ADMIN: run as root or with --isolation none)");
    }
    return fail(st);
  }
  int fd = ::open(kThreadNetns, O_RDONLY | O_CLOEXEC);
  int open_err = errno;
  if (::setns(home, CLONE_NEWNET) != 0) {
    // The thread is stuck in the new namespace; nothing sensible can continue.
    spdlog::critical("setns back to the original network namespace failed: {}", std::strerror(errno));
    std::abort();
  }
  if (fd < 0) return fail(Status::FromErrno(open_err, "open new netns", kThreadNetns));
  UniqueFd ns_fd(fd);
  if (options.pin) {
    std::string src = "/proc/self/fd/" + std::to_string(fd);
    if (::mount(src.c_str(), path.c_str(), "none", MS_BIND, nullptr) != 0) {
      return fail(Status::FromErrno(errno, "bind-mount netns to", path));
    }
  }
  return NetNamespace(std::move(ns_fd), std::string(name), options.pin);
}

Result<NetNamespace> NetNamespace::OpenPinned(std::string_view name) {
  std::string path = std::string(kNetnsRunDir) + "/" + std::string(name);
  ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(path, O_RDONLY));
  return NetNamespace(std::move(fd), std::string(name), /*pinned=*/false);
}

Result<NetNamespace> NetNamespace::Current() {
  ASSIGN_OR_RETURN(UniqueFd fd, OpenFile(kThreadNetns, O_RDONLY));
  return NetNamespace(std::move(fd), "", /*pinned=*/false);
}

NetNamespace::NetNamespace(NetNamespace&& other) noexcept
    : fd_(std::move(other.fd_)), name_(std::move(other.name_)), pinned_(other.pinned_) {
  other.pinned_ = false;
}

NetNamespace& NetNamespace::operator=(NetNamespace&& other) noexcept {
  if (this != &other) {
    (void)Destroy();
    fd_ = std::move(other.fd_);
    name_ = std::move(other.name_);
    pinned_ = other.pinned_;
    other.pinned_ = false;
  }
  return *this;
}

NetNamespace::~NetNamespace() {
  Status st = Destroy();
  if (!st.ok()) spdlog::warn("destroy netns {}: {}", name_, st.ToString());
}

std::string NetNamespace::pin_path() const { return pinned_ ? std::string(kNetnsRunDir) + "/" + name_ : std::string(); }

Status NetNamespace::Destroy() {
  Status st;
  if (pinned_) {
    st = RemoveNetnsPin(name_);
    pinned_ = false;
  }
  fd_.Reset();
  return st;
}

// ---------------------------------------------------------------- NetnsGuard

Result<NetnsGuard> NetnsGuard::Enter(int ns_fd, std::string_view what) {
  ASSIGN_OR_RETURN(UniqueFd home, OpenFile(kThreadNetns, O_RDONLY));
  if (::setns(ns_fd, CLONE_NEWNET) != 0) {
    return Status::FromErrno(errno, "setns into netns", what.empty() ? std::string_view("(fd)") : what);
  }
  return NetnsGuard(std::move(home));
}

NetnsGuard& NetnsGuard::operator=(NetnsGuard&& other) noexcept {
  if (this != &other) {
    (void)Exit();
    home_ = std::move(other.home_);
  }
  return *this;
}

NetnsGuard::~NetnsGuard() {
  Status st = Exit();
  if (!st.ok()) spdlog::error("{}", st.ToString());
}

Status NetnsGuard::Exit() {
  if (!home_.valid()) return Status::Ok();
  if (::setns(home_.get(), CLONE_NEWNET) != 0) return Status::FromErrno(errno, "setns back to the original netns");
  home_.Reset();
  return Status::Ok();
}

}  // namespace faasnet::sys
