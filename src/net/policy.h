// Network shaping policies of an emulated host, and the pure planner that
// turns one into traffic-control objects.
//
// What for: a region picks one policy (recorded in every result) and shapes
// each host's uplink with it, per direction: the egress that carries uploads
// (sandbox -> region core) and the egress that carries downloads (core ->
// sandbox). The policies:
//   none          no qdisc at all (the link's native speed).
//   shared        one HTB class at the NIC capacity with one FIFO: the
//                 aggregate is constant and each function gets what TCP gives
//                 it (Lambda in 2019, as the paper measured it, Figs 2 and 5).
//   fair          one class per sandbox, equal guaranteed rates and equal
//                 quanta, borrowing up to the NIC (work-conserving).
//   proportional  guaranteed rate AND borrowing weight (quantum) proportional
//                 to memory, i.e. to what the user pays; work-conserving (the
//                 paper's proposal).
//   capped        a hard cap proportional to memory, ceil = rate; spare
//                 capacity is not lent (Fargate-like).
//   token-bucket  per sandbox and direction, Firecracker's rate limiter: a
//                 sustained rate with a refilling bucket, plus a one-time
//                 burst that is never replenished. The burst phase is a class
//                 whose ceil is the burst rate; TokenBucketController
//                 (token_bucket.h) watches its byte counter and, after
//                 `one_time_burst_bytes`, marks the burst spent, which
//                 replans the class to the sustained rate for good.
//
// Layout of a shaped direction (HTB, handle 1:), all rates in bits/s counted
// as HTB counts them (Ethernet frames without FCS, GSO split into segments;
// TCP goodput is at most 1448/1514 = 0.956 of a rate):
//   1:     htb qdisc, unclassified traffic -> 1:2
//   1:1    the NIC: rate = ceil = capacity               (shared: the only class, FIFO)
//   1:2    other traffic (ARP, addresses of no sandbox): rate = 1 % of the NIC, ceil = NIC
//   1:N    one leaf per sandbox, N = 0x100 + slot, under 1:1, reached by a
//          u32 filter on the sandbox's IPv4 address (dst for downloads, src
//          for uploads) with prio 100 + slot (the filter's identity).
// Bursts follow docs MACHINE.md: burst/cburst ~ 4 ms x rate (a smaller burst
// than one GSO packet loses 8-26 % at >= 1 gbit); spare capacity is lent by
// quantum, so quanta are weight x `quantum_bytes_per_weight`, where one
// weight unit must exceed a 64 KB GSO packet (HTB's DRR sends at least one
// packet per turn, so smaller quanta flatten the weights).
//
// HTB lets a leaf that is under its own rate send without asking its parent,
// so the sum of guaranteed rates must stay within the NIC or the NIC limit
// leaks; the planner scales guarantees down when the active sandboxes would
// exceed it (and only then do other sandboxes' classes change on an arrival).
//
// Thread-safety: plain values and pure functions.
#ifndef FAASNET_NET_POLICY_H_
#define FAASNET_NET_POLICY_H_

#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "sys/tc.h"

namespace faasnet::net {

enum class PolicyKind { kNone, kShared, kFair, kProportional, kCapped, kTokenBucket };

// "none", "shared", "fair", "proportional", "capped", "token-bucket".
const char* PolicyKindName(PolicyKind kind);
// Inverse of PolicyKindName; InvalidArgument naming the known policies otherwise.
Result<PolicyKind> ParsePolicyKind(std::string_view name);

// Directions as seen from the sandbox: uploads leave it, downloads reach it.
enum class Direction { kUpload = 0, kDownload = 1 };
inline constexpr std::array<Direction, 2> kDirections = {Direction::kUpload, Direction::kDownload};
const char* DirectionName(Direction d);  // "upload", "download"
inline constexpr size_t Index(Direction d) { return static_cast<size_t>(d); }

// The host NIC, per direction, in bits/s (> 0 unless the policy is none).
struct NicCapacity {
  uint64_t upload_bps = 0;
  uint64_t download_bps = 0;
  uint64_t of(Direction d) const { return d == Direction::kUpload ? upload_bps : download_bps; }
};

// Firecracker's per-device rate limiter, one per sandbox and direction
// (https://github.com/firecracker-microvm/firecracker docs/api_requests/patch-network-interface.md:
// bandwidth bucket {size, one_time_burst, refill_time}).
struct TokenBucketParams {
  uint64_t sustained_rate_bps = 0;    // the bucket's refill rate (> 0)
  uint64_t bucket_bytes = 0;          // the refilling bucket; 0 = 100 ms at the sustained rate
  uint64_t one_time_burst_bytes = 0;  // extra bytes at the start, never replenished; 0 = none
  uint64_t burst_rate_bps = 0;        // ceil while the one-time burst lasts; 0 = the NIC
};

struct PolicyParams {
  PolicyKind kind = PolicyKind::kNone;
  // Memory the guaranteed rates are divided over: the host's memory (a
  // sandbox of m MB is guaranteed m / host_memory_mb of the NIC, so an
  // arrival changes no one else's class until the host is oversubscribed).
  // fair: the NIC is divided into host_memory_mb / weight_unit_mb equal
  // slots. 0 = the active sandboxes' total (every arrival re-divides).
  int host_memory_mb = 0;
  // Memory that counts as weight 1 (proportional quanta, fair slots).
  int weight_unit_mb = 128;
  // HTB quantum per unit of weight (> 64 KB GSO packet, see above).
  uint32_t quantum_bytes_per_weight = 96 * 1024;
  // capped: cap = memory (GB) x this; 0 = NIC x memory / host_memory_mb.
  uint64_t capped_bps_per_gb = 0;
  TokenBucketParams token_bucket;  // token-bucket only; the same for both directions
  // Burst and cburst of every class = this window at the class's rate.
  uint32_t burst_window_us = 4000;

  // Checks ranges for `kind` (e.g. token-bucket needs a sustained rate).
  Status Validate() const;
};

// One sandbox as the planner sees it.
struct SandboxNet {
  std::string id;
  std::string ipv4;  // its address, e.g. "10.100.0.7" (no prefix)
  int memory_mb = 0;
  // Stable per link while the sandbox lives (Shaper allocates it): picks the
  // class minor (0x100 + slot) and the filter prio (100 + slot).
  uint32_t slot = 0;
  // token-bucket: whether the one-time burst is used up, per direction.
  std::array<bool, 2> burst_spent = {false, false};
};

inline constexpr uint32_t kNicMinor = 0x1;
inline constexpr uint32_t kOtherMinor = 0x2;
inline constexpr uint32_t kSandboxMinorBase = 0x100;
inline constexpr uint16_t kSandboxPrioBase = 100;
inline constexpr uint32_t kMaxSlots = 0xFE00;  // minors up to 0xFF00, prios up to 65124

// One sandbox's leaf class and its filter in one direction (dev left empty:
// the Shaper fills in the device).
struct SandboxClassPlan {
  std::string sandbox_id;
  sys::HtbClassSpec cls;
  sys::U32FilterSpec filter;
  // token-bucket while the one-time burst lasts: the controller's threshold.
  uint64_t one_time_burst_bytes = 0;
  bool in_burst = false;
};

struct DirectionPlan {
  Direction direction = Direction::kUpload;
  uint64_t nic_bps = 0;
  bool shaped = false;                          // false: no qdisc (policy none)
  sys::HtbQdiscSpec qdisc;                      // dev empty
  std::vector<sys::HtbClassSpec> base_classes;  // NIC (and other) classes, parents first
  std::vector<SandboxClassPlan> sandboxes;      // ordered by slot
  // The sum of the sandboxes' guaranteed rates (<= the NIC minus the other class).
  uint64_t guaranteed_sum_bps = 0;
  // Guarantees were scaled by this (< 1 when the host is oversubscribed).
  double guarantee_scale = 1.0;

  const SandboxClassPlan* Find(std::string_view sandbox_id) const;
};

struct Plan {
  PolicyKind policy = PolicyKind::kNone;
  std::array<DirectionPlan, 2> directions;  // indexed by Index(Direction)
  const DirectionPlan& of(Direction d) const { return directions[Index(d)]; }
};

// The tc objects for `sandboxes` under `params` on a NIC of `nic`.
// InvalidArgument for invalid params, a missing NIC capacity (except for
// none), duplicate ids or slots, a slot >= kMaxSlots, a malformed IPv4
// address or a non-positive memory size.
Result<Plan> PlanShaping(const PolicyParams& params, const NicCapacity& nic, const std::vector<SandboxNet>& sandboxes);

// For results: the policy and its parameters; a plan's classes and filters.
nlohmann::json ToJson(const PolicyParams& params);
nlohmann::json ToJson(const Plan& plan);
// One line for logs: "proportional: nic up 100 Mbit/s down 100 Mbit/s, 3 sandboxes".
std::string Describe(const Plan& plan);

}  // namespace faasnet::net

#endif  // FAASNET_NET_POLICY_H_
