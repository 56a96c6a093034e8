// The `http` platform: functions already deployed somewhere reachable by URL
// (OpenFaaS, Knative, Lambda function URLs, ...). Deploys nothing: each
// workload maps to a URL; an invocation POSTs the workload's event as JSON
// and expects the workload's JSON back. Memory, placement and billing are
// the platform's: rows carry the scenario's memory as configured and null
// where the platform says nothing (no REPORT line). The data set must
// already be in the bucket the functions read (`faasnet dataset make`).
//
// Thread-safety: as Platform.
#ifndef FAASNET_CLOUD_HTTP_PLATFORM_H_
#define FAASNET_CLOUD_HTTP_PLATFORM_H_

#include <functional>
#include <map>
#include <string>

#include "suite/platform.h"

namespace faasnet::cloud {

struct HttpOptions {
  std::map<std::string, std::string> urls;  // workload -> URL
  std::string bucket = "faasnet-data";      // where the functions find the data set
  std::map<uint64_t, int> data_counts;      // unused: the data set is the user's
  std::string ca_file;
  bool verify_tls = true;
  std::chrono::seconds timeout{900};
  std::function<void(const std::string&)> log;
};

class HttpPlatform : public suite::Platform {
 public:
  explicit HttpPlatform(HttpOptions o) : o_(std::move(o)) {}
  std::string kind() const override { return "http"; }
  nlohmann::json Describe() const override;
  Status PrepareRegion(const suite::Cell&) override { return Status::Ok(); }
  // The keys the data set generator gives (`faasnet dataset make` with the same chunk size).
  Result<std::vector<std::string>> EnsureData(uint64_t chunk_bytes, int count) override;
  std::string bucket() const override { return o_.bucket; }
  Result<std::string> EnsureFunction(const suite::FunctionNeed& need) override;
  Status ForceCold(const std::string&) override { return Status::Ok(); }
  Result<std::unique_ptr<suite::Invoker>> NewInvoker() override;
  nlohmann::json EventExtras(const suite::Cell&, int) override { return nlohmann::json::object(); }
  suite::InvocationFacts RecordFor(const std::string&) override { return {}; }
  std::vector<nlohmann::json> TelemetryBetween(int64_t, int64_t) override { return {}; }
  Status Close() override { return Status::Ok(); }

 private:
  HttpOptions o_;
  bool warned_ = false;
};

}  // namespace faasnet::cloud

#endif  // FAASNET_CLOUD_HTTP_PLATFORM_H_
