// The seam between Lambda's control/invoke API (invoke_api.h) and whatever
// runs functions: the region implements Platform; tests implement a fake that
// "runs" functions by calling C++ lambdas.
//
// The API layer has already authenticated the caller, parsed and validated
// the request (names reduced to bare function names, bodies parsed into the
// model's inputs, payload sizes checked) before it calls a Platform; the
// Platform decides everything about functions themselves: existence,
// conflicts, code storage, concurrency limits, running them.
//
// Ownership: the caller (e.g. InvokeApi) borrows the Platform, which must
// outlive it. Thread-safety: every method is called concurrently from the
// HTTP server's worker threads; implementations must be thread-safe.
// Invoke's coroutine is co_awaited on the HTTP connection's executor and
// resumes there; an implementation may await timers or work on other
// executors (Asio brings the coroutine back).
#ifndef FAASNET_LAMBDA_PLATFORM_H_
#define FAASNET_LAMBDA_PLATFORM_H_

#include <utility>  // before Asio: its awaitable.hpp uses std::exchange

#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

#include "lambda/errors.h"
#include "lambda/model.h"

namespace faasnet::lambda {

// One Invoke call, as the API received it.
struct InvokeRequest {
  enum class Type {
    kRequestResponse,  // run to the end; the result carries the function's response
    kEvent,            // queue and return at once (the API answers 202, no payload)
    kDryRun,           // only check that the function exists and may be invoked (204)
  };
  std::string function_name;  // bare name
  std::string qualifier;      // "" or "$LATEST" (the API refuses others with ResourceNotFoundException)
  Type type = Type::kRequestResponse;
  bool log_tail = false;  // X-Amz-Log-Type: Tail (RequestResponse only)
  std::string payload;    // the event: valid JSON, or empty
  // X-Amz-Client-Context decoded from base64 (a JSON object as text); "" when absent.
  // The Runtime API hands it to the function as Lambda-Runtime-Client-Context.
  std::string client_context;
  std::string trace_id;    // X-Amzn-Trace-Id when the caller sent one, else ""
  std::string request_id;  // a fresh UUID chosen by the API; also sent as x-amzn-RequestId
};

// The outcome of an invocation that reached the function (or was queued).
// Errors before that (unknown function, throttling, ...) are LambdaErrors.
struct InvokeResult {
  int status_code = 200;  // RequestResponse's HTTP status; Event answers 202 and DryRun 204 regardless
  std::string payload;    // the function's response, or its error object ({"errorMessage",...})
  std::string function_error;  // "" or "Unhandled" (sent as X-Amz-Function-Error)
  std::string log_tail;  // raw log text of the invocation; the API base64-encodes its last 4 KB (Tail only)
  std::string executed_version = std::string(kLatest);  // X-Amz-Executed-Version
  std::string request_id;  // "" = request.request_id
};

class Platform {
 public:
  virtual ~Platform() = default;

  // Creates a function from a validated input.
  // Success: its configuration (CodeSize/CodeSha256 filled, State "Active"
  // or "Pending"). Errors: ResourceConflictException (FunctionAlreadyExists)
  // when the name is taken; InvalidParameterValueException for code that
  // cannot be used (bad zip, missing directory); CodeStorageExceededException.
  virtual LambdaResult<FunctionConfiguration> CreateFunction(const CreateFunctionInput& input) = 0;

  // The configuration of `name` (bare); ResourceNotFoundException
  // (FunctionNotFound) when there is none.
  virtual LambdaResult<FunctionConfiguration> GetFunction(const std::string& name) = 0;

  // Applies a validated update (see ApplyUpdate in model.h).
  // Success: the new configuration. Errors: ResourceNotFoundException;
  // PreconditionFailedException for a stale RevisionId;
  // ResourceConflictException while another update is in progress.
  virtual LambdaResult<FunctionConfiguration> UpdateFunctionConfiguration(
      const std::string& name, const UpdateFunctionConfigurationInput& update) = 0;

  // Deletes `name` (its sandboxes go too). OK, or ResourceNotFoundException.
  virtual LambdaError DeleteFunction(const std::string& name) = 0;

  // Every function, in any order (the API sorts by name and paginates).
  virtual std::vector<FunctionConfiguration> ListFunctions() = 0;

  // Runs one invocation to its end (RequestResponse), queues it (Event), or
  // only checks it (DryRun). A function that fails is a success here, with
  // function_error "Unhandled" and its error object as payload.
  // Errors: ResourceNotFoundException; TooManyRequestsException (Reason
  // "ReservedFunctionConcurrentInvocationLimitExceeded" or
  // "ConcurrentInvocationLimitExceeded"); ResourceConflictException /
  // ResourceNotReadyException for a function that is not Active;
  // ServiceException for platform failures.
  // The caller does not learn when the HTTP client goes away; the invocation
  // runs to its end (or its timeout) as on Lambda.
  virtual boost::asio::awaitable<LambdaResult<InvokeResult>> Invoke(InvokeRequest request) = 0;
};

}  // namespace faasnet::lambda

#endif  // FAASNET_LAMBDA_PLATFORM_H_
