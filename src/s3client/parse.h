// The pure half of the S3 client: reading S3 response documents (with
// pugixml), writing the CompleteMultipartUpload body, turning an HTTP error
// response into a Status, and deciding which failures are worth a retry.
// Kept apart from the curl code so unit tests need no server.
//
// Thread-safety: pure functions.
#ifndef FAASNET_S3CLIENT_PARSE_H_
#define FAASNET_S3CLIENT_PARSE_H_

#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "s3/xml.h"
#include "s3client/types.h"

namespace faasnet::s3client {

// A ListBucketResult (ListObjectsV2) into `out` (everything but `info`).
// With `url_encoded` (the request said encoding-type=url) keys, prefixes,
// delimiters and StartAfter are URL-decoded ('+' as space, as S3 encodes).
// Errors: InvalidArgument "ListObjectsV2: ..." for malformed XML, another
// root element, a bad Size or a bad escape.
// ListAllMyBucketsResult -> bucket names.
Result<std::vector<std::string>> ParseListBuckets(std::string_view xml);
Status ParseListObjectsV2(std::string_view xml, bool url_encoded, ListObjectsResult* out);

// The UploadId of an InitiateMultipartUploadResult.
// Errors: InvalidArgument for malformed XML or a missing/empty UploadId.
Result<std::string> ParseInitiateMultipartUpload(std::string_view xml);

// A CompleteMultipartUpload response. S3 may answer 200 and still fail, with
// an <Error> document as the body; then `error` is filled (code and message)
// and the result is OK. Success: the ETag without quotes.
// Errors: InvalidArgument for malformed XML or another root element.
struct CompleteMultipartOutcome {
  std::string etag;
  std::string error_code;  // set when the body was an <Error>
  std::string error_message;
};
Result<CompleteMultipartOutcome> ParseCompleteMultipartUpload(std::string_view xml);

// <CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"e"</ETag></Part>...
// ETags are quoted as S3 expects.
std::string CompleteMultipartUploadXml(std::span<const s3::CompletedPart> parts);

// The S3 error of an HTTP error response: Code and Message from the XML body
// (s3::ParseErrorXml), or, for an empty body (HEAD), a code named after the
// status: 404 "NotFound", 403 "Forbidden", 400 "BadRequest", 412
// "PreconditionFailed", 304 "NotModified", else "Http<status>".
struct HttpError {
  std::string code;
  std::string message;
};
HttpError ParseHttpError(std::string_view body, int http_status);

// The Status of a failed call:
//   "<op> <object>: <status> <Code>: <Message>[ (after N retries)]"
// e.g. "GetObject b/k: 404 NoSuchKey: The specified key does not exist."
// The code follows s3::ToStatus (404 -> kNotFound, 403 -> kPermissionDenied,
// 5xx -> kUnavailable, ...).
Status HttpErrorStatus(std::string_view op, std::string_view object, int http_status, const HttpError& error,
                       int retries);

// The class of an HTTP error (s3_code may be empty).
ErrorClass ClassifyHttpError(int http_status, std::string_view s3_code);

// Whether an HTTP error deserves another attempt: 500, 502, 503 (SlowDown
// included), 504, 429, and 400 RequestTimeout / 200 InternalError bodies.
bool IsRetryableHttp(int http_status, std::string_view s3_code);

// ETag header or element value without surrounding double quotes.
std::string_view StripQuotes(std::string_view etag);

}  // namespace faasnet::s3client

#endif  // FAASNET_S3CLIENT_PARSE_H_
