// The `local` platform: the embedded region (region/region_server.h) started
// in-process, restarted when a cell wants other region settings (network
// profile, CPU policy, placement, hosts), with the data set in its store and
// the workloads deployed from the build (probe) and the source tree (boto3).
// Invocation records are joined from the region's invocations.jsonl.
//
// Ownership: owns the region (stopped by Close or the destructor).
// Thread-safety: as Platform.
#ifndef FAASNET_SUITE_LOCAL_PLATFORM_H_
#define FAASNET_SUITE_LOCAL_PLATFORM_H_

#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "region/config.h"
#include "suite/platform.h"

namespace faasnet::region {
class RegionServer;
}

namespace faasnet::suite {

struct LocalOptions {
  region::RegionConfig base;  // hosts' size, isolation, ...; cells override profile, cpu policy, placement, hosts
  std::string default_profile = "lambda-2019";  // a cell without `profile:` gets this
  std::string work_dir;                         // the region's (store data survives restarts here)
  std::string python_bootstrap;                 // runtime/python/bootstrap.py
  std::string probe_dir;                        // build/functions/probe (holds `bootstrap`)
  std::string boto3_dir;                        // runtime/functions/boto3 (holds app.py)
  int iperf_base_port = 25201;                  // the region core's iperf3 servers: base, base+1, ...
  std::function<void(const std::string&)> log;
};

class LocalPlatform : public Platform {
 public:
  explicit LocalPlatform(LocalOptions options);
  ~LocalPlatform() override;

  std::string kind() const override { return "local"; }
  nlohmann::json Describe() const override;
  Status PrepareRegion(const Cell& cell) override;
  Result<std::vector<std::string>> EnsureData(uint64_t chunk_bytes, int count) override;
  std::string bucket() const override { return "faasnet-data"; }
  Result<std::string> EnsureFunction(const FunctionNeed& need) override;
  Status ForceCold(const std::string& name) override;
  Status CellDone() override;
  nlohmann::json CellParams() const override;
  Result<std::unique_ptr<Invoker>> NewInvoker() override;
  // A Lambda client of the running region.
  Result<lambdaclient::Client> NewLambdaClient();
  nlohmann::json EventExtras(const Cell& cell, int worker) override;
  InvocationFacts RecordFor(const std::string& request_id) override;
  std::vector<nlohmann::json> TelemetryBetween(int64_t from_unix_ms, int64_t to_unix_ms) override;
  Status Close() override;

  // The region config a cell gets (exposed for tests).
  Result<region::RegionConfig> ConfigFor(const Cell& cell) const;

 private:
  Status StopRegion();
  LocalOptions o_;
  std::unique_ptr<region::RegionServer> server_;
  std::string key_;
  region::RegionConfig config_;
  s3::Credentials creds_;
  nlohmann::json network_;  // the running region's profile
  nlohmann::json tc_;       // and what it resolved to on this kernel
  std::string cgroup_version_;
  size_t telemetry_offset_ = 0;
  std::map<std::string, std::pair<int, int>> functions_;  // name -> memory, timeout
  std::map<uint64_t, std::vector<std::string>> data_;     // chunk bytes -> keys
  std::mutex rec_mu_;
  size_t rec_offset_ = 0;
  std::map<std::string, nlohmann::json> records_;
};

}  // namespace faasnet::suite

#endif  // FAASNET_SUITE_LOCAL_PLATFORM_H_
