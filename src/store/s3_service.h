// The S3 API on top of the ObjectStore: routes each HTTP exchange to an
// operation, authenticates it with SigV4 (headers or presigned URL), streams
// bodies through the digests S3 promises (Content-MD5, x-amz-checksum-*,
// x-amz-content-sha256, aws-chunked signatures) into the store, and answers
// with S3's XML, headers and errors. Also: cloud-like behaviour (behavior.h),
// Prometheus metrics at GET /metrics, one access-log line per request.
//
// Addressing is path-style (http://host:port/bucket/key), which is what
// awscli and boto3 use for an --endpoint-url that is an IP address.
//
// Ownership: borrows the ObjectStore (must outlive the service). Thread-safety:
// Handle() runs concurrently for many exchanges.
#ifndef FAASNET_STORE_S3_SERVICE_H_
#define FAASNET_STORE_S3_SERVICE_H_

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <boost/asio/thread_pool.hpp>

#include "http/server.h"
#include "s3/sigv4.h"
#include "store/behavior.h"
#include "store/metrics.h"
#include "store/object_store.h"

namespace faasnet::store {

struct S3ServiceOptions {
  std::string region = "us-east-1";   // reported by GetBucketLocation / HeadBucket
  bool allow_anonymous = false;       // anonymous requests act as owner "" (all buckets)
  EtagMode etag_mode = EtagMode::kFast;
  BehaviorConfig behavior;
  std::FILE* access_log = nullptr;    // one line per request; nullptr: none
  size_t body_buffer_bytes = 256 * 1024;
  size_t max_xml_body_bytes = 4 << 20;
  // Threads for blocking file work (fsync and rename at commit, copies, deletes), so that a
  // connection's event loop keeps serving its other connections meanwhile.
  int file_threads = 2;
};

class S3Service {
 public:
  // `secrets` maps an access key id to its secret (nullopt: unknown key).
  S3Service(ObjectStore* store, s3::SecretLookup secrets, S3ServiceOptions options);
  ~S3Service();

  // The http::Handler.
  boost::asio::awaitable<void> Handle(http::Exchange& ex);
  http::Handler AsHandler() {
    return [this](http::Exchange& ex) { return Handle(ex); };
  }

  const Metrics& metrics() const { return metrics_; }

 private:
  struct Call;  // one request's state (s3_service.cc)

  boost::asio::awaitable<void> Dispatch(Call& c);
  boost::asio::awaitable<void> SendError(Call& c, const s3::S3Error& e);
  boost::asio::awaitable<void> SendXml(Call& c, int status, std::string xml);
  RateLimiter* LimiterFor(const std::string& bucket, const Behavior& b);

  // Operations.
  boost::asio::awaitable<void> ListBuckets(Call& c);
  boost::asio::awaitable<void> CreateBucket(Call& c);
  boost::asio::awaitable<void> HeadBucket(Call& c);
  boost::asio::awaitable<void> DeleteBucket(Call& c);
  boost::asio::awaitable<void> GetBucketLocation(Call& c);
  boost::asio::awaitable<void> ListObjects(Call& c, bool v2);
  boost::asio::awaitable<void> PutObject(Call& c);
  boost::asio::awaitable<void> CopyObject(Call& c);
  boost::asio::awaitable<void> GetObject(Call& c, bool head);
  boost::asio::awaitable<void> DeleteObject(Call& c);
  boost::asio::awaitable<void> DeleteObjects(Call& c);
  boost::asio::awaitable<void> CreateMultipartUpload(Call& c);
  boost::asio::awaitable<void> UploadPart(Call& c);
  boost::asio::awaitable<void> CompleteMultipartUpload(Call& c);
  boost::asio::awaitable<void> AbortMultipartUpload(Call& c);
  boost::asio::awaitable<void> ListParts(Call& c);
  boost::asio::awaitable<void> ListMultipartUploads(Call& c);

  // Streams the request body into `file`, verifying every digest the request
  // claims; fills `meta->etag` and `meta->checksums`.
  boost::asio::awaitable<s3::S3Error> ReceiveBody(Call& c, PendingFile* file, ObjectMeta* meta);
  // Reads a small body (XML) into memory, up to options_.max_xml_body_bytes.
  boost::asio::awaitable<s3::S3Result<std::string>> ReadSmallBody(Call& c);

  // Runs `work` (blocking file work) on file_pool_; the caller resumes on its own loop.
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F&>> OnFilePool(F work);

  ObjectStore* store_;
  s3::SecretLookup secrets_;
  S3ServiceOptions options_;
  Metrics metrics_;
  std::mutex limiter_mu_;
  std::map<std::string, std::unique_ptr<RateLimiter>> limiters_;  // guarded by limiter_mu_
  std::mutex log_mu_;
  std::unique_ptr<boost::asio::thread_pool> file_pool_;
};

}  // namespace faasnet::store

#endif  // FAASNET_STORE_S3_SERVICE_H_
