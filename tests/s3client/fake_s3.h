// An in-memory S3 for the client's and the data set's integration tests,
// served by LoopbackServer: buckets, objects with metadata, ranges,
// ListObjectsV2 (prefix, delimiter, max-keys, continuation, encoding-type=url)
// and multipart upload. Every request must carry a valid SigV4 signature
// (checked with s3::VerifyRequest, and a hex x-amz-content-sha256 against
// the body); failures answer 403 as S3 does and are counted.
//
// Fault injection: `set_fault` installs a function that sees each request
// first and may answer it instead (503 SlowDown, a dropped connection, ...).
//
// Ownership: owns the stored objects. Thread-safety: Handle and the
// accessors are safe to call concurrently; set_fault only while no request
// is in flight.
#ifndef FAASNET_TESTS_S3CLIENT_FAKE_S3_H_
#define FAASNET_TESTS_S3CLIENT_FAKE_S3_H_

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "loopback_server.h"
#include "s3/sigv4.h"

namespace faasnet::s3client::testing {

inline constexpr char kTestAccessKey[] = "AKIDEXAMPLE";
inline constexpr char kTestSecretKey[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

class FakeS3 {
 public:
  using Fault = std::function<std::optional<HttpResponse>(const HttpRequest&)>;

  explicit FakeS3(s3::Credentials credentials = {kTestAccessKey, kTestSecretKey, ""});

  HttpResponse Handle(const HttpRequest& request);
  // A handler for LoopbackServer::Start bound to this object.
  LoopbackServer::Handler handler() {
    return [this](const HttpRequest& r) { return Handle(r); };
  }

  void set_fault(Fault fault) { fault_ = std::move(fault); }

  // The stored bytes of bucket/key, or nullopt.
  std::optional<std::string> Object(const std::string& bucket, const std::string& key) const;
  int auth_failures() const;
  int aborted_uploads() const;
  int puts() const;  // successful PutObject + CompleteMultipartUpload

 private:
  struct Obj {
    std::string data;
    std::string content_type;
    std::vector<std::pair<std::string, std::string>> meta;  // full header names
    std::string etag;                                       // quoted
  };
  struct Upload {
    std::string bucket, key;
    Obj proto;
    std::map<int, std::string> parts;
  };

  HttpResponse HandleLocked(const HttpRequest& r, const std::string& bucket, const std::string& key,
                            const std::map<std::string, std::string>& query);

  s3::Credentials credentials_;
  Fault fault_;
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, Obj>> buckets_;  // guarded by mu_
  std::map<std::string, Upload> uploads_;                      // guarded by mu_
  int next_upload_ = 1;
  int auth_failures_ = 0;
  int aborted_ = 0;
  int puts_ = 0;
};

// An S3 error response with the standard XML body.
HttpResponse ErrorResponse(const s3::S3Error& error, const std::string& resource = "/");

}  // namespace faasnet::s3client::testing

#endif  // FAASNET_TESTS_S3CLIENT_FAKE_S3_H_
