// The whole local region as one object: the S3 store, the Invoke API, the
// Runtime API, the emulated hosts and the Region, started together and torn
// down together (`faasnet region up`, and tests). Before anything is created
// it checks the privileges full isolation needs and reaps what a crashed run
// of the same region left behind.
//
// Full isolation builds the region's network (docs/design.md): a core
// namespace "faasnet-<region>-core" holding the store, the Invoke API and the
// iperf3 servers; per host a namespace with its bridge and an uplink veth to
// the core, shaped by the network profile (region/network.h). Tools in the
// root namespace still reach the store and the Invoke API on 127.0.0.1: the
// servers hold listening sockets in both namespaces, and nothing is added to
// the root namespace. The Runtime API stays on each host's bridge (host-local,
// as Lambda's is local to the worker, so it is never shaped).
//
// Ownership: owns every server, host and sandbox it starts; the destructor
// stops them in order (no new invocations, sandboxes, hosts, servers).
// Thread-safety: Start/Stop from one thread.
#ifndef FAASNET_REGION_REGION_SERVER_H_
#define FAASNET_REGION_REGION_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "region/config.h"
#include "s3/credentials.h"

namespace faasnet::sys {
class NetNamespace;
struct SpawnOptions;
}

namespace faasnet::region {

class Region;
class RegionNetwork;

struct RegionServerOptions {
  RegionConfig config;
  std::string work_dir;                 // code, sandboxes, store data, records
  std::string credentials_file;         // users of the store and the Lambda API; generated when empty
  std::string s3_listen = "127.0.0.1:9000";
  std::string lambda_listen = "127.0.0.1:9001";
  std::string python = "/usr/bin/python3";
  std::string python_bootstrap;         // runtime/python/bootstrap.py
  bool store_fsync = true;
};

class RegionServer {
 public:
  static Result<std::unique_ptr<RegionServer>> Start(RegionServerOptions options);
  ~RegionServer();
  RegionServer(const RegionServer&) = delete;
  RegionServer& operator=(const RegionServer&) = delete;

  const std::string& s3_endpoint() const;      // "http://127.0.0.1:9000"
  const std::string& lambda_endpoint() const;  // "http://127.0.0.1:9001"
  const std::string& credentials_file() const;
  const std::string& records_path() const;
  // NIC samples of every host every 100 ms (full isolation).
  const std::string& telemetry_path() const;

  // Full isolation: the region core's namespace, which holds the store, the
  // Invoke API and the iperf3 servers (listening on every core address), and
  // the core's end of each host's uplink. nullptr unisolated.
  const sys::NetNamespace* core_netns() const;
  // The core's address on host `host_index`'s subnet (what that host's
  // sandboxes reach the store and iperf3 at, through the host's shaped
  // uplink): "10.(100+i).255.254"; "127.0.0.1" unisolated.
  std::string core_ip(size_t host_index) const;
  // "http://<core_ip>:<port>" (or "https://<core_ip>:9443" when the profile
  // sets store.tls): the store as a sandbox on that host sees it.
  std::string store_endpoint_for_host(size_t host_index) const;
  // The ports of the iperf3 servers running in the core (config
  // network.iperf_ports; functions get FAASNET_IPERF_HOST/_PORTS).
  const std::vector<uint16_t>& iperf_ports() const;
  // Starts a process inside the region core (e.g. another TCP service for
  // functions to reach at core_ip(i)); options.netns is set here. The region
  // owns it: Stop kills it. Returns its pid. FailedPrecondition unisolated.
  Result<int> SpawnInCore(sys::SpawnOptions options);
  // The shapers, telemetry and the resolved profile (nullptr unisolated, and
  // after Stop).
  RegionNetwork* network() const;
  Region* region() const;

  // Stops everything; idempotent.
  void Stop();

 private:
  struct Impl;
  explicit RegionServer(std::unique_ptr<Impl> impl);
  static Result<std::string> StartTlsStore(Impl* impl, const std::string& work_dir, uint16_t store_port);
  std::unique_ptr<Impl> impl_;
};

}  // namespace faasnet::region

#endif  // FAASNET_REGION_REGION_SERVER_H_
