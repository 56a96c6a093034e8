#include "sys/listen.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <optional>

#include "sys/netns.h"

namespace faasnet::sys {

Result<UniqueFd> ListenTcp(const NetNamespace* ns, const std::string& ip, uint16_t port) {
  std::string where = ip + ":" + std::to_string(port) + (ns ? " in namespace " + ns->name() : "");
  std::optional<NetnsGuard> guard;
  if (ns) {
    auto g = NetnsGuard::Enter(*ns);
    if (!g.ok()) return g.status();
    guard.emplace(std::move(*g));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) {
    return Status::InvalidArgument("listen on " + where + ": not an IPv4 address");
  }
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Status::FromErrno(errno, "socket for", where);
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Status::FromErrno(errno, "bind", where);
  }
  if (::listen(fd.get(), 4096) != 0) return Status::FromErrno(errno, "listen on", where);
  return fd;
}

Result<std::string> BoundAddress(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Status::FromErrno(errno, "getsockname", std::to_string(fd));
  }
  char buf[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &addr.sin_addr, buf, sizeof buf);
  return std::string(buf) + ":" + std::to_string(ntohs(addr.sin_port));
}

}  // namespace faasnet::sys
