#include "sys/fake_tc.h"

#include <algorithm>
#include <charconv>

#include "base/strings.h"

namespace faasnet::sys {

namespace {

bool ValidCidr(std::string_view s) {
  auto slash = s.find('/');
  std::string_view addr = s.substr(0, slash);
  auto parts = Split(addr, '.');
  if (parts.size() != 4) return false;
  for (auto p : parts) {
    int v = -1;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc() || ptr != p.data() + p.size() || v < 0 || v > 255) return false;
  }
  if (slash == std::string_view::npos) return true;
  int len = -1;
  auto p = s.substr(slash + 1);
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), len);
  return ec == std::errc() && ptr == p.data() + p.size() && len >= 0 && len <= 32;
}

}  // namespace

Status FakeTrafficControl::Begin(const std::string& op, const std::string& args) {
  calls_.push_back(args.empty() ? op : op + " " + args);
  auto it = failures_.find(op);
  if (it != failures_.end()) {
    Status st = it->second;
    failures_.erase(it);
    return st;
  }
  return Status::Ok();
}

bool FakeTrafficControl::HasQdiscOrClass(const std::string& dev, uint32_t handle) const {
  return qdiscs_.count({dev, handle}) > 0 || classes_.count({dev, handle}) > 0;
}

Status FakeTrafficControl::AddHtbQdisc(const HtbQdiscSpec& spec) {
  RETURN_IF_ERROR(Begin("AddHtbQdisc", spec.dev + " " + FormatTcHandle(spec.handle)));
  for (const auto& [key, q] : qdiscs_) {
    if (key.first == spec.dev && (key.second == spec.handle || (spec.parent == kTcRoot && q.parent == kTcRoot))) {
      return Status::AlreadyExists("add htb qdisc " + FormatTcHandle(spec.handle) + " on " + spec.dev +
                                   ": Object exists");
    }
  }
  Qdisc q;
  q.kind = "htb";
  q.handle = spec.handle;
  q.parent = spec.parent;
  q.htb = spec;
  qdiscs_[{spec.dev, spec.handle}] = q;
  return Status::Ok();
}

Status FakeTrafficControl::SetHtbClass(const HtbClassSpec& in) {
  HtbClassSpec spec = in;
  std::string what = "set htb class " + FormatTcHandle(spec.classid) + " on " + spec.dev;
  RETURN_IF_ERROR(Begin("SetHtbClass", spec.dev + " " + FormatTcHandle(spec.classid)));
  if (spec.rate_bps == 0) return Status::InvalidArgument(what + ": rate must be > 0");
  if (spec.ceil_bps == 0) spec.ceil_bps = spec.rate_bps;
  if (spec.ceil_bps < spec.rate_bps) return Status::InvalidArgument(what + ": ceil below rate");
  if (spec.prio > 7) return Status::InvalidArgument(what + ": prio must be 0..7");
  if ((spec.classid >> 16) != (spec.parent >> 16) || (spec.classid & 0xFFFF) == 0) {
    return Status::InvalidArgument(what + ": class id must be <qdisc major>:<non-zero minor>");
  }
  auto qdisc = qdiscs_.find({spec.dev, spec.parent & 0xFFFF0000u});
  if (qdisc == qdiscs_.end() || qdisc->second.kind != "htb" || !HasQdiscOrClass(spec.dev, spec.parent)) {
    return Status::NotFound(what + ": parent " + FormatTcHandle(spec.parent) + " does not exist");
  }
  if (spec.burst_bytes == 0) spec.burst_bytes = RecommendedBurstBytes(spec.rate_bps);
  if (spec.cburst_bytes == 0) spec.cburst_bytes = RecommendedBurstBytes(spec.ceil_bps);
  classes_[{spec.dev, spec.classid}] = spec;
  return Status::Ok();
}

Result<HtbClassSpec> FakeTrafficControl::GetHtbClass(std::string_view dev, uint32_t classid) {
  RETURN_IF_ERROR(Begin("GetHtbClass", std::string(dev) + " " + FormatTcHandle(classid)));
  auto it = classes_.find({std::string(dev), classid});
  if (it == classes_.end()) {
    return Status::NotFound("get htb class " + FormatTcHandle(classid) + " on " + std::string(dev) + ": not found");
  }
  return it->second;
}

Status FakeTrafficControl::DeleteClass(std::string_view dev, uint32_t classid) {
  std::string d(dev);
  RETURN_IF_ERROR(Begin("DeleteClass", d + " " + FormatTcHandle(classid)));
  if (!classes_.count({d, classid})) return Status::Ok();
  for (const auto& f : filters_) {
    if (f.dev == d && f.classid == classid) {
      return Status::Unavailable("delete class " + FormatTcHandle(classid) + " on " + d +
                                 ": Device or resource busy (a filter points at it)");
    }
  }
  for (const auto& [key, c] : classes_) {
    if (key.first == d && c.parent == classid) {
      return Status::Unavailable("delete class " + FormatTcHandle(classid) + " on " + d +
                                 ": Device or resource busy (it has child classes)");
    }
  }
  classes_.erase({d, classid});
  return Status::Ok();
}

Status FakeTrafficControl::AddTbfQdisc(const TbfSpec& in) {
  TbfSpec spec = in;
  RETURN_IF_ERROR(Begin("AddTbfQdisc", spec.dev + " " + FormatTcHandle(spec.handle)));
  uint64_t rate_Bps = spec.rate_bps / 8;
  if (rate_Bps == 0 || rate_Bps > 0x7FFFFFFF) {
    return Status::InvalidArgument("add tbf qdisc on " + spec.dev + ": rate must be within 8 bit/s .. 17 Gbit/s");
  }
  if (qdiscs_.count({spec.dev, spec.handle})) {
    return Status::AlreadyExists("add tbf qdisc " + FormatTcHandle(spec.handle) + " on " + spec.dev +
                                 ": Object exists");
  }
  if (spec.burst_bytes == 0) spec.burst_bytes = RecommendedBurstBytes(spec.rate_bps);
  if (spec.limit_bytes == 0) spec.limit_bytes = spec.burst_bytes + static_cast<uint32_t>(rate_Bps / 20);
  Qdisc q;
  q.kind = "tbf";
  q.handle = spec.handle;
  q.parent = spec.parent;
  q.tbf = spec;
  qdiscs_[{spec.dev, spec.handle}] = q;
  return Status::Ok();
}

Status FakeTrafficControl::AddU32Filter(const U32FilterSpec& spec) {
  RETURN_IF_ERROR(Begin("AddU32Filter", spec.dev + " prio " + std::to_string(spec.prio) + " " + spec.ipv4_cidr +
                                            " -> " + FormatTcHandle(spec.classid)));
  if (!ValidCidr(spec.ipv4_cidr)) {
    return Status::InvalidArgument("IPv4 CIDR '" + spec.ipv4_cidr + "': not an IPv4 address");
  }
  if (!qdiscs_.count({spec.dev, spec.parent})) {
    return Status::NotFound("add u32 filter on " + spec.dev + ": qdisc " + FormatTcHandle(spec.parent) +
                            " does not exist");
  }
  filters_.push_back(spec);
  return Status::Ok();
}

Status FakeTrafficControl::DeleteFilter(std::string_view dev, uint32_t parent, uint16_t prio) {
  RETURN_IF_ERROR(Begin("DeleteFilter", std::string(dev) + " prio " + std::to_string(prio)));
  std::erase_if(filters_, [&](const U32FilterSpec& f) { return f.dev == dev && f.parent == parent && f.prio == prio; });
  return Status::Ok();
}

Status FakeTrafficControl::AddIngressRedirect(std::string_view dev, std::string_view ifb_dev) {
  std::string d(dev);
  RETURN_IF_ERROR(Begin("AddIngressRedirect", d + " " + std::string(ifb_dev)));
  if (qdiscs_.count({d, kTcIngressHandle})) {
    return Status::AlreadyExists("redirect ingress of " + d + ": add ingress qdisc: Object exists");
  }
  Qdisc q;
  q.kind = "ingress";
  q.handle = kTcIngressHandle;
  q.parent = kTcIngress;
  qdiscs_[{d, kTcIngressHandle}] = q;
  redirects_.emplace_back(d, std::string(ifb_dev));
  return Status::Ok();
}

Status FakeTrafficControl::DeleteRootQdisc(std::string_view dev) {
  std::string d(dev);
  RETURN_IF_ERROR(Begin("DeleteRootQdisc", d));
  std::erase_if(qdiscs_, [&](const auto& kv) { return kv.first.first == d && kv.second.parent == kTcRoot; });
  std::erase_if(classes_, [&](const auto& kv) { return kv.first.first == d; });
  std::erase_if(filters_, [&](const U32FilterSpec& f) { return f.dev == d; });
  return Status::Ok();
}

Status FakeTrafficControl::DeleteIngressQdisc(std::string_view dev) {
  std::string d(dev);
  RETURN_IF_ERROR(Begin("DeleteIngressQdisc", d));
  qdiscs_.erase({d, kTcIngressHandle});
  std::erase_if(redirects_, [&](const auto& r) { return r.first == d; });
  return Status::Ok();
}

Result<TcStats> FakeTrafficControl::ReadClassStats(std::string_view dev, uint32_t classid) {
  RETURN_IF_ERROR(Begin("ReadClassStats", std::string(dev) + " " + FormatTcHandle(classid)));
  if (!classes_.count({std::string(dev), classid})) {
    return Status::NotFound("read stats of class " + FormatTcHandle(classid) + " on " + std::string(dev) +
                            ": not found");
  }
  return class_stats_[{std::string(dev), classid}];
}

Result<TcStats> FakeTrafficControl::ReadQdiscStats(std::string_view dev, uint32_t handle) {
  RETURN_IF_ERROR(Begin("ReadQdiscStats", std::string(dev) + " " + FormatTcHandle(handle)));
  if (!qdiscs_.count({std::string(dev), handle})) {
    return Status::NotFound("read stats of qdisc " + FormatTcHandle(handle) + " on " + std::string(dev) +
                            ": not found");
  }
  return qdisc_stats_[{std::string(dev), handle}];
}

}  // namespace faasnet::sys
