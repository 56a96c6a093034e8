// The `aws` platform: AWS Lambda + S3 (or anything speaking their APIs at an
// endpoint override, such as faasnet's own local region, which is how it is
// tested). It creates what a run needs, tagged with the run id: a bucket
// `faasnet-<run>` with the data set, functions `faasnet-<run>-<workload>-<slot>`
// (the native probe as a provided.al2023 zip, the boto3 workload on a
// current Python runtime); sets memory per cell with
// UpdateFunctionConfiguration and waits for the update; and removes all of
// it at Close (also after Ctrl-C). CleanupLeftovers finds what a killed run
// left, by the `faasnet` tag (functions) and the name prefix (buckets).
//
// The platform knows nothing beyond the Lambda API: per-invocation facts
// come from the REPORT line of the log tail; host ids from the workloads'
// own answers (the paper's /proc/self/cgroup method).
//
// Ownership: owns what it created until Close. Thread-safety: as Platform.
#ifndef FAASNET_CLOUD_AWS_PLATFORM_H_
#define FAASNET_CLOUD_AWS_PLATFORM_H_

#include <functional>
#include <map>
#include <string>

#include "s3/sigv4.h"
#include "suite/platform.h"

namespace faasnet::cloud {

struct AwsOptions {
  std::string region = "us-east-1";
  std::string lambda_endpoint;  // "" = https://lambda.<region>.amazonaws.com
  std::string s3_endpoint;      // "" = https://s3.<region>.amazonaws.com
  s3::Credentials credentials;
  std::string role_arn;  // the functions' execution role (AWS requires one that can read/write the bucket)
  std::string run_id;    // [a-z0-9-], names and tags everything
  std::string probe_dir;  // the probe bundle (build/functions/probe-bundle); "" when no cell runs the probe
  std::string boto3_dir;  // holds app.py
  std::string python_runtime = "python3.12";
  std::string architecture = "x86_64";
  std::string ca_file;  // https: a CA bundle (tests use their own CA)
  bool verify_tls = true;
  bool keep = false;  // leave everything in place at Close
  // iperf3 servers (HOST:PORT, `iperf3 -s`) the functions can reach: Lambda has
  // none of its own. An iperf cell needs one per concurrent function (a server
  // runs one test at a time); worker w gets iperf_servers[w % size].
  std::vector<std::string> iperf_servers;
  std::function<void(const std::string&)> log;
};

// Endpoints as the AWS tools resolve them: an explicit value, then
// AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, then the public endpoint.
std::string ResolveEndpoint(const std::string& explicit_url, const char* service_env, const std::string& public_url);

class AwsPlatform : public suite::Platform {
 public:
  static Result<std::unique_ptr<AwsPlatform>> Create(AwsOptions options);
  ~AwsPlatform() override;

  std::string kind() const override { return "aws"; }
  nlohmann::json Describe() const override;
  Status PrepareRegion(const suite::Cell& cell) override;
  Result<std::vector<std::string>> EnsureData(uint64_t chunk_bytes, int count) override;
  std::string bucket() const override { return "faasnet-" + o_.run_id; }
  Result<std::string> EnsureFunction(const suite::FunctionNeed& need) override;
  Status ForceCold(const std::string& name) override;
  Result<std::unique_ptr<suite::Invoker>> NewInvoker() override;
  nlohmann::json EventExtras(const suite::Cell& cell, int worker) override;
  suite::InvocationFacts RecordFor(const std::string&) override { return {}; }
  std::vector<nlohmann::json> TelemetryBetween(int64_t, int64_t) override { return {}; }
  Status Close() override;

  // Functions and buckets a run (any run: tag `faasnet`, bucket prefix
  // `faasnet-`) left behind; removes them and returns their names.
  static Result<std::vector<std::string>> CleanupLeftovers(const AwsOptions& options);

 private:
  explicit AwsPlatform(AwsOptions o) : o_(std::move(o)) {}
  Result<lambdaclient::Client> Lambda() const;
  AwsOptions o_;
  std::vector<std::pair<std::string, int>> iperf_servers_;  // o_.iperf_servers, parsed
  bool bucket_made_ = false;
  bool warned_local_ = false;
  std::map<std::string, std::pair<int, int>> functions_;  // name -> memory, timeout
  std::map<std::string, std::string> zips_;               // workload -> zip bytes
  std::map<uint64_t, std::vector<std::string>> data_;
  int epoch_ = 0;
};

}  // namespace faasnet::cloud

#endif  // FAASNET_CLOUD_AWS_PLATFORM_H_
