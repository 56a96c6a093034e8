// The region's network at run time: one net::Shaper per emulated host on its
// uplink (policy and NIC from the region's network profile), the token-bucket
// controllers (policy token-bucket), the NIC sampler writing telemetry.jsonl,
// and per-sandbox shaper counters for the invocation records.
//
// Topology (built by RegionServer, docs/design.md): each host's namespace has
// its bridge and the host end of an uplink veth ("up0", a bridge port); the
// other end sits in the region core's namespace. Uploads are shaped on the
// egress of up0, downloads on the egress of the core's end (net/shaper.h
// explains why the peer and not an ifb). This class takes the two devices per
// host with a TrafficControl for each (a real one opened in the device's
// namespace, or sys::FakeTrafficControl in unit tests) and knows nothing of
// namespaces itself.
//
// Ownership: owns the TrafficControl and NetlinkOps objects it is given, the
// shapers (and so the root qdiscs on the uplinks), the controllers, the
// sampler and the telemetry file. Shutdown (also the destructor) stops the
// threads and removes every qdisc; call it before the namespaces go.
// Thread-safety: AddSandbox, RemoveSandbox and ReadCounters may be called
// from any thread (the shapers lock); Shutdown from one thread, after the
// last of those calls.
#ifndef FAASNET_REGION_NETWORK_H_
#define FAASNET_REGION_NETWORK_H_

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "net/profile.h"
#include "net/shaper.h"
#include "net/telemetry.h"
#include "net/token_bucket.h"
#include "sys/netlink.h"
#include "sys/tc.h"

namespace faasnet::region {

// One host's uplink, as the shaper and the sampler see it.
struct HostUplink {
  std::string host;                                  // "h0"
  // The host's memory: what guaranteed rates are divided over when the
  // profile divides over a host's memory (host_memory > 0); 0 = the profile's.
  int memory_mb = 0;
  std::unique_ptr<sys::TrafficControl> upload_tc;    // in the host's namespace
  std::string upload_dev;                            // its end of the uplink ("up0")
  std::unique_ptr<sys::TrafficControl> download_tc;  // in the core's namespace
  std::string download_dev;                          // the core's end ("uph0")
  // For NIC samples of a direction the policy leaves unshaped (none): the
  // devices' tx counters. nullptr: that direction is not sampled.
  std::shared_ptr<sys::NetlinkOps> upload_nl, download_nl;
};

class RegionNetwork {
 public:
  struct Options {
    net::ResolvedProfile profile;
    std::string telemetry_path;  // NIC samples as JSON lines (docs/formats/results.md); "" = none
    std::chrono::milliseconds sample_interval{100};
    // Start the sampler and the token-bucket controllers; tests leave them
    // off and call SampleOnce / PollBurstsOnce.
    bool start_threads = true;
    // The token-bucket controllers' settings (tests pass a fake clock);
    // on_switch is set here (it logs).
    net::TokenBucketController::Options controller;
  };

  // Installs each host's shaper (root qdiscs and NIC classes, nothing for
  // policy none), opens the telemetry file and starts the threads. On
  // failure what was installed is removed again.
  static Result<std::unique_ptr<RegionNetwork>> Create(Options options, std::vector<HostUplink> hosts);
  ~RegionNetwork();
  RegionNetwork(const RegionNetwork&) = delete;
  RegionNetwork& operator=(const RegionNetwork&) = delete;

  // The sandbox's classes and filters on host `host` (index in the order
  // given to Create). Errors as net::Shaper::AddSandbox; InvalidArgument for a
  // bad host.
  Status AddSandbox(size_t host, const std::string& id, const std::string& ipv4, int memory_mb);
  // Removes them; OK for an unknown id.
  Status RemoveSandbox(size_t host, const std::string& id);
  // The counters of the sandbox's classes (per_sandbox false under none and
  // shared: the record then relies on the veth counters).
  Result<net::SandboxTcCounters> ReadCounters(size_t host, const std::string& id);

  const net::ResolvedProfile& profile() const { return options_.profile; }
  // ResolvedProfile::ToJson(), rendered once, for every invocation record.
  const std::string& profile_json() const { return profile_json_; }
  size_t host_count() const { return hosts_.size(); }
  net::Shaper& shaper(size_t host) { return *hosts_[host].shaper; }

  // One round of NIC samples (written to the telemetry file).
  Status SampleOnce();
  // One round of every token-bucket controller.
  Status PollBurstsOnce();
  // Every one-time burst that ended so far, all hosts.
  std::vector<net::BurstEvent> burst_events() const;

  // Stops the threads and removes the shapers' qdiscs. Idempotent; the first
  // error is returned, the rest is still done.
  Status Shutdown();

 private:
  struct Host {
    HostUplink links;
    std::unique_ptr<net::Shaper> shaper;
    std::unique_ptr<net::TokenBucketController> controller;
  };
  explicit RegionNetwork(Options options);
  void WriteSample(const net::NicSample& s);

  Options options_;
  std::string profile_json_;
  std::vector<Host> hosts_;
  std::unique_ptr<net::UtilisationSampler> sampler_;
  std::mutex file_mu_;
  std::FILE* telemetry_ = nullptr;
  bool shut_down_ = false;
};

}  // namespace faasnet::region

#endif  // FAASNET_REGION_NETWORK_H_
