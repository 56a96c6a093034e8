#include "store/s3_service.h"

#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <random>

#include "base/log.h"
#include "base/strings.h"
#include "s3/checksum.h"
#include "s3/chunked.h"
#include "s3/conditional.h"
#include "s3/names.h"
#include "s3/range.h"
#include "s3/xml.h"

namespace faasnet::store {

using boost::asio::awaitable;
using s3::S3Error;
using s3::S3Result;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kXmlType = "application/xml";
// Headers stored with an object and returned on GET/HEAD.
constexpr std::string_view kStoredHeaders[] = {"Content-Encoding", "Content-Disposition", "Cache-Control",
                                               "Content-Language", "Expires"};

std::string NewRequestId() {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t base = [] {
    uint64_t b = 0;
    RAND_bytes(reinterpret_cast<unsigned char*>(&b), sizeof b);
    return b;
  }();
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llX", static_cast<unsigned long long>(base + counter.fetch_add(1)));
  return buf;
}

std::string Quote(const std::string& etag) { return "\"" + etag + "\""; }

s3::TimePoint FromMs(int64_t ms) { return s3::TimePoint(std::chrono::milliseconds(ms)); }

// x-amz-meta-*, Content-Type and the other stored headers of a request.
void ReadObjectHeaders(const http::Request& req, ObjectMeta* meta) {
  for (const auto& [name, value] : req.headers) {
    if (name.size() > 11 && EqualsIgnoreCase(std::string_view(name).substr(0, 11), "x-amz-meta-")) {
      meta->user_metadata.emplace_back(ToLower(std::string_view(name).substr(11)), value);
    } else if (EqualsIgnoreCase(name, "Content-Type")) {
      meta->content_type = value;
    } else {
      for (auto stored : kStoredHeaders) {
        if (EqualsIgnoreCase(name, stored)) {
          // aws-chunked is a transfer detail, not the object's encoding.
          if (stored == "Content-Encoding") {
            std::string kept;
            for (auto part : Split(value, ',')) {
              auto p = Trim(part);
              if (p.empty() || EqualsIgnoreCase(p, "aws-chunked")) continue;
              if (!kept.empty()) kept += ",";
              kept += p;
            }
            if (!kept.empty()) meta->headers.emplace_back(std::string(stored), kept);
          } else {
            meta->headers.emplace_back(std::string(stored), value);
          }
        }
      }
    }
  }
}

}  // namespace

// One request's state.
struct S3Service::Call {
  http::Exchange& ex;
  const http::Request& req;
  std::string request_id = NewRequestId();
  Clock::time_point start = Clock::now();
  std::string operation = "Unknown";
  std::string bucket;
  std::string key;
  std::map<std::string, std::string> query;  // decoded
  std::vector<s3::HeaderPair> header_view;
  s3::VerifiedRequest auth;
  std::string owner;  // access key id; "" when anonymous is allowed
  int status = 0;
  std::string error_code;
  const Behavior* behavior = nullptr;

  explicit Call(http::Exchange& e) : ex(e), req(e.request()) {
    header_view.reserve(req.headers.size());
    for (const auto& [n, v] : req.headers) header_view.emplace_back(n, v);
  }
  bool Has(const std::string& q) const { return query.count(q) > 0; }
  std::string Q(const std::string& q) const {
    auto it = query.find(q);
    return it == query.end() ? std::string() : it->second;
  }
  std::optional<std::string_view> H(std::string_view name) const { return req.Header(name); }
  // The request's resource for error documents; percent-encoded when the
  // decoded form is not printable UTF-8 (a hostile key must not break the XML).
  std::string Resource() const {
    std::string r = bucket.empty() ? "/" : (key.empty() ? "/" + bucket : "/" + bucket + "/" + key);
    bool printable = IsValidUtf8(r) && std::none_of(r.begin(), r.end(), [](char ch) {
      return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f;
    });
    return printable ? r : UriEncode(r, true);
  }
  http::Response Base(int code) const {
    http::Response r;
    r.status = code;
    r.Set("x-amz-request-id", request_id);
    r.Set("x-amz-id-2", Base64Encode(request_id + "faasnet"));
    r.Set("Date", s3::FormatHttpDate(std::chrono::system_clock::now()));
    r.Set("Server", "faasnet");
    return r;
  }
};

S3Service::S3Service(ObjectStore* store, s3::SecretLookup secrets, S3ServiceOptions options)
    : store_(store),
      secrets_(std::move(secrets)),
      options_(std::move(options)),
      file_pool_(std::make_unique<boost::asio::thread_pool>(std::max(1, options_.file_threads))) {}

S3Service::~S3Service() { file_pool_->join(); }

template <class F>
awaitable<std::invoke_result_t<F&>> S3Service::OnFilePool(F work) {
  using R = std::invoke_result_t<F&>;
  // co_spawn hands its result over default-constructed first: carry it in an optional.
  std::optional<R> r = co_await boost::asio::co_spawn(
      file_pool_->get_executor(), [&work]() -> awaitable<std::optional<R>> { co_return work(); },
      boost::asio::use_awaitable);
  co_return std::move(*r);
}

RateLimiter* S3Service::LimiterFor(const std::string& bucket, const Behavior& b) {
  if (b.request_rate_per_s <= 0) return nullptr;
  std::string id = options_.behavior.buckets.count(bucket) ? bucket : std::string();
  std::lock_guard<std::mutex> lock(limiter_mu_);
  auto& l = limiters_[id];
  if (!l) l = std::make_unique<RateLimiter>(b.request_rate_per_s, b.request_burst);
  return l.get();
}

awaitable<void> S3Service::Handle(http::Exchange& ex) {
  Call c(ex);
  bool failed = false;
  try {
    co_await Dispatch(c);
  } catch (const std::exception& e) {
    spdlog::error("s3: {} {}: {}", c.req.method, c.req.target, e.what());
    failed = true;
  }
  if (failed && !ex.responded()) co_await SendError(c, S3Error::InternalError());
  double seconds = std::chrono::duration<double>(Clock::now() - c.start).count();
  metrics_.Record(c.operation, c.status, ex.body_bytes_received(), ex.bytes_sent(), seconds);
  if (options_.access_log) {
    std::string line = fmt::format("{} {} {} {} {} {} {} {} in={} out={} {:.3f}ms\n",
                                   s3::FormatIso8601(std::chrono::system_clock::now()), c.req.remote, c.request_id,
                                   c.auth.access_key_id.empty() ? "-" : c.auth.access_key_id, c.operation,
                                   c.Resource(), c.status, c.error_code.empty() ? "-" : c.error_code,
                                   ex.body_bytes_received(), ex.bytes_sent(), seconds * 1e3);
    std::lock_guard<std::mutex> lock(log_mu_);
    std::fputs(line.c_str(), options_.access_log);
    std::fflush(options_.access_log);
  }
}

awaitable<void> S3Service::SendError(Call& c, const S3Error& e) {
  c.status = e.http_status;
  c.error_code = e.code;
  http::Response r = c.Base(e.http_status);
  if (e.code == "NotModified") {
    co_await c.ex.Respond(std::move(r));
    co_return;
  }
  r.Set("Content-Type", std::string(kXmlType));
  r.body = s3::ErrorXml(e, c.Resource(), c.request_id);
  if (c.req.method == "HEAD") {
    // HEAD errors carry no body; S3 sends the code in headers only.
    r.content_length = 0;
    r.body.clear();
  }
  co_await c.ex.Respond(std::move(r));
}

awaitable<void> S3Service::SendXml(Call& c, int status, std::string xml) {
  c.status = status;
  http::Response r = c.Base(status);
  r.Set("Content-Type", std::string(kXmlType));
  r.body = std::move(xml);
  co_await c.ex.Respond(std::move(r));
}

awaitable<void> S3Service::Dispatch(Call& c) {
  const auto& req = c.req;
  std::string_view path = req.RawPath();
  // Prometheus scrape: only unauthenticated, so a signed GET /metrics stays a bucket listing.
  if (req.method == "GET" && path == "/metrics" && !req.Header("Authorization") &&
      req.RawQuery().find("X-Amz-Signature") == std::string_view::npos) {
    c.operation = "Metrics";
    c.status = 200;
    http::Response r = c.Base(200);
    r.Set("Content-Type", "text/plain; version=0.0.4");
    r.body = metrics_.Render();
    r.body += "# HELP faasnet_store_spare_files Files of replaced or deleted objects kept to be overwritten in place.\n";
    r.body += "# TYPE faasnet_store_spare_files gauge\n";
    r.body += "faasnet_store_spare_files " + std::to_string(store_->spare_count()) + "\n";
    co_await c.ex.Respond(std::move(r));
    co_return;
  }
  if (path.empty() || path.front() != '/') co_return co_await SendError(c, S3Error::InvalidURI());
  // Path-style: /bucket/key. The key is everything after the bucket's slash.
  std::string_view rest = path.substr(1);
  size_t slash = rest.find('/');
  auto bucket = UriDecode(rest.substr(0, slash));
  auto key = slash == std::string_view::npos ? std::optional<std::string>("") : UriDecode(rest.substr(slash + 1));
  if (!bucket || !key) co_return co_await SendError(c, S3Error::InvalidURI("Couldn't parse the specified URI."));
  c.bucket = std::move(*bucket);
  c.key = std::move(*key);
  for (auto [n, v] : http::SplitQuery(req.RawQuery())) {
    auto dn = UriDecode(n, true);
    auto dv = UriDecode(v, true);
    if (!dn || !dv) co_return co_await SendError(c, S3Error::InvalidURI("Couldn't parse the specified URI."));
    c.query.emplace(std::move(*dn), std::move(*dv));
  }

  // Authentication.
  s3::RequestView view{req.method, path, req.RawQuery(), c.header_view};
  auto verified = s3::VerifyRequest(view, secrets_, std::chrono::system_clock::now());
  if (!verified.ok()) co_return co_await SendError(c, verified.error());
  c.auth = std::move(*verified);
  if (c.auth.kind == s3::AuthKind::kAnonymous && !options_.allow_anonymous) {
    co_return co_await SendError(c, S3Error::AccessDenied("Anonymous access is refused; sign the request."));
  }
  c.owner = c.auth.access_key_id;

  // Cloud-like behaviour.
  c.behavior = &options_.behavior.For(c.bucket);
  if (RateLimiter* l = LimiterFor(c.bucket, *c.behavior); l && !l->TryAcquire()) {
    co_return co_await SendError(c, S3Error::SlowDown());
  }
  if (c.behavior->connection_rate_bytes_per_s) c.ex.SetRateLimit(c.behavior->connection_rate_bytes_per_s);

  const std::string& m = req.method;
  // A bucket name S3 could never have: refused for writes, NoSuchBucket for reads.
  if (!c.bucket.empty() && (m == "PUT" || m == "POST")) {
    if (S3Error bad = s3::ValidateBucketName(c.bucket); !bad.ok()) co_return co_await SendError(c, bad);
  }
  if (c.bucket.empty()) {
    if (m == "GET") co_return co_await ListBuckets(c);
    co_return co_await SendError(c, S3Error::MethodNotAllowed());
  }
  if (c.key.empty()) {
    if (m == "PUT" && c.query.empty()) co_return co_await CreateBucket(c);
    if (m == "HEAD") co_return co_await HeadBucket(c);
    if (m == "DELETE" && c.query.empty()) co_return co_await DeleteBucket(c);
    if (m == "GET" && c.Has("location")) co_return co_await GetBucketLocation(c);
    if (m == "GET" && c.Has("uploads")) co_return co_await ListMultipartUploads(c);
    if (m == "GET" && c.Q("list-type") == "2") co_return co_await ListObjects(c, true);
    if (m == "POST" && c.Has("delete")) co_return co_await DeleteObjects(c);
    if (m == "GET") {
      for (const auto& [q, v] : c.query) {
        if (q != "prefix" && q != "delimiter" && q != "marker" && q != "max-keys" && q != "encoding-type" &&
            q != "list-type") {
          c.operation = "Bucket:" + q;
          co_return co_await SendError(c, S3Error::NotImplemented("faasnet's store does not implement ?" + q));
        }
      }
      co_return co_await ListObjects(c, false);
    }
    co_return co_await SendError(c, S3Error::MethodNotAllowed());
  }
  S3Error bad_key = s3::ValidateObjectKey(c.key);
  if (!bad_key.ok()) co_return co_await SendError(c, bad_key);
  if (m == "PUT") {
    if (c.Has("partNumber") && c.Has("uploadId")) co_return co_await UploadPart(c);
    if (c.H("x-amz-copy-source")) co_return co_await CopyObject(c);
    for (const auto& [q, v] : c.query) {
      if (q.rfind("X-Amz-", 0) != 0 && q != "x-id") {
        c.operation = "Object:" + q;
        co_return co_await SendError(c, S3Error::NotImplemented("faasnet's store does not implement ?" + q));
      }
    }
    co_return co_await PutObject(c);
  }
  if (m == "GET" && c.Has("uploadId")) co_return co_await ListParts(c);
  if (m == "GET" || m == "HEAD") co_return co_await GetObject(c, m == "HEAD");
  if (m == "DELETE" && c.Has("uploadId")) co_return co_await AbortMultipartUpload(c);
  if (m == "DELETE") co_return co_await DeleteObject(c);
  if (m == "POST" && c.Has("uploads")) co_return co_await CreateMultipartUpload(c);
  if (m == "POST" && c.Has("uploadId")) co_return co_await CompleteMultipartUpload(c);
  co_return co_await SendError(c, S3Error::MethodNotAllowed());
}

// ---------------------------------------------------------------- buckets

awaitable<void> S3Service::ListBuckets(Call& c) {
  c.operation = "ListBuckets";
  s3::XmlWriter w;
  w.Open("ListAllMyBucketsResult", true);
  w.Open("Owner").Element("ID", c.owner).Element("DisplayName", c.owner).Close();
  w.Open("Buckets");
  for (const auto& b : store_->ListBuckets(c.owner)) {
    w.Open("Bucket").Element("Name", b.name).Element("CreationDate", s3::FormatIso8601(FromMs(b.created_ms))).Close();
  }
  w.Close();
  w.Close();
  co_await SendXml(c, 200, w.Finish());
}

awaitable<void> S3Service::CreateBucket(Call& c) {
  c.operation = "CreateBucket";
  auto body = co_await ReadSmallBody(c);
  if (!body.ok()) co_return co_await SendError(c, body.error());
  auto location = s3::ParseCreateBucketConfiguration(*body);
  if (!location.ok()) co_return co_await SendError(c, location.error());
  S3Error e = store_->CreateBucket(c.bucket, c.owner, *location);
  // us-east-1 semantics: re-creating your own bucket succeeds.
  if (!e.ok() && e.code != "BucketAlreadyOwnedByYou") co_return co_await SendError(c, e);
  c.status = 200;
  http::Response r = c.Base(200);
  r.Set("Location", "/" + c.bucket);
  co_await c.ex.Respond(std::move(r));
}

awaitable<void> S3Service::HeadBucket(Call& c) {
  c.operation = "HeadBucket";
  auto b = store_->GetBucket(c.bucket, c.owner);
  if (!b.ok()) co_return co_await SendError(c, b.error());
  c.status = 200;
  http::Response r = c.Base(200);
  r.Set("x-amz-bucket-region", b->location.empty() ? options_.region : b->location);
  co_await c.ex.Respond(std::move(r));
}

awaitable<void> S3Service::DeleteBucket(Call& c) {
  c.operation = "DeleteBucket";
  S3Error e = store_->DeleteBucket(c.bucket, c.owner);
  if (!e.ok()) co_return co_await SendError(c, e);
  c.status = 204;
  co_await c.ex.Respond(c.Base(204));
}

awaitable<void> S3Service::GetBucketLocation(Call& c) {
  c.operation = "GetBucketLocation";
  auto b = store_->GetBucket(c.bucket, c.owner);
  if (!b.ok()) co_return co_await SendError(c, b.error());
  co_await SendXml(c, 200,
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"" +
                       std::string(s3::kS3XmlNamespace) + "\">" + s3::XmlEscape(b->location) + "</LocationConstraint>");
}

awaitable<void> S3Service::ListObjects(Call& c, bool v2) {
  c.operation = v2 ? "ListObjectsV2" : "ListObjects";
  ListQuery q;
  q.prefix = c.Q("prefix");
  q.delimiter = c.Q("delimiter");
  if (c.Has("max-keys")) {
    std::string v = c.Q("max-keys");
    char* end = nullptr;
    long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || n < 0) {
      co_return co_await SendError(c, S3Error::InvalidArgument("Provided max-keys not an integer or within integer range"));
    }
    q.max_keys = static_cast<int>(std::min<long>(n, 1000));
  }
  bool url = c.Q("encoding-type") == "url";
  if (c.Has("encoding-type") && !url) {
    co_return co_await SendError(c, S3Error::InvalidArgument("Invalid Encoding Method specified in Request"));
  }
  std::string token;
  if (v2) {
    if (c.Has("continuation-token")) {
      auto decoded = Base64Decode(c.Q("continuation-token"));
      if (!decoded || decoded->empty() || (*decoded)[0] != 'k') {
        co_return co_await SendError(c, S3Error::InvalidArgument("The continuation token provided is incorrect"));
      }
      q.start_after = decoded->substr(1);
    } else {
      q.start_after = c.Q("start-after");
    }
  } else {
    q.start_after = c.Q("marker");
  }
  auto list = store_->List(c.bucket, c.owner, q);
  if (!list.ok()) co_return co_await SendError(c, list.error());
  auto enc = [url](const std::string& s) { return url ? UriEncode(s, true) : s; };
  s3::XmlWriter w;
  w.Open("ListBucketResult", true);
  w.Element("Name", c.bucket).Element("Prefix", enc(q.prefix));
  if (v2) {
    if (c.Has("continuation-token")) w.Element("ContinuationToken", c.Q("continuation-token"));
    if (c.Has("start-after")) w.Element("StartAfter", enc(c.Q("start-after")));
    w.Element("KeyCount", static_cast<int64_t>(list->objects.size() + list->common_prefixes.size()));
  } else {
    w.Element("Marker", enc(q.start_after));
  }
  w.Element("MaxKeys", q.max_keys);
  if (!q.delimiter.empty()) w.Element("Delimiter", enc(q.delimiter));
  if (url) w.Element("EncodingType", "url");
  w.Element("IsTruncated", list->truncated);
  if (list->truncated) {
    if (v2) {
      w.Element("NextContinuationToken", Base64Encode("k" + list->next_marker));
    } else {
      w.Element("NextMarker", enc(list->next_marker));
    }
  }
  bool fetch_owner = !v2 || c.Q("fetch-owner") == "true";
  for (const auto& o : list->objects) {
    w.Open("Contents");
    w.Element("Key", enc(o.key))
        .Element("LastModified", s3::FormatIso8601(FromMs(o.last_modified_ms)))
        .Element("ETag", Quote(o.etag))
        .Element("Size", o.size);
    if (fetch_owner) w.Open("Owner").Element("ID", o.owner).Element("DisplayName", o.owner).Close();
    w.Element("StorageClass", "STANDARD");
    w.Close();
  }
  for (const auto& p : list->common_prefixes) w.Open("CommonPrefixes").Element("Prefix", enc(p)).Close();
  w.Close();
  co_await SendXml(c, 200, w.Finish());
}

// ---------------------------------------------------------------- bodies

awaitable<S3Result<std::string>> S3Service::ReadSmallBody(Call& c) {
  std::string body;
  if (c.req.content_length && *c.req.content_length > options_.max_xml_body_bytes) {
    c.ex.CloseAfterResponse();
    co_return S3Error::MaxMessageLengthExceeded();
  }
  char buf[16384];
  for (;;) {
    auto n = co_await c.ex.ReadBody(buf, sizeof buf);
    if (!n.ok()) co_return S3Error::IncompleteBody(n.status().message());
    if (*n == 0) break;
    body.append(buf, *n);
    if (body.size() > options_.max_xml_body_bytes) {
      c.ex.CloseAfterResponse();
      co_return S3Error::MaxMessageLengthExceeded();
    }
  }
  // Small bodies may be aws-chunked too (SDKs add trailing checksums everywhere).
  if (s3::IsStreaming(c.auth.payload_mode)) {
    std::string decoded;
    auto opts = s3::ChunkedOptionsFor(c.auth, c.header_view);
    if (!opts.ok()) co_return opts.error();
    s3::ChunkedDecoder dec(std::move(*opts));
    S3Error e = dec.Feed(body, [&](std::string_view s) { decoded.append(s); });
    if (e.ok()) e = dec.Finish();
    if (!e.ok()) co_return e;
    body = std::move(decoded);
  } else if (c.auth.payload_mode == s3::PayloadMode::kSha256 && ToLower(c.auth.payload_hash) != s3::Sha256Hex(body)) {
    co_return S3Error::XAmzContentSHA256Mismatch();
  }
  if (auto md5 = c.H("Content-MD5")) {
    auto want = Base64Decode(Trim(*md5));
    if (!want || want->size() != 16) co_return S3Error::InvalidDigest();
    if (*want != s3::Md5::Of(body)) co_return S3Error::BadDigest();
  }
  co_return body;
}

namespace {

// The digests one upload has to compute, chosen from what the request claims.
struct BodyDigests {
  s3::Md5 md5;
  s3::Xxh128 xxh;
  s3::Sha256 sha256;
  std::unique_ptr<s3::Hasher> checksum;
  bool use_md5 = false;
  bool use_sha256 = false;
  std::optional<s3::ChecksumAlgorithm> algorithm;
  std::string expected_md5;       // raw, from Content-MD5
  std::string expected_checksum;  // base64, from x-amz-checksum-* (header or trailer)

  void Update(const char* p, size_t n) {
    if (use_md5) {
      md5.Update(p, n);
    } else {
      xxh.Update(p, n);
    }
    if (use_sha256) sha256.Update(p, n);
    if (checksum) checksum->Update(p, n);
  }
};

}  // namespace

awaitable<S3Error> S3Service::ReceiveBody(Call& c, PendingFile* file, ObjectMeta* meta) {
  const auto& req = c.req;
  BodyDigests d;
  d.use_md5 = options_.etag_mode == EtagMode::kMd5;
  if (auto md5 = c.H("Content-MD5")) {
    auto raw = Base64Decode(Trim(*md5));
    if (!raw || raw->size() != 16) co_return S3Error::InvalidDigest();
    d.expected_md5 = *raw;
    d.use_md5 = true;
  }
  d.use_sha256 = c.auth.payload_mode == s3::PayloadMode::kSha256;
  // x-amz-checksum-<alg>: <value> in the head, or announced in x-amz-trailer.
  for (const auto& [name, value] : req.headers) {
    if (auto alg = s3::ChecksumAlgorithmFromHeader(name)) {
      d.algorithm = alg;
      d.expected_checksum = std::string(Trim(value));
    }
  }
  bool checksum_in_trailer = false;
  if (auto trailer = c.H("x-amz-trailer")) {
    if (auto alg = s3::ChecksumAlgorithmFromHeader(Trim(*trailer))) {
      d.algorithm = alg;
      checksum_in_trailer = true;
    }
  }
  if (!d.algorithm) {
    for (const char* h : {"x-amz-sdk-checksum-algorithm", "x-amz-checksum-algorithm"}) {
      if (auto v = c.H(h)) {
        d.algorithm = s3::ChecksumAlgorithmFromName(Trim(*v));
        if (!d.algorithm) co_return S3Error::InvalidRequest("Value for " + std::string(h) + " header is invalid.");
      }
    }
  }
  // A trailing checksum is computed and compared by the aws-chunked decoder.
  if (d.algorithm && !checksum_in_trailer) d.checksum = s3::MakeHasher(*d.algorithm);

  bool streaming = s3::IsStreaming(c.auth.payload_mode);
  std::optional<uint64_t> expected_size = req.content_length;
  if (streaming) {
    auto decoded = c.H("x-amz-decoded-content-length");
    expected_size.reset();
    if (decoded) {
      char* end = nullptr;
      std::string v(Trim(*decoded));
      uint64_t n = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end) co_return S3Error::InvalidArgument("x-amz-decoded-content-length is not a number");
      expected_size = n;
    }
  } else if (!req.content_length && !req.chunked) {
    c.ex.CloseAfterResponse();
    co_return S3Error::MissingContentLength();
  }
  if (expected_size && *expected_size > store_->options().max_object_bytes) {
    c.ex.CloseAfterResponse();
    co_return S3Error::EntityTooLarge();
  }

  std::optional<s3::ChunkedDecoder> decoder;
  if (streaming) {
    auto opts = s3::ChunkedOptionsFor(c.auth, c.header_view);
    if (!opts.ok()) co_return opts.error();
    decoder.emplace(std::move(*opts));
  }
  if (expected_size) file->Reserve(*expected_size);
  std::vector<char> buf(options_.body_buffer_bytes);
  uint64_t total = 0;
  S3Error sink_error;
  auto sink = [&](std::string_view s) {
    if (!sink_error.ok()) return;
    total += s.size();
    if (total > store_->options().max_object_bytes) {
      sink_error = S3Error::EntityTooLarge();
      return;
    }
    d.Update(s.data(), s.size());
    sink_error = file->Append(s.data(), s.size());
  };
  for (;;) {
    auto n = co_await c.ex.ReadBody(buf.data(), buf.size());
    if (!n.ok()) co_return S3Error::IncompleteBody(n.status().message());
    if (*n == 0) break;
    if (decoder) {
      S3Error e = decoder->Feed(std::string_view(buf.data(), *n), sink);
      if (!e.ok()) {
        c.ex.CloseAfterResponse();
        co_return e;
      }
    } else {
      sink(std::string_view(buf.data(), *n));
    }
    if (!sink_error.ok()) {
      c.ex.CloseAfterResponse();
      co_return sink_error;
    }
  }
  if (decoder) {
    S3Error e = decoder->Finish();
    if (!e.ok()) co_return e;
    if (checksum_in_trailer && d.algorithm && !decoder->computed_checksum().empty()) {
      meta->checksums[std::string(s3::ChecksumAlgorithmName(*d.algorithm))] =
          Base64Encode(decoder->computed_checksum());
    }
  }
  if (expected_size && total != *expected_size) {
    co_return S3Error::IncompleteBody("You did not provide the number of bytes specified by the Content-Length "
                                      "HTTP header (" + std::to_string(total) + " of " +
                                      std::to_string(*expected_size) + ")");
  }
  if (d.use_sha256 && HexEncode(d.sha256.Final()) != ToLower(c.auth.payload_hash)) {
    co_return S3Error::XAmzContentSHA256Mismatch();
  }
  std::string etag_raw = d.use_md5 ? d.md5.Final() : d.xxh.Final();
  if (!d.expected_md5.empty() && etag_raw != d.expected_md5) co_return S3Error::BadDigest();
  if (d.checksum) {
    std::string got = Base64Encode(d.checksum->Final());
    std::string name(s3::ChecksumAlgorithmName(*d.algorithm));
    if (!d.expected_checksum.empty() && got != d.expected_checksum) {
      co_return S3Error::BadDigest("Value for " + std::string(s3::ChecksumHeaderName(*d.algorithm)) +
                                   " header is invalid.");
    }
    meta->checksums[name] = got;
  }
  meta->etag = HexEncode(etag_raw);
  co_return S3Error();
}

// ---------------------------------------------------------------- objects

awaitable<void> S3Service::PutObject(Call& c) {
  c.operation = "PutObject";
  // If-None-Match: * (conditional create) is checked before and is cheap.
  if (auto inm = c.H("If-None-Match"); inm && Trim(*inm) == "*") {
    if (store_->Stat(c.bucket, c.key, c.owner).ok()) co_return co_await SendError(c, S3Error::PreconditionFailed());
  }
  auto file = store_->BeginWrite(c.bucket, c.owner);
  if (!file.ok()) co_return co_await SendError(c, file.error());
  ObjectMeta meta;
  meta.key = c.key;
  meta.owner = c.owner;
  ReadObjectHeaders(c.req, &meta);
  S3Error e = co_await ReceiveBody(c, file->get(), &meta);
  if (!e.ok()) co_return co_await SendError(c, e);
  auto stored = co_await OnFilePool(
      [&] { return store_->CommitObject(c.bucket, std::move(*file), std::move(meta)); });
  if (!stored.ok()) co_return co_await SendError(c, stored.error());
  c.status = 200;
  http::Response r = c.Base(200);
  r.Set("ETag", Quote(stored->etag));
  for (const auto& [alg, v] : stored->checksums) {
    if (auto a = s3::ChecksumAlgorithmFromName(alg)) r.Set(std::string(s3::ChecksumHeaderName(*a)), v);
  }
  co_await c.ex.Respond(std::move(r));
}

awaitable<void> S3Service::CopyObject(Call& c) {
  c.operation = "CopyObject";
  std::string_view source = Trim(*c.H("x-amz-copy-source"));
  source = source.substr(0, source.find('?'));  // ?versionId=: one version only here
  auto decoded = UriDecode(source);
  if (!decoded) co_return co_await SendError(c, S3Error::InvalidArgument("Invalid copy source encoding"));
  std::string src = *decoded;
  if (!src.empty() && src.front() == '/') src.erase(0, 1);
  size_t slash = src.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == src.size()) {
    co_return co_await SendError(c, S3Error::InvalidArgument("Copy Source must mention the source bucket and key: "
                                                             "sourcebucket/sourcekey"));
  }
  std::string src_bucket = src.substr(0, slash);
  std::string src_key = src.substr(slash + 1);
  auto src_meta = store_->Stat(src_bucket, src_key, c.owner);
  if (!src_meta.ok()) co_return co_await SendError(c, src_meta.error());
  S3Error pre = s3::EvaluateCopySourcePreconditions(s3::ReadCopySourcePreconditions(c.header_view), src_meta->etag,
                                                    FromMs(src_meta->last_modified_ms));
  if (!pre.ok()) co_return co_await SendError(c, pre);
  std::string directive = std::string(c.H("x-amz-metadata-directive").value_or("COPY"));
  if (directive != "COPY" && directive != "REPLACE") {
    co_return co_await SendError(c, S3Error::InvalidArgument("Unknown metadata directive."));
  }
  bool replace = directive == "REPLACE";
  if (src_bucket == c.bucket && src_key == c.key && !replace) {
    co_return co_await SendError(
        c, S3Error::InvalidRequest("This copy request is illegal because it is trying to copy an object to itself "
                                   "without changing the object's metadata, storage class, website redirect "
                                   "location or encryption attributes."));
  }
  ObjectMeta meta;
  meta.key = c.key;
  if (replace) ReadObjectHeaders(c.req, &meta);
  auto stored = co_await OnFilePool(
      [&] { return store_->CopyObject(src_bucket, src_key, c.bucket, std::move(meta), replace, c.owner); });
  if (!stored.ok()) co_return co_await SendError(c, stored.error());
  s3::XmlWriter w;
  w.Open("CopyObjectResult", true)
      .Element("LastModified", s3::FormatIso8601(FromMs(stored->last_modified_ms)))
      .Element("ETag", Quote(stored->etag))
      .Close();
  co_await SendXml(c, 200, w.Finish());
}

awaitable<void> S3Service::GetObject(Call& c, bool head) {
  c.operation = head ? "HeadObject" : "GetObject";
  auto obj = store_->OpenForRead(c.bucket, c.key, c.owner);
  if (!obj.ok()) co_return co_await SendError(c, obj.error());
  const ObjectMeta& m = obj->meta;
  auto last_modified = FromMs(m.last_modified_ms);
  S3Error pre = s3::EvaluatePreconditions(s3::ReadPreconditions(c.header_view), m.etag, last_modified, true);
  if (!pre.ok()) {
    if (pre.code == "NotModified") {
      c.status = 304;
      c.error_code = "NotModified";
      http::Response r = c.Base(304);
      r.Set("ETag", Quote(m.etag));
      r.Set("Last-Modified", s3::FormatHttpDate(last_modified));
      co_await c.ex.Respond(std::move(r));
      co_return;
    }
    co_return co_await SendError(c, pre);
  }
  std::optional<s3::ByteRange> range;
  if (auto rh = c.H("Range")) {
    auto parsed = s3::ParseRange(*rh, m.size);
    if (!parsed.ok()) {
      S3Error e = parsed.error();
      c.status = e.http_status;
      c.error_code = e.code;
      http::Response r = c.Base(e.http_status);
      r.Set("Content-Range", "bytes */" + std::to_string(m.size));
      r.Set("Content-Type", std::string(kXmlType));
      r.body = s3::ErrorXml(e, c.Resource(), c.request_id);
      co_await c.ex.Respond(std::move(r));
      co_return;
    }
    range = *parsed;
  }
  int status = range ? 206 : 200;
  http::Response r = c.Base(status);
  r.Set("Last-Modified", s3::FormatHttpDate(last_modified));
  r.Set("ETag", Quote(m.etag));
  r.Set("Accept-Ranges", "bytes");
  if (range) r.Set("Content-Range", range->ContentRange(m.size));
  // response-* overrides (signed requests only, as in S3).
  auto override_or = [&](const char* param, std::string_view header, const std::string& stored) {
    if (c.auth.kind != s3::AuthKind::kAnonymous && c.Has(param)) {
      r.Set(std::string(header), c.Q(param));
    } else if (!stored.empty()) {
      r.Set(std::string(header), stored);
    }
  };
  override_or("response-content-type", "Content-Type", m.content_type.empty() ? "binary/octet-stream" : m.content_type);
  for (auto h : kStoredHeaders) {
    std::string stored;
    for (const auto& [n, v] : m.headers) {
      if (n == h) stored = v;
    }
    std::string param = "response-" + ToLower(h);
    override_or(param.c_str(), h, stored);
  }
  for (const auto& [n, v] : m.user_metadata) r.Set("x-amz-meta-" + n, v);
  if (m.parts) r.Set("x-amz-mp-parts-count", std::to_string(m.parts));
  if (!range && EqualsIgnoreCase(c.H("x-amz-checksum-mode").value_or(""), "ENABLED")) {
    for (const auto& [alg, v] : m.checksums) {
      if (auto a = s3::ChecksumAlgorithmFromName(alg)) r.Set(std::string(s3::ChecksumHeaderName(*a)), v);
    }
  }
  if (c.behavior && c.behavior->first_byte_latency.kind != LatencySpec::Kind::kNone && !head) {
    thread_local std::mt19937_64 rng(std::random_device{}());
    co_await c.ex.Sleep(c.behavior->first_byte_latency.Sample(rng));
  }
  c.status = status;
  uint64_t first = range ? range->first : 0;
  uint64_t length = range ? range->length() : m.size;
  Status st = co_await c.ex.RespondFile(std::move(r), obj->fd.get(), first, length);
  if (!st.ok()) spdlog::debug("s3: GetObject {}: {}", c.Resource(), st.ToString());
}

awaitable<void> S3Service::DeleteObject(Call& c) {
  c.operation = "DeleteObject";
  S3Error e = co_await OnFilePool([&] { return store_->DeleteObject(c.bucket, c.key, c.owner); });
  if (!e.ok()) co_return co_await SendError(c, e);
  c.status = 204;
  co_await c.ex.Respond(c.Base(204));
}

awaitable<void> S3Service::DeleteObjects(Call& c) {
  c.operation = "DeleteObjects";
  auto body = co_await ReadSmallBody(c);
  if (!body.ok()) co_return co_await SendError(c, body.error());
  auto parsed = s3::ParseDeleteObjects(*body);
  if (!parsed.ok()) co_return co_await SendError(c, parsed.error());
  if (auto b = store_->GetBucket(c.bucket, c.owner); !b.ok()) co_return co_await SendError(c, b.error());
  // One trip to the file pool for all the keys (up to 1,000), not one per key.
  std::string xml = co_await OnFilePool([&] {
    s3::XmlWriter w;
    w.Open("DeleteResult", true);
    for (const auto& o : parsed->objects) {
      S3Error e = s3::ValidateObjectKey(o.key);
      if (e.ok()) e = store_->DeleteObject(c.bucket, o.key, c.owner);
      if (e.ok()) {
        if (!parsed->quiet) w.Open("Deleted").Element("Key", o.key).Close();
      } else {
        w.Open("Error").Element("Key", o.key).Element("Code", e.code).Element("Message", e.message).Close();
      }
    }
    w.Close();
    return w.Finish();
  });
  co_await SendXml(c, 200, std::move(xml));
}

// ---------------------------------------------------------------- multipart

awaitable<void> S3Service::CreateMultipartUpload(Call& c) {
  c.operation = "CreateMultipartUpload";
  ObjectMeta meta;
  meta.key = c.key;
  meta.owner = c.owner;
  ReadObjectHeaders(c.req, &meta);
  auto id = store_->CreateUpload(c.bucket, std::move(meta));
  if (!id.ok()) co_return co_await SendError(c, id.error());
  s3::XmlWriter w;
  w.Open("InitiateMultipartUploadResult", true)
      .Element("Bucket", c.bucket)
      .Element("Key", c.key)
      .Element("UploadId", *id)
      .Close();
  co_await SendXml(c, 200, w.Finish());
}

awaitable<void> S3Service::UploadPart(Call& c) {
  c.operation = "UploadPart";
  if (c.H("x-amz-copy-source")) {
    c.operation = "UploadPartCopy";
    co_return co_await SendError(c, S3Error::NotImplemented("UploadPartCopy is not implemented by faasnet's store"));
  }
  std::string n = c.Q("partNumber");
  char* end = nullptr;
  long number = std::strtol(n.c_str(), &end, 10);
  if (n.empty() || *end != '\0' || number < 1 || number > store_->options().max_parts) {
    co_return co_await SendError(c, S3Error::InvalidArgument("Part number must be an integer between 1 and 10000, "
                                                             "inclusive"));
  }
  // Fail fast on an unknown upload, before the body moves.
  auto parts = store_->ListParts(c.bucket, c.key, c.Q("uploadId"), c.owner);
  if (!parts.ok()) co_return co_await SendError(c, parts.error());
  auto file = store_->BeginWrite(c.bucket, c.owner);
  if (!file.ok()) co_return co_await SendError(c, file.error());
  ObjectMeta meta;
  S3Error e = co_await ReceiveBody(c, file->get(), &meta);
  if (!e.ok()) co_return co_await SendError(c, e);
  auto part = co_await OnFilePool([&] {
    return store_->CommitPart(c.bucket, c.key, c.Q("uploadId"), static_cast<int>(number), std::move(*file), meta.etag,
                              meta.checksums);
  });
  if (!part.ok()) co_return co_await SendError(c, part.error());
  c.status = 200;
  http::Response r = c.Base(200);
  r.Set("ETag", Quote(part->etag));
  for (const auto& [alg, v] : part->checksums) {
    if (auto a = s3::ChecksumAlgorithmFromName(alg)) r.Set(std::string(s3::ChecksumHeaderName(*a)), v);
  }
  co_await c.ex.Respond(std::move(r));
}

awaitable<void> S3Service::CompleteMultipartUpload(Call& c) {
  c.operation = "CompleteMultipartUpload";
  auto body = co_await ReadSmallBody(c);
  if (!body.ok()) co_return co_await SendError(c, body.error());
  auto parsed = s3::ParseCompleteMultipartUpload(*body);
  if (!parsed.ok()) co_return co_await SendError(c, parsed.error());
  std::vector<CompletedPart> parts;
  for (const auto& p : parsed->parts) parts.push_back(CompletedPart{p.part_number, p.etag});
  auto done = co_await OnFilePool(
      [&] { return store_->CompleteUpload(c.bucket, c.key, c.Q("uploadId"), parts, options_.etag_mode, c.owner); });
  if (!done.ok()) co_return co_await SendError(c, done.error());
  s3::XmlWriter w;
  w.Open("CompleteMultipartUploadResult", true)
      .Element("Location", "/" + c.bucket + "/" + UriEncode(c.key, true))
      .Element("Bucket", c.bucket)
      .Element("Key", c.key)
      .Element("ETag", Quote(done->etag));
  for (const auto& [alg, v] : done->checksums) {
    if (auto a = s3::ChecksumAlgorithmFromName(alg)) w.Element(s3::ChecksumXmlName(*a), v);
  }
  w.Close();
  co_await SendXml(c, 200, w.Finish());
}

awaitable<void> S3Service::AbortMultipartUpload(Call& c) {
  c.operation = "AbortMultipartUpload";
  S3Error e = store_->AbortUpload(c.bucket, c.key, c.Q("uploadId"), c.owner);
  if (!e.ok()) co_return co_await SendError(c, e);
  c.status = 204;
  co_await c.ex.Respond(c.Base(204));
}

awaitable<void> S3Service::ListParts(Call& c) {
  c.operation = "ListParts";
  auto parts = store_->ListParts(c.bucket, c.key, c.Q("uploadId"), c.owner);
  if (!parts.ok()) co_return co_await SendError(c, parts.error());
  int marker = std::atoi(c.Q("part-number-marker").c_str());
  int max_parts = c.Has("max-parts") ? std::clamp(std::atoi(c.Q("max-parts").c_str()), 0, 1000) : 1000;
  s3::XmlWriter w;
  w.Open("ListPartsResult", true)
      .Element("Bucket", c.bucket)
      .Element("Key", c.key)
      .Element("UploadId", c.Q("uploadId"))
      .Element("PartNumberMarker", marker)
      .Element("MaxParts", max_parts)
      .Element("StorageClass", "STANDARD");
  int listed = 0;
  int last = marker;
  bool truncated = false;
  for (const auto& p : *parts) {
    if (p.number <= marker) continue;
    if (listed == max_parts) {
      truncated = true;
      break;
    }
    w.Open("Part")
        .Element("PartNumber", p.number)
        .Element("LastModified", s3::FormatIso8601(FromMs(p.last_modified_ms)))
        .Element("ETag", Quote(p.etag))
        .Element("Size", p.size)
        .Close();
    last = p.number;
    ++listed;
  }
  w.Element("NextPartNumberMarker", last).Element("IsTruncated", truncated);
  w.Close();
  co_await SendXml(c, 200, w.Finish());
}

awaitable<void> S3Service::ListMultipartUploads(Call& c) {
  c.operation = "ListMultipartUploads";
  auto uploads = store_->ListUploads(c.bucket, c.owner, c.Q("prefix"));
  if (!uploads.ok()) co_return co_await SendError(c, uploads.error());
  s3::XmlWriter w;
  w.Open("ListMultipartUploadsResult", true)
      .Element("Bucket", c.bucket)
      .Element("KeyMarker", "")
      .Element("UploadIdMarker", "")
      .Element("Prefix", c.Q("prefix"))
      .Element("MaxUploads", 1000)
      .Element("IsTruncated", false);
  for (const auto& u : *uploads) {
    w.Open("Upload")
        .Element("Key", u.key)
        .Element("UploadId", u.upload_id)
        .Element("Initiated", s3::FormatIso8601(FromMs(u.initiated_ms)))
        .Element("StorageClass", "STANDARD")
        .Close();
  }
  w.Close();
  co_await SendXml(c, 200, w.Finish());
}

}  // namespace faasnet::store
