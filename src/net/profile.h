// Region network profiles: commented YAML files (profiles/*.yaml) that say
// how an emulated region's network behaves: the host NIC, the shaping
// policy and its parameters, the CPU policy the profile was calibrated with,
// link latency, and the store-side knobs. Each shipped file cites where its
// numbers come from.
//
// What for: `lambda-2019`, `lambda-today`, `proportional` and `unlimited`
// are experiments' network settings in one word; the region reads the file,
// resolves it against what this kernel supports (Resolve) and records the
// profile, the effective settings and the notes in every result.
//
// Format: one table (profile.cc) drives parsing, validation and the help
// text (ProfileHelp); errors name the file, the line and the field, e.g.
// "profiles/x.yaml: line 12: nic.download: '10Gbt': unknown rate unit 'gbt'".
// The `store:` section uses the store's own setting names (the `default:`
// section of a store behaviour file, store/behavior.h): first_byte_latency
// -> Behavior::first_byte_latency, connection_rate ->
// Behavior::connection_rate_bytes_per_s, request_rate ->
// Behavior::request_rate_per_s (503 SlowDown above it), request_burst ->
// Behavior::request_burst. StoreKnobs::ToBehaviorYaml renders them for
// store::BehaviorConfig::FromYaml, which validates first_byte_latency (this
// module does not link the store).
//
// Link latency needs netem, which this machine's kernel lacks (docs
// MACHINE.md) and sys does not drive: Resolve reports "not available" and
// uses the store-side first-byte latency instead (one round trip, 2 x the
// link latency, when the profile sets none).
//
// Thread-safety: plain values and pure functions.
#ifndef FAASNET_NET_PROFILE_H_
#define FAASNET_NET_PROFILE_H_

#include <chrono>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "net/policy.h"
#include "sys/tc.h"

namespace faasnet::net {

// Store-side behaviour, by the store's field names (see above).
struct StoreKnobs {
  std::string first_byte_latency;  // a store LatencySpec ("20ms", "lognormal:median=20ms,sigma=0.4"); "" = none
  uint64_t connection_rate_bytes_per_s = 0;  // per-connection cap; 0 = none
  double request_rate_per_s = 0;             // SlowDown above it; 0 = none
  double request_burst = 0;                  // 0 = the store's default (one second of rate)
  // Functions reach the store over https (as S3 is): their clients pay for
  // TLS under their CPU quota. The region terminates TLS in its core.
  bool tls = false;

  bool active() const { return !first_byte_latency.empty() || connection_rate_bytes_per_s || request_rate_per_s; }
  // "default:\n  first_byte_latency: 20ms\n  connection_rate: 90000000B/s\n..."
  // ("" when nothing is set): a store behaviour file.
  std::string ToBehaviorYaml() const;
};

struct NetworkProfile {
  std::string name;
  std::string description;
  std::vector<std::string> sources;  // where the numbers come from
  // The region's CPU policy names (region/config.h): paper-2019, lambda,
  // fixed; "" = leave the region's setting.
  std::string cpu_policy;
  NicCapacity nic;
  PolicyParams policy;
  std::chrono::nanoseconds link_latency{0};  // one way; needs netem
  StoreKnobs store;
  std::string file;  // where it was read from ("" for text)

  // Parses and validates. Errors: "<source>: line <n>: <field>: <what>".
  static Result<NetworkProfile> FromYaml(std::string_view text, std::string_view source_name = "profile");
  static Result<NetworkProfile> FromFile(const std::string& path);
  // Applies `overrides`, YAML text with the same settings as a profile file
  // (e.g. "policy: fair\nnic: 100Mbit"), on top of this profile and
  // validates the result. Errors name `source_name`, the line and the field.
  Result<NetworkProfile> WithOverrides(std::string_view overrides, std::string_view source_name = "overrides") const;
  // Ranges and consistency (a shaped policy needs both NIC capacities, ...).
  Status Validate() const;
  nlohmann::json ToJson() const;
};

// The shipped profiles (profiles/*.yaml, compiled into the binary so that an
// installed faasnet needs no source tree): lambda-2019, lambda-today,
// proportional, unlimited.
std::vector<std::string> BuiltinProfileNames();
// A shipped profile by name (file = "builtin:<name>"), or, when `ref` names
// none of them, the profile file at path `ref`. NotFound naming the shipped
// profiles when `ref` is neither.
Result<NetworkProfile> LoadProfile(const std::string& ref);

// One line per setting: name, what it means, an example (from the table
// that parses them).
std::string ProfileHelp();

// A profile as it will be applied on this kernel.
struct ResolvedProfile {
  NetworkProfile profile;
  StoreKnobs store;                   // effective store knobs (may carry the link latency)
  bool link_latency_applied = false;  // never, today (see above)
  std::vector<std::string> notes;     // what is not available and what is used instead
  nlohmann::json ToJson() const;
};

// Checks what the profile needs against `support` (sys ProbeTcSupport).
// FailedPrecondition when a shaped policy lacks htb or u32 (naming them);
// a missing netem becomes a note and the store-side first-byte latency.
Result<ResolvedProfile> Resolve(const NetworkProfile& profile, const sys::TcSupport& support);

}  // namespace faasnet::net

#endif  // FAASNET_NET_PROFILE_H_
