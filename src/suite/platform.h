// The seam between the runner and where functions run. One interface for
// every platform adapter: `local` (the embedded region, local_platform.h),
// and the cloud adapters (`aws`, `http`). The runner asks a platform for a
// region configured like a cell wants, for data, for functions of a memory
// size, and for what it knows about an invocation beyond the Lambda API's
// answer; everything else (invoking) goes over the Lambda API from the
// runner's own worker threads, with the options this platform gives.
//
// Ownership: the runner owns the Platform. Thread-safety: Prepare*, Ensure*,
// ForceCold and Close from the runner's thread; RecordFor and Invoke from
// worker threads concurrently.
#ifndef FAASNET_SUITE_PLATFORM_H_
#define FAASNET_SUITE_PLATFORM_H_

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "lambdaclient/client.h"
#include "suite/scenario.h"

namespace faasnet::suite {

// The function a cell needs: `slot` tells co-located functions of a memory mix apart.
struct FunctionNeed {
  std::string workload;  // probe | boto3
  int slot = 0;
  int memory_mb = 128;
  int timeout_s = 300;
  bool pin = false;  // all on one host (local: the first host)
};

// Invokes functions for one worker thread (not thread-safe; one per worker).
class Invoker {
 public:
  virtual ~Invoker() = default;
  // RequestResponse with the log tail (the REPORT line) when the platform has one.
  virtual Result<lambdaclient::InvokeOutput> Invoke(const std::string& function, const std::string& payload) = 0;
};

// The Invoker of Lambda-API platforms (local, aws).
class LambdaInvoker : public Invoker {
 public:
  explicit LambdaInvoker(lambdaclient::Client client) : client_(std::move(client)) {}
  Result<lambdaclient::InvokeOutput> Invoke(const std::string& function, const std::string& payload) override {
    return client_.Invoke(function, payload, true);
  }

 private:
  lambdaclient::Client client_;
};

// What an invocation did beyond the Lambda API's answer (null where unknown).
struct InvocationFacts {
  nlohmann::json record;  // the platform's own record, as docs/formats/results.md's invocation fields
};

class Platform {
 public:
  virtual ~Platform() = default;
  virtual std::string kind() const = 0;
  // run.json's "platform" object (updated after every PrepareRegion).
  virtual nlohmann::json Describe() const = 0;
  // Makes the platform look like the cell wants (local: the region's network
  // profile, CPU policy, placement, hosts; a change restarts the region).
  // Cloud platforms ignore local-only settings and say so once.
  virtual Status PrepareRegion(const Cell& cell) = 0;
  // `count` objects of `chunk_bytes` in the data bucket; returns their keys.
  virtual Result<std::vector<std::string>> EnsureData(uint64_t chunk_bytes, int count) = 0;
  virtual std::string bucket() const = 0;
  // Creates or reconfigures the function; returns its name.
  virtual Result<std::string> EnsureFunction(const FunctionNeed& need) = 0;
  // Parameters the platform decided for the prepared cell, added to its rows'
  // `params` (local: the network policy its profile resolved to).
  virtual nlohmann::json CellParams() const { return nlohmann::json::object(); }
  // A cell ended: idle sandboxes may go (local: they hold their host's
  // memory, which the next cell's placement needs; cloud: nothing to do).
  virtual Status CellDone() { return Status::Ok(); }
  // Makes the next invocations of `name` cold (new sandboxes).
  virtual Status ForceCold(const std::string& name) = 0;
  // An invoker for one worker thread.
  virtual Result<std::unique_ptr<Invoker>> NewInvoker() = 0;
  // Extra event fields for an action (e.g. the iperf server for worker `worker`).
  virtual nlohmann::json EventExtras(const Cell& cell, int worker) = 0;
  // The platform's own record of `request_id` (local: the region's invocation
  // record); a null record when the platform has none.
  virtual InvocationFacts RecordFor(const std::string& request_id) = 0;
  // NIC samples between two times (local), as telemetry rows without cell_id.
  virtual std::vector<nlohmann::json> TelemetryBetween(int64_t from_unix_ms, int64_t to_unix_ms) = 0;
  // Removes what it created (functions, buckets, the region); idempotent.
  virtual Status Close() = 0;
};

}  // namespace faasnet::suite

#endif  // FAASNET_SUITE_PLATFORM_H_
