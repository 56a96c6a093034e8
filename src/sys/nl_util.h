// Internal to faasnet_sys: libnl ownership helpers and error mapping shared by
// netlink.cc, tc.cc and caps.cc. Not part of the public API (it pulls in libnl
// headers, which nothing outside src/sys may see).
//
// Thread-safety: free functions; the owners are single-threaded values.
#ifndef FAASNET_SYS_NL_UTIL_H_
#define FAASNET_SYS_NL_UTIL_H_

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace faasnet::sys::nl {

struct SockDeleter {
  void operator()(nl_sock* s) const { nl_socket_free(s); }
};
struct LinkDeleter {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct AddrDeleter {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
struct RtAddrDeleter {
  void operator()(rtnl_addr* a) const { rtnl_addr_put(a); }
};
struct RouteDeleter {
  void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
struct CacheDeleter {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};
struct QdiscDeleter {
  void operator()(rtnl_qdisc* q) const { rtnl_qdisc_put(q); }
};
struct ClassDeleter {
  void operator()(rtnl_class* c) const { rtnl_class_put(c); }
};
struct ClsDeleter {
  void operator()(rtnl_cls* c) const { rtnl_cls_put(c); }
};

using SockPtr = std::unique_ptr<nl_sock, SockDeleter>;
using LinkPtr = std::unique_ptr<rtnl_link, LinkDeleter>;
using AddrPtr = std::unique_ptr<nl_addr, AddrDeleter>;
using RtAddrPtr = std::unique_ptr<rtnl_addr, RtAddrDeleter>;
using RoutePtr = std::unique_ptr<rtnl_route, RouteDeleter>;
using CachePtr = std::unique_ptr<nl_cache, CacheDeleter>;
using QdiscPtr = std::unique_ptr<rtnl_qdisc, QdiscDeleter>;
using ClassPtr = std::unique_ptr<rtnl_class, ClassDeleter>;
using ClsPtr = std::unique_ptr<rtnl_cls, ClsDeleter>;

// A libnl error code (negative NLE_*) as a Status: "<what>: <nl_geterror>".
Status Error(int nl_err, std::string_view what);

// " in netns <name>" or "" for the current namespace, for messages.
std::string InNetns(std::string_view netns_name);

// A connected NETLINK_ROUTE socket in the namespace `ns_fd` (-1: the calling
// thread's current one). The kernel picks the port (no libnl 1024-socket limit).
Result<SockPtr> OpenRouteSocket(int ns_fd, std::string_view netns_name);

// The link named `name` (NotFound when absent).
Result<LinkPtr> GetLinkByName(nl_sock* sock, std::string_view name, std::string_view netns_name);

// Parses an IPv4 address ("10.0.0.1", "10.0.0.0/24", "default" = 0.0.0.0/0).
Result<AddrPtr> ParseIpv4(std::string_view text);

}  // namespace faasnet::sys::nl

#endif  // FAASNET_SYS_NL_UTIL_H_
