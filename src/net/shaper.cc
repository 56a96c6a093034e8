#include "net/shaper.h"

#include <algorithm>
#include <set>

#include "base/log.h"

namespace faasnet::net {

namespace {

bool SameClass(const sys::HtbClassSpec& a, const sys::HtbClassSpec& b) {
  return a.classid == b.classid && a.parent == b.parent && a.rate_bps == b.rate_bps && a.ceil_bps == b.ceil_bps &&
         a.burst_bytes == b.burst_bytes && a.cburst_bytes == b.cburst_bytes && a.quantum_bytes == b.quantum_bytes &&
         a.prio == b.prio;
}

// A device (or its namespace) that is gone has no qdisc left to delete.
Status GoneIsOk(const Status& st) { return st.code() == Status::Code::kNotFound ? Status::Ok() : st; }

// Within the kernel's tick rounding of bursts (as sys/tc.cc checks them).
bool CloseBytes(uint64_t want, uint64_t got) {
  uint64_t diff = want > got ? want - got : got - want;
  return diff <= 16 + want / 200;
}

}  // namespace

Result<std::unique_ptr<Shaper>> Shaper::Create(Options options) {
  RETURN_IF_ERROR(options.policy.Validate());
  std::string what = "shaper for host " + options.host;
  if (options.policy.kind != PolicyKind::kNone) {
    for (Direction d : kDirections) {
      const ShapedLink& l = d == Direction::kUpload ? options.upload : options.download;
      if (l.tc == nullptr || l.dev.empty()) {
        return Status::InvalidArgument(what + ": no device for " + DirectionName(d));
      }
    }
    if (options.upload.dev == options.download.dev && options.upload.tc == options.download.tc) {
      return Status::InvalidArgument(what + ": uploads and downloads need different devices (egress of each)");
    }
  }
  std::unique_ptr<Shaper> s(new Shaper(std::move(options)));
  std::lock_guard lock(s->mu_);
  Status st = s->InstallBaseLocked();
  if (!st.ok()) {
    Status undo = s->TeardownLocked();
    if (!undo.ok()) spdlog::warn("{}: undoing a failed set-up: {}", what, undo.ToString());
    return st.WithContext(what);
  }
  return s;
}

Shaper::~Shaper() {
  Status st = Teardown();
  if (!st.ok()) spdlog::warn("shaper for host {}: teardown: {}", options_.host, st.ToString());
}

Status Shaper::InstallBaseLocked() {
  ASSIGN_OR_RETURN(Plan base, PlanShaping(options_.policy, options_.nic, {}));
  applied_ = base;  // base classes; no sandboxes yet
  for (Direction d : kDirections) {
    const DirectionPlan& dp = base.of(d);
    if (!dp.shaped) continue;
    const ShapedLink& l = link(d);
    sys::HtbQdiscSpec q = dp.qdisc;
    q.dev = l.dev;
    RETURN_IF_ERROR(l.tc->AddHtbQdisc(q));
    root_installed_[Index(d)] = true;
    for (sys::HtbClassSpec c : dp.base_classes) {
      c.dev = l.dev;
      RETURN_IF_ERROR(l.tc->SetHtbClass(c));
    }
  }
  return Status::Ok();
}

Status Shaper::AddSandbox(const std::string& id, const std::string& ipv4, int memory_mb) {
  std::lock_guard lock(mu_);
  std::string what = "shaper for host " + options_.host + ": add sandbox " + id;
  if (torn_down_) return Status::FailedPrecondition(what + ": torn down");
  if (sandboxes_.count(id)) return Status::AlreadyExists(what + ": already shaped");
  // The lowest slot that neither a sandbox nor a not-yet-removed class uses.
  std::set<uint32_t> used;
  for (const auto& [_, s] : sandboxes_) used.insert(s.slot);
  for (const auto& dp : applied_.directions) {
    for (const auto& s : dp.sandboxes) used.insert((s.cls.classid & 0xFFFF) - kSandboxMinorBase);
  }
  uint32_t slot = 0;
  while (used.count(slot)) ++slot;
  if (slot >= kMaxSlots)
    return Status::ResourceExhausted(what + ": all " + std::to_string(kMaxSlots) + " slots in use");
  SandboxNet s;
  s.id = id;
  s.ipv4 = ipv4;
  s.memory_mb = memory_mb;
  s.slot = slot;
  std::vector<SandboxNet> desired;
  for (const auto& [_, x] : sandboxes_) desired.push_back(x);
  std::vector<SandboxNet> before = desired;
  desired.push_back(s);
  Status st = ApplyLocked(desired);
  if (!st.ok()) {
    Status undo = ApplyLocked(before);
    if (!undo.ok()) spdlog::warn("{}: undo: {}", what, undo.ToString());
    return st.WithContext(what);
  }
  sandboxes_[id] = s;
  return Status::Ok();
}

Status Shaper::RemoveSandbox(const std::string& id) {
  std::lock_guard lock(mu_);
  if (torn_down_) return Status::Ok();  // everything went with the root qdiscs
  if (!sandboxes_.erase(id)) return Status::Ok();
  std::vector<SandboxNet> desired;
  for (const auto& [_, x] : sandboxes_) desired.push_back(x);
  // On failure the class stays in applied_ (and its slot stays taken); the
  // next change retries its removal.
  return ApplyLocked(desired).WithContext("shaper for host " + options_.host + ": remove sandbox " + id);
}

Status Shaper::MarkBurstSpent(const std::string& id, Direction direction) {
  std::lock_guard lock(mu_);
  std::string what = "shaper for host " + options_.host + ": end the one-time burst of " + id;
  if (torn_down_) return Status::FailedPrecondition(what + ": torn down");
  auto it = sandboxes_.find(id);
  if (it == sandboxes_.end()) return Status::NotFound(what + ": unknown sandbox");
  if (it->second.burst_spent[Index(direction)]) return Status::Ok();
  it->second.burst_spent[Index(direction)] = true;
  std::vector<SandboxNet> desired;
  for (const auto& [_, x] : sandboxes_) desired.push_back(x);
  Status st = ApplyLocked(desired);
  if (!st.ok()) it->second.burst_spent[Index(direction)] = false;  // retried by the next call
  return st.WithContext(what);
}

Status Shaper::ApplyLocked(const std::vector<SandboxNet>& sandboxes) {
  ASSIGN_OR_RETURN(Plan next, PlanShaping(options_.policy, options_.nic, sandboxes));
  for (Direction d : kDirections) {
    const DirectionPlan& want = next.of(d);
    DirectionPlan& have = applied_.directions[Index(d)];
    if (!want.shaped) continue;
    const ShapedLink& l = link(d);
    auto find = [&](const std::string& sid) {
      return std::find_if(have.sandboxes.begin(), have.sandboxes.end(),
                          [&](const SandboxClassPlan& p) { return p.sandbox_id == sid; });
    };
    // Removals first (filter, then class: a class with a filter cannot go),
    // then lowered guarantees, then new classes, then raised ones, so that
    // the sum of guarantees stays within the NIC on the way.
    for (size_t i = 0; i < have.sandboxes.size();) {
      const SandboxClassPlan& p = have.sandboxes[i];
      if (want.Find(p.sandbox_id)) {
        ++i;
        continue;
      }
      RETURN_IF_ERROR(l.tc->DeleteFilter(l.dev, p.filter.parent, p.filter.prio));
      RETURN_IF_ERROR(l.tc->DeleteClass(l.dev, p.cls.classid));
      have.sandboxes.erase(have.sandboxes.begin() + static_cast<long>(i));
    }
    for (int pass = 0; pass < 3; ++pass) {
      for (const SandboxClassPlan& w : want.sandboxes) {
        auto it = find(w.sandbox_id);
        bool exists = it != have.sandboxes.end();
        if (exists && SameClass(it->cls, w.cls)) {
          *it = w;  // in_burst and the like
          continue;
        }
        bool lower = exists && w.cls.rate_bps <= it->cls.rate_bps;
        if ((pass == 0 && !lower) || (pass == 1 && exists) || (pass == 2 && (!exists || lower))) continue;
        sys::HtbClassSpec c = w.cls;
        c.dev = l.dev;
        RETURN_IF_ERROR(l.tc->SetHtbClass(c));
        if (exists) {
          *it = w;
          continue;
        }
        sys::U32FilterSpec f = w.filter;
        f.dev = l.dev;
        Status st = l.tc->AddU32Filter(f);
        if (!st.ok()) {
          Status undo = l.tc->DeleteClass(l.dev, c.classid);
          if (!undo.ok()) spdlog::warn("undo class {}: {}", sys::FormatTcHandle(c.classid), undo.ToString());
          return st;
        }
        have.sandboxes.push_back(w);
      }
    }
    std::sort(have.sandboxes.begin(), have.sandboxes.end(),
              [](const auto& a, const auto& b) { return a.cls.classid < b.cls.classid; });
    have.guaranteed_sum_bps = want.guaranteed_sum_bps;
    have.guarantee_scale = want.guarantee_scale;
  }
  return Status::Ok();
}

Status Shaper::Verify() {
  std::lock_guard lock(mu_);
  std::string what = "shaper for host " + options_.host + ": verify";
  if (torn_down_) return Status::FailedPrecondition(what + ": torn down");
  for (Direction d : kDirections) {
    const DirectionPlan& dp = applied_.of(d);
    if (!dp.shaped) continue;
    const ShapedLink& l = link(d);
    std::vector<const sys::HtbClassSpec*> classes;
    for (const auto& c : dp.base_classes) classes.push_back(&c);
    for (const auto& s : dp.sandboxes) classes.push_back(&s.cls);
    for (const sys::HtbClassSpec* want : classes) {
      auto got = l.tc->GetHtbClass(l.dev, want->classid);
      if (!got.ok()) return got.status().WithContext(what);
      // The kernel reports a class right under the qdisc with parent "root".
      bool parent_ok = got->parent == want->parent || ((want->parent & 0xFFFF) == 0 && got->parent == sys::kTcRoot);
      bool ok = got->rate_bps == want->rate_bps / 8 * 8 && got->ceil_bps == want->ceil_bps / 8 * 8 && parent_ok &&
                CloseBytes(want->burst_bytes, got->burst_bytes) && CloseBytes(want->cburst_bytes, got->cburst_bytes) &&
                (want->quantum_bytes == 0 || got->quantum_bytes == want->quantum_bytes);
      if (!ok) {
        return Status::Internal(
            what + ": class " + sys::FormatTcHandle(want->classid) + " on " + l.dev + " reads back parent " +
            sys::FormatTcHandle(got->parent) + " rate " + std::to_string(got->rate_bps) + " ceil " +
            std::to_string(got->ceil_bps) + " burst " + std::to_string(got->burst_bytes) + " cburst " +
            std::to_string(got->cburst_bytes) + " quantum " + std::to_string(got->quantum_bytes) + ", planned parent " +
            sys::FormatTcHandle(want->parent) + " rate " + std::to_string(want->rate_bps) + " ceil " +
            std::to_string(want->ceil_bps) + " burst " + std::to_string(want->burst_bytes) + " cburst " +
            std::to_string(want->cburst_bytes) + " quantum " + std::to_string(want->quantum_bytes));
      }
    }
  }
  return Status::Ok();
}

Status Shaper::Teardown() {
  std::lock_guard lock(mu_);
  return TeardownLocked();
}

Status Shaper::TeardownLocked() {
  if (torn_down_) return Status::Ok();
  Status first;
  for (Direction d : kDirections) {
    if (!root_installed_[Index(d)]) continue;
    const ShapedLink& l = link(d);
    Status st = GoneIsOk(l.tc->DeleteRootQdisc(l.dev));
    if (st.ok()) {
      root_installed_[Index(d)] = false;
    } else if (first.ok()) {
      first = st.WithContext("shaper for host " + options_.host);
    }
  }
  if (!first.ok()) return first;  // a retry deletes what is left
  torn_down_ = true;
  sandboxes_.clear();
  for (auto& dp : applied_.directions) dp.sandboxes.clear();
  return Status::Ok();
}

Result<sys::TcStats> Shaper::ReadSandboxStats(const std::string& id, Direction direction) {
  std::lock_guard lock(mu_);
  const SandboxClassPlan* p = applied_.of(direction).Find(id);
  if (torn_down_ || p == nullptr) {
    return Status::NotFound("shaper for host " + options_.host + ": no " + DirectionName(direction) +
                            " class for sandbox " + id);
  }
  const ShapedLink& l = link(direction);
  return l.tc->ReadClassStats(l.dev, p->cls.classid);
}

Result<sys::TcStats> Shaper::ReadRootStats(Direction direction) {
  std::lock_guard lock(mu_);
  if (torn_down_ || !applied_.of(direction).shaped) {
    return Status::NotFound("shaper for host " + options_.host + ": " + DirectionName(direction) + " is not shaped");
  }
  const ShapedLink& l = link(direction);
  return l.tc->ReadQdiscStats(l.dev, applied_.of(direction).qdisc.handle);
}

Plan Shaper::plan() const {
  std::lock_guard lock(mu_);
  return applied_;
}

std::optional<uint32_t> Shaper::ClassOf(const std::string& id, Direction direction) const {
  std::lock_guard lock(mu_);
  const SandboxClassPlan* p = applied_.of(direction).Find(id);
  if (p == nullptr) return std::nullopt;
  return p->cls.classid;
}

std::vector<BurstWatch> Shaper::BurstWatches() const {
  std::lock_guard lock(mu_);
  std::vector<BurstWatch> out;
  if (torn_down_) return out;
  for (const auto& dp : applied_.directions) {
    for (const auto& s : dp.sandboxes) {
      if (!s.in_burst) continue;
      out.push_back(BurstWatch{s.sandbox_id, dp.direction, s.one_time_burst_bytes, s.cls.ceil_bps});
    }
  }
  return out;
}

size_t Shaper::sandbox_count() const {
  std::lock_guard lock(mu_);
  return sandboxes_.size();
}

// ---------------------------------------------------------------- IngressIfb

Result<IngressIfb> IngressIfb::Create(sys::NetlinkOps* nl, sys::TrafficControl* tc, const std::string& dev,
                                      const std::string& ifb_name) {
  std::string what = "shape ingress of " + dev + " via " + ifb_name;
  if (nl == nullptr || tc == nullptr) return Status::InvalidArgument(what + ": no netlink or tc");
  auto made = nl->CreateIfb(ifb_name);
  if (!made.ok()) return made.status().WithContext(what);
  Status st = tc->AddIngressRedirect(dev, ifb_name);
  if (!st.ok()) {
    (void)tc->DeleteIngressQdisc(dev);
    Status undo = nl->DeleteLink(ifb_name);
    if (!undo.ok()) spdlog::warn("{}: undo: {}", what, undo.ToString());
    return st.WithContext(what);
  }
  IngressIfb r;
  r.nl_ = nl;
  r.tc_ = tc;
  r.dev_ = dev;
  r.ifb_ = ifb_name;
  return r;
}

IngressIfb::IngressIfb(IngressIfb&& o) noexcept
    : nl_(std::exchange(o.nl_, nullptr)),
      tc_(std::exchange(o.tc_, nullptr)),
      dev_(std::move(o.dev_)),
      ifb_(std::move(o.ifb_)) {}

IngressIfb& IngressIfb::operator=(IngressIfb&& o) noexcept {
  if (this != &o) {
    (void)Destroy();
    nl_ = std::exchange(o.nl_, nullptr);
    tc_ = std::exchange(o.tc_, nullptr);
    dev_ = std::move(o.dev_);
    ifb_ = std::move(o.ifb_);
  }
  return *this;
}

IngressIfb::~IngressIfb() {
  Status st = Destroy();
  if (!st.ok()) spdlog::warn("ifb {}: {}", ifb_, st.ToString());
}

Status IngressIfb::Destroy() {
  if (nl_ == nullptr) return Status::Ok();
  Status st = GoneIsOk(tc_->DeleteIngressQdisc(dev_));
  if (!st.ok()) return st;
  RETURN_IF_ERROR(GoneIsOk(nl_->DeleteLink(ifb_)));
  nl_ = nullptr;
  tc_ = nullptr;
  return Status::Ok();
}

}  // namespace faasnet::net
