// S3 errors: the (HTTP status, Code, Message) triple every S3 operation can
// fail with, named constructors for the codes a server sends, and the XML
// error document S3 returns.
//
// An S3Error with an empty `code` means success; everything else in faasnet_s3
// reports failure as an S3Error (or an S3Result<T> holding one), so the server
// can send it as-is and the client can compare codes.
//
// Ownership: plain values. Thread-safety: values; the free functions are pure.
#ifndef FAASNET_S3_ERRORS_H_
#define FAASNET_S3_ERRORS_H_

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "base/status.h"

namespace faasnet::s3 {

struct S3Error {
  int http_status = 0;  // 0 for success
  std::string code;     // S3 error code, e.g. "NoSuchKey"; empty for success
  std::string message;  // human-readable; goes into <Message>

  bool ok() const { return code.empty(); }

  // Success (empty code).
  static S3Error Ok() { return {}; }
  // Any code; prefer the named constructors below.
  static S3Error Make(int http_status, std::string code, std::string message) {
    return {http_status, std::move(code), std::move(message)};
  }

  // Named constructors. An empty `message` is replaced by S3's standard text
  // for the code (e.g. NoSuchKey: "The specified key does not exist.").
  static S3Error NoSuchBucket(std::string message = {});                       // 404
  static S3Error NoSuchKey(std::string message = {});                          // 404
  static S3Error NoSuchUpload(std::string message = {});                       // 404
  static S3Error NoSuchVersion(std::string message = {});                      // 404
  static S3Error BucketAlreadyOwnedByYou(std::string message = {});            // 409
  static S3Error BucketAlreadyExists(std::string message = {});                // 409
  static S3Error BucketNotEmpty(std::string message = {});                     // 409
  static S3Error OperationAborted(std::string message = {});                   // 409
  static S3Error InvalidBucketName(std::string message = {});                  // 400
  static S3Error KeyTooLongError(std::string message = {});                    // 400
  static S3Error InvalidArgument(std::string message = {});                    // 400
  static S3Error InvalidRange(std::string message = {});                       // 416
  static S3Error PreconditionFailed(std::string message = {});                 // 412
  static S3Error NotModified(std::string message = {});                        // 304
  static S3Error SignatureDoesNotMatch(std::string message = {});              // 403
  static S3Error InvalidAccessKeyId(std::string message = {});                 // 403
  static S3Error AccessDenied(std::string message = {});                       // 403
  static S3Error AuthorizationHeaderMalformed(std::string message = {});       // 400
  static S3Error AuthorizationQueryParametersError(std::string message = {});  // 400
  static S3Error RequestTimeTooSkewed(std::string message = {});               // 403
  static S3Error ExpiredToken(std::string message = {});                       // 400
  static S3Error InvalidToken(std::string message = {});                       // 400
  static S3Error MissingContentLength(std::string message = {});               // 411
  static S3Error MissingRequestBodyError(std::string message = {});            // 400
  static S3Error EntityTooLarge(std::string message = {});                     // 400
  static S3Error EntityTooSmall(std::string message = {});                     // 400
  static S3Error MetadataTooLarge(std::string message = {});                   // 400
  static S3Error InvalidDigest(std::string message = {});                      // 400
  static S3Error BadDigest(std::string message = {});                          // 400
  static S3Error XAmzContentSHA256Mismatch(std::string message = {});          // 400
  static S3Error InvalidChunkSizeError(std::string message = {});              // 400
  static S3Error InvalidPart(std::string message = {});                        // 400
  static S3Error InvalidPartOrder(std::string message = {});                   // 400
  static S3Error MalformedXML(std::string message = {});                       // 400
  static S3Error UnexpectedContent(std::string message = {});                  // 400
  static S3Error InvalidStorageClass(std::string message = {});                // 400
  static S3Error MethodNotAllowed(std::string message = {});                   // 405
  static S3Error NotImplemented(std::string message = {});                     // 501
  static S3Error SlowDown(std::string message = {});                           // 503
  static S3Error ServiceUnavailable(std::string message = {});                 // 503
  static S3Error InternalError(std::string message = {});                      // 500
  static S3Error IncompleteBody(std::string message = {});                     // 400
  static S3Error InvalidRequest(std::string message = {});                     // 400
  static S3Error InvalidURI(std::string message = {});                         // 400
  static S3Error MissingSecurityHeader(std::string message = {});              // 400
  static S3Error InvalidObjectState(std::string message = {});                 // 403
  static S3Error RequestTimeout(std::string message = {});                     // 400
  static S3Error MaxMessageLengthExceeded(std::string message = {});           // 400
};

// A value of T or a non-OK S3Error (the S3 counterpart of faasnet::Result).
template <typename T>
using S3Result = Expected<T, S3Error>;

// The S3 error document:
//   <?xml version="1.0" encoding="UTF-8"?>
//   <Error><Code>..</Code><Message>..</Message><Resource>..</Resource><RequestId>..</RequestId></Error>
// Text is XML-escaped. `resource` is typically the request path.
std::string ErrorXml(const S3Error& error, std::string_view resource, std::string_view request_id);

// Client side: reads <Code> and <Message> from an S3 error document. On a body
// that is not such a document (empty, HTML from a proxy, ...) returns an error
// with code "Http<status>" (e.g. "Http502") and the first 200 bytes of the body
// as the message. Never returns an OK S3Error.
S3Error ParseErrorXml(std::string_view body, int http_status);

// A faasnet::Status for logs and results: "<Code> (<http>): <message>".
// OK -> OK; InvalidAccessKeyId, SignatureDoesNotMatch, ExpiredToken,
// InvalidToken -> kUnauthenticated; other 403 -> kPermissionDenied;
// 404 -> kNotFound; 409 -> kAlreadyExists; 304/412 -> kFailedPrecondition;
// 501 -> kUnimplemented; 503 -> kUnavailable; other 5xx -> kInternal;
// the rest -> kInvalidArgument.
Status ToStatus(const S3Error& error);

}  // namespace faasnet::s3

#endif  // FAASNET_S3_ERRORS_H_
