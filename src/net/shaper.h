// Applies a host's shaping policy to its uplink through sys::TrafficControl,
// one sandbox at a time, reads it back, and removes it at teardown.
//
// What for: the region creates one Shaper per emulated host with the
// policy, the NIC capacity and two ShapedLinks: the device whose EGRESS
// carries the host's uploads (the host-side end of its uplink veth) and the
// device whose EGRESS carries its downloads. Sandboxes come and go with
// AddSandbox / RemoveSandbox; each call replans (policy.h) and applies only
// the difference: usually one class and one filter (other classes change
// only when the guarantees must be rescaled, e.g. on an oversubscribed host,
// or under `fair` without host_memory_mb). Nothing is ever rebuilt, so
// traffic of other sandboxes is not disturbed.
//
// Downloads: shape them on the egress of the uplink's PEER end (the region
// core's side of the veth) rather than with an ifb on the host side's
// ingress. Both were measured on the reference machine (bench/shaping.sh,
// --download-via core|ifb, BBR and CUBIC senders): the same accuracy
// (>= 0.99 of the header-adjusted rate from 10 Mbit/s to 5 Gbit/s), the same
// fairness (Jain 1.000 for N = 2..26) and no shaper drops either way. The
// peer end wins on simplicity: no extra device and no redirect per packet,
// and no ifb FIFO, whose limit is the ifb's txqueuelen (32 packets; a veth
// has 1000) with no sys call to raise it. Both ends die with the host's
// namespace (deleting it deletes the veth pair), so the qdisc on the core's
// side goes with the host too. IngressIfb below serves links whose peer is
// out of reach (e.g. a physical NIC). With several hosts, give each host's
// Shaper its own TrafficControl opened in the core namespace (~20 us): a
// TrafficControl is used by one thread at a time.
//
// Ownership: the Shaper borrows the TrafficControl objects (they must
// outlive it) and owns the root qdiscs it adds on the two devices: Teardown
// (also the destructor) deletes them, and with them every class and filter.
// Nobody else may use those TrafficControl objects while the Shaper lives.
// Thread-safety: every method locks one mutex, so the region's threads, the
// token-bucket controller and the telemetry sampler may call concurrently.
#ifndef FAASNET_NET_SHAPER_H_
#define FAASNET_NET_SHAPER_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "net/policy.h"
#include "sys/netlink.h"
#include "sys/tc.h"

namespace faasnet::net {

// A device whose egress carries one direction of the host's traffic.
struct ShapedLink {
  sys::TrafficControl* tc = nullptr;  // borrowed; in the device's namespace
  std::string dev;
};

// A sandbox's one-time burst still to be watched (token-bucket).
struct BurstWatch {
  std::string sandbox_id;
  Direction direction = Direction::kUpload;
  uint64_t one_time_burst_bytes = 0;
  uint64_t burst_rate_bps = 0;  // the class's ceil while in burst
};

class Shaper {
 public:
  struct Options {
    std::string host;  // for messages ("h0")
    PolicyParams policy;
    NicCapacity nic;
    ShapedLink upload;
    ShapedLink download;
  };

  // Installs each shaped direction's root qdisc and NIC classes (nothing for
  // `none`), reading them back. Fails on invalid options, when a device has
  // a root qdisc already (AlreadyExists: another shaper, or a leftover), or
  // when the kernel refuses; what was added is removed again.
  static Result<std::unique_ptr<Shaper>> Create(Options options);

  Shaper(const Shaper&) = delete;
  Shaper& operator=(const Shaper&) = delete;
  // Teardown(), errors logged.
  ~Shaper();

  // Gives the sandbox a slot, a class and a filter per shaped direction.
  // AlreadyExists for a known id; InvalidArgument for a bad address or
  // memory size; ResourceExhausted when kMaxSlots are in use. On a kernel
  // error the sandbox is not added and what was applied for it is undone.
  Status AddSandbox(const std::string& id, const std::string& ipv4, int memory_mb);
  // Removes its filters and classes (and rescales others when the plan says
  // so). OK for an unknown id. The slot is free again afterwards.
  Status RemoveSandbox(const std::string& id);
  // token-bucket: the sandbox's one-time burst in `direction` is used up; its
  // class goes to the sustained rate for good. NotFound for an unknown id.
  Status MarkBurstSpent(const std::string& id, Direction direction);

  // Reads back every qdisc and class of the current plan and compares rates,
  // ceils and quanta. Internal naming the first difference.
  Status Verify();
  // Deletes both root qdiscs (classes and filters go with them). Idempotent;
  // a device that is gone counts as removed. After it, every other call but
  // Teardown fails with FailedPrecondition.
  Status Teardown();

  // Counters of the sandbox's class in `direction`. NotFound when the
  // sandbox is unknown or the direction has no per-sandbox class (none,
  // shared).
  Result<sys::TcStats> ReadSandboxStats(const std::string& id, Direction direction);
  // Counters of the root qdisc in `direction` (all of the host's traffic that
  // way). NotFound when the direction is not shaped.
  Result<sys::TcStats> ReadRootStats(Direction direction);

  const Options& options() const { return options_; }
  // A copy of the plan that is applied.
  Plan plan() const;
  // The classid of the sandbox in `direction`, if it has its own class.
  std::optional<uint32_t> ClassOf(const std::string& id, Direction direction) const;
  // token-bucket: the sandboxes and directions still in their one-time burst.
  std::vector<BurstWatch> BurstWatches() const;
  size_t sandbox_count() const;

 private:
  explicit Shaper(Options options) : options_(std::move(options)) {}
  const ShapedLink& link(Direction d) const { return d == Direction::kUpload ? options_.upload : options_.download; }
  // The plan for `sandboxes`, applied as a difference from applied_.
  Status ApplyLocked(const std::vector<SandboxNet>& sandboxes);
  Status InstallBaseLocked();
  Status TeardownLocked();

  Options options_;
  mutable std::mutex mu_;
  std::map<std::string, SandboxNet> sandboxes_;  // by id
  Plan applied_;                                 // what the kernel holds
  std::array<bool, 2> root_installed_ = {false, false};
  bool torn_down_ = false;
};

// Shapes what `dev` RECEIVES by redirecting its ingress to an ifb whose
// egress then carries that direction (ShapedLink{tc, ifb_name}). The ifb is
// created here. Owns the ifb and the ingress qdisc; Destroy (also the
// destructor) removes both, idempotently. One thread at a time.
class IngressIfb {
 public:
  IngressIfb() = default;
  // Creates ifb `ifb_name` (up) and redirects `dev`'s ingress to it. `nl` and
  // `tc` act in the namespace of `dev` and must outlive the object. On
  // failure nothing is left behind.
  static Result<IngressIfb> Create(sys::NetlinkOps* nl, sys::TrafficControl* tc, const std::string& dev,
                                   const std::string& ifb_name);
  IngressIfb(IngressIfb&& other) noexcept;
  IngressIfb& operator=(IngressIfb&& other) noexcept;
  IngressIfb(const IngressIfb&) = delete;
  IngressIfb& operator=(const IngressIfb&) = delete;
  ~IngressIfb();

  // The link to give the Shaper for this direction.
  ShapedLink link() const { return ShapedLink{tc_, ifb_}; }
  Status Destroy();

 private:
  sys::NetlinkOps* nl_ = nullptr;
  sys::TrafficControl* tc_ = nullptr;
  std::string dev_, ifb_;
};

}  // namespace faasnet::net

#endif  // FAASNET_NET_SHAPER_H_
