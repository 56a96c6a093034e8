// Lambda errors: the (HTTP status, type, message) triple every Lambda API
// operation can fail with, named constructors for the types Lambda sends, and
// the two wire forms:
//
//   Lambda API (rest-json, what botocore/awscli parse):
//     HTTP/1.1 404
//     x-amzn-ErrorType: ResourceNotFoundException
//     x-amzn-RequestId: 0f5b...
//     Content-Type: application/json
//     {"Type":"User","Message":"Function not found: arn:aws:lambda:..."}
//   botocore takes the code from x-amzn-ErrorType (text before any ':'),
//   else from the body's "code"/"__type"; the message from "message" or
//   "Message". The body uses the member spelling of the error's shape in
//   Lambda's service model (ResourceNotFoundException and ServiceException
//   have "Message", most others "message"), so modeled fields parse too.
//   TooManyRequestsException adds "Reason" and a Retry-After header.
//
//   Runtime API (inside a sandbox, as the Runtime Interface Emulator sends):
//     {"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}
//
// A LambdaError with an empty `type` means success; everything in
// faasnet_lambda reports failure as a LambdaError (or a LambdaResult<T>
// holding one), so the API layer can send it as-is.
//
// Ownership: plain values. Thread-safety: values; the free functions are pure.
#ifndef FAASNET_LAMBDA_ERRORS_H_
#define FAASNET_LAMBDA_ERRORS_H_

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "base/status.h"

namespace faasnet::lambda {

struct LambdaError {
  int http_status = 0;  // 0 for success
  std::string type;     // "ResourceNotFoundException", ...; empty for success
  std::string message;
  // TooManyRequestsException only: the ThrottleReason ("ConcurrentInvocationLimitExceeded",
  // "ReservedFunctionConcurrentInvocationLimitExceeded", ...) and the Retry-After seconds (0: no header).
  std::string reason;
  int retry_after_s = 0;

  bool ok() const { return type.empty(); }

  static LambdaError Ok() { return {}; }
  // Any type; prefer the named constructors below.
  static LambdaError Make(int http_status, std::string type, std::string message) {
    return {http_status, std::move(type), std::move(message), {}, 0};
  }

  // Named constructors, HTTP status as in Lambda's service model. An empty
  // `message` is replaced by a standard text for the type.
  static LambdaError ResourceNotFoundException(std::string message = {});       // 404
  static LambdaError ResourceConflictException(std::string message = {});       // 409
  static LambdaError InvalidParameterValueException(std::string message = {});  // 400
  static LambdaError InvalidRequestContentException(std::string message = {});  // 400
  static LambdaError ValidationException(std::string message = {});             // 400 (constraint violations)
  static LambdaError RequestTooLargeException(std::string message = {});        // 413
  static LambdaError UnsupportedMediaTypeException(std::string message = {});   // 415
  static LambdaError PreconditionFailedException(std::string message = {});    // 412 RevisionId mismatch
  static LambdaError ServiceException(std::string message = {});                // 500
  static LambdaError ResourceNotReadyException(std::string message = {});       // 502
  static LambdaError CodeStorageExceededException(std::string message = {});    // 400
  static LambdaError InvalidZipFileException(std::string message = {});         // 502 (the model's status)
  static LambdaError InvalidRuntimeException(std::string message = {});         // 502
  // Authentication (Lambda's front end).
  static LambdaError UnrecognizedClientException(std::string message = {});         // 403 unknown access key
  static LambdaError InvalidSignatureException(std::string message = {});           // 403
  static LambdaError IncompleteSignatureException(std::string message = {});        // 403 malformed auth
  static LambdaError MissingAuthenticationTokenException(std::string message = {});  // 403 unsigned
  static LambdaError AccessDeniedException(std::string message = {});               // 403
  // A path/method no operation answers.
  static LambdaError UnknownOperationException(std::string message = {});  // 404
  // `reason` is a ThrottleReason; `retry_after_s` > 0 adds Retry-After.
  static LambdaError TooManyRequestsException(std::string reason, std::string message = {},
                                              int retry_after_s = 0);  // 429

  // Runtime API errors (errorType spelling as the Runtime Interface Emulator).
  static LambdaError InvalidRequestId(std::string message = {});        // 400 "InvalidRequestID"
  static LambdaError InvalidStateTransition(std::string message = {});  // 403 "InvalidStateTransition"
  static LambdaError RequestEntityTooLarge(std::string message = {});   // 413 "RequestEntityTooLarge"
};

// A value of T or a non-OK LambdaError (the Lambda counterpart of faasnet::Result).
template <typename T>
using LambdaResult = Expected<T, LambdaError>;

// The Lambda API error body: {"Type":"User"|"Service","message"|"Message":"...","Reason":...}.
// "Type" is "Service" for 5xx, "User" otherwise.
std::string ErrorJson(const LambdaError& error);

// Client side: the error of a Lambda API response with a non-2xx status.
// The type comes from `error_type_header` (x-amzn-ErrorType, text before ':')
// or the body's "__type" (text after '#') / "code"; the message from
// "message" / "Message"; "Reason" is kept. Without a type: "Http<status>" and
// the first 200 bytes of the body. Never returns an OK LambdaError.
LambdaError ParseErrorResponse(int http_status, std::string_view error_type_header, std::string_view body);

// The Runtime API error body: {"errorMessage":"...","errorType":"..."}.
std::string RuntimeErrorJson(const LambdaError& error);

// A faasnet::Status for logs: "<type> (<http>): <message>". OK -> OK;
// UnrecognizedClient/InvalidSignature/IncompleteSignature/MissingAuthenticationToken
// -> kUnauthenticated; other 403 -> kPermissionDenied; 404 -> kNotFound;
// 409 -> kAlreadyExists; 429 -> kResourceExhausted; 413 -> kResourceExhausted;
// 502/503 -> kUnavailable; other 5xx -> kInternal; the rest -> kInvalidArgument.
Status ToStatus(const LambdaError& error);

}  // namespace faasnet::lambda

#endif  // FAASNET_LAMBDA_ERRORS_H_
