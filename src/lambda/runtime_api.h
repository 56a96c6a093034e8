// The Lambda Runtime API (version 2018-06-01), which a function's runtime
// (a `bootstrap`, faasnet's python bootstrap, any Lambda runtime interface
// client) calls from inside its sandbox at $AWS_LAMBDA_RUNTIME_API, as an
// http::Handler over a RuntimeBroker that the region implements:
//
//   GET  /2018-06-01/runtime/invocation/next             long poll -> 200, the event as body
//   POST /2018-06-01/runtime/invocation/{id}/response    -> 202 {"status":"OK"}
//   POST /2018-06-01/runtime/invocation/{id}/error       -> 202 {"status":"OK"}
//   POST /2018-06-01/runtime/init/error                  -> 202 {"status":"OK"}
//
// /next answers with the headers Lambda sends: Lambda-Runtime-Aws-Request-Id,
// Lambda-Runtime-Deadline-Ms (Unix ms), Lambda-Runtime-Invoked-Function-Arn,
// Lambda-Runtime-Trace-Id and Lambda-Runtime-Client-Context (when set).
// Errors are JSON as the Runtime Interface Emulator sends them
// ({"errorMessage":..., "errorType":...}): an unknown or already answered
// request id is 400 InvalidRequestID; a response over 6291556 bytes is 413
// RequestEntityTooLarge, and the invocation then fails with
// Function.ResponseSizeTooLarge (as on Lambda); an unknown path is 404, a
// wrong method 405. There is no authentication (as on Lambda): the broker
// tells sandboxes apart by the address each connection came in on.
//
// Ownership: borrows the broker (must outlive this object and the server using
// its handler). Thread-safety: Handle() runs concurrently for many exchanges;
// the object is immutable after construction.
#ifndef FAASNET_LAMBDA_RUNTIME_API_H_
#define FAASNET_LAMBDA_RUNTIME_API_H_

#include <utility>  // before Asio: its awaitable.hpp uses std::exchange

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "http/server.h"
#include "lambda/errors.h"

namespace faasnet::lambda {

// One event handed to a runtime by /next.
struct NextInvocation {
  std::string request_id;
  int64_t deadline_ms = 0;  // Unix epoch milliseconds when the invocation times out
  std::string function_arn;
  std::string trace_id;        // "" -> no Lambda-Runtime-Trace-Id header
  std::string client_context;  // JSON text; "" -> no header
  std::string payload;
};

// What a runtime reported through /error or /init/error.
struct RuntimeError {
  // Lambda-Runtime-Function-Error-Type, else the body's "errorType", else "".
  std::string error_type;
  std::string error_message;  // the body's "errorMessage", else ""
  std::string body;           // the body as posted (normally {"errorMessage","errorType","stackTrace"})
};

// The invoke payload Lambda returns for a failed invocation: the posted body
// when it is a JSON object, else {"errorMessage": ..., "errorType": ...}
// built from the other fields.
std::string InvokeErrorPayload(const RuntimeError& error);

// The region's side of the Runtime API. Every method may be called
// concurrently (from the HTTP server's threads); implementations must be
// thread-safe.
class RuntimeBroker {
 public:
  virtual ~RuntimeBroker() = default;

  // Which sandbox a connection belongs to, e.g. by request.local (the region
  // gives each sandbox its own listening address). Success: an id the other
  // calls receive. Error: any LambdaError, sent as is (e.g. 403
  // AccessDeniedException for an address that is no sandbox's).
  virtual LambdaResult<std::string> SandboxFor(const http::Request& request) = 0;

  // Waits until the sandbox has an invocation to run and returns it. This is
  // where a runtime sits between invocations (a frozen sandbox on Lambda), so
  // it may wait long. Error: e.g. when the sandbox is being torn down; the
  // broker should end pending waits (with an error) when it shuts down, since
  // the server cannot cancel them.
  virtual boost::asio::awaitable<LambdaResult<NextInvocation>> Next(const std::string& sandbox_id) = 0;

  // The invocation's response (the body as posted, at most the API's limit).
  // OK; or InvalidRequestId when `request_id` is not this sandbox's current
  // invocation (unknown, or already answered).
  virtual LambdaError PostResponse(const std::string& sandbox_id, const std::string& request_id,
                                   std::string body) = 0;
  // The invocation failed in the function. Errors as PostResponse.
  virtual LambdaError PostError(const std::string& sandbox_id, const std::string& request_id,
                                RuntimeError error) = 0;
  // The runtime failed before its first /next. OK, or an error such as
  // InvalidStateTransition (403) when the sandbox is past init.
  virtual LambdaError PostInitError(const std::string& sandbox_id, RuntimeError error) = 0;
};

struct RuntimeApiOptions {
  size_t max_response_bytes = 6'291'556;  // Lambda's limit on a function's response
  size_t max_error_bytes = 6'291'556;     // on an /error or /init/error body
  size_t max_drain_bytes = 64 << 20;      // a too-large body up to this is read and dropped (keep-alive)
};

class RuntimeApi {
 public:
  explicit RuntimeApi(RuntimeBroker* broker, RuntimeApiOptions options = {});

  // Serves one exchange; always responds.
  boost::asio::awaitable<void> Handle(http::Exchange& ex);
  http::Handler AsHandler() {
    return [this](http::Exchange& ex) { return Handle(ex); };
  }

 private:
  boost::asio::awaitable<void> Dispatch(http::Exchange& ex);

  RuntimeBroker* broker_;
  RuntimeApiOptions options_;
};

}  // namespace faasnet::lambda

#endif  // FAASNET_LAMBDA_RUNTIME_API_H_
