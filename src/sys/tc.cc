#include "sys/tc.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <netlink/msg.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/action.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "base/strings.h"
#include "sys/netns.h"
#include "sys/nl_util.h"

namespace faasnet::sys {

namespace {

struct ActDeleter {
  void operator()(rtnl_act* a) const { rtnl_act_put(a); }
};
using ActPtr = std::unique_ptr<rtnl_act, ActDeleter>;

TcStats StatsOf(rtnl_tc* tc) {
  TcStats s;
  s.bytes = rtnl_tc_get_stat(tc, RTNL_TC_BYTES);
  s.packets = rtnl_tc_get_stat(tc, RTNL_TC_PACKETS);
  s.drops = rtnl_tc_get_stat(tc, RTNL_TC_DROPS);
  s.overlimits = rtnl_tc_get_stat(tc, RTNL_TC_OVERLIMITS);
  s.backlog_bytes = rtnl_tc_get_stat(tc, RTNL_TC_BACKLOG);
  s.qlen = rtnl_tc_get_stat(tc, RTNL_TC_QLEN);
  return s;
}

// Within the kernel's tick rounding (64 ns ticks, converted twice).
bool CloseBytes(uint64_t want, uint64_t got) {
  uint64_t diff = want > got ? want - got : got - want;
  return diff <= 16 + want / 200;
}

// An IPv4 CIDR as network-order value and mask.
Result<std::pair<uint32_t, uint32_t>> ParseCidr(std::string_view cidr) {
  std::string_view addr = cidr;
  int prefix = 32;
  if (auto slash = cidr.find('/'); slash != std::string_view::npos) {
    addr = cidr.substr(0, slash);
    auto p = cidr.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (ec != std::errc() || ptr != p.data() + p.size() || prefix < 0 || prefix > 32) {
      return Status::InvalidArgument("IPv4 CIDR '" + std::string(cidr) + "': bad prefix length");
    }
  }
  in_addr a{};
  if (inet_pton(AF_INET, std::string(addr).c_str(), &a) != 1) {
    return Status::InvalidArgument("IPv4 CIDR '" + std::string(cidr) + "': not an IPv4 address");
  }
  uint32_t mask = prefix == 0 ? 0 : htonl(0xFFFFFFFFu << (32 - prefix));
  return std::make_pair(a.s_addr & mask, mask);
}

class LibnlTc final : public TrafficControl {
 public:
  LibnlTc(nl::SockPtr sock, std::string netns_name) : sock_(std::move(sock)), netns_(std::move(netns_name)) {}

  const std::string& netns_name() const override { return netns_; }

  Status AddHtbQdisc(const HtbQdiscSpec& spec) override {
    std::string what = "add htb qdisc " + FormatTcHandle(spec.handle) + " (parent " + FormatTcHandle(spec.parent) +
                       ") on " + spec.dev + nl::InNetns(netns_);
    ASSIGN_OR_RETURN(int ifindex, IfIndex(spec.dev));
    nl::QdiscPtr q(rtnl_qdisc_alloc());
    if (!q) return Status::ResourceExhausted(what + ": out of memory");
    rtnl_tc* tc = TC_CAST(q.get());
    rtnl_tc_set_ifindex(tc, ifindex);
    rtnl_tc_set_parent(tc, spec.parent);
    rtnl_tc_set_handle(tc, spec.handle);
    int err = rtnl_tc_set_kind(tc, "htb");
    if (err < 0) return nl::Error(err, what);
    if (spec.default_class) rtnl_htb_set_defcls(q.get(), spec.default_class);
    if (spec.r2q) rtnl_htb_set_rate2quantum(q.get(), spec.r2q);
    err = rtnl_qdisc_add(sock_.get(), q.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err < 0) return nl::Error(err, what);
    ASSIGN_OR_RETURN(auto back, GetQdisc(ifindex, spec.handle, what));
    const char* kind = rtnl_tc_get_kind(TC_CAST(back.get()));
    if (!kind || std::string_view(kind) != "htb" || rtnl_htb_get_defcls(back.get()) != spec.default_class) {
      return Status::Internal(what + ": read back kind=" + (kind ? kind : "?") +
                              " default=" + std::to_string(rtnl_htb_get_defcls(back.get())));
    }
    return Status::Ok();
  }

  Status SetHtbClass(const HtbClassSpec& in) override {
    HtbClassSpec spec = in;
    std::string what = "set htb class " + FormatTcHandle(spec.classid) + " (parent " + FormatTcHandle(spec.parent) +
                       ") on " + spec.dev + nl::InNetns(netns_);
    if (spec.rate_bps == 0) return Status::InvalidArgument(what + ": rate must be > 0");
    if (spec.ceil_bps == 0) spec.ceil_bps = spec.rate_bps;
    if (spec.ceil_bps < spec.rate_bps) return Status::InvalidArgument(what + ": ceil below rate");
    if (spec.prio > 7) return Status::InvalidArgument(what + ": prio must be 0..7");
    if (spec.burst_bytes == 0) spec.burst_bytes = RecommendedBurstBytes(spec.rate_bps);
    if (spec.cburst_bytes == 0) spec.cburst_bytes = RecommendedBurstBytes(spec.ceil_bps);
    ASSIGN_OR_RETURN(int ifindex, IfIndex(spec.dev));
    nl::ClassPtr c(rtnl_class_alloc());
    if (!c) return Status::ResourceExhausted(what + ": out of memory");
    rtnl_tc* tc = TC_CAST(c.get());
    rtnl_tc_set_ifindex(tc, ifindex);
    rtnl_tc_set_parent(tc, spec.parent);
    rtnl_tc_set_handle(tc, spec.classid);
    int err = rtnl_tc_set_kind(tc, "htb");
    if (err < 0) return nl::Error(err, what);
    rtnl_htb_set_rate64(c.get(), spec.rate_bps / 8);
    rtnl_htb_set_ceil64(c.get(), spec.ceil_bps / 8);
    rtnl_htb_set_rbuffer(c.get(), spec.burst_bytes);
    rtnl_htb_set_cbuffer(c.get(), spec.cburst_bytes);
    if (spec.quantum_bytes) rtnl_htb_set_quantum(c.get(), spec.quantum_bytes);
    rtnl_htb_set_prio(c.get(), spec.prio);
    err = rtnl_class_add(sock_.get(), c.get(), NLM_F_CREATE);
    if (err < 0) return nl::Error(err, what);
    ASSIGN_OR_RETURN(HtbClassSpec back, GetHtbClass(spec.dev, spec.classid));
    bool ok = back.rate_bps == spec.rate_bps / 8 * 8 && back.ceil_bps == spec.ceil_bps / 8 * 8 &&
              CloseBytes(spec.burst_bytes, back.burst_bytes) && CloseBytes(spec.cburst_bytes, back.cburst_bytes) &&
              back.prio == spec.prio && (spec.quantum_bytes == 0 || back.quantum_bytes == spec.quantum_bytes);
    if (!ok) {
      return Status::Internal(
          what + ": read back rate " + std::to_string(back.rate_bps) + " ceil " + std::to_string(back.ceil_bps) +
          " burst " + std::to_string(back.burst_bytes) + " cburst " + std::to_string(back.cburst_bytes) + " quantum " +
          std::to_string(back.quantum_bytes) + " prio " + std::to_string(back.prio) + " differs from rate " +
          std::to_string(spec.rate_bps) + " ceil " + std::to_string(spec.ceil_bps) + " burst " +
          std::to_string(spec.burst_bytes) + " cburst " + std::to_string(spec.cburst_bytes) + " quantum " +
          std::to_string(spec.quantum_bytes) + " prio " + std::to_string(spec.prio));
    }
    return Status::Ok();
  }

  Result<HtbClassSpec> GetHtbClass(std::string_view dev, uint32_t classid) override {
    std::string what = "get htb class " + FormatTcHandle(classid) + " on " + std::string(dev) + nl::InNetns(netns_);
    ASSIGN_OR_RETURN(int ifindex, IfIndex(dev));
    ASSIGN_OR_RETURN(auto c, GetClass(ifindex, classid, what));
    const char* kind = rtnl_tc_get_kind(TC_CAST(c.get()));
    if (!kind || std::string_view(kind) != "htb") return Status::InvalidArgument(what + ": not an htb class");
    HtbClassSpec s;
    s.dev = std::string(dev);
    s.classid = classid;
    s.parent = rtnl_tc_get_parent(TC_CAST(c.get()));
    uint64_t rate = 0, ceil = 0;
    rtnl_htb_get_rate64(c.get(), &rate);
    rtnl_htb_get_ceil64(c.get(), &ceil);
    s.rate_bps = rate * 8;
    s.ceil_bps = ceil * 8;
    s.burst_bytes = rtnl_htb_get_rbuffer(c.get());
    s.cburst_bytes = rtnl_htb_get_cbuffer(c.get());
    s.quantum_bytes = rtnl_htb_get_quantum(c.get());
    s.prio = rtnl_htb_get_prio(c.get());
    return s;
  }

  Status DeleteClass(std::string_view dev, uint32_t classid) override {
    std::string what = "delete class " + FormatTcHandle(classid) + " on " + std::string(dev) + nl::InNetns(netns_);
    ASSIGN_OR_RETURN(int ifindex, IfIndex(dev));
    nl::ClassPtr c(rtnl_class_alloc());
    if (!c) return Status::ResourceExhausted(what + ": out of memory");
    rtnl_tc_set_ifindex(TC_CAST(c.get()), ifindex);
    rtnl_tc_set_handle(TC_CAST(c.get()), classid);
    int err = rtnl_class_delete(sock_.get(), c.get());
    return IgnoreNotFound(err, what);
  }

  Status AddTbfQdisc(const TbfSpec& in) override {
    TbfSpec spec = in;
    std::string what = "add tbf qdisc " + FormatTcHandle(spec.handle) + " on " + spec.dev + nl::InNetns(netns_);
    uint64_t rate_Bps = spec.rate_bps / 8;
    if (rate_Bps == 0 || rate_Bps > 0x7FFFFFFF) {
      return Status::InvalidArgument(what + ": rate must be within 8 bit/s .. 17 Gbit/s");
    }
    if (spec.burst_bytes == 0) spec.burst_bytes = RecommendedBurstBytes(spec.rate_bps);
    if (spec.limit_bytes == 0) spec.limit_bytes = spec.burst_bytes + static_cast<uint32_t>(rate_Bps / 20);
    ASSIGN_OR_RETURN(int ifindex, IfIndex(spec.dev));
    nl::QdiscPtr q(rtnl_qdisc_alloc());
    if (!q) return Status::ResourceExhausted(what + ": out of memory");
    rtnl_tc* tc = TC_CAST(q.get());
    rtnl_tc_set_ifindex(tc, ifindex);
    rtnl_tc_set_parent(tc, spec.parent);
    rtnl_tc_set_handle(tc, spec.handle);
    int err = rtnl_tc_set_kind(tc, "tbf");
    if (err < 0) return nl::Error(err, what);
    rtnl_qdisc_tbf_set_rate(q.get(), static_cast<int>(rate_Bps), static_cast<int>(spec.burst_bytes), 0);
    rtnl_qdisc_tbf_set_limit(q.get(), static_cast<int>(spec.limit_bytes));
    err = rtnl_qdisc_add(sock_.get(), q.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err < 0) return nl::Error(err, what);
    ASSIGN_OR_RETURN(auto back, GetQdisc(ifindex, spec.handle, what));
    uint64_t got_rate = static_cast<uint64_t>(rtnl_qdisc_tbf_get_rate(back.get()));
    uint64_t got_bucket = static_cast<uint64_t>(rtnl_qdisc_tbf_get_rate_bucket(back.get()));
    if (got_rate != rate_Bps || !CloseBytes(spec.burst_bytes, got_bucket)) {
      return Status::Internal(what + ": read back rate " + std::to_string(got_rate * 8) + " bit/s bucket " +
                              std::to_string(got_bucket) + " B, wanted " + std::to_string(rate_Bps * 8) + " / " +
                              std::to_string(spec.burst_bytes));
    }
    return Status::Ok();
  }

  Status AddU32Filter(const U32FilterSpec& spec) override {
    std::string what = "add u32 filter prio " + std::to_string(spec.prio) + " " +
                       (spec.match == U32Match::kSrc ? "src " : "dst ") + spec.ipv4_cidr + " -> " +
                       FormatTcHandle(spec.classid) + " on " + spec.dev + nl::InNetns(netns_);
    ASSIGN_OR_RETURN(auto cidr, ParseCidr(spec.ipv4_cidr));
    ASSIGN_OR_RETURN(int ifindex, IfIndex(spec.dev));
    nl::ClsPtr cls(rtnl_cls_alloc());
    if (!cls) return Status::ResourceExhausted(what + ": out of memory");
    rtnl_tc* tc = TC_CAST(cls.get());
    rtnl_tc_set_ifindex(tc, ifindex);
    rtnl_tc_set_parent(tc, spec.parent);
    int err = rtnl_tc_set_kind(tc, "u32");
    if (err < 0) return nl::Error(err, what);
    rtnl_cls_set_prio(cls.get(), spec.prio);
    rtnl_cls_set_protocol(cls.get(), ETH_P_IP);
    // IPv4 header: source address at byte 12, destination at 16.
    int offset = spec.match == U32Match::kSrc ? 12 : 16;
    err = rtnl_u32_add_key(cls.get(), cidr.first, cidr.second, offset, 0);
    if (err < 0) return nl::Error(err, what);
    rtnl_u32_set_classid(cls.get(), spec.classid);
    rtnl_u32_set_cls_terminal(cls.get());
    err = rtnl_cls_add(sock_.get(), cls.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err < 0) return nl::Error(err, what);
    // Read back: a u32 node under the parent with this prio and classid.
    ASSIGN_OR_RETURN(bool found, FindU32(ifindex, spec.parent, spec.prio, spec.classid, what));
    if (!found) return Status::Internal(what + ": read back: no such filter after adding it");
    return Status::Ok();
  }

  Status DeleteFilter(std::string_view dev, uint32_t parent, uint16_t prio) override {
    std::string what = "delete filters prio " + std::to_string(prio) + " under " + FormatTcHandle(parent) + " on " +
                       std::string(dev) + nl::InNetns(netns_);
    ASSIGN_OR_RETURN(int ifindex, IfIndex(dev));
    nl::ClsPtr cls(rtnl_cls_alloc());
    if (!cls) return Status::ResourceExhausted(what + ": out of memory");
    rtnl_tc_set_ifindex(TC_CAST(cls.get()), ifindex);
    rtnl_tc_set_parent(TC_CAST(cls.get()), parent);
    rtnl_cls_set_prio(cls.get(), prio);
    rtnl_cls_set_protocol(cls.get(), ETH_P_IP);
    int err = rtnl_cls_delete(sock_.get(), cls.get(), 0);
    RETURN_IF_ERROR(IgnoreNotFound(err, what));
    return Status::Ok();
  }

  Status AddIngressRedirect(std::string_view dev, std::string_view ifb_dev) override {
    std::string what = "redirect ingress of " + std::string(dev) + " to " + std::string(ifb_dev) + nl::InNetns(netns_);
    ASSIGN_OR_RETURN(int ifindex, IfIndex(dev));
    ASSIGN_OR_RETURN(int ifb_index, IfIndex(ifb_dev));
    {
      nl::QdiscPtr q(rtnl_qdisc_alloc());
      if (!q) return Status::ResourceExhausted(what + ": out of memory");
      rtnl_tc_set_ifindex(TC_CAST(q.get()), ifindex);
      rtnl_tc_set_parent(TC_CAST(q.get()), kTcIngress);
      rtnl_tc_set_handle(TC_CAST(q.get()), kTcIngressHandle);
      int err = rtnl_tc_set_kind(TC_CAST(q.get()), "ingress");
      if (err < 0) return nl::Error(err, what);
      err = rtnl_qdisc_add(sock_.get(), q.get(), NLM_F_CREATE | NLM_F_EXCL);
      if (err < 0) return nl::Error(err, what + ": add ingress qdisc");
    }
    nl::ClsPtr cls(rtnl_cls_alloc());
    if (!cls) return Status::ResourceExhausted(what + ": out of memory");
    rtnl_tc* tc = TC_CAST(cls.get());
    rtnl_tc_set_ifindex(tc, ifindex);
    rtnl_tc_set_parent(tc, kTcIngressHandle);
    int err = rtnl_tc_set_kind(tc, "u32");
    if (err < 0) return nl::Error(err, what);
    rtnl_cls_set_prio(cls.get(), 1);
    rtnl_cls_set_protocol(cls.get(), ETH_P_ALL);
    err = rtnl_u32_add_key(cls.get(), 0, 0, 0, 0);  // match everything
    if (err < 0) return nl::Error(err, what);
    rtnl_u32_set_cls_terminal(cls.get());
    ActPtr act(rtnl_act_alloc());
    if (!act) return Status::ResourceExhausted(what + ": out of memory");
    err = rtnl_tc_set_kind(TC_CAST(act.get()), "mirred");
    if (err < 0) return nl::Error(err, what);
    rtnl_mirred_set_action(act.get(), TCA_EGRESS_REDIR);
    rtnl_mirred_set_policy(act.get(), TC_ACT_STOLEN);
    rtnl_mirred_set_ifindex(act.get(), ifb_index);
    err = rtnl_u32_add_action(cls.get(), act.get());  // takes its own reference
    if (err < 0) return nl::Error(err, what);
    err = rtnl_cls_add(sock_.get(), cls.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err < 0) return nl::Error(err, what + ": add mirred filter");
    ASSIGN_OR_RETURN(bool found, FindU32(ifindex, kTcIngressHandle, 1, 0, what));
    if (!found) return Status::Internal(what + ": read back: the redirect filter is missing");
    return Status::Ok();
  }

  Status DeleteRootQdisc(std::string_view dev) override { return DeleteQdisc(dev, kTcRoot, "delete root qdisc of "); }

  Status DeleteIngressQdisc(std::string_view dev) override {
    return DeleteQdisc(dev, kTcIngress, "delete ingress qdisc of ");
  }

  Result<TcStats> ReadClassStats(std::string_view dev, uint32_t classid) override {
    std::string what =
        "read stats of class " + FormatTcHandle(classid) + " on " + std::string(dev) + nl::InNetns(netns_);
    ASSIGN_OR_RETURN(int ifindex, IfIndex(dev));
    ASSIGN_OR_RETURN(auto c, GetClass(ifindex, classid, what));
    return StatsOf(TC_CAST(c.get()));
  }

  Result<TcStats> ReadQdiscStats(std::string_view dev, uint32_t handle) override {
    std::string what =
        "read stats of qdisc " + FormatTcHandle(handle) + " on " + std::string(dev) + nl::InNetns(netns_);
    ASSIGN_OR_RETURN(int ifindex, IfIndex(dev));
    ASSIGN_OR_RETURN(auto q, GetQdisc(ifindex, handle, what));
    return StatsOf(TC_CAST(q.get()));
  }

 private:
  Result<int> IfIndex(std::string_view dev) {
    ASSIGN_OR_RETURN(auto l, nl::GetLinkByName(sock_.get(), dev, netns_));
    return rtnl_link_get_ifindex(l.get());
  }

  Status IgnoreNotFound(int err, const std::string& what) {
    if (err >= 0) return Status::Ok();
    Status st = nl::Error(err, what);
    // The kernel says ENOENT/EINVAL for "no such object" depending on the kind.
    if (st.code() == Status::Code::kNotFound || err == -NLE_INVAL) return Status::Ok();
    return st;
  }

  Status DeleteQdisc(std::string_view dev, uint32_t parent, std::string_view verb) {
    std::string what = std::string(verb) + std::string(dev) + nl::InNetns(netns_);
    ASSIGN_OR_RETURN(int ifindex, IfIndex(dev));
    nl::QdiscPtr q(rtnl_qdisc_alloc());
    if (!q) return Status::ResourceExhausted(what + ": out of memory");
    rtnl_tc_set_ifindex(TC_CAST(q.get()), ifindex);
    rtnl_tc_set_parent(TC_CAST(q.get()), parent);
    if (parent == kTcIngress) rtnl_tc_set_handle(TC_CAST(q.get()), kTcIngressHandle);
    return IgnoreNotFound(rtnl_qdisc_delete(sock_.get(), q.get()), what);
  }

  Result<nl::QdiscPtr> GetQdisc(int ifindex, uint32_t handle, const std::string& what) {
    nl_cache* raw = nullptr;
    int err = rtnl_qdisc_alloc_cache(sock_.get(), &raw);
    if (err < 0) return nl::Error(err, what + ": list qdiscs");
    nl::CachePtr cache(raw);
    rtnl_qdisc* q = rtnl_qdisc_get(cache.get(), ifindex, handle);
    if (!q) return Status::NotFound(what + ": qdisc " + FormatTcHandle(handle) + " not found");
    return nl::QdiscPtr(q);
  }

  Result<nl::ClassPtr> GetClass(int ifindex, uint32_t classid, const std::string& what) {
    nl_cache* raw = nullptr;
    int err = rtnl_class_alloc_cache(sock_.get(), ifindex, &raw);
    if (err < 0) return nl::Error(err, what + ": list classes");
    nl::CachePtr cache(raw);
    rtnl_class* c = rtnl_class_get(cache.get(), ifindex, classid);
    if (!c) return Status::NotFound(what + ": class " + FormatTcHandle(classid) + " not found");
    return nl::ClassPtr(c);
  }

  // True when a u32 filter with `prio` (and `classid`, when non-zero) hangs on `parent`.
  Result<bool> FindU32(int ifindex, uint32_t parent, uint16_t prio, uint32_t classid, const std::string& what) {
    nl_cache* raw = nullptr;
    int err = rtnl_cls_alloc_cache(sock_.get(), ifindex, parent, &raw);
    if (err < 0) return nl::Error(err, what + ": list filters");
    nl::CachePtr cache(raw);
    for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
      auto* c = reinterpret_cast<rtnl_cls*>(o);
      const char* kind = rtnl_tc_get_kind(TC_CAST(c));
      if (!kind || std::string_view(kind) != "u32" || rtnl_cls_get_prio(c) != prio) continue;
      if (classid == 0) return true;
      uint32_t got = 0;
      if (rtnl_u32_get_classid(c, &got) == 0 && got == classid) return true;
    }
    return false;
  }

  nl::SockPtr sock_;
  std::string netns_;
};

// Sends a bare RTM_NEW{QDISC,TFILTER,ACTION} with only the kind: the kernel
// answers ENOENT when the kind is unknown and something else (EINVAL for
// missing options, or success) when it exists.
bool KernelKnowsKind(nl_sock* sock, int type, int ifindex, uint32_t parent, uint32_t handle, uint32_t info,
                     const char* kind) {
  nl_msg* msg = nlmsg_alloc_simple(type, NLM_F_CREATE | NLM_F_EXCL);
  if (!msg) return false;
  int err = 0;
  if (type == RTM_NEWACTION) {
    tcamsg t{};
    t.tca_family = AF_UNSPEC;
    err = nlmsg_append(msg, &t, sizeof t, NLMSG_ALIGNTO);
    nlattr* tab = nla_nest_start(msg, TCA_ACT_TAB);
    nlattr* one = nla_nest_start(msg, 1);
    nla_put_string(msg, TCA_ACT_KIND, kind);
    nla_nest_end(msg, one);
    nla_nest_end(msg, tab);
  } else {
    tcmsg t{};
    t.tcm_family = AF_UNSPEC;
    t.tcm_ifindex = ifindex;
    t.tcm_parent = parent;
    t.tcm_handle = handle;
    t.tcm_info = info;
    err = nlmsg_append(msg, &t, sizeof t, NLMSG_ALIGNTO);
    nla_put_string(msg, TCA_KIND, kind);
  }
  if (err < 0) {
    nlmsg_free(msg);
    return false;
  }
  err = nl_send_sync(sock, msg);  // frees msg
  return err != -NLE_OBJ_NOTFOUND;
}

}  // namespace

std::string FormatTcHandle(uint32_t handle) {
  if (handle == kTcRoot) return "root";
  if (handle == kTcIngress) return "ingress";
  char buf[32];
  uint32_t major = handle >> 16, minor = handle & 0xFFFF;
  if (minor == 0) {
    snprintf(buf, sizeof buf, "%x:", major);
  } else {
    snprintf(buf, sizeof buf, "%x:%x", major, minor);
  }
  return buf;
}

Result<uint32_t> ParseTcHandle(std::string_view text) {
  if (text == "root") return kTcRoot;
  if (text == "ingress") return kTcIngress;
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return Status::InvalidArgument("tc handle '" + std::string(text) + "': no ':'");
  auto hex = [&](std::string_view s, uint32_t& out) {
    if (s.empty()) {
      out = 0;
      return true;
    }
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
    return ec == std::errc() && p == s.data() + s.size() && out <= 0xFFFF;
  };
  uint32_t major = 0, minor = 0;
  if (colon == 0 || !hex(text.substr(0, colon), major) || !hex(text.substr(colon + 1), minor)) {
    return Status::InvalidArgument("tc handle '" + std::string(text) + "': expected hex major:minor");
  }
  return TcHandle(static_cast<uint16_t>(major), static_cast<uint16_t>(minor));
}

uint32_t RecommendedBurstBytes(uint64_t rate_bps, std::chrono::microseconds window) {
  double bytes = static_cast<double>(rate_bps) / 8.0 * static_cast<double>(window.count()) / 1e6;
  double floor_bytes = 10.0 * 1514;
  double ceil_bytes = 256.0 * 1024 * 1024;
  return static_cast<uint32_t>(std::clamp(std::ceil(bytes), floor_bytes, ceil_bytes));
}

uint32_t QuantumForWeight(double weight, uint32_t bytes_per_weight) {
  double q = std::round(weight * bytes_per_weight);
  return static_cast<uint32_t>(std::clamp(q, 1514.0, 2.0e9));
}

bool TcSupport::Has(std::string_view kind) const {
  for (const auto* table : {&qdiscs, &filters, &actions}) {
    auto it = table->find(std::string(kind));
    if (it != table->end() && it->second) return true;
  }
  return false;
}

std::vector<std::string> TcSupport::Missing() const {
  std::vector<std::string> out;
  for (const auto* table : {&qdiscs, &filters, &actions}) {
    for (const auto& [k, v] : *table) {
      if (!v) out.push_back(k);
    }
  }
  return out;
}

std::string TcSupport::Summary() const {
  std::string have, missing;
  for (const auto* table : {&qdiscs, &filters, &actions}) {
    for (const auto& [k, v] : *table) {
      std::string& list = v ? have : missing;
      list += (list.empty() ? "" : " ") + k;
    }
  }
  return "tc: " + have + (missing.empty() ? "" : "; missing: " + missing);
}

Result<std::unique_ptr<TrafficControl>> OpenTrafficControl(const NetNamespace& ns) {
  ASSIGN_OR_RETURN(auto sock, nl::OpenRouteSocket(ns.fd(), ns.name()));
  return std::unique_ptr<TrafficControl>(new LibnlTc(std::move(sock), ns.name()));
}

Result<TcSupport> ProbeTcSupport(const NetNamespace& scratch) {
  ASSIGN_OR_RETURN(auto sock, nl::OpenRouteSocket(scratch.fd(), scratch.name()));
  ASSIGN_OR_RETURN(auto lo, nl::GetLinkByName(sock.get(), "lo", scratch.name()));
  int ifindex = rtnl_link_get_ifindex(lo.get());
  TcSupport s;
  for (const char* kind : {"htb", "tbf", "pfifo", "bfifo", "prio", "netem", "fq", "fq_codel", "sfq", "cake"}) {
    s.qdiscs[kind] = KernelKnowsKind(sock.get(), RTM_NEWQDISC, ifindex, kTcRoot, TcHandle(0x7e57, 0), 0, kind);
    // Remove whatever got created so the next kind can take the root.
    nl_msg* del = nlmsg_alloc_simple(RTM_DELQDISC, 0);
    tcmsg t{};
    t.tcm_family = AF_UNSPEC;
    t.tcm_ifindex = ifindex;
    t.tcm_parent = kTcRoot;
    if (del && nlmsg_append(del, &t, sizeof t, NLMSG_ALIGNTO) == 0) {
      nl_send_sync(sock.get(), del);
    } else if (del) {
      nlmsg_free(del);
    }
  }
  s.qdiscs["clsact"] =
      KernelKnowsKind(sock.get(), RTM_NEWQDISC, ifindex, TC_H_CLSACT, TC_H_MAKE(TC_H_CLSACT, 0), 0, "clsact");
  {
    nl_msg* del = nlmsg_alloc_simple(RTM_DELQDISC, 0);
    tcmsg t{};
    t.tcm_family = AF_UNSPEC;
    t.tcm_ifindex = ifindex;
    t.tcm_parent = TC_H_CLSACT;
    t.tcm_handle = TC_H_MAKE(TC_H_CLSACT, 0);
    if (del && nlmsg_append(del, &t, sizeof t, NLMSG_ALIGNTO) == 0) {
      nl_send_sync(sock.get(), del);
    } else if (del) {
      nlmsg_free(del);
    }
  }
  s.qdiscs["ingress"] = KernelKnowsKind(sock.get(), RTM_NEWQDISC, ifindex, kTcIngress, kTcIngressHandle, 0, "ingress");
  if (s.qdiscs["ingress"]) {
    uint16_t prio = 1;
    for (const char* kind : {"u32", "flower", "matchall", "basic", "fw"}) {
      uint32_t info = TC_H_MAKE(static_cast<uint32_t>(prio++) << 16, htons(ETH_P_ALL));
      s.filters[kind] = KernelKnowsKind(sock.get(), RTM_NEWTFILTER, ifindex, kTcIngressHandle, 0, info, kind);
    }
  }
  for (const char* kind : {"mirred", "gact", "police"}) {
    s.actions[kind] = KernelKnowsKind(sock.get(), RTM_NEWACTION, 0, 0, 0, 0, kind);
  }
  return s;
}

}  // namespace faasnet::sys
