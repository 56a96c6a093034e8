// What a workload reads about its own sandbox, as pure parsers of kernel text plus one small OS seam.
//
//   /proc/net/dev     -> bytes received/sent on the sandbox's interfaces (loopback excluded): inside a
//                        sandbox's network namespace these are exactly its veth's counters
//   /proc/self/cgroup -> the cgroup lines, and the paper's co-location key derived from them
//   getrusage         -> the process's user and system CPU time
//
// The paper recognised co-located functions by the VM identifier in /proc/self/cgroup, the path
// segment starting with "sandbox-root" (e.g. "9:perf_event:/sandbox-root-a1B2c3/sandbox-4d5e6f"): same
// identifier, same host. faasnet's sandboxes sit in "/faasnet/<region>/<host>/<sandbox>", so the same
// idea generalises to "the sandbox's cgroup minus its last segment" (PaperHostKey).
//
// The Environment interface is the workload's OS seam (variables, files, CPU time), so the probe's
// logic is unit-tested with a fake; SystemEnvironment() is the real one. It is not sys/'s: a function
// binary must not link netlink and friends to read two files.
//
// Thread-safety: the parsers are pure; SystemEnvironment() is safe to use from any thread.
#ifndef FAASNET_WORKLOAD_PROC_H_
#define FAASNET_WORKLOAD_PROC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace faasnet::workload {

struct NetDevCounters {
  uint64_t rx_bytes = 0;  // summed over the interfaces counted
  uint64_t tx_bytes = 0;
  int interfaces = 0;  // how many were counted (lo is never counted)
};

// Parses the text of /proc/net/dev (two header lines, then "  name: rx_bytes rx_packets ... tx_bytes
// ..."). InvalidArgument "/proc/net/dev line N: ..." for a line that is not in that shape.
Result<NetDevCounters> ParseNetDev(std::string_view text);

// One line of /proc/self/cgroup: "hierarchy-ID:controller-list:cgroup-path".
struct CgroupLine {
  std::string hierarchy_id;  // "4"; "0" for the cgroup v2 unified hierarchy
  std::string controllers;   // "cpu,cpuacct", "name=systemd", "" for v2
  std::string path;          // "/faasnet/r1/h0/s3"
  std::string text;          // the whole line as read
};

// Every non-empty line; a line without two ':' keeps its text with an empty path.
std::vector<CgroupLine> ParseCgroup(std::string_view text);

// The paper's host key: the first path segment starting with "sandbox-root" on any line (Lambda);
// otherwise the parent of the deepest path (faasnet's "/faasnet/<region>/<host>", Docker's
// "/docker" on the paper's emulated host); empty when no path is at least two segments deep (its
// parent would be the root, which tells no host apart).
std::string PaperHostKey(const std::vector<CgroupLine>& lines);

struct CpuUsage {
  double user_ms = 0;
  double system_ms = 0;
};

// The OS as the workload sees it. Implementations must be usable from the handler's thread.
class Environment {
 public:
  virtual ~Environment() = default;
  // The variable's value; nullopt when unset.
  virtual std::optional<std::string> GetEnv(std::string_view name) const = 0;
  // The file's whole content; IoError naming the path when it cannot be read.
  virtual Result<std::string> ReadFile(const std::string& path) const = 0;
  // The process's CPU time so far (all threads).
  virtual CpuUsage Cpu() const = 0;
};

// The process's real environment (getenv, /proc, getrusage). Lives for the whole program.
Environment& SystemEnvironment();

}  // namespace faasnet::workload

#endif  // FAASNET_WORKLOAD_PROC_H_
