// The region model: emulated hosts, how a function's memory size becomes CPU,
// where sandboxes go, and their lifecycle limits. Read from a commented YAML
// file (`faasnet region up --config FILE`, format in docs/formats/region.md);
// the built-in default mirrors the paper's emulated host (an EC2 c3.large:
// 2 vCPU, 3.75 GB, CPU quota = 2.0 x memory / 3008 MB).
//
// Thread-safety: plain values.
#ifndef FAASNET_REGION_CONFIG_H_
#define FAASNET_REGION_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "net/profile.h"

namespace faasnet::region {

// Memory size -> CPU share, as platforms derive it.
struct CpuPolicy {
  enum class Kind {
    kPaper2019,  // cpus = host_vcpus x mem / 3008 (the paper's Docker emulation)
    kLambda,     // cpus = mem / 1769, at most 6 (Lambda today)
    kFixed,      // cpus = fixed_cpus for every size
  } kind = Kind::kPaper2019;
  double fixed_cpus = 1.0;
  double cpu_scale = 1.0;  // multiplies the result: emulate a slower (<1) or faster CPU

  // CPUs (may be fractional) for a function of `memory_mb` on a host of `host_vcpus`.
  double CpusFor(int memory_mb, double host_vcpus) const;
  static const char* KindName(Kind k);
  // The inverse of KindName; nullopt for an unknown name.
  static std::optional<Kind> ParseKind(std::string_view name);
};

enum class Placement { kBinpack, kSpread, kRandom };

struct HostSpec {
  std::string id;          // "h0", "h1", ...
  double vcpus = 2;        // the host's CPU quota (a parent cgroup)
  int memory_mb = 3840;    // capacity for placement (3.75 GB)
};

enum class Isolation {
  kFull,  // netns + veth + bridge + cgroup per sandbox (needs root)
  kNone,  // plain processes; every result is labelled unisolated
};

// The region's network (docs/formats/region.md, `network:`): a profile
// (net/profile.h) by name or file, settings overriding it, and the iperf3
// servers the region core runs.
struct NetworkConfig {
  std::string profile_ref = "unlimited";  // a shipped profile's name or a profile file
  std::string overrides_yaml;             // profile settings applied on top ("" = none)
  // The profile with the overrides, loaded when the region file is read
  // (empty name until then: call Load()).
  net::NetworkProfile profile;
  std::vector<uint16_t> iperf_ports;  // one `iperf3 -s` per port in the region core

  // profile_ref + overrides_yaml, validated.
  Result<net::NetworkProfile> Load() const;
};

struct RegionConfig {
  std::string name = "local";  // region id; also in cgroup paths and ARNs ("local" -> us-east-1 style ARNs)
  std::string aws_region = "us-east-1";
  std::vector<HostSpec> hosts = {HostSpec{"h0", 2, 3840}};
  CpuPolicy cpu;
  Placement placement = Placement::kBinpack;
  uint64_t placement_seed = 1;
  Isolation isolation = Isolation::kFull;
  int cpu_period_us = 100'000;                   // CFS period
  int pids_limit = 1024;                         // per sandbox (Lambda: 1024 threads/processes)
  std::chrono::milliseconds idle_timeout{300'000};  // a warm sandbox unused this long is removed
  int region_concurrency = 1000;                 // concurrent invocations in the region
  int function_concurrency = 0;                  // per function; 0 = up to the region's
  int min_memory_mb = 128;
  int max_memory_mb = 10240;
  NetworkConfig network;

  // Parses YAML; errors name the source, the line and the field.
  static Result<RegionConfig> FromYaml(std::string_view text, std::string_view source_name = "region");
  static Result<RegionConfig> FromFile(const std::string& path);
  // Checks ranges and consistency (unique host ids, sizes > 0, ...).
  Status Validate() const;
  double total_vcpus() const;
};

const char* PlacementName(Placement p);
std::optional<Placement> ParsePlacement(std::string_view name);  // the inverse; nullopt when unknown
const char* IsolationName(Isolation i);

}  // namespace faasnet::region

#endif  // FAASNET_REGION_CONFIG_H_
