// A small, fast S3 client on libcurl: what the benchmark workloads run inside
// functions (timing GET/PUT the way the paper did), what the data-set loader
// uploads with, and the base of the real-AWS backend.
//
// Design:
//   - One curl easy handle per Client, reused for every request, so the TCP
//     (and TLS) connection is kept alive between requests.
//   - Requests are signed with SigV4 (s3/sigv4.h) at every attempt; PUT
//     bodies are signed as UNSIGNED-PAYLOAD or with their SHA-256
//     (Options::unsigned_payload).
//   - No per-byte work of ours: GET bodies go to the caller's sink (or one
//     std::string reserved to Content-Length), PUT bodies are read by curl
//     straight from the caller's buffer; 512 KiB socket buffers, TCP_NODELAY.
//   - Retries with exponential backoff and jitter on 5xx, 503 SlowDown, 429
//     and connection failures (Options::max_retries).
//   - Every call returns Result<...>. A failed call's Status names the
//     operation and the object, e.g.
//       "GetObject b/k: 404 NoSuchKey: The specified key does not exist."
//     and last_request() tells its HTTP status, S3 error code, error class
//     and timings; a successful result carries the same RequestInfo.
//
// Ownership: the Client owns its curl handle and connection; results own
// their strings. Bodies passed in (std::string_view) are borrowed for the
// duration of the call only.
// Thread-safety: a Client is NOT thread-safe; use one Client per thread (as
// one function instance would). Distinct Clients may run concurrently.
#ifndef FAASNET_S3CLIENT_CLIENT_H_
#define FAASNET_S3CLIENT_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "s3/sigv4.h"
#include "s3/xml.h"
#include "s3client/types.h"

namespace faasnet::s3client {

struct Options {
  // http(s)://host[:port][/base-path]; e.g. "http://127.0.0.1:9000" or
  // "https://s3.us-east-1.amazonaws.com".
  std::string endpoint = "http://127.0.0.1:9000";
  std::string region = "us-east-1";
  // An empty access key sends unsigned (anonymous) requests.
  s3::Credentials credentials;
  // Path-style (host/bucket/key) or virtual-hosted (bucket.host/key) URLs.
  bool path_style = true;
  // PUT/UploadPart bodies: true sends x-amz-content-sha256: UNSIGNED-PAYLOAD
  // (what AWS SDKs do over https; no hashing, so no CPU per byte); false
  // sends the body's hex SHA-256 (one more pass over the body).
  bool unsigned_payload = true;

  std::chrono::milliseconds connect_timeout{5'000};
  // The whole request, retries excluded; 0 means no limit.
  std::chrono::milliseconds request_timeout{0};
  // Attempts beyond the first for retryable failures.
  int max_retries = 3;
  // Backoff before retry n (1-based): uniformly in [d/2, d] with
  // d = min(retry_max_delay, retry_base_delay * 2^(n-1)).
  std::chrono::milliseconds retry_base_delay{100};
  std::chrono::milliseconds retry_max_delay{5'000};

  // https: a CA bundle file (empty: the system's); verify_tls false skips
  // certificate and host checks (test servers only).
  std::string ca_file;
  bool verify_tls = true;

  // Bodies of at least this size are sent after "Expect: 100-continue" (the
  // server can refuse before the body is sent); smaller bodies go at once.
  uint64_t expect_continue_min_bytes = 1 << 20;
  // How long to wait for "100 Continue" before sending the body anyway.
  std::chrono::milliseconds expect_continue_timeout{1'000};

  // Receive and send buffer sizes of curl (CURLOPT_BUFFERSIZE,
  // CURLOPT_UPLOAD_BUFFERSIZE; curl caps the latter at 2 MiB).
  size_t receive_buffer_bytes = 512 * 1024;
  size_t send_buffer_bytes = 512 * 1024;

  // PutObjectAuto: bodies larger than the threshold use multipart upload
  // with parts of part_size bytes (boto3's defaults: 8 MiB and 8 MiB).
  // part_size must be >= 5 MiB for real S3 (all parts but the last).
  uint64_t multipart_threshold = 8 * 1024 * 1024;
  uint64_t part_size = 8 * 1024 * 1024;

  std::string user_agent = "faasnet-s3client";
};

// Receives GET body bytes as they arrive (slices of at most
// Options::receive_buffer_bytes). Return false to stop the transfer (the
// call then fails with kCancelled).
using BodySink = std::function<bool(std::string_view chunk)>;

class Client {
 public:
  // Validates `options` (endpoint URL, sizes) and sets up the curl handle; no
  // connection is made yet. Errors: InvalidArgument naming the bad option;
  // Internal when curl cannot be initialised.
  static Result<Client> Create(Options options);

  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  const Options& options() const;

  // What the most recent call did (HTTP status, S3 error code, error class,
  // timings), whether it succeeded or not. For multi-request calls
  // (PutObjectMultipart) it covers the whole call.
  const RequestInfo& last_request() const;

  // ---- Buckets. Success: the exchange's RequestInfo.
  // PUT /bucket. A non-us-east-1 region sends a LocationConstraint.
  // Errors: 409 BucketAlreadyOwnedByYou / BucketAlreadyExists -> kAlreadyExists.
  Result<RequestInfo> CreateBucket(std::string_view bucket);
  // HEAD /bucket. Errors: 404 -> kNotFound, 403 -> kPermissionDenied.
  Result<RequestInfo> HeadBucket(std::string_view bucket);
  // GET /: the names of the caller's buckets.
  Result<std::vector<std::string>> ListBuckets();
  // DELETE /bucket. Errors: 409 BucketNotEmpty, 404 NoSuchBucket.
  Result<RequestInfo> DeleteBucket(std::string_view bucket);

  // ---- Objects.
  // PUT /bucket/key with `body` (borrowed for the call), in one request.
  Result<PutObjectResult> PutObject(std::string_view bucket, std::string_view key, std::string_view body,
                                    const PutOptions& options = {});
  // PutObject, or PutObjectMultipart when body.size() > multipart_threshold.
  Result<PutObjectResult> PutObjectAuto(std::string_view bucket, std::string_view key, std::string_view body,
                                        const PutOptions& options = {});
  // GET into the result's `body` (reserved to Content-Length up front).
  Result<GetObjectResult> GetObject(std::string_view bucket, std::string_view key, const GetOptions& options = {});
  // GET into `sink`; the result's body stays empty. A failed attempt is
  // retried only while the sink has received nothing (no duplicate bytes).
  Result<GetObjectResult> GetObject(std::string_view bucket, std::string_view key, const BodySink& sink,
                                    const GetOptions& options = {});
  // HEAD /bucket/key. Errors: 404 NotFound -> kNotFound.
  Result<HeadObjectResult> HeadObject(std::string_view bucket, std::string_view key);
  // DELETE /bucket/key (S3 answers 204 also for a missing key).
  Result<RequestInfo> DeleteObject(std::string_view bucket, std::string_view key);
  // One page of GET /bucket?list-type=2 (encoding-type=url; keys come back
  // decoded). Follow next_continuation_token while is_truncated.
  Result<ListObjectsResult> ListObjectsV2(std::string_view bucket, const ListOptions& options = {});
  // Every object under `prefix`, following continuation tokens.
  Result<std::vector<ObjectSummary>> ListAllObjects(std::string_view bucket, std::string_view prefix);

  // ---- Multipart upload.
  Result<CreateMultipartUploadResult> CreateMultipartUpload(std::string_view bucket, std::string_view key,
                                                            const PutOptions& options = {});
  // Part numbers are 1..10000.
  Result<UploadPartResult> UploadPart(std::string_view bucket, std::string_view key, std::string_view upload_id,
                                      int part_number, std::string_view body);
  // Parts in ascending part-number order. A 200 whose body is an <Error> is
  // a failure (and retried when it is InternalError/SlowDown).
  Result<PutObjectResult> CompleteMultipartUpload(std::string_view bucket, std::string_view key,
                                                  std::string_view upload_id, std::span<const s3::CompletedPart> parts);
  Result<RequestInfo> AbortMultipartUpload(std::string_view bucket, std::string_view key, std::string_view upload_id);
  // Create, upload `body` in parts of options().part_size (sequentially, on
  // this client's connection), Complete; on any failure Abort (best effort)
  // and return the first error. The result's timings span the whole upload.
  Result<PutObjectResult> PutObjectMultipart(std::string_view bucket, std::string_view key, std::string_view body,
                                             const PutOptions& options = {});

 private:
  class Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace faasnet::s3client

#endif  // FAASNET_S3CLIENT_CLIENT_H_
