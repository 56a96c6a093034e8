#include "sys/netlink.h"

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>

#include "sys/netns.h"
#include "sys/nl_util.h"

namespace faasnet::sys {

namespace {

LinkInfo ToInfo(rtnl_link* l) {
  LinkInfo i;
  i.ifindex = rtnl_link_get_ifindex(l);
  if (const char* n = rtnl_link_get_name(l)) i.name = n;
  if (const char* k = rtnl_link_get_type(l)) i.kind = k;
  i.mtu = rtnl_link_get_mtu(l);
  unsigned flags = rtnl_link_get_flags(l);
  i.up = (flags & IFF_UP) != 0;
  i.running = (flags & IFF_RUNNING) != 0;
  i.master_ifindex = rtnl_link_get_master(l);
  return i;
}

LinkStats ToStats(rtnl_link* l) {
  LinkStats s;
  s.rx_bytes = rtnl_link_get_stat(l, RTNL_LINK_RX_BYTES);
  s.tx_bytes = rtnl_link_get_stat(l, RTNL_LINK_TX_BYTES);
  s.rx_packets = rtnl_link_get_stat(l, RTNL_LINK_RX_PACKETS);
  s.tx_packets = rtnl_link_get_stat(l, RTNL_LINK_TX_PACKETS);
  s.rx_dropped = rtnl_link_get_stat(l, RTNL_LINK_RX_DROPPED);
  s.tx_dropped = rtnl_link_get_stat(l, RTNL_LINK_TX_DROPPED);
  s.rx_errors = rtnl_link_get_stat(l, RTNL_LINK_RX_ERRORS);
  s.tx_errors = rtnl_link_get_stat(l, RTNL_LINK_TX_ERRORS);
  return s;
}

std::string FormatIpv4(nl_addr* a, unsigned prefixlen) {
  char buf[INET_ADDRSTRLEN] = {};
  if (nl_addr_get_len(a) == 4) inet_ntop(AF_INET, nl_addr_get_binary_addr(a), buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(prefixlen);
}

Status CheckIfName(std::string_view name, std::string_view what) {
  if (!IsValidIfName(name)) {
    return Status::InvalidArgument(std::string(what) + ": interface name '" + std::string(name) +
                                   "' must be 1..15 characters without '/', ':' or spaces");
  }
  return Status::Ok();
}

class LibnlOps final : public NetlinkOps {
 public:
  LibnlOps(nl::SockPtr sock, std::string netns_name) : sock_(std::move(sock)), netns_(std::move(netns_name)) {}

  const std::string& netns_name() const override { return netns_; }

  Result<int> CreateVeth(const VethSpec& spec) override {
    std::string what = "create veth " + spec.name + " (peer " + spec.peer_name +
                       (spec.peer_netns_fd >= 0 ? " in another netns" : "") + ")" + nl::InNetns(netns_);
    RETURN_IF_ERROR(CheckIfName(spec.name, what));
    RETURN_IF_ERROR(CheckIfName(spec.peer_name, what));
    int master = 0;
    if (!spec.master.empty()) {
      ASSIGN_OR_RETURN(auto m, nl::GetLinkByName(sock_.get(), spec.master, netns_));
      master = rtnl_link_get_ifindex(m.get());
    }
    nl::LinkPtr link(rtnl_link_veth_alloc());
    if (!link) return Status::ResourceExhausted(what + ": out of memory");
    rtnl_link_set_name(link.get(), spec.name.c_str());
    if (spec.mtu) rtnl_link_set_mtu(link.get(), spec.mtu);
    if (master) rtnl_link_set_master(link.get(), master);
    if (spec.up) rtnl_link_set_flags(link.get(), IFF_UP);
    {
      nl::LinkPtr peer(rtnl_link_veth_get_peer(link.get()));
      rtnl_link_set_name(peer.get(), spec.peer_name.c_str());
      if (spec.peer_netns_fd >= 0) rtnl_link_set_ns_fd(peer.get(), spec.peer_netns_fd);
      if (spec.mtu) rtnl_link_set_mtu(peer.get(), spec.mtu);
      if (!spec.peer_mac.empty()) {
        if (spec.peer_mac.size() != 6) return Status::InvalidArgument(what + ": a MAC address has 6 bytes");
        nl_addr* mac = nl_addr_build(AF_LLC, spec.peer_mac.data(), spec.peer_mac.size());
        if (!mac) return Status::Internal(what + ": nl_addr_build");
        rtnl_link_set_addr(peer.get(), mac);
        nl_addr_put(mac);
      }
    }
    int err = rtnl_link_add(sock_.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err < 0) return nl::Error(err, what);
    // Read back this end: name, master, MTU, up.
    ASSIGN_OR_RETURN(LinkInfo info, GetLink(spec.name));
    if (info.kind != "veth" || (master && info.master_ifindex != master) || (spec.up && !info.up) ||
        (spec.mtu && info.mtu != spec.mtu)) {
      return Status::Internal(what + ": read back kind=" + info.kind +
                              " master=" + std::to_string(info.master_ifindex) + " up=" + std::to_string(info.up) +
                              " mtu=" + std::to_string(info.mtu) + " differs from the request");
    }
    if (spec.peer_up) {
      if (spec.peer_netns_fd < 0) {
        RETURN_IF_ERROR(SetUp(spec.peer_name, true));
      } else {
        ASSIGN_OR_RETURN(auto sock, nl::OpenRouteSocket(spec.peer_netns_fd, "(peer of " + spec.name + ")"));
        LibnlOps peer_ops(std::move(sock), "(peer of " + spec.name + ")");
        RETURN_IF_ERROR(peer_ops.SetUp(spec.peer_name, true));
      }
    }
    return info.ifindex;
  }

  Result<int> CreateBridge(std::string_view name, uint32_t mtu) override {
    std::string what = "create bridge " + std::string(name) + nl::InNetns(netns_);
    RETURN_IF_ERROR(CheckIfName(name, what));
    nl::LinkPtr link(rtnl_link_bridge_alloc());
    if (!link) return Status::ResourceExhausted(what + ": out of memory");
    std::string n(name);
    rtnl_link_set_name(link.get(), n.c_str());
    if (mtu) rtnl_link_set_mtu(link.get(), mtu);
    // A fixed (locally administered) address: a bridge without one takes the
    // lowest of its ports' addresses and CHANGES it as ports come and go, so
    // whoever cached the gateway's address (a sandbox's ARP entry) sends to a
    // stale one and its TCP stalls until the entry expires. An address set
    // at creation is never replaced. Each bridge lives in a namespace of its
    // own, so one address for all of them is fine.
    static const unsigned char kBridgeMac[6] = {0x02, 0x66, 0x6e, 0x62, 0x72, 0x00};  // 02:66:6e:62:72:00 "fnbr"
    nl_addr* mac = nl_addr_build(AF_LLC, kBridgeMac, sizeof kBridgeMac);
    if (!mac) return Status::ResourceExhausted(what + ": out of memory");
    rtnl_link_set_addr(link.get(), mac);
    nl_addr_put(mac);
    rtnl_link_set_flags(link.get(), IFF_UP);
    int err = rtnl_link_add(sock_.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err < 0) return nl::Error(err, what);
    ASSIGN_OR_RETURN(LinkInfo info, GetLink(name));
    if (info.kind != "bridge" || !info.up) {
      return Status::Internal(what + ": read back kind=" + info.kind + " up=" + std::to_string(info.up));
    }
    return info.ifindex;
  }

  Result<int> CreateIfb(std::string_view name) override {
    std::string what = "create ifb " + std::string(name) + nl::InNetns(netns_);
    RETURN_IF_ERROR(CheckIfName(name, what));
    nl::LinkPtr link(rtnl_link_alloc());
    if (!link) return Status::ResourceExhausted(what + ": out of memory");
    int err = rtnl_link_set_type(link.get(), "ifb");
    if (err < 0) return nl::Error(err, what);
    std::string n(name);
    rtnl_link_set_name(link.get(), n.c_str());
    rtnl_link_set_flags(link.get(), IFF_UP);
    err = rtnl_link_add(sock_.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err < 0) return nl::Error(err, what);
    ASSIGN_OR_RETURN(LinkInfo info, GetLink(name));
    if (!info.up) return Status::Internal(what + ": read back: link is down");
    return info.ifindex;
  }

  Status SetMaster(std::string_view link, std::string_view master) override {
    std::string what = "set master of " + std::string(link) + " to " +
                       (master.empty() ? std::string("none") : std::string(master)) + nl::InNetns(netns_);
    int master_index = 0;
    if (!master.empty()) {
      ASSIGN_OR_RETURN(auto m, nl::GetLinkByName(sock_.get(), master, netns_));
      master_index = rtnl_link_get_ifindex(m.get());
    }
    RETURN_IF_ERROR(Change(link, what, [&](rtnl_link* c) { rtnl_link_set_master(c, master_index); }));
    ASSIGN_OR_RETURN(LinkInfo info, GetLink(link));
    if (info.master_ifindex != master_index) {
      return Status::Internal(what + ": read back master ifindex " + std::to_string(info.master_ifindex));
    }
    return Status::Ok();
  }

  Status SetUp(std::string_view link, bool up) override {
    std::string what = std::string("set link ") + std::string(link) + (up ? " up" : " down") + nl::InNetns(netns_);
    RETURN_IF_ERROR(Change(link, what, [&](rtnl_link* c) {
      if (up) {
        rtnl_link_set_flags(c, IFF_UP);
      } else {
        rtnl_link_unset_flags(c, IFF_UP);
      }
    }));
    ASSIGN_OR_RETURN(LinkInfo info, GetLink(link));
    if (info.up != up) return Status::Internal(what + ": read back: flag unchanged");
    return Status::Ok();
  }

  Status SetMtu(std::string_view link, uint32_t mtu) override {
    std::string what = "set mtu " + std::to_string(mtu) + " on " + std::string(link) + nl::InNetns(netns_);
    RETURN_IF_ERROR(Change(link, what, [&](rtnl_link* c) { rtnl_link_set_mtu(c, mtu); }));
    ASSIGN_OR_RETURN(LinkInfo info, GetLink(link));
    if (info.mtu != mtu) return Status::Internal(what + ": read back mtu " + std::to_string(info.mtu));
    return Status::Ok();
  }

  Status AddAddress(std::string_view link, std::string_view cidr) override {
    std::string what = "add address " + std::string(cidr) + " to " + std::string(link) + nl::InNetns(netns_);
    if (cidr.find('/') == std::string_view::npos) {
      return Status::InvalidArgument(what + ": give a prefix length (CIDR, e.g. 10.200.0.2/24)");
    }
    ASSIGN_OR_RETURN(auto local, nl::ParseIpv4(cidr));
    ASSIGN_OR_RETURN(auto l, nl::GetLinkByName(sock_.get(), link, netns_));
    nl::RtAddrPtr addr(rtnl_addr_alloc());
    if (!addr) return Status::ResourceExhausted(what + ": out of memory");
    rtnl_addr_set_ifindex(addr.get(), rtnl_link_get_ifindex(l.get()));
    rtnl_addr_set_family(addr.get(), AF_INET);
    int err = rtnl_addr_set_local(addr.get(), local.get());
    if (err < 0) return nl::Error(err, what);
    rtnl_addr_set_prefixlen(addr.get(), static_cast<int>(nl_addr_get_prefixlen(local.get())));
    err = rtnl_addr_add(sock_.get(), addr.get(), 0);
    if (err < 0) return nl::Error(err, what);
    ASSIGN_OR_RETURN(auto present, Addresses(link));
    std::string want = FormatIpv4(local.get(), nl_addr_get_prefixlen(local.get()));
    for (const auto& a : present) {
      if (a == want) return Status::Ok();
    }
    return Status::Internal(what + ": read back: " + want + " is not on the link");
  }

  Result<std::vector<std::string>> Addresses(std::string_view link) override {
    ASSIGN_OR_RETURN(auto l, nl::GetLinkByName(sock_.get(), link, netns_));
    int ifindex = rtnl_link_get_ifindex(l.get());
    nl_cache* raw = nullptr;
    int err = rtnl_addr_alloc_cache(sock_.get(), &raw);
    if (err < 0) return nl::Error(err, "list addresses of " + std::string(link) + nl::InNetns(netns_));
    nl::CachePtr cache(raw);
    std::vector<std::string> out;
    for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
      auto* a = reinterpret_cast<rtnl_addr*>(o);
      if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_family(a) != AF_INET) continue;
      out.push_back(FormatIpv4(rtnl_addr_get_local(a), rtnl_addr_get_prefixlen(a)));
    }
    return out;
  }

  Status AddRoute(const RouteSpec& spec) override {
    std::string what = "add route " + spec.dst + (spec.gateway.empty() ? "" : " via " + spec.gateway) +
                       (spec.dev.empty() ? "" : " dev " + spec.dev) + nl::InNetns(netns_);
    ASSIGN_OR_RETURN(auto dst, nl::ParseIpv4(spec.dst));
    nl::RoutePtr route(rtnl_route_alloc());
    if (!route) return Status::ResourceExhausted(what + ": out of memory");
    rtnl_route_set_family(route.get(), AF_INET);
    rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
    rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
    rtnl_route_set_type(route.get(), RTN_UNICAST);
    rtnl_route_set_scope(route.get(), spec.gateway.empty() ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE);
    int err = rtnl_route_set_dst(route.get(), dst.get());
    if (err < 0) return nl::Error(err, what);
    rtnl_nexthop* nh = rtnl_route_nh_alloc();
    if (!nh) return Status::ResourceExhausted(what + ": out of memory");
    nl::AddrPtr gw;
    if (!spec.gateway.empty()) {
      auto parsed = nl::ParseIpv4(spec.gateway);
      if (!parsed.ok()) {
        rtnl_route_nh_free(nh);
        return parsed.status();
      }
      gw = std::move(*parsed);
      rtnl_route_nh_set_gateway(nh, gw.get());
    }
    int oif = 0;
    if (!spec.dev.empty()) {
      auto l = nl::GetLinkByName(sock_.get(), spec.dev, netns_);
      if (!l.ok()) {
        rtnl_route_nh_free(nh);
        return l.status();
      }
      oif = rtnl_link_get_ifindex(l->get());
      rtnl_route_nh_set_ifindex(nh, oif);
    }
    rtnl_route_add_nexthop(route.get(), nh);  // the route owns nh now
    err = rtnl_route_add(sock_.get(), route.get(), NLM_F_EXCL);
    if (err < 0) return nl::Error(err, what);
    // Read back: a main-table route with this destination exists.
    nl_cache* raw = nullptr;
    err = rtnl_route_alloc_cache(sock_.get(), AF_INET, 0, &raw);
    if (err < 0) return nl::Error(err, what + ": read back");
    nl::CachePtr cache(raw);
    for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
      auto* r = reinterpret_cast<rtnl_route*>(o);
      if (rtnl_route_get_table(r) != RT_TABLE_MAIN) continue;
      nl_addr* d = rtnl_route_get_dst(r);
      if (d && nl_addr_cmp_prefix(d, dst.get()) == 0 && nl_addr_get_prefixlen(d) == nl_addr_get_prefixlen(dst.get())) {
        return Status::Ok();
      }
    }
    return Status::Internal(what + ": read back: the route is not in the main table");
  }

  Status DeleteLink(std::string_view link) override {
    std::string what = "delete link " + std::string(link) + nl::InNetns(netns_);
    RETURN_IF_ERROR(CheckIfName(link, what));
    nl::LinkPtr l(rtnl_link_alloc());
    if (!l) return Status::ResourceExhausted(what + ": out of memory");
    std::string n(link);
    rtnl_link_set_name(l.get(), n.c_str());
    int err = rtnl_link_delete(sock_.get(), l.get());
    if (err < 0) {
      Status st = nl::Error(err, what);
      if (st.code() == Status::Code::kNotFound) return Status::Ok();
      return st;
    }
    return Status::Ok();
  }

  Result<LinkInfo> GetLink(std::string_view name) override {
    ASSIGN_OR_RETURN(auto l, nl::GetLinkByName(sock_.get(), name, netns_));
    return ToInfo(l.get());
  }

  Result<LinkInfo> GetLinkByIndex(int ifindex) override {
    ASSIGN_OR_RETURN(auto l, ByIndex(ifindex));
    return ToInfo(l.get());
  }

  Result<std::vector<LinkInfo>> ListLinks() override {
    nl_cache* raw = nullptr;
    int err = rtnl_link_alloc_cache(sock_.get(), AF_UNSPEC, &raw);
    if (err < 0) return nl::Error(err, "list links" + nl::InNetns(netns_));
    nl::CachePtr cache(raw);
    std::vector<LinkInfo> out;
    for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
      out.push_back(ToInfo(reinterpret_cast<rtnl_link*>(o)));
    }
    return out;
  }

  Result<LinkStats> ReadStats(std::string_view name) override {
    ASSIGN_OR_RETURN(auto l, nl::GetLinkByName(sock_.get(), name, netns_));
    return ToStats(l.get());
  }

  Result<LinkStats> ReadStatsByIndex(int ifindex) override {
    ASSIGN_OR_RETURN(auto l, ByIndex(ifindex));
    return ToStats(l.get());
  }

 private:
  Result<nl::LinkPtr> ByIndex(int ifindex) {
    rtnl_link* link = nullptr;
    int err = rtnl_link_get_kernel(sock_.get(), ifindex, nullptr, &link);
    if (err < 0) return nl::Error(err, "get link #" + std::to_string(ifindex) + nl::InNetns(netns_));
    return nl::LinkPtr(link);
  }

  template <typename Fn>
  Status Change(std::string_view link, const std::string& what, Fn&& fill) {
    ASSIGN_OR_RETURN(auto orig, nl::GetLinkByName(sock_.get(), link, netns_));
    nl::LinkPtr change(rtnl_link_alloc());
    if (!change) return Status::ResourceExhausted(what + ": out of memory");
    fill(change.get());
    int err = rtnl_link_change(sock_.get(), orig.get(), change.get(), 0);
    if (err < 0) return nl::Error(err, what);
    return Status::Ok();
  }

  nl::SockPtr sock_;
  std::string netns_;
};

}  // namespace

bool IsValidIfName(std::string_view name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (char c : name) {
    if (c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\0') return false;
  }
  return true;
}

Result<std::unique_ptr<NetlinkOps>> OpenNetlink(const NetNamespace& ns) {
  ASSIGN_OR_RETURN(auto sock, nl::OpenRouteSocket(ns.fd(), ns.name()));
  return std::unique_ptr<NetlinkOps>(new LibnlOps(std::move(sock), ns.name()));
}

Result<std::unique_ptr<NetlinkOps>> OpenNetlinkHere() {
  ASSIGN_OR_RETURN(auto sock, nl::OpenRouteSocket(-1, ""));
  return std::unique_ptr<NetlinkOps>(new LibnlOps(std::move(sock), ""));
}

}  // namespace faasnet::sys
