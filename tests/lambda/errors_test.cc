#include "lambda/errors.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace faasnet::lambda {
namespace {

using Json = nlohmann::json;

TEST(LambdaErrorTest, NamedConstructorsCarryModelStatuses) {
  EXPECT_TRUE(LambdaError::Ok().ok());
  struct Case {
    LambdaError e;
    int status;
    const char* type;
  } cases[] = {
      {LambdaError::ResourceNotFoundException(), 404, "ResourceNotFoundException"},
      {LambdaError::ResourceConflictException(), 409, "ResourceConflictException"},
      {LambdaError::InvalidParameterValueException(), 400, "InvalidParameterValueException"},
      {LambdaError::InvalidRequestContentException(), 400, "InvalidRequestContentException"},
      {LambdaError::ValidationException(), 400, "ValidationException"},
      {LambdaError::RequestTooLargeException(), 413, "RequestTooLargeException"},
      {LambdaError::UnsupportedMediaTypeException(), 415, "UnsupportedMediaTypeException"},
      {LambdaError::PreconditionFailedException(), 412, "PreconditionFailedException"},
      {LambdaError::ServiceException(), 500, "ServiceException"},
      {LambdaError::ResourceNotReadyException(), 502, "ResourceNotReadyException"},
      {LambdaError::CodeStorageExceededException(), 400, "CodeStorageExceededException"},
      {LambdaError::InvalidZipFileException(), 502, "InvalidZipFileException"},
      {LambdaError::InvalidRuntimeException(), 502, "InvalidRuntimeException"},
      {LambdaError::UnrecognizedClientException(), 403, "UnrecognizedClientException"},
      {LambdaError::InvalidSignatureException(), 403, "InvalidSignatureException"},
      {LambdaError::IncompleteSignatureException(), 403, "IncompleteSignatureException"},
      {LambdaError::MissingAuthenticationTokenException(), 403, "MissingAuthenticationTokenException"},
      {LambdaError::AccessDeniedException(), 403, "AccessDeniedException"},
      {LambdaError::UnknownOperationException(), 404, "UnknownOperationException"},
      {LambdaError::TooManyRequestsException("ConcurrentInvocationLimitExceeded"), 429, "TooManyRequestsException"},
      {LambdaError::InvalidRequestId(), 400, "InvalidRequestID"},
      {LambdaError::InvalidStateTransition(), 403, "InvalidStateTransition"},
      {LambdaError::RequestEntityTooLarge(), 413, "RequestEntityTooLarge"},
  };
  for (const auto& c : cases) {
    EXPECT_FALSE(c.e.ok()) << c.type;
    EXPECT_EQ(c.e.http_status, c.status) << c.type;
    EXPECT_EQ(c.e.type, c.type);
    EXPECT_FALSE(c.e.message.empty()) << c.type;
  }
  EXPECT_EQ(LambdaError::ResourceNotFoundException("Function not found: x").message, "Function not found: x");
  EXPECT_EQ(LambdaError::InvalidRequestId().message, "Invalid request ID");
}

TEST(LambdaErrorTest, ErrorJsonUsesTheShapesMemberSpelling) {
  Json nf = Json::parse(ErrorJson(LambdaError::ResourceNotFoundException("Function not found: f")));
  EXPECT_EQ(nf, (Json{{"Type", "User"}, {"Message", "Function not found: f"}}));
  Json ip = Json::parse(ErrorJson(LambdaError::InvalidParameterValueException("bad")));
  EXPECT_EQ(ip, (Json{{"Type", "User"}, {"message", "bad"}}));
  Json svc = Json::parse(ErrorJson(LambdaError::ServiceException("oops")));
  EXPECT_EQ(svc["Type"], "Service");
  EXPECT_EQ(svc["Message"], "oops");
  LambdaError t = LambdaError::TooManyRequestsException("ReservedFunctionConcurrentInvocationLimitExceeded",
                                                        "Rate Exceeded.", 2);
  EXPECT_EQ(t.retry_after_s, 2);
  Json tj = Json::parse(ErrorJson(t));
  EXPECT_EQ(tj["Reason"], "ReservedFunctionConcurrentInvocationLimitExceeded");
  EXPECT_EQ(tj["message"], "Rate Exceeded.");
  // Invalid UTF-8 in a message does not break the document.
  EXPECT_TRUE(Json::accept(ErrorJson(LambdaError::InvalidParameterValueException("bad \xff byte"))));
}

TEST(LambdaErrorTest, ParseErrorResponseFollowsBotocore) {
  LambdaError a = ParseErrorResponse(404, "ResourceNotFoundException:http://internal.amazon.com/coral/",
                                     R"({"Type":"User","Message":"Function not found: f"})");
  EXPECT_EQ(a.type, "ResourceNotFoundException");
  EXPECT_EQ(a.message, "Function not found: f");
  EXPECT_EQ(a.http_status, 404);
  LambdaError b = ParseErrorResponse(400, "", R"({"__type":"com.amazon.coral#ValidationException","message":"m"})");
  EXPECT_EQ(b.type, "ValidationException");
  EXPECT_EQ(b.message, "m");
  LambdaError c = ParseErrorResponse(429, "TooManyRequestsException",
                                     R"({"message":"Rate Exceeded.","Reason":"ConcurrentInvocationLimitExceeded"})");
  EXPECT_EQ(c.reason, "ConcurrentInvocationLimitExceeded");
  LambdaError d = ParseErrorResponse(502, "", "<html>bad gateway</html>");
  EXPECT_EQ(d.type, "Http502");
  EXPECT_EQ(d.message, "<html>bad gateway</html>");
  EXPECT_FALSE(d.ok());
  // Round trip of our own wire form.
  LambdaError e = LambdaError::InvalidParameterValueException("x");
  LambdaError back = ParseErrorResponse(e.http_status, e.type, ErrorJson(e));
  EXPECT_EQ(back.type, e.type);
  EXPECT_EQ(back.message, e.message);
}

TEST(LambdaErrorTest, RuntimeErrorJsonIsTheEmulatorsShape) {
  EXPECT_EQ(Json::parse(RuntimeErrorJson(LambdaError::InvalidRequestId())),
            (Json{{"errorMessage", "Invalid request ID"}, {"errorType", "InvalidRequestID"}}));
}

TEST(LambdaErrorTest, ToStatusMapsClasses) {
  EXPECT_TRUE(ToStatus(LambdaError::Ok()).ok());
  EXPECT_EQ(ToStatus(LambdaError::InvalidSignatureException()).code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(ToStatus(LambdaError::AccessDeniedException()).code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(ToStatus(LambdaError::ResourceNotFoundException()).code(), Status::Code::kNotFound);
  EXPECT_EQ(ToStatus(LambdaError::ResourceConflictException()).code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(ToStatus(LambdaError::TooManyRequestsException("x")).code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(ToStatus(LambdaError::ServiceException()).code(), Status::Code::kInternal);
  EXPECT_EQ(ToStatus(LambdaError::ResourceNotReadyException()).code(), Status::Code::kUnavailable);
  EXPECT_EQ(ToStatus(LambdaError::ValidationException()).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ToStatus(LambdaError::ResourceNotFoundException("m")).message(), "ResourceNotFoundException (404): m");
}

TEST(LambdaResultTest, HoldsValueOrError) {
  LambdaResult<int> v = 5;
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(*v, 5);
  EXPECT_TRUE(v.error().ok());
  LambdaResult<int> e = LambdaError::ServiceException();
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.error().type, "ServiceException");
}

}  // namespace
}  // namespace faasnet::lambda
