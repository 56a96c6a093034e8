// Value types of the S3 client: per-request timings, what every call reports
// about its HTTP exchange, and the result of each operation.
//
// The timings are what the paper's workload measures: download (upload) time
// is `start` until `last_byte`, bandwidth is bytes over that time. They are
// steady-clock time points so that a caller can put them on one time line
// with its own events (invocation start, sandbox start).
//
// Ownership: plain values. Thread-safety: values; safe to copy between threads.
#ifndef FAASNET_S3CLIENT_TYPES_H_
#define FAASNET_S3CLIENT_TYPES_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faasnet::s3client {

using Clock = std::chrono::steady_clock;

// Timestamps and counters of one operation. Time points are unset (epoch)
// when the event did not happen (e.g. `first_body_byte` of a HEAD request).
// For an operation made of several requests (a multipart upload), `start` is
// the first request's start, `last_byte` the last one's end, the byte counts
// and `retries`/`requests`/`new_connections` are sums over all requests, and
// the other fields describe the last request.
struct TransferTimings {
  Clock::time_point start;            // the operation began (before any attempt)
  Clock::time_point attempt_start;    // the last attempt began
  Clock::time_point request_sent;     // the last attempt's request body was handed to curl in full
                                      // (== attempt_start without a body; == first_byte for POST)
  Clock::time_point first_byte;       // first response byte (the status line) of the last attempt
  Clock::time_point first_body_byte;  // first response body byte of the last attempt
  Clock::time_point last_byte;        // the last attempt completed (response fully received)
  uint64_t bytes_sent = 0;            // request body bytes (of successful attempts for multipart)
  uint64_t bytes_received = 0;        // response body bytes (incl. an error body)
  int http_status = 0;                // of the last attempt; 0 when no response came
  int retries = 0;                    // attempts beyond the first
  int requests = 0;                   // HTTP requests made, attempts included
  int new_connections = 0;            // TCP connections opened (0: all on kept-alive ones)
  // curl's phase breakdown of the last attempt, measured from its start.
  std::chrono::microseconds dns{0};
  std::chrono::microseconds connect{0};
  std::chrono::microseconds tls{0};  // TLS handshake done (0 for http)
  std::chrono::microseconds pretransfer{0};
  std::chrono::microseconds start_transfer{0};  // first response byte
  std::chrono::microseconds total{0};

  // start -> last_byte: the paper's download/upload time.
  Clock::duration duration() const { return last_byte - start; }
  // attempt_start -> first_byte of the last attempt.
  Clock::duration time_to_first_byte() const { return first_byte - attempt_start; }
};

// How a request ended, for result rows that classify errors.
enum class ErrorClass {
  kNone,         // success
  kClientError,  // HTTP 4xx other than the ones below
  kNotFound,     // HTTP 404
  kAuth,         // HTTP 401/403 (signature, access, clock skew)
  kThrottled,    // HTTP 503 SlowDown, 429
  kServerError,  // other HTTP 5xx, or a 200 carrying an <Error> (CompleteMultipartUpload)
  kTimeout,      // connect or request timeout
  kConnection,   // connect refused, reset, empty reply, TLS failure
  kCancelled,    // the caller's sink stopped the transfer
  kProtocol,     // a response we cannot parse (bad XML, missing header)
  kInvalid,      // the call's arguments (no request was sent)
};
const char* ErrorClassName(ErrorClass c);  // "none", "client_error", ...

// What every call reports about its exchange, success or failure.
struct RequestInfo {
  int http_status = 0;          // final HTTP status; 0 when no response came
  std::string s3_code;          // S3 error Code ("NoSuchKey"); empty on success
  std::string s3_message;       // S3 error Message
  std::string request_id;       // x-amz-request-id, when the server sent one
  std::string transport_error;  // curl's description when no response came
  ErrorClass error_class = ErrorClass::kNone;
  TransferTimings timings;
};

// Inclusive byte range [first, last]; `last` unset means "to the end".
struct ByteRange {
  uint64_t first = 0;
  std::optional<uint64_t> last;
  // "bytes=first-last" or "bytes=first-".
  std::string HeaderValue() const;
};

// x-amz-meta-* pairs, names without the prefix, as sent or received.
using Metadata = std::vector<std::pair<std::string, std::string>>;

struct PutOptions {
  std::string content_type;  // empty: no Content-Type (S3 stores binary/octet-stream)
  Metadata metadata;         // sent as x-amz-meta-<name>
};

struct GetOptions {
  std::optional<ByteRange> range;
  std::string if_match;  // ETag (without quotes) the object must have; empty: any
};

struct PutObjectResult {
  std::string etag;        // without the surrounding quotes
  std::string version_id;  // empty unless versioned
  RequestInfo info;
};

// Headers shared by GetObject and HeadObject responses.
struct ObjectHeaders {
  uint64_t content_length = 0;  // bytes of this response's body (the range, for ranged GETs)
  std::string content_type;
  std::string etag;           // without the surrounding quotes
  std::string last_modified;  // as sent (RFC 1123)
  std::string content_range;  // "bytes 0-9/443" for ranged GETs
  Metadata metadata;          // x-amz-meta-* (names lower case, prefix stripped)
};

struct GetObjectResult {
  std::string body;  // the object's bytes; empty when a sink received them
  ObjectHeaders headers;
  RequestInfo info;
};

struct HeadObjectResult {
  ObjectHeaders headers;
  RequestInfo info;
};

struct ObjectSummary {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // without the surrounding quotes
  std::string last_modified;
  std::string storage_class;
};

struct ListOptions {
  std::string prefix;
  std::string delimiter;
  std::string continuation_token;
  std::string start_after;
  int max_keys = 0;  // 0: the server's default (1000)
};

struct ListObjectsResult {
  std::vector<ObjectSummary> objects;
  std::vector<std::string> common_prefixes;
  bool is_truncated = false;
  std::string next_continuation_token;
  int key_count = 0;
  RequestInfo info;
};

struct CreateMultipartUploadResult {
  std::string upload_id;
  RequestInfo info;
};

struct UploadPartResult {
  int part_number = 0;
  std::string etag;  // without the surrounding quotes
  RequestInfo info;
};

}  // namespace faasnet::s3client

#endif  // FAASNET_S3CLIENT_TYPES_H_
