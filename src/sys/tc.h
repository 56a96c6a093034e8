// Traffic control over rtnetlink (libnl-route-3): HTB and TBF qdiscs, HTB
// classes, u32 filters on IPv4 addresses, ingress redirection to an ifb, and
// the counters of classes and qdiscs. One TrafficControl per network namespace.
//
// What for: the network-emulation layer shapes each host's uplink and each
// sandbox with these primitives (policies live above, in `net`). Every change
// is read back from the kernel (rates exactly; bursts within the kernel's tick
// rounding) and fails with a Status naming the object, e.g.
// "add htb class 1:12 on up0 in netns faasnet-h1: Invalid argument".
//
// Units: rates in bits per second (rate_bps), sizes in bytes. Handles are the
// kernel's 32-bit "major:minor" (TcHandle(1, 0x12) is "1:12", hex as in tc).
//
// Measured on the reference machine (docs MACHINE.md): HTB's default burst
// (rate/HZ + MTU) is smaller than one 64 KB GSO packet at >= 1 gbit and loses
// 8-26 % of the rate: use RecommendedBurstBytes (~4 ms x rate). Spare bandwidth
// is lent in proportion to `quantum`, not to rate: use QuantumForWeight for
// cost-proportional borrowing. netem, fq, fq_codel, sfq, cake and flower are
// missing on that kernel; ProbeTcSupport says what this one has.
//
// Test seam: callers take a TrafficControl&; fake_tc.h records calls in memory.
// Ownership: a TrafficControl owns its netlink socket; qdiscs, classes and
// filters belong to their link and go away with it (and with its namespace).
// Thread-safety: one object per thread.
#ifndef FAASNET_SYS_TC_H_
#define FAASNET_SYS_TC_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace faasnet::sys {

class NetNamespace;

constexpr uint32_t TcHandle(uint16_t major, uint16_t minor) { return (static_cast<uint32_t>(major) << 16) | minor; }
inline constexpr uint32_t kTcRoot = 0xFFFFFFFFu;           // TC_H_ROOT
inline constexpr uint32_t kTcIngress = 0xFFFFFFF1u;        // TC_H_INGRESS (also clsact's parent)
inline constexpr uint32_t kTcIngressHandle = 0xFFFF0000u;  // "ffff:"

// "1:12", "1:", "root", "ingress" (the kernel's hex notation, as tc prints it).
std::string FormatTcHandle(uint32_t handle);
// Parses FormatTcHandle's forms; InvalidArgument otherwise.
Result<uint32_t> ParseTcHandle(std::string_view text);

struct HtbQdiscSpec {
  std::string dev;
  uint32_t handle = TcHandle(1, 0);
  uint32_t parent = kTcRoot;
  uint32_t default_class = 0;  // minor of the class for unclassified traffic; 0 = direct (unshaped)
  uint32_t r2q = 0;            // rate-to-quantum divisor for classes without a quantum; 0 = kernel's 10
};

struct HtbClassSpec {
  std::string dev;
  uint32_t classid = 0;              // e.g. TcHandle(1, 0x10)
  uint32_t parent = TcHandle(1, 0);  // the qdisc (1:) or a parent class (1:1)
  uint64_t rate_bps = 0;             // guaranteed rate, bits/s (> 0)
  uint64_t ceil_bps = 0;             // borrowing limit, bits/s; 0 = rate (no borrowing)
  uint32_t burst_bytes = 0;          // 0 = RecommendedBurstBytes(rate_bps)
  uint32_t cburst_bytes = 0;         // 0 = RecommendedBurstBytes(ceil)
  uint32_t quantum_bytes = 0;        // DRR quantum for lending; 0 = rate / r2q (kernel)
  uint32_t prio = 0;                 // 0 (highest) .. 7
};

struct TbfSpec {
  std::string dev;
  uint32_t handle = TcHandle(1, 0);
  uint32_t parent = kTcRoot;
  uint64_t rate_bps = 0;     // bits/s, at most ~17 Gbit/s (libnl's 32-bit byte rate)
  uint32_t burst_bytes = 0;  // bucket size; 0 = RecommendedBurstBytes(rate_bps)
  uint32_t limit_bytes = 0;  // queue size; 0 = burst + 50 ms at rate
};

enum class U32Match { kSrc, kDst };

struct U32FilterSpec {
  std::string dev;
  uint32_t parent = TcHandle(1, 0);  // the qdisc the filter hangs on
  uint16_t prio = 1;                 // also the filter's identity: DeleteFilter removes by prio
  U32Match match = U32Match::kDst;
  std::string ipv4_cidr;  // "10.200.1.7/32"; a bare address means /32
  uint32_t classid = 0;   // where matching packets go (flowid)
};

// Counters of a class or qdisc (as `tc -s` shows them).
struct TcStats {
  uint64_t bytes = 0;
  uint64_t packets = 0;
  uint64_t drops = 0;
  uint64_t overlimits = 0;
  uint64_t backlog_bytes = 0;
  uint64_t qlen = 0;
};

class TrafficControl {
 public:
  virtual ~TrafficControl() = default;
  virtual const std::string& netns_name() const = 0;

  // Adds an HTB qdisc. AlreadyExists when the handle is taken; read back kind
  // and default class.
  virtual Status AddHtbQdisc(const HtbQdiscSpec& spec) = 0;
  // Adds the class or changes it when it exists (rates, bursts, quantum, prio).
  // Zero bursts are filled in by RecommendedBurstBytes before sending.
  virtual Status SetHtbClass(const HtbClassSpec& spec) = 0;
  // The class as the kernel reports it (bursts converted back from ticks).
  virtual Result<HtbClassSpec> GetHtbClass(std::string_view dev, uint32_t classid) = 0;
  // OK when the class does not exist. A class with filters pointing at it
  // or children cannot be deleted (Unavailable).
  virtual Status DeleteClass(std::string_view dev, uint32_t classid) = 0;
  virtual Status AddTbfQdisc(const TbfSpec& spec) = 0;
  virtual Status AddU32Filter(const U32FilterSpec& spec) = 0;
  // Removes every filter with `prio` under `parent`. OK when none.
  virtual Status DeleteFilter(std::string_view dev, uint32_t parent, uint16_t prio) = 0;
  // Shapes what `dev` RECEIVES: an ingress qdisc on `dev` and a match-all
  // filter whose mirred action redirects every packet to the egress of
  // `ifb_dev`, where an HTB/TBF qdisc can shape it.
  virtual Status AddIngressRedirect(std::string_view dev, std::string_view ifb_dev) = 0;
  // Removes the root (egress) qdisc and with it all classes and filters; OK when none.
  virtual Status DeleteRootQdisc(std::string_view dev) = 0;
  virtual Status DeleteIngressQdisc(std::string_view dev) = 0;

  virtual Result<TcStats> ReadClassStats(std::string_view dev, uint32_t classid) = 0;
  virtual Result<TcStats> ReadQdiscStats(std::string_view dev, uint32_t handle) = 0;
};

// A libnl-backed TrafficControl whose socket lives in `ns`.
Result<std::unique_ptr<TrafficControl>> OpenTrafficControl(const NetNamespace& ns);

// ~`window` worth of bytes at `rate_bps` (default 4 ms: 500 KB at 1 gbit,
// 2 MB at 5 gbit), at least 10 full-size frames so low rates still pass GSO
// bursts smoothly, at most 256 MiB.
uint32_t RecommendedBurstBytes(uint64_t rate_bps, std::chrono::microseconds window = std::chrono::microseconds(4000));
// HTB quantum proportional to `weight` (e.g. memory MB / 128): weight x
// `bytes_per_weight`, at least one full-size frame (1514 B). Equal weights give
// equal lending; weights 1:8 lend 1:8.
uint32_t QuantumForWeight(double weight, uint32_t bytes_per_weight = 16384);

// What the kernel's traffic control supports, probed by trying each kind on
// the "lo" of a scratch namespace (ENOENT from the kernel means missing).
struct TcSupport {
  std::map<std::string, bool> qdiscs;   // htb, tbf, pfifo, bfifo, prio, ingress, clsact, netem, fq, fq_codel, sfq, cake
  std::map<std::string, bool> filters;  // u32, flower, matchall, basic, fw
  std::map<std::string, bool> actions;  // mirred, gact, police
  bool Has(std::string_view kind) const;  // any table
  // "htb tbf ... ; missing: netem fq ..." for logs and results.
  std::string Summary() const;
  std::vector<std::string> Missing() const;
};
// Probes inside `scratch` (a namespace the caller created for this and
// destroys afterwards; its lo is used).
Result<TcSupport> ProbeTcSupport(const NetNamespace& scratch);

}  // namespace faasnet::sys

#endif  // FAASNET_SYS_TC_H_
