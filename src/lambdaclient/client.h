// A small Lambda API client on libcurl (SigV4, service "lambda"): what the
// benchmark runner deploys, reconfigures and invokes functions with, against
// the local region or AWS Lambda (same wire protocol, endpoint override).
//
// Design: one curl easy handle per Client (keep-alive), requests signed at
// every attempt, JSON bodies (nlohmann). A failed call's Status names the
// operation and the function and carries Lambda's error type, e.g.
//   "CreateFunction probe: 409 ResourceConflictException: Function already exist: probe"
// (kAlreadyExists), ResourceNotFoundException -> kNotFound,
// TooManyRequestsException -> kResourceExhausted, other 4xx -> kInvalidArgument,
// 5xx/transport -> kUnavailable. Invoke's function errors (X-Amz-Function-Error)
// are not call failures: they come back in InvokeOutput.
//
// Ownership: the Client owns its handle. Thread-safety: NOT thread-safe; one
// Client per thread (the runner gives each worker its own).
#ifndef FAASNET_LAMBDACLIENT_CLIENT_H_
#define FAASNET_LAMBDACLIENT_CLIENT_H_

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "s3/sigv4.h"

namespace faasnet::lambdaclient {

struct Options {
  std::string endpoint = "http://127.0.0.1:9001";  // or https://lambda.<region>.amazonaws.com
  std::string region = "us-east-1";
  s3::Credentials credentials;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds request_timeout{0};  // 0 = none (Invoke may run for minutes)
  std::string ca_file;                           // https: CA bundle ("" = system's)
  bool verify_tls = true;
  int max_retries = 3;  // on 429 TooManyRequests, 5xx and connection failures (not Invoke's function errors)
};

struct FunctionSpec {
  std::string name;
  std::string runtime = "provided.al2023";
  std::string handler = "bootstrap";
  std::string role = "arn:aws:iam::000000000000:role/faasnet";
  std::string architecture;  // "" = platform default; "x86_64" / "arm64"
  int memory_mb = 128;
  int timeout_s = 60;
  std::map<std::string, std::string> environment;
  std::map<std::string, std::string> tags;
  // Code: a zip's bytes, or (faasnet's local region only) an absolute directory.
  std::string zip_file;
  std::string local_path;
};

struct InvokeOutput {
  int status_code = 0;
  std::string payload;
  std::string function_error;  // "" or "Unhandled"/"Handled"
  std::string log_tail;        // decoded X-Amz-Log-Result ("" unless requested)
  std::string request_id;      // x-amzn-RequestId
  double client_ms = 0;        // the round trip as this client saw it
};

// What a Lambda REPORT log line says ("REPORT RequestId: ... Duration: 1.23 ms ...").
struct ReportLine {
  std::string request_id;
  std::optional<double> duration_ms, billed_duration_ms, init_duration_ms;
  std::optional<int> memory_size_mb, max_memory_used_mb;
};
// The last REPORT line of a log tail; nullopt when there is none.
std::optional<ReportLine> ParseReportLine(std::string_view log);

class Client {
 public:
  static Result<Client> Create(Options options);
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  ~Client();

  Result<nlohmann::json> CreateFunction(const FunctionSpec& spec);
  Result<nlohmann::json> GetFunctionConfiguration(std::string_view name);
  // GetFunction: {"Configuration", "Code", "Tags"}.
  Result<nlohmann::json> GetFunction(std::string_view name);
  // Sets memory (and timeout when > 0, and the environment when given), then waits until LastUpdateStatus is
  // no longer InProgress (at most `wait`); Failed -> kFailedPrecondition.
  Result<nlohmann::json> UpdateFunctionConfiguration(std::string_view name, int memory_mb, int timeout_s = 0,
                                                     std::chrono::seconds wait = std::chrono::seconds(300),
                                                     const std::map<std::string, std::string>* environment = nullptr);
  // Waits until State is Active (Pending after create on AWS).
  Status WaitActive(std::string_view name, std::chrono::seconds wait = std::chrono::seconds(300));
  Status DeleteFunction(std::string_view name);
  Result<nlohmann::json> ListFunctions();
  // RequestResponse invoke; `log_tail` asks for X-Amz-Log-Type: Tail.
  Result<InvokeOutput> Invoke(std::string_view name, std::string_view payload, bool log_tail = true);

 private:
  class Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace faasnet::lambdaclient

#endif  // FAASNET_LAMBDACLIENT_CLIENT_H_
