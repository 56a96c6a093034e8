// What a native `provided` function sees of one invocation, and the pure parts of the Runtime API
// protocol (2018-06-01): the RUNTIME_API address, the headers of a /next reply, the error document.
//
// A native function links faasnet_runtime and calls runtime::RunLoop (runtime/loop.h) with a Handler
// that maps an Invocation to a HandlerResult. Everything here is a value type with no I/O, so the
// parsing is unit-tested without a server.
//
// Thread-safety: values; the free functions are pure (FunctionEnvFromEnvironment reads the environment).
#ifndef FAASNET_RUNTIME_INVOCATION_H_
#define FAASNET_RUNTIME_INVOCATION_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace faasnet::runtime {

// The function's configuration as Lambda passes it in the environment.
struct FunctionEnv {
  std::string function_name;     // AWS_LAMBDA_FUNCTION_NAME
  std::string function_version;  // AWS_LAMBDA_FUNCTION_VERSION
  int memory_mb = 0;             // AWS_LAMBDA_FUNCTION_MEMORY_SIZE (MB as Lambda counts them: MiB); 0 if unset
  std::string log_group_name;    // AWS_LAMBDA_LOG_GROUP_NAME
  std::string log_stream_name;   // AWS_LAMBDA_LOG_STREAM_NAME
};

// Reads the variables above from the process environment; missing ones stay empty / 0.
FunctionEnv FunctionEnvFromEnvironment();

// One event, as delivered by GET /2018-06-01/runtime/invocation/next.
struct Invocation {
  std::string request_id;        // Lambda-Runtime-Aws-Request-Id
  std::string function_arn;      // Lambda-Runtime-Invoked-Function-Arn
  std::string trace_id;          // Lambda-Runtime-Trace-Id (empty when absent)
  std::string client_context;    // Lambda-Runtime-Client-Context: raw JSON, empty when absent
  std::string cognito_identity;  // Lambda-Runtime-Cognito-Identity: raw JSON, empty when absent
  std::string content_type;      // of the payload, usually application/json
  std::string payload;           // the event, as the invoker sent it

  // Lambda-Runtime-Deadline-Ms: milliseconds since the Unix epoch; 0 when the header was absent.
  int64_t deadline_epoch_ms = 0;
  // The same instant on the steady clock (time_point::max() when there is no deadline), so that
  // RemainingTime() does not move when the wall clock is stepped.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();

  FunctionEnv function;  // name, version, memory from the environment

  // Time left before the platform's deadline, never negative; a very large value without a deadline.
  std::chrono::milliseconds RemainingTime(
      std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) const;
};

// What a handler returns: a response payload, or a function error (errorType + errorMessage).
struct HandlerResult {
  static HandlerResult Success(std::string payload, std::string content_type = "application/json");
  static HandlerResult Failure(std::string error_type, std::string error_message);

  bool ok() const { return error_type.empty(); }

  std::string payload;
  std::string content_type = "application/json";
  std::string error_type;  // non-empty for a failure, e.g. "FunctionError", "Runtime.HandlerNotFound"
  std::string error_message;
};

// A parsed AWS_LAMBDA_RUNTIME_API value.
struct ApiAddress {
  std::string host;  // an IP literal or a name; brackets of an IPv6 literal removed
  uint16_t port = 0;
};

// Parses "host:port", "[v6]:port". InvalidArgument names the value when it is malformed.
Result<ApiAddress> ParseApiAddress(std::string_view value);

// The headers of a /next reply that an invocation is built from (by their Lambda names).
struct NextHeaders {
  std::string request_id;
  std::string deadline_ms;
  std::string function_arn;
  std::string trace_id;
  std::string client_context;
  std::string cognito_identity;
  std::string content_type;
};

// Builds an Invocation. `system_now`/`steady_now` are one reading of both clocks, used to carry the
// epoch deadline over to the steady clock. InvalidArgument when the request id is missing or has
// characters that cannot go into the /invocation/{id}/... path, or the deadline is not a number.
Result<Invocation> ParseInvocation(const NextHeaders& headers, std::string payload, FunctionEnv function,
                                   std::chrono::system_clock::time_point system_now,
                                   std::chrono::steady_clock::time_point steady_now);

// The JSON body of /invocation/{id}/error and /init/error, as Lambda's runtimes send it:
// {"errorMessage": ..., "errorType": ..., "stackTrace": []}. Invalid UTF-8 is replaced, not rejected.
std::string ErrorDocument(std::string_view error_type, std::string_view error_message);

}  // namespace faasnet::runtime

#endif  // FAASNET_RUNTIME_INVOCATION_H_
