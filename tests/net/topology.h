// Test and benchmark support (root): a small region-like topology in
// namespaces the caller names, real TCP flows through it with net_flow
// processes, and the figures the shaping checks need.
//
//   <prefix>-core   "c0" 10.100.255.254/16: the region core (senders of
//                   downloads, receivers of uploads)
//        | veth c0 <-> up0: the host's uplink (shape c0's egress for
//        |                  downloads, up0's egress for uploads)
//   <prefix>-host   bridge fnbr0 10.100.0.1/16 with ports up0 and v<i>
//        | veth v<i> <-> eth0
//   <prefix>-s<i>   eth0 10.100.0.<10+i>/16
//
// The uplink is a bridge port (layer 2), so no forwarding sysctl is needed;
// every address lives in these namespaces, none in the root namespace.
//
// Ownership: Topology owns its namespaces (and so every link, qdisc and
// filter in them) and the netlink/tc sockets; the destructor removes them.
// Thread-safety: one thread at a time.
#ifndef FAASNET_TESTS_NET_TOPOLOGY_H_
#define FAASNET_TESTS_NET_TOPOLOGY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "net/policy.h"
#include "net/shaper.h"
#include "sys/netlink.h"
#include "sys/netns.h"
#include "sys/tc.h"

namespace faasnet::net::testing {

inline constexpr char kCoreIp[] = "10.100.255.254";

class Topology {
 public:
  // Namespaces "<prefix>-core", "<prefix>-host", "<prefix>-s<i>" (prefix
  // must start with "faasnet"). On failure what was made is removed.
  static Result<std::unique_ptr<Topology>> Build(const std::string& prefix, int sandboxes);
  ~Topology();

  const sys::NetNamespace& core() const { return core_; }
  const sys::NetNamespace& host() const { return host_; }
  const sys::NetNamespace& sandbox(int i) const { return sandboxes_[static_cast<size_t>(i)]; }
  int sandbox_count() const { return static_cast<int>(sandboxes_.size()); }
  static std::string SandboxIp(int i) { return "10.100.0." + std::to_string(10 + i); }

  sys::NetlinkOps* host_nl() { return host_nl_.get(); }
  sys::TrafficControl* host_tc() { return host_tc_.get(); }
  sys::TrafficControl* core_tc() { return core_tc_.get(); }
  // Uploads leave the host through up0; downloads leave the core through c0.
  ShapedLink upload_link() { return ShapedLink{host_tc_.get(), "up0"}; }
  ShapedLink download_link() { return ShapedLink{core_tc_.get(), "c0"}; }

 private:
  Topology() = default;
  sys::NetNamespace core_, host_;
  std::vector<sys::NetNamespace> sandboxes_;
  std::unique_ptr<sys::NetlinkOps> host_nl_, core_nl_;
  std::unique_ptr<sys::TrafficControl> host_tc_, core_tc_;
};

struct FlowSpec {
  Direction direction = Direction::kDownload;
  int sandbox = 0;
  uint64_t bytes = ~0ull;
  double seconds = 2.0;
  std::string cc;  // the sender's TCP congestion control ("" = the namespace's default)
};

struct FlowResult {
  FlowSpec spec;
  uint64_t bytes = 0;                                 // received
  int64_t first_ns = 0, last_ns = 0;                  // CLOCK_MONOTONIC
  std::vector<std::pair<int64_t, uint64_t>> samples;  // (t_ns, cumulative bytes), ~20 ms apart
  std::string error;                                  // "" when both ends succeeded
};

// Runs the flows at once with `net_flow` processes (receivers first, then
// senders), each bounded by its bytes and seconds. Downloads: sender in the
// core, receiver in the sandbox; uploads the other way round. Fails only
// when a process cannot start or be waited for; a flow's own failure is in
// its `error`.
Result<std::vector<FlowResult>> RunFlows(Topology& topo, const std::vector<FlowSpec>& flows,
                                         const std::string& net_flow_path);

// Cumulative bytes of a flow at time t_ns (linear between samples).
double BytesAt(const FlowResult& f, int64_t t_ns);

// Goodput (bits/s) of each flow over the window in which all of them were
// running: from the last start + warmup_s to the first end - trim_end_s.
struct Window {
  double seconds = 0;
  std::vector<double> goodput_bps;
  double aggregate_bps = 0;
};
Window CommonWindow(const std::vector<FlowResult>& flows, double warmup_s, double trim_end_s = 0.1);

// Jain's fairness index of x (1 = equal).
double Jain(const std::vector<double>& x);

// TCP goodput over a rate counted as HTB counts it (1514-byte frames that
// carry 1448 bytes of payload with timestamps).
inline constexpr double kGoodputPerRate = 1448.0 / 1514.0;

}  // namespace faasnet::net::testing

#endif  // FAASNET_TESTS_NET_TOPOLOGY_H_
