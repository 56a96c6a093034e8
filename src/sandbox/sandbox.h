// Sandboxes and the emulated hosts that hold them. A sandbox is one function
// instance: its runtime process, with the CPU quota and memory limit its
// memory size buys, its own network namespace and a veth to its host's bridge
// (full isolation), a private /tmp and its captured output. A host is an
// emulated machine: a network namespace with a bridge, a parent cgroup that
// carries the host's vCPUs (so co-located sandboxes contend as on a real
// host), and listening sockets that let its sandboxes reach the region's
// services (Runtime API, S3) at the bridge's address.
//
// Two implementations behind one interface: CreateIsolatedHost (netns, veth,
// bridge, cgroups; needs root) and CreateLocalHost (`--isolation none`: plain
// processes on loopback, no limits; results say so).
//
// Ownership: a Host owns its namespace, bridge and cgroup; a Sandbox owns its
// process, namespace, veth and cgroup. Destroy() is idempotent and the
// destructors call it. A Host must outlive its Sandboxes.
// Thread-safety: CreateSandbox may be called concurrently; one Sandbox is
// used by one caller at a time.
#ifndef FAASNET_SANDBOX_SANDBOX_H_
#define FAASNET_SANDBOX_SANDBOX_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "sys/fd.h"
#include "sys/process.h"

namespace faasnet::sys {
class CgroupManager;
class NetNamespace;
}

namespace faasnet::sandbox {

struct SandboxSpec {
  std::string id;        // "s17": unique in the region, [a-z0-9], <= 10 chars
  std::string function;  // for names and messages
  int memory_mb = 128;   // the memory limit (MiB, as Lambda counts) and, through the CPU policy, `cpus`
  double cpus = 1;       // CPU quota in CPUs (fractional)
  int cpu_period_us = 100'000;
  int pids_limit = 1024;
  std::string code_dir;  // the function's code ($LAMBDA_TASK_ROOT)
  std::string work_dir;  // the sandbox's own directory: tmp/ and output.log (kept for inspection)
  std::vector<std::string> argv;  // the runtime: bootstrap or python3 + faasnet's bootstrap
  std::vector<std::string> env;   // KEY=VALUE; the host adds AWS_LAMBDA_RUNTIME_API and FAASNET_GATEWAY
};

// What the sandbox used so far (counters; callers take deltas).
struct Usage {
  uint64_t cpu_ns = 0;
  uint64_t cpu_throttled_ns = 0;
  uint64_t cpu_nr_throttled = 0;
  std::optional<uint64_t> memory_peak_bytes;  // high-water mark since the last ResetMemoryPeak
  uint64_t oom_kills = 0;
  uint64_t rx_bytes = 0;  // received by the sandbox
  uint64_t tx_bytes = 0;  // sent by the sandbox
};

class Sandbox {
 public:
  virtual ~Sandbox() = default;
  virtual const SandboxSpec& spec() const = 0;
  virtual const std::string& host_id() const = 0;
  // How the Runtime API tells this sandbox's connections apart: its IP (full
  // isolation: connections come from it) or the "ip:port" of its own listener
  // (no isolation: they come in on it).
  virtual const std::string& runtime_key() const = 0;
  virtual bool keyed_by_remote_ip() const = 0;
  // The sandbox's IPv4 address on its host's bridge ("" unisolated): what
  // the region's shaper classifies its traffic by.
  virtual std::string ipv4() const { return {}; }
  // The cgroup path the process sits in ("" unisolated): /proc/self/cgroup
  // inside shows it, carrying the host and sandbox ids.
  virtual const std::string& cgroup_path() const = 0;
  // The runtime process's pidfd: readable once it exits.
  virtual int pidfd() const = 0;
  virtual pid_t pid() const = 0;
  virtual Result<Usage> ReadUsage() = 0;
  // Starts a new memory high-water mark (between invocations of a warm sandbox).
  virtual Status ResetMemoryPeak() = 0;
  // Reaps the runtime process if it has exited; nullopt while it runs.
  virtual Result<std::optional<sys::ExitStatus>> PollExit() = 0;
  // Starts the runtime process (once). Separate from creation so that the
  // caller can register the sandbox before its runtime can call the API.
  virtual Status Start() = 0;
  // SIGKILLs everything in the sandbox and reaps the runtime process.
  virtual Result<sys::ExitStatus> Kill() = 0;
  // Kills, then removes the namespace, veth and cgroup. Idempotent.
  virtual Status Destroy() = 0;
};

// Where the host exposes a region service to its sandboxes: the service
// adopts a listening socket the host opened in its namespace.
class ListenerRegistry {
 public:
  virtual ~ListenerRegistry() = default;
  // Starts serving on `fd`; returns the bound "ip:port".
  virtual Result<std::string> Adopt(sys::UniqueFd fd) = 0;
  virtual void Remove(const std::string& bound_address) = 0;
};

// Full isolation: a veth from the host's bridge to the region core's
// namespace, the host's "NIC". The host's end ("up0", a bridge port) carries
// its uploads out; the core's end carries its downloads out (net/shaper.h).
struct UplinkOptions {
  const sys::NetNamespace* core = nullptr;  // the core's namespace (outlives the host); nullptr = no uplink
  std::string core_dev;                     // the core's end, e.g. "uph0" (<= 15 characters)
  std::string core_cidr;                    // its address on the host's subnet, e.g. "10.100.255.254/16"
};
inline constexpr char kUplinkHostDev[] = "up0";

struct HostOptions {
  std::string region = "local";  // part of every kernel object's name
  std::string id = "h0";
  int index = 0;                 // selects the host's subnet 10.(100+index).0.0/16
  double vcpus = 2;              // the host's CPU quota
  int cpu_period_us = 100'000;
  ListenerRegistry* runtime_api = nullptr;  // required
  uint16_t runtime_api_port = 9001;
  // Further services reachable from sandboxes at <gateway>:<port> (e.g. the store on 9000).
  std::vector<std::pair<ListenerRegistry*, uint16_t>> services;
  UplinkOptions uplink;  // full isolation only
  // Full isolation, cgroup v1: this many children wait parked in cgroups of
  // their own (sys::ParkedChild), refilled in the background, so that a cold
  // start renames a group and launches its child instead of paying the
  // cgroup attach (an RCU grace period, ~12-18 ms) on its path. 0 = off.
  int parked_pool = 2;
};

class Host {
 public:
  virtual ~Host() = default;
  virtual const std::string& id() const = 0;
  // The address sandboxes reach the region's services at ("127.0.0.1" unisolated).
  virtual const std::string& gateway_ip() const = 0;
  virtual const std::string& cgroup_path() const = 0;
  // The host's network namespace (nullptr unisolated): where its bridge and
  // the host end of its uplink (kUplinkHostDev) live.
  virtual const sys::NetNamespace* netns() const { return nullptr; }
  // Creates the sandbox, ready to Start() its runtime. On failure nothing is
  // left behind and the Status names the failing step.
  virtual Result<std::unique_ptr<Sandbox>> CreateSandbox(const SandboxSpec& spec) = 0;
  virtual Status Destroy() = 0;
};

// Full isolation. `cgroups` must outlive the host. Fails (nothing left) with
// the step that failed: namespace, bridge, address, cgroup, listener.
Result<std::unique_ptr<Host>> CreateIsolatedHost(const HostOptions& options, sys::CgroupManager* cgroups);
// No isolation: processes on loopback; each sandbox gets its own Runtime API
// listener on 127.0.0.1 so its connections can be told apart.
Result<std::unique_ptr<Host>> CreateLocalHost(const HostOptions& options);

}  // namespace faasnet::sandbox

#endif  // FAASNET_SANDBOX_SANDBOX_H_
