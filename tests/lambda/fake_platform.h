// A Platform for tests and for `lambda_fake_server`: functions are kept in
// memory, their zips unpacked (with ExtractZip) under a root directory, and
// they "run" as C++ coroutines chosen by the function's Handler:
//   echo     returns the payload ("{}" when empty); the default for unknown handlers
//   fail     an unhandled error: {"errorMessage":"boom","errorType":"Exception","stackTrace":[]}
//   sleep    waits {"ms": N} milliseconds, returns {"slept_ms": N}
//   env      returns the function's environment variables as a JSON object
//   context  returns {"request_id","client_context","function_name","memory_mb","trace_id"}
//   biglog   echoes, with a log of 10000 lines (to check the 4 KB tail)
// SetHandler() adds or replaces behaviours. A function whose environment has
// FAASNET_FAKE_CONCURRENCY=N (or SetReservedConcurrency) admits at most N
// invocations at once; more get TooManyRequestsException
// (ReservedFunctionConcurrentInvocationLimitExceeded). Event invocations run
// detached on the caller's executor.
//
// Ownership: owns the root directory's contents it created. Thread-safety: all
// methods are safe from any thread.
#ifndef FAASNET_TESTS_LAMBDA_FAKE_PLATFORM_H_
#define FAASNET_TESTS_LAMBDA_FAKE_PLATFORM_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lambda/platform.h"

namespace faasnet::lambda::testing {

// A function's behaviour. `log` collects the function's log lines.
using FakeFunction = std::function<boost::asio::awaitable<InvokeResult>(
    const InvokeRequest& request, const FunctionConfiguration& config, std::string* log)>;

class FakePlatform : public Platform {
 public:
  // `root` is where code directories go (created if missing).
  explicit FakePlatform(std::string root, std::string region = "us-east-1");
  ~FakePlatform() override;

  void SetHandler(const std::string& handler, FakeFunction fn);
  void SetReservedConcurrency(const std::string& function, int limit);

  // Counters for assertions.
  int invocations(const std::string& function) const;
  int events_completed() const { return events_completed_.load(); }

  LambdaResult<FunctionConfiguration> CreateFunction(const CreateFunctionInput& input) override;
  LambdaResult<FunctionConfiguration> GetFunction(const std::string& name) override;
  LambdaResult<FunctionConfiguration> UpdateFunctionConfiguration(
      const std::string& name, const UpdateFunctionConfigurationInput& update) override;
  LambdaError DeleteFunction(const std::string& name) override;
  std::vector<FunctionConfiguration> ListFunctions() override;
  boost::asio::awaitable<LambdaResult<InvokeResult>> Invoke(InvokeRequest request) override;

 private:
  struct Function {
    FunctionConfiguration config;
    bool owns_dir = false;  // the code directory was unpacked by us
    int running = 0;
    int invocations = 0;
  };

  boost::asio::awaitable<InvokeResult> Run(InvokeRequest request, FunctionConfiguration config);

  std::string root_;
  std::string region_;
  mutable std::mutex mu_;
  std::map<std::string, Function> functions_;        // guarded by mu_
  std::map<std::string, FakeFunction> handlers_;     // guarded by mu_
  std::map<std::string, int> reserved_;              // guarded by mu_
  int next_dir_ = 0;                                 // guarded by mu_
  std::atomic<int> events_completed_{0};
};

}  // namespace faasnet::lambda::testing

#endif  // FAASNET_TESTS_LAMBDA_FAKE_PLATFORM_H_
