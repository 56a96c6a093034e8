#include "net/policy.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/strings.h"

namespace faasnet::net {

namespace {

using sys::TcHandle;

constexpr uint32_t kQdiscMajor = 1;

struct KindName {
  PolicyKind kind;
  const char* name;
};
constexpr KindName kKindNames[] = {
    {PolicyKind::kNone, "none"},     {PolicyKind::kShared, "shared"},
    {PolicyKind::kFair, "fair"},     {PolicyKind::kProportional, "proportional"},
    {PolicyKind::kCapped, "capped"}, {PolicyKind::kTokenBucket, "token-bucket"},
};

bool ValidIpv4(std::string_view s) {
  auto parts = Split(s, '.');
  if (parts.size() != 4) return false;
  for (auto p : parts) {
    int v = -1;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (p.empty() || p.size() > 3 || ec != std::errc() || ptr != p.data() + p.size() || v < 0 || v > 255) {
      return false;
    }
  }
  return true;
}

uint64_t ClampRate(double bps) { return std::max<uint64_t>(8, static_cast<uint64_t>(std::floor(bps))); }

// The share of the NIC that the sandboxes' guarantees may use: the rest is
// the "other" class's guarantee.
uint64_t OtherRate(uint64_t nic_bps) { return std::max<uint64_t>(std::min<uint64_t>(nic_bps / 100, nic_bps / 2), 8); }

sys::HtbClassSpec ClassSpec(uint32_t minor, uint32_t parent, uint64_t rate, uint64_t ceil, uint32_t quantum,
                            const PolicyParams& p) {
  std::chrono::microseconds window(p.burst_window_us);
  sys::HtbClassSpec c;
  c.classid = TcHandle(kQdiscMajor, static_cast<uint16_t>(minor));
  c.parent = parent;
  c.rate_bps = rate;
  c.ceil_bps = std::max(ceil, rate);
  c.burst_bytes = sys::RecommendedBurstBytes(c.rate_bps, window);
  c.cburst_bytes = sys::RecommendedBurstBytes(c.ceil_bps, window);
  c.quantum_bytes = quantum;
  return c;
}

}  // namespace

const char* PolicyKindName(PolicyKind kind) {
  for (const auto& k : kKindNames) {
    if (k.kind == kind) return k.name;
  }
  return "?";
}

Result<PolicyKind> ParsePolicyKind(std::string_view name) {
  std::string known;
  for (const auto& k : kKindNames) {
    if (name == k.name) return k.kind;
    known += known.empty() ? k.name : std::string(", ") + k.name;
  }
  return Status::InvalidArgument("unknown shaping policy '" + std::string(name) + "' (known: " + known + ")");
}

const char* DirectionName(Direction d) { return d == Direction::kUpload ? "upload" : "download"; }

Status PolicyParams::Validate() const {
  std::string what = std::string("policy ") + PolicyKindName(kind);
  if (host_memory_mb < 0) return Status::InvalidArgument(what + ": host_memory_mb must be >= 0");
  if (weight_unit_mb <= 0) return Status::InvalidArgument(what + ": weight_unit_mb must be > 0");
  if (quantum_bytes_per_weight < 1514) {
    return Status::InvalidArgument(what + ": quantum_bytes_per_weight must be at least one frame (1514 B)");
  }
  if (burst_window_us < 100 || burst_window_us > 1'000'000) {
    return Status::InvalidArgument(what + ": burst_window_us must be within 100 us .. 1 s");
  }
  if (kind == PolicyKind::kTokenBucket) {
    const auto& tb = token_bucket;
    if (tb.sustained_rate_bps == 0) return Status::InvalidArgument(what + ": token_bucket.sustained_rate must be > 0");
    if (tb.burst_rate_bps != 0 && tb.burst_rate_bps < tb.sustained_rate_bps) {
      return Status::InvalidArgument(what + ": token_bucket.burst_rate is below the sustained rate");
    }
    if (tb.bucket_bytes > 0xFFFFFFFFull) return Status::InvalidArgument(what + ": token_bucket.bucket exceeds 4 GB");
  }
  return Status::Ok();
}

const SandboxClassPlan* DirectionPlan::Find(std::string_view sandbox_id) const {
  for (const auto& s : sandboxes) {
    if (s.sandbox_id == sandbox_id) return &s;
  }
  return nullptr;
}

Result<Plan> PlanShaping(const PolicyParams& params, const NicCapacity& nic, const std::vector<SandboxNet>& input) {
  RETURN_IF_ERROR(params.Validate());
  Plan plan;
  plan.policy = params.kind;
  std::vector<SandboxNet> sandboxes = input;
  std::sort(sandboxes.begin(), sandboxes.end(), [](const auto& a, const auto& b) { return a.slot < b.slot; });
  std::set<std::string> ids;
  std::set<uint32_t> slots;
  uint64_t memory_sum_mb = 0;
  for (const auto& s : sandboxes) {
    std::string what = "plan shaping: sandbox '" + s.id + "'";
    if (s.id.empty()) return Status::InvalidArgument("plan shaping: a sandbox without an id");
    if (!ids.insert(s.id).second) return Status::InvalidArgument(what + ": listed twice");
    if (!slots.insert(s.slot).second)
      return Status::InvalidArgument(what + ": slot " + std::to_string(s.slot) + " is taken");
    if (s.slot >= kMaxSlots) return Status::InvalidArgument(what + ": slot must be < " + std::to_string(kMaxSlots));
    if (!ValidIpv4(s.ipv4)) return Status::InvalidArgument(what + ": '" + s.ipv4 + "' is not an IPv4 address");
    if (s.memory_mb <= 0) return Status::InvalidArgument(what + ": memory must be > 0 MB");
    memory_sum_mb += static_cast<uint64_t>(s.memory_mb);
  }

  const double n = static_cast<double>(sandboxes.size());
  const double memory_basis =
      static_cast<double>(std::max<uint64_t>(static_cast<uint64_t>(params.host_memory_mb), memory_sum_mb));
  const double fair_slots =
      std::max(n, std::floor(static_cast<double>(params.host_memory_mb) / params.weight_unit_mb));  // whole slots
  const uint32_t equal_quantum = sys::QuantumForWeight(1.0, params.quantum_bytes_per_weight);

  for (Direction d : kDirections) {
    DirectionPlan& dp = plan.directions[Index(d)];
    dp.direction = d;
    dp.nic_bps = nic.of(d);
    if (params.kind == PolicyKind::kNone) continue;
    if (dp.nic_bps == 0) {
      return Status::InvalidArgument(std::string("plan shaping: policy ") + PolicyKindName(params.kind) +
                                     " needs the NIC capacity for " + DirectionName(d));
    }
    dp.shaped = true;
    const uint64_t c = dp.nic_bps;
    const uint32_t root = TcHandle(kQdiscMajor, 0);
    const uint32_t nic_class = TcHandle(kQdiscMajor, kNicMinor);
    dp.qdisc.handle = root;
    dp.qdisc.parent = sys::kTcRoot;
    // One FIFO at the NIC rate for everything.
    if (params.kind == PolicyKind::kShared) {
      dp.qdisc.default_class = kNicMinor;
      dp.base_classes.push_back(ClassSpec(kNicMinor, root, c, c, equal_quantum, params));
      continue;
    }
    dp.qdisc.default_class = kOtherMinor;
    const uint64_t other = OtherRate(c);
    const double pool = static_cast<double>(c - other);
    dp.base_classes.push_back(ClassSpec(kNicMinor, root, c, c, equal_quantum, params));
    dp.base_classes.push_back(ClassSpec(kOtherMinor, nic_class, other, c, equal_quantum, params));

    // Unscaled guarantees and caps per sandbox (bits/s), then one scale so
    // that the guarantees fit in the pool.
    std::vector<double> want(sandboxes.size());
    for (size_t i = 0; i < sandboxes.size(); ++i) {
      const double mem = sandboxes[i].memory_mb;
      switch (params.kind) {
        case PolicyKind::kFair:
          want[i] = pool / fair_slots;
          break;
        case PolicyKind::kProportional:
          want[i] = pool * mem / memory_basis;
          break;
        case PolicyKind::kCapped:
          want[i] = params.capped_bps_per_gb ? static_cast<double>(params.capped_bps_per_gb) * mem / 1000.0
                                             : pool * mem / memory_basis;
          break;
        case PolicyKind::kTokenBucket:
          want[i] = static_cast<double>(params.token_bucket.sustained_rate_bps);
          break;
        default:
          break;
      }
    }
    double sum = 0;
    for (double w : want) sum += w;
    dp.guarantee_scale = sum > pool ? pool / sum : 1.0;

    for (size_t i = 0; i < sandboxes.size(); ++i) {
      const SandboxNet& s = sandboxes[i];
      const double weight = static_cast<double>(s.memory_mb) / params.weight_unit_mb;
      const uint64_t rate = std::min<uint64_t>(ClampRate(want[i] * dp.guarantee_scale), c);
      uint64_t ceil = c;
      uint32_t quantum = equal_quantum;
      SandboxClassPlan sp;
      sp.sandbox_id = s.id;
      switch (params.kind) {
        case PolicyKind::kProportional:
          quantum = sys::QuantumForWeight(weight, params.quantum_bytes_per_weight);
          break;
        case PolicyKind::kCapped:
          quantum = sys::QuantumForWeight(weight, params.quantum_bytes_per_weight);
          ceil = rate;
          break;
        case PolicyKind::kTokenBucket: {
          const auto& tb = params.token_bucket;
          sp.in_burst = tb.one_time_burst_bytes > 0 && !s.burst_spent[Index(d)];
          sp.one_time_burst_bytes = tb.one_time_burst_bytes;
          uint64_t burst_rate = tb.burst_rate_bps ? std::min(tb.burst_rate_bps, c) : c;
          ceil = sp.in_burst ? burst_rate : std::min(tb.sustained_rate_bps, c);
          break;
        }
        default:
          break;
      }
      sp.cls = ClassSpec(kSandboxMinorBase + s.slot, nic_class, rate, ceil, quantum, params);
      if (params.kind == PolicyKind::kTokenBucket) {
        // The refilling bucket: Firecracker's `size` (default: 100 ms of the sustained rate).
        const auto& tb = params.token_bucket;
        uint64_t bucket = tb.bucket_bytes ? tb.bucket_bytes : tb.sustained_rate_bps / 8 / 10;
        bucket = std::clamp<uint64_t>(bucket, uint64_t{10} * 1514, 0xFFFFFFFFull);
        sp.cls.burst_bytes = static_cast<uint32_t>(bucket);
        if (!sp.in_burst) sp.cls.cburst_bytes = static_cast<uint32_t>(bucket);
      }
      sp.filter.parent = root;
      sp.filter.prio = static_cast<uint16_t>(kSandboxPrioBase + s.slot);
      sp.filter.match = d == Direction::kUpload ? sys::U32Match::kSrc : sys::U32Match::kDst;
      sp.filter.ipv4_cidr = s.ipv4 + "/32";
      sp.filter.classid = sp.cls.classid;
      dp.guaranteed_sum_bps += sp.cls.rate_bps;
      dp.sandboxes.push_back(std::move(sp));
    }
  }
  return plan;
}

nlohmann::json ToJson(const PolicyParams& p) {
  nlohmann::json j = {{"policy", PolicyKindName(p.kind)},
                      {"host_memory_mb", p.host_memory_mb},
                      {"weight_unit_mb", p.weight_unit_mb},
                      {"quantum_bytes_per_weight", p.quantum_bytes_per_weight},
                      {"burst_window_us", p.burst_window_us}};
  if (p.kind == PolicyKind::kCapped) j["capped_bps_per_gb"] = p.capped_bps_per_gb;
  if (p.kind == PolicyKind::kTokenBucket) {
    j["token_bucket"] = {{"sustained_rate_bps", p.token_bucket.sustained_rate_bps},
                         {"bucket_bytes", p.token_bucket.bucket_bytes},
                         {"one_time_burst_bytes", p.token_bucket.one_time_burst_bytes},
                         {"burst_rate_bps", p.token_bucket.burst_rate_bps}};
  }
  return j;
}

namespace {

nlohmann::json ClassJson(const sys::HtbClassSpec& c) {
  return {{"classid", sys::FormatTcHandle(c.classid)},
          {"parent", sys::FormatTcHandle(c.parent)},
          {"rate_bps", c.rate_bps},
          {"ceil_bps", c.ceil_bps},
          {"burst_bytes", c.burst_bytes},
          {"cburst_bytes", c.cburst_bytes},
          {"quantum_bytes", c.quantum_bytes}};
}

}  // namespace

nlohmann::json ToJson(const Plan& plan) {
  nlohmann::json j = {{"policy", PolicyKindName(plan.policy)}};
  for (const auto& dp : plan.directions) {
    nlohmann::json d = {{"nic_bps", dp.nic_bps}, {"shaped", dp.shaped}};
    if (dp.shaped) {
      d["default_class"] = sys::FormatTcHandle(TcHandle(kQdiscMajor, static_cast<uint16_t>(dp.qdisc.default_class)));
      d["guaranteed_sum_bps"] = dp.guaranteed_sum_bps;
      d["guarantee_scale"] = dp.guarantee_scale;
      auto& base = d["classes"] = nlohmann::json::array();
      for (const auto& c : dp.base_classes) base.push_back(ClassJson(c));
      auto& sb = d["sandboxes"] = nlohmann::json::array();
      for (const auto& s : dp.sandboxes) {
        nlohmann::json e = ClassJson(s.cls);
        e["sandbox"] = s.sandbox_id;
        e["match"] = std::string(s.filter.match == sys::U32Match::kSrc ? "src " : "dst ") + s.filter.ipv4_cidr;
        e["filter_prio"] = s.filter.prio;
        if (s.one_time_burst_bytes) {
          e["one_time_burst_bytes"] = s.one_time_burst_bytes;
          e["in_burst"] = s.in_burst;
        }
        sb.push_back(std::move(e));
      }
    }
    j[DirectionName(dp.direction)] = std::move(d);
  }
  return j;
}

std::string Describe(const Plan& plan) {
  auto mbit = [](uint64_t bps) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g Mbit/s", static_cast<double>(bps) / 1e6);
    return std::string(buf);
  };
  const auto& up = plan.of(Direction::kUpload);
  const auto& down = plan.of(Direction::kDownload);
  std::string s = std::string(PolicyKindName(plan.policy)) + ": nic up " + mbit(up.nic_bps) + " down " +
                  mbit(down.nic_bps) + ", " + std::to_string(down.sandboxes.size()) + " sandbox classes";
  if (down.guarantee_scale < 1.0 || up.guarantee_scale < 1.0) s += " (guarantees scaled down: oversubscribed)";
  return s;
}

}  // namespace faasnet::net
