// Network namespaces owned by file descriptor.
//
// A NetNamespace is the move-only owner of one network namespace: it holds an
// fd on the namespace (which keeps it alive) and, when pinned, a bind mount at
// /run/netns/<name> so that `ip netns` sees it and a crashed run's namespaces
// can be found and reaped (reap.h). Destroy() (also the destructor) unmounts,
// unlinks and closes; once no process runs inside, the kernel tears the
// namespace down and with it every interface inside it, including the far
// ends of veth pairs (~2 ms, asynchronously, versus 17-30 ms to delete a
// veth explicitly on the reference machine). Because that teardown is
// asynchronous, a veth name in another namespace is free again only a little
// later: give host-side veths unique names rather than reusing one at once.
//
// Names always start with "faasnet" (the reaper finds leftovers by prefix) and
// are at most 64 characters of [A-Za-z0-9._-].
//
// Entering: NetnsGuard moves the CALLING THREAD into a namespace (setns(2),
// ~1 us) and back on destruction; other threads are unaffected. Sockets keep
// the namespace they were created in, so a netlink socket opened under a
// guard keeps operating inside the namespace after the guard is gone.
// Processes: to run a process in a namespace AND a cgroup, join the cgroup
// first, then setns (process.h does this); `ip netns exec` remounts /sys,
// which hides /sys/fs/cgroup.
//
// Mount propagation: pinning makes /run/netns a shared mount point of its own
// (as iproute2 does), so that a child in a new mount namespace (process.h,
// private /tmp) can drop the copies of other sandboxes' pins and never keeps
// their namespaces alive.
//
// Thread-safety: a NetNamespace may be used (fd()) from any thread; Destroy
// and moves must not race with other use of the same object. Different
// objects are independent.
#ifndef FAASNET_SYS_NETNS_H_
#define FAASNET_SYS_NETNS_H_

#include <string>
#include <string_view>

#include "base/status.h"
#include "sys/fd.h"

namespace faasnet::sys {

inline constexpr char kNetnsRunDir[] = "/run/netns";

// True when `name` is a valid faasnet namespace name (see above).
bool IsFaasnetNetnsName(std::string_view name);

class NetNamespace {
 public:
  struct Options {
    // Bind-mount the namespace at /run/netns/<name>. Costs ~0.1 ms; makes it
    // visible to `ip netns` and to ReapLeftovers after a crash. Unpinned
    // namespaces die with their last fd/process, so they cannot leak.
    bool pin = true;
  };

  NetNamespace() = default;
  // A new, empty network namespace (only a "lo", down). The calling thread
  // unshares, keeps an fd and returns to its namespace. Fails with
  // PermissionDenied without CAP_SYS_ADMIN, AlreadyExists when pinned and
  // /run/netns/<name> exists (a leftover: run `faasnet cleanup`).
  static Result<NetNamespace> Create(std::string_view name, Options options);
  static Result<NetNamespace> Create(std::string_view name) { return Create(name, Options{}); }
  // Opens the pinned namespace /run/netns/<name> (any name). The returned
  // object owns only the fd: Destroy() closes it and leaves the pin alone.
  static Result<NetNamespace> OpenPinned(std::string_view name);
  // The calling thread's current namespace (owns only the fd).
  static Result<NetNamespace> Current();

  NetNamespace(NetNamespace&& other) noexcept;
  NetNamespace& operator=(NetNamespace&& other) noexcept;
  NetNamespace(const NetNamespace&) = delete;
  NetNamespace& operator=(const NetNamespace&) = delete;
  ~NetNamespace();

  bool valid() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }
  const std::string& name() const { return name_; }
  // True when this object owns a /run/netns pin.
  bool pinned() const { return pinned_; }
  // /run/netns/<name> when pinned, else "".
  std::string pin_path() const;

  // Unmounts and unlinks the pin (when owned) and closes the fd. Idempotent;
  // errors (other than "already gone") are returned, the fd is closed anyway.
  Status Destroy();

 private:
  NetNamespace(UniqueFd fd, std::string name, bool pinned)
      : fd_(std::move(fd)), name_(std::move(name)), pinned_(pinned) {}
  UniqueFd fd_;
  std::string name_;
  bool pinned_ = false;
};

// Makes /run/netns exist and be a shared mount point of its own (idempotent).
Status EnsureNetnsRunDir();

// Removes the pin /run/netns/<name> (umount with MNT_DETACH, then unlink). OK
// when it does not exist.
Status RemoveNetnsPin(std::string_view name);

// Turns IPv6 off inside `ns`: writes 1 to
// /proc/sys/net/ipv6/conf/{all,default}/disable_ipv6 while the calling thread
// is in the namespace (net sysctls act on the opener's namespace) and reads
// it back. Call it before links are created or come up, so that none gets a
// link-local address or sends neighbour discovery and multicast reports. OK
// when the kernel has no IPv6 at all.
Status DisableIpv6(const NetNamespace& ns);

// Moves the calling thread into a namespace for the guard's lifetime.
class NetnsGuard {
 public:
  // setns(2) into `ns_fd` after remembering the thread's current namespace.
  // Fails (and leaves the thread where it was) with the errno-mapped Status.
  static Result<NetnsGuard> Enter(int ns_fd, std::string_view what = {});
  static Result<NetnsGuard> Enter(const NetNamespace& ns) { return Enter(ns.fd(), ns.name()); }

  NetnsGuard(NetnsGuard&& other) noexcept = default;
  NetnsGuard& operator=(NetnsGuard&& other) noexcept;
  NetnsGuard(const NetnsGuard&) = delete;
  NetnsGuard& operator=(const NetnsGuard&) = delete;
  // Restores; a failure here is logged (the thread would stay in the wrong
  // namespace, which setns back to an fd we hold does not do in practice).
  ~NetnsGuard();
  // Returns to the remembered namespace now. Idempotent.
  Status Exit();

 private:
  explicit NetnsGuard(UniqueFd home) : home_(std::move(home)) {}
  UniqueFd home_;
};

}  // namespace faasnet::sys

#endif  // FAASNET_SYS_NETNS_H_
