#include "sys/nl_util.h"

#include <netlink/errno.h>
#include <sys/socket.h>

#include <optional>

#include "sys/netns.h"

namespace faasnet::sys::nl {

Status Error(int nl_err, std::string_view what) {
  int e = nl_err < 0 ? -nl_err : nl_err;
  std::string m = std::string(what) + ": " + nl_geterror(e);
  switch (e) {
    case NLE_EXIST:
      return Status::AlreadyExists(m);
    case NLE_OBJ_NOTFOUND:
    case NLE_NODEV:
    case NLE_NOADDR:
      return Status::NotFound(m);
    case NLE_PERM:
    case NLE_NOACCESS:
      return Status::PermissionDenied(m);
    case NLE_INVAL:
    case NLE_RANGE:
    case NLE_MSG_TOOSHORT:
      return Status::InvalidArgument(m);
    case NLE_NOMEM:
      return Status::ResourceExhausted(m);
    case NLE_BUSY:
    case NLE_AGAIN:
      return Status::Unavailable(m);
    case NLE_OPNOTSUPP:
    case NLE_PROTO_MISMATCH:
      return Status::Unimplemented(m);
    default:
      return Status::IoError(m);
  }
}

std::string InNetns(std::string_view netns_name) {
  return netns_name.empty() ? std::string() : " in netns " + std::string(netns_name);
}

Result<SockPtr> OpenRouteSocket(int ns_fd, std::string_view netns_name) {
  std::optional<NetnsGuard> guard;
  if (ns_fd >= 0) {
    ASSIGN_OR_RETURN(NetnsGuard g, NetnsGuard::Enter(ns_fd, netns_name));
    guard.emplace(std::move(g));
  }
  SockPtr sock(nl_socket_alloc());
  if (!sock) return Status::ResourceExhausted("allocate netlink socket" + InNetns(netns_name));
  // Port 0: the kernel assigns one at bind, so many sockets can coexist.
  nl_socket_set_local_port(sock.get(), 0);
  int err = nl_connect(sock.get(), NETLINK_ROUTE);
  if (err < 0) return Error(err, "connect rtnetlink socket" + InNetns(netns_name));
  if (guard) RETURN_IF_ERROR(guard->Exit());
  return sock;
}

Result<LinkPtr> GetLinkByName(nl_sock* sock, std::string_view name, std::string_view netns_name) {
  rtnl_link* link = nullptr;
  std::string n(name);
  int err = rtnl_link_get_kernel(sock, 0, n.c_str(), &link);
  if (err < 0) return Error(err, "get link " + n + InNetns(netns_name));
  return LinkPtr(link);
}

Result<AddrPtr> ParseIpv4(std::string_view text) {
  std::string t = text == "default" ? std::string("0.0.0.0/0") : std::string(text);
  nl_addr* a = nullptr;
  int err = nl_addr_parse(t.c_str(), AF_INET, &a);
  if (err < 0) return Status::InvalidArgument("parse IPv4 address '" + std::string(text) + "': " + nl_geterror(-err));
  return AddrPtr(a);
}

}  // namespace faasnet::sys::nl
