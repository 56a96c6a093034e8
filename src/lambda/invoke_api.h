// Lambda's public API (rest-json, version 2015-03-31) as an http::Handler
// over a Platform: what `aws lambda ... --endpoint-url` and boto3's lambda
// client talk to.
//
//   POST   /2015-03-31/functions                        CreateFunction -> 201
//   GET    /2015-03-31/functions/                       ListFunctions (Marker, MaxItems <= 50 a page)
//   GET    /2015-03-31/functions/{name}                 GetFunction {"Configuration","Code"}
//   GET    /2015-03-31/functions/{name}/configuration   GetFunctionConfiguration
//   PUT    /2015-03-31/functions/{name}/configuration   UpdateFunctionConfiguration
//   DELETE /2015-03-31/functions/{name}                 DeleteFunction -> 204
//   POST   /2015-03-31/functions/{name}/invocations     Invoke -> 200 / 202 (Event) / 204 (DryRun)
// {name} is a name, a partial ARN or an ARN (percent-encoded), optionally
// with ":$LATEST"; the ?Qualifier= parameter is accepted as "$LATEST" only
// (faasnet has no versions or aliases: others are ResourceNotFoundException).
// Anything else is 404 UnknownOperationException.
//
// Invoke headers: X-Amz-Invocation-Type (RequestResponse | Event | DryRun),
// X-Amz-Log-Type: Tail (-> X-Amz-Log-Result, base64 of the log's last 4 KB),
// X-Amz-Client-Context (base64 JSON); answers carry X-Amz-Function-Error
// ("Unhandled") and X-Amz-Executed-Version. Payloads over 6 MB (sync) or
// 256 KB (Event) are RequestTooLargeException (413); a payload that is not
// JSON is InvalidRequestContentException.
//
// Every request is authenticated with SigV4 (service "lambda", the path
// encoded once more as non-S3 services sign it). Lambda's clients send no
// x-amz-content-sha256, so the body is read (under the operation's size cap)
// and hashed before verification. Unsigned requests are refused
// (MissingAuthenticationTokenException) unless allow_anonymous. Errors go out
// as Lambda's JSON with x-amzn-ErrorType (errors.h); every answer carries
// x-amzn-RequestId.
//
// Ownership: borrows the Platform (must outlive this object and the server
// using its handler). Thread-safety: Handle() runs concurrently for many
// exchanges; the object is immutable after construction.
#ifndef FAASNET_LAMBDA_INVOKE_API_H_
#define FAASNET_LAMBDA_INVOKE_API_H_

#include <utility>  // before Asio: its awaitable.hpp uses std::exchange

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdio>
#include <mutex>
#include <string>

#include "http/server.h"
#include "lambda/platform.h"
#include "s3/sigv4.h"

namespace faasnet::lambda {

struct InvokeApiOptions {
  std::string region = "us-east-1";  // in ARNs; a signature must be scoped to it
  bool allow_anonymous = false;      // serve unsigned requests too
  size_t max_sync_payload_bytes = 6 * 1024 * 1024;  // 6291456: Invoke RequestResponse / DryRun
  size_t max_event_payload_bytes = 256 * 1024;      // 262144: Invoke Event
  size_t max_create_body_bytes = 69'905'067;        // CreateFunction: a 50 MB zip in base64 plus JSON
  size_t max_other_body_bytes = 1 << 20;            // UpdateFunctionConfiguration and the rest
  size_t max_drain_bytes = 128 << 20;  // a too-large body up to this is read and dropped, so the 413 is seen
  size_t log_tail_bytes = 4096;        // X-Amz-Log-Result covers this much of the end of the log
  int max_list_items = 50;             // ListFunctions page size cap (Lambda's)
  std::FILE* access_log = nullptr;     // one line per request; nullptr: none
};

class InvokeApi {
 public:
  // `secrets` maps an access key id to its secret (nullopt: unknown key ->
  // UnrecognizedClientException).
  InvokeApi(Platform* platform, s3::SecretLookup secrets, InvokeApiOptions options);

  // Serves one exchange; always responds (errors as Lambda JSON, a thrown
  // exception as ServiceException 500).
  boost::asio::awaitable<void> Handle(http::Exchange& ex);
  http::Handler AsHandler() {
    return [this](http::Exchange& ex) { return Handle(ex); };
  }

  const InvokeApiOptions& options() const { return options_; }

 private:
  struct Call;  // one request's state (invoke_api.cc)

  boost::asio::awaitable<void> Dispatch(Call& c);
  boost::asio::awaitable<void> SendError(Call& c, const LambdaError& e);
  boost::asio::awaitable<void> SendJson(Call& c, int status, std::string json);

  boost::asio::awaitable<void> CreateFunction(Call& c);
  boost::asio::awaitable<void> ListFunctions(Call& c);
  boost::asio::awaitable<void> GetFunction(Call& c, bool configuration_only);
  boost::asio::awaitable<void> UpdateFunctionConfiguration(Call& c);
  boost::asio::awaitable<void> DeleteFunction(Call& c);
  boost::asio::awaitable<void> Invoke(Call& c);

  Platform* platform_;
  s3::SecretLookup secrets_;
  InvokeApiOptions options_;
  std::mutex log_mu_;
};

}  // namespace faasnet::lambda

#endif  // FAASNET_LAMBDA_INVOKE_API_H_
