#include "sys/fake_netlink.h"

#include <charconv>

#include "base/strings.h"

namespace faasnet::sys {

namespace {

bool ValidIpv4(std::string_view s) {
  auto parts = Split(s, '.');
  if (parts.size() != 4) return false;
  for (auto p : parts) {
    int v = -1;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc() || ptr != p.data() + p.size() || v < 0 || v > 255) return false;
  }
  return true;
}

bool ValidCidr(std::string_view s, bool need_prefix) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return !need_prefix && ValidIpv4(s);
  int len = -1;
  auto p = s.substr(slash + 1);
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), len);
  return ValidIpv4(s.substr(0, slash)) && ec == std::errc() && ptr == p.data() + p.size() && len >= 0 && len <= 32;
}

}  // namespace

FakeNetlink::FakeNetlink(std::string netns_name) : netns_(std::move(netns_name)) {
  LinkInfo lo;
  lo.ifindex = 1;
  lo.name = "lo";
  lo.mtu = 65536;
  links_["lo"] = lo;
}

Status FakeNetlink::Begin(const std::string& op, const std::string& args) {
  calls_.push_back(args.empty() ? op : op + " " + args);
  auto it = failures_.find(op);
  if (it != failures_.end()) {
    Status st = it->second;
    failures_.erase(it);
    return st;
  }
  return Status::Ok();
}

LinkInfo* FakeNetlink::Find(std::string_view name) {
  auto it = links_.find(std::string(name));
  return it == links_.end() ? nullptr : &it->second;
}

Result<int> FakeNetlink::AddLink(const std::string& name, const std::string& kind, uint32_t mtu, bool up, int master) {
  if (!IsValidIfName(name)) return Status::InvalidArgument("create " + kind + " " + name + ": bad interface name");
  if (Find(name))
    return Status::AlreadyExists("create " + kind + " " + name + " in netns " + netns_ + ": Object exists");
  LinkInfo l;
  l.ifindex = next_index_++;
  l.name = name;
  l.kind = kind;
  l.mtu = mtu ? mtu : 1500;
  l.up = up;
  l.running = up;
  l.master_ifindex = master;
  links_[name] = l;
  return l.ifindex;
}

Result<int> FakeNetlink::CreateVeth(const VethSpec& spec) {
  RETURN_IF_ERROR(Begin("CreateVeth", spec.name + " " + spec.peer_name));
  if (!IsValidIfName(spec.peer_name)) return Status::InvalidArgument("create veth: bad peer name " + spec.peer_name);
  int master = 0;
  if (!spec.master.empty()) {
    LinkInfo* m = Find(spec.master);
    if (!m) return Status::NotFound("get link " + spec.master + " in netns " + netns_ + ": No such device");
    master = m->ifindex;
  }
  if (spec.peer_netns_fd < 0 && Find(spec.peer_name)) {
    return Status::AlreadyExists("create veth peer " + spec.peer_name + ": Object exists");
  }
  ASSIGN_OR_RETURN(int index, AddLink(spec.name, "veth", spec.mtu, spec.up, master));
  if (spec.peer_netns_fd < 0) {
    auto peer = AddLink(spec.peer_name, "veth", spec.mtu, spec.peer_up, 0);
    if (!peer.ok()) return peer.status();
  }
  veths_.push_back(spec);
  return index;
}

Result<int> FakeNetlink::CreateBridge(std::string_view name, uint32_t mtu) {
  RETURN_IF_ERROR(Begin("CreateBridge", std::string(name)));
  return AddLink(std::string(name), "bridge", mtu, true, 0);
}

Result<int> FakeNetlink::CreateIfb(std::string_view name) {
  RETURN_IF_ERROR(Begin("CreateIfb", std::string(name)));
  return AddLink(std::string(name), "ifb", 0, true, 0);
}

Status FakeNetlink::SetMaster(std::string_view link, std::string_view master) {
  RETURN_IF_ERROR(Begin("SetMaster", std::string(link) + " " + std::string(master)));
  LinkInfo* l = Find(link);
  if (!l) return Status::NotFound("get link " + std::string(link) + ": No such device");
  int index = 0;
  if (!master.empty()) {
    LinkInfo* m = Find(master);
    if (!m) return Status::NotFound("get link " + std::string(master) + ": No such device");
    index = m->ifindex;
  }
  l->master_ifindex = index;
  return Status::Ok();
}

Status FakeNetlink::SetUp(std::string_view link, bool up) {
  RETURN_IF_ERROR(Begin("SetUp", std::string(link) + (up ? " up" : " down")));
  LinkInfo* l = Find(link);
  if (!l) return Status::NotFound("get link " + std::string(link) + ": No such device");
  l->up = up;
  l->running = up;
  return Status::Ok();
}

Status FakeNetlink::SetMtu(std::string_view link, uint32_t mtu) {
  RETURN_IF_ERROR(Begin("SetMtu", std::string(link) + " " + std::to_string(mtu)));
  LinkInfo* l = Find(link);
  if (!l) return Status::NotFound("get link " + std::string(link) + ": No such device");
  l->mtu = mtu;
  return Status::Ok();
}

Status FakeNetlink::AddAddress(std::string_view link, std::string_view cidr) {
  RETURN_IF_ERROR(Begin("AddAddress", std::string(link) + " " + std::string(cidr)));
  if (!ValidCidr(cidr, /*need_prefix=*/true)) {
    return Status::InvalidArgument("add address " + std::string(cidr) + ": not an IPv4 CIDR");
  }
  if (!Find(link)) return Status::NotFound("get link " + std::string(link) + ": No such device");
  auto& list = addresses_[std::string(link)];
  for (const auto& a : list) {
    if (a == cidr) return Status::AlreadyExists("add address " + std::string(cidr) + ": Object exists");
  }
  list.emplace_back(cidr);
  return Status::Ok();
}

Result<std::vector<std::string>> FakeNetlink::Addresses(std::string_view link) {
  RETURN_IF_ERROR(Begin("Addresses", std::string(link)));
  if (!Find(link)) return Status::NotFound("get link " + std::string(link) + ": No such device");
  return addresses_[std::string(link)];
}

Status FakeNetlink::AddRoute(const RouteSpec& route) {
  RETURN_IF_ERROR(Begin("AddRoute", route.dst + " via " + route.gateway + " dev " + route.dev));
  if (route.dst != "default" && !ValidCidr(route.dst, false)) {
    return Status::InvalidArgument("add route " + route.dst + ": not an IPv4 CIDR");
  }
  if (!route.gateway.empty() && !ValidIpv4(route.gateway)) {
    return Status::InvalidArgument("add route via " + route.gateway + ": not an IPv4 address");
  }
  if (!route.dev.empty() && !Find(route.dev)) return Status::NotFound("get link " + route.dev + ": No such device");
  for (const auto& r : routes_) {
    if (r.dst == route.dst) return Status::AlreadyExists("add route " + route.dst + ": Object exists");
  }
  routes_.push_back(route);
  return Status::Ok();
}

Status FakeNetlink::DeleteLink(std::string_view link) {
  RETURN_IF_ERROR(Begin("DeleteLink", std::string(link)));
  links_.erase(std::string(link));
  addresses_.erase(std::string(link));
  return Status::Ok();
}

Result<LinkInfo> FakeNetlink::GetLink(std::string_view name) {
  RETURN_IF_ERROR(Begin("GetLink", std::string(name)));
  LinkInfo* l = Find(name);
  if (!l) return Status::NotFound("get link " + std::string(name) + " in netns " + netns_ + ": No such device");
  return *l;
}

Result<LinkInfo> FakeNetlink::GetLinkByIndex(int ifindex) {
  RETURN_IF_ERROR(Begin("GetLinkByIndex", std::to_string(ifindex)));
  for (const auto& [n, l] : links_) {
    if (l.ifindex == ifindex) return l;
  }
  return Status::NotFound("get link #" + std::to_string(ifindex) + ": No such device");
}

Result<std::vector<LinkInfo>> FakeNetlink::ListLinks() {
  RETURN_IF_ERROR(Begin("ListLinks", ""));
  std::vector<LinkInfo> out;
  for (const auto& [n, l] : links_) out.push_back(l);
  return out;
}

Result<LinkStats> FakeNetlink::ReadStats(std::string_view name) {
  RETURN_IF_ERROR(Begin("ReadStats", std::string(name)));
  if (!Find(name)) return Status::NotFound("get link " + std::string(name) + ": No such device");
  return stats_[std::string(name)];
}

Result<LinkStats> FakeNetlink::ReadStatsByIndex(int ifindex) {
  RETURN_IF_ERROR(Begin("ReadStatsByIndex", std::to_string(ifindex)));
  for (const auto& [n, l] : links_) {
    if (l.ifindex == ifindex) return stats_[n];
  }
  return Status::NotFound("get link #" + std::to_string(ifindex) + ": No such device");
}

}  // namespace faasnet::sys
