#include "s3/errors.h"

#include <gtest/gtest.h>

namespace faasnet::s3 {
namespace {

TEST(S3Error, NamedConstructorsCarryStatusCodeAndDefaultMessage) {
  struct Case {
    S3Error error;
    int status;
    const char* code;
  };
  const Case cases[] = {
      {S3Error::NoSuchBucket(), 404, "NoSuchBucket"},
      {S3Error::NoSuchKey(), 404, "NoSuchKey"},
      {S3Error::NoSuchUpload(), 404, "NoSuchUpload"},
      {S3Error::BucketAlreadyOwnedByYou(), 409, "BucketAlreadyOwnedByYou"},
      {S3Error::BucketAlreadyExists(), 409, "BucketAlreadyExists"},
      {S3Error::BucketNotEmpty(), 409, "BucketNotEmpty"},
      {S3Error::InvalidBucketName(), 400, "InvalidBucketName"},
      {S3Error::KeyTooLongError(), 400, "KeyTooLongError"},
      {S3Error::InvalidArgument(), 400, "InvalidArgument"},
      {S3Error::InvalidRange(), 416, "InvalidRange"},
      {S3Error::PreconditionFailed(), 412, "PreconditionFailed"},
      {S3Error::NotModified(), 304, "NotModified"},
      {S3Error::SignatureDoesNotMatch(), 403, "SignatureDoesNotMatch"},
      {S3Error::InvalidAccessKeyId(), 403, "InvalidAccessKeyId"},
      {S3Error::AccessDenied(), 403, "AccessDenied"},
      {S3Error::AuthorizationHeaderMalformed(), 400, "AuthorizationHeaderMalformed"},
      {S3Error::AuthorizationQueryParametersError(), 400, "AuthorizationQueryParametersError"},
      {S3Error::RequestTimeTooSkewed(), 403, "RequestTimeTooSkewed"},
      {S3Error::MissingContentLength(), 411, "MissingContentLength"},
      {S3Error::EntityTooLarge(), 400, "EntityTooLarge"},
      {S3Error::EntityTooSmall(), 400, "EntityTooSmall"},
      {S3Error::InvalidDigest(), 400, "InvalidDigest"},
      {S3Error::BadDigest(), 400, "BadDigest"},
      {S3Error::XAmzContentSHA256Mismatch(), 400, "XAmzContentSHA256Mismatch"},
      {S3Error::InvalidPart(), 400, "InvalidPart"},
      {S3Error::InvalidPartOrder(), 400, "InvalidPartOrder"},
      {S3Error::MalformedXML(), 400, "MalformedXML"},
      {S3Error::MethodNotAllowed(), 405, "MethodNotAllowed"},
      {S3Error::NotImplemented(), 501, "NotImplemented"},
      {S3Error::SlowDown(), 503, "SlowDown"},
      {S3Error::InternalError(), 500, "InternalError"},
      {S3Error::IncompleteBody(), 400, "IncompleteBody"},
      {S3Error::InvalidRequest(), 400, "InvalidRequest"},
      {S3Error::InvalidURI(), 400, "InvalidURI"},
      {S3Error::MissingSecurityHeader(), 400, "MissingSecurityHeader"},
      {S3Error::InvalidObjectState(), 403, "InvalidObjectState"},
      {S3Error::RequestTimeout(), 400, "RequestTimeout"},
      {S3Error::MaxMessageLengthExceeded(), 400, "MaxMessageLengthExceeded"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.error.http_status, c.status) << c.code;
    EXPECT_EQ(c.error.code, c.code);
    EXPECT_FALSE(c.error.message.empty()) << c.code;
    EXPECT_FALSE(c.error.ok());
  }
  EXPECT_EQ(S3Error::NoSuchKey().message, "The specified key does not exist.");
  EXPECT_EQ(S3Error::NoSuchKey("custom").message, "custom");
  EXPECT_TRUE(S3Error::Ok().ok());
  EXPECT_TRUE(S3Error().ok());
}

TEST(S3Error, ErrorXmlEscapes) {
  std::string xml = ErrorXml(S3Error::NoSuchKey("key <a&b> missing"), "/bucket/a&b", "req-1");
  EXPECT_EQ(xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<Error><Code>NoSuchKey</Code><Message>key &lt;a&amp;b&gt; missing</Message>"
            "<Resource>/bucket/a&amp;b</Resource><RequestId>req-1</RequestId></Error>");
}

TEST(S3Error, ParseErrorXmlRoundTripAndFallback) {
  S3Error e = ParseErrorXml(ErrorXml(S3Error::BucketNotEmpty("not empty & full"), "/b", "r"), 409);
  EXPECT_EQ(e.code, "BucketNotEmpty");
  EXPECT_EQ(e.message, "not empty & full");
  EXPECT_EQ(e.http_status, 409);
  S3Error html = ParseErrorXml("<html>Bad Gateway</html>", 502);
  EXPECT_EQ(html.code, "Http502");
  EXPECT_EQ(html.message, "<html>Bad Gateway</html>");
  EXPECT_EQ(ParseErrorXml("", 500).code, "Http500");
}

TEST(S3Error, ToStatus) {
  EXPECT_TRUE(ToStatus(S3Error::Ok()).ok());
  EXPECT_EQ(ToStatus(S3Error::NoSuchKey()).code(), Status::Code::kNotFound);
  EXPECT_EQ(ToStatus(S3Error::SignatureDoesNotMatch()).code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(ToStatus(S3Error::AccessDenied()).code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(ToStatus(S3Error::SlowDown()).code(), Status::Code::kUnavailable);
  EXPECT_EQ(ToStatus(S3Error::InternalError()).code(), Status::Code::kInternal);
  EXPECT_EQ(ToStatus(S3Error::MalformedXML()).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ToStatus(S3Error::NoSuchKey("k")).message(), "NoSuchKey (404): k");
}

TEST(S3Result, HoldsValueOrError) {
  S3Result<int> v = 5;
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(*v, 5);
  EXPECT_TRUE(v.error().ok());
  S3Result<int> e = S3Error::NoSuchKey();
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, "NoSuchKey");
}

}  // namespace
}  // namespace faasnet::s3
