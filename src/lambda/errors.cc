#include "lambda/errors.h"

#include <nlohmann/json.hpp>

namespace faasnet::lambda {

namespace {

LambdaError Named(int http_status, const char* type, std::string message, const char* standard) {
  return LambdaError::Make(http_status, type, message.empty() ? std::string(standard) : std::move(message));
}

// Shapes whose message member is spelled "Message" in Lambda's service model;
// the others (and errors from the front end, which are not modeled) use "message".
bool CapitalMessage(std::string_view type) {
  return type == "ResourceNotFoundException" || type == "ServiceException" || type == "InvalidZipFileException" ||
         type == "InvalidRuntimeException";
}

}  // namespace

// Standard texts follow what Lambda (or AWS's front end) sends, so clients that
// print them show something familiar.
#define FAASNET_LAMBDA_ERROR(name, status, text) \
  LambdaError LambdaError::name(std::string message) { return Named(status, #name, std::move(message), text); }

FAASNET_LAMBDA_ERROR(ResourceNotFoundException, 404, "The resource you requested does not exist.")
FAASNET_LAMBDA_ERROR(ResourceConflictException, 409, "The resource already exists, or another operation is in "
                                                     "progress.")
FAASNET_LAMBDA_ERROR(InvalidParameterValueException, 400, "One or more parameters values were invalid.")
FAASNET_LAMBDA_ERROR(InvalidRequestContentException, 400, "The request body could not be parsed as JSON.")
FAASNET_LAMBDA_ERROR(ValidationException, 400, "1 validation error detected.")
FAASNET_LAMBDA_ERROR(RequestTooLargeException, 413, "Request must be smaller than 6291456 bytes for the "
                                                    "InvokeFunction operation")
FAASNET_LAMBDA_ERROR(UnsupportedMediaTypeException, 415, "The content type of the request is not supported.")
FAASNET_LAMBDA_ERROR(PreconditionFailedException, 412,
                     "The RevisionId provided does not match the latest RevisionId for the Lambda function or alias. "
                     "Call the GetFunction or the GetAlias API operation to retrieve the latest RevisionId for your "
                     "resource.")
FAASNET_LAMBDA_ERROR(ServiceException, 500, "The Lambda service encountered an internal error.")
FAASNET_LAMBDA_ERROR(ResourceNotReadyException, 502, "The function is inactive and its VPC connection is no longer "
                                                     "available. Wait for the VPC connection to reestablish and "
                                                     "try again.")
FAASNET_LAMBDA_ERROR(CodeStorageExceededException, 400, "Code storage limit exceeded.")
FAASNET_LAMBDA_ERROR(InvalidZipFileException, 502, "Lambda could not unzip the deployment package.")
FAASNET_LAMBDA_ERROR(InvalidRuntimeException, 502, "The runtime or runtime version for this function is not "
                                                   "supported.")
FAASNET_LAMBDA_ERROR(UnrecognizedClientException, 403, "The security token included in the request is invalid.")
FAASNET_LAMBDA_ERROR(InvalidSignatureException, 403,
                     "The request signature we calculated does not match the signature you provided. Check your "
                     "AWS Secret Access Key and signing method. Consult the service documentation for details.")
FAASNET_LAMBDA_ERROR(IncompleteSignatureException, 403, "The request signature does not conform to AWS standards.")
FAASNET_LAMBDA_ERROR(MissingAuthenticationTokenException, 403, "Missing Authentication Token")
FAASNET_LAMBDA_ERROR(AccessDeniedException, 403, "User is not authorized to perform this action.")
FAASNET_LAMBDA_ERROR(UnknownOperationException, 404, "Unknown operation.")

#undef FAASNET_LAMBDA_ERROR

LambdaError LambdaError::TooManyRequestsException(std::string reason, std::string message, int retry_after_s) {
  LambdaError e = Named(429, "TooManyRequestsException", std::move(message), "Rate Exceeded.");
  e.reason = std::move(reason);
  e.retry_after_s = retry_after_s;
  return e;
}

LambdaError LambdaError::InvalidRequestId(std::string message) {
  return Named(400, "InvalidRequestID", std::move(message), "Invalid request ID");
}
LambdaError LambdaError::InvalidStateTransition(std::string message) {
  return Named(403, "InvalidStateTransition", std::move(message), "State transition is not allowed");
}
LambdaError LambdaError::RequestEntityTooLarge(std::string message) {
  return Named(413, "RequestEntityTooLarge", std::move(message),
               "Exceeded maximum allowed payload size (6291556 bytes).");
}

std::string ErrorJson(const LambdaError& error) {
  nlohmann::ordered_json j;
  j["Type"] = error.http_status >= 500 ? "Service" : "User";
  j[CapitalMessage(error.type) ? "Message" : "message"] = error.message;
  if (!error.reason.empty()) j["Reason"] = error.reason;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

LambdaError ParseErrorResponse(int http_status, std::string_view error_type_header, std::string_view body) {
  std::string type(error_type_header.substr(0, error_type_header.find(':')));
  std::string message;
  std::string reason;
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object()) {
    auto text = [&](const char* key) -> std::string {
      auto it = j.find(key);
      return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    if (type.empty()) {
      type = text("__type");
      if (auto hash = type.rfind('#'); hash != std::string::npos) type.erase(0, hash + 1);
    }
    if (type.empty()) type = text("code");
    if (type.empty()) type = text("Code");
    message = text("message");
    if (message.empty()) message = text("Message");
    reason = text("Reason");
  }
  if (type.empty()) {
    return LambdaError::Make(http_status, "Http" + std::to_string(http_status), std::string(body.substr(0, 200)));
  }
  LambdaError e = LambdaError::Make(http_status, std::move(type), std::move(message));
  e.reason = std::move(reason);
  return e;
}

std::string RuntimeErrorJson(const LambdaError& error) {
  nlohmann::ordered_json j;
  j["errorMessage"] = error.message;
  j["errorType"] = error.type;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status ToStatus(const LambdaError& error) {
  if (error.ok()) return Status::Ok();
  std::string text = error.type + " (" + std::to_string(error.http_status) + "): " + error.message;
  const std::string& t = error.type;
  if (t == "UnrecognizedClientException" || t == "InvalidSignatureException" || t == "IncompleteSignatureException" ||
      t == "MissingAuthenticationTokenException") {
    return Status::Unauthenticated(std::move(text));
  }
  int s = error.http_status;
  if (s == 403) return Status::PermissionDenied(std::move(text));
  if (s == 404) return Status::NotFound(std::move(text));
  if (s == 409) return Status::AlreadyExists(std::move(text));
  if (s == 429 || s == 413) return Status::ResourceExhausted(std::move(text));
  if (s == 502 || s == 503) return Status::Unavailable(std::move(text));
  if (s >= 500) return Status::Internal(std::move(text));
  return Status::InvalidArgument(std::move(text));
}

}  // namespace faasnet::lambda
