#include "fake_s3.h"

#include <chrono>

#include "base/strings.h"
#include "s3/checksum.h"
#include "s3/errors.h"
#include "s3/range.h"
#include "s3/xml.h"

namespace faasnet::s3client::testing {
namespace {

std::map<std::string, std::string> ParseQuery(const std::string& q) {
  std::map<std::string, std::string> out;
  if (q.empty()) return out;
  for (std::string_view part : Split(q, '&')) {
    size_t eq = part.find('=');
    std::string name(part.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : std::string(part.substr(eq + 1));
    out[UriDecode(name).value_or(name)] = UriDecode(value, true).value_or(value);
  }
  return out;
}

HttpResponse StatusOnly(int status) {
  HttpResponse r;
  r.status = status;
  return r;
}

std::string Md5Hex(std::string_view s) { return HexEncode(s3::Md5::Of(s)); }

}  // namespace

HttpResponse ErrorResponse(const s3::S3Error& error, const std::string& resource) {
  HttpResponse r;
  r.status = error.http_status;
  r.headers = {{"Content-Type", "application/xml"}, {"x-amz-request-id", "FAKE0001"}};
  r.body = s3::ErrorXml(error, resource, "FAKE0001");
  return r;
}

FakeS3::FakeS3(s3::Credentials credentials) : credentials_(std::move(credentials)) {}

std::optional<std::string> FakeS3::Object(const std::string& bucket, const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto b = buckets_.find(bucket);
  if (b == buckets_.end()) return std::nullopt;
  auto o = b->second.find(key);
  if (o == b->second.end()) return std::nullopt;
  return o->second.data;
}

int FakeS3::auth_failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return auth_failures_;
}
int FakeS3::aborted_uploads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return aborted_;
}
int FakeS3::puts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return puts_;
}

HttpResponse FakeS3::Handle(const HttpRequest& r) {
  if (fault_) {
    if (std::optional<HttpResponse> injected = fault_(r)) return *injected;
  }
  // Authenticate as S3 does.
  std::vector<s3::HeaderPair> headers;
  for (const auto& [n, v] : r.headers) headers.emplace_back(n, v);
  s3::RequestView view{r.method, r.path, r.query, headers};
  auto lookup = [this](std::string_view id) -> std::optional<std::string> {
    if (id == credentials_.access_key_id) return credentials_.secret_access_key;
    return std::nullopt;
  };
  s3::S3Result<s3::VerifiedRequest> v = s3::VerifyRequest(view, lookup, std::chrono::system_clock::now());
  if (!v.ok() || v->kind == s3::AuthKind::kAnonymous ||
      (v->payload_mode == s3::PayloadMode::kSha256 && ToLower(v->payload_hash) != s3::Sha256Hex(r.body))) {
    std::lock_guard<std::mutex> lock(mu_);
    ++auth_failures_;
    if (!v.ok()) return ErrorResponse(v.error(), r.path);
    if (v->kind == s3::AuthKind::kAnonymous) return ErrorResponse(s3::S3Error::AccessDenied(), r.path);
    return ErrorResponse(s3::S3Error::XAmzContentSHA256Mismatch(), r.path);
  }

  // "/bucket/key" with the key percent-decoded.
  std::string_view path = r.path;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  const size_t slash = path.find('/');
  std::string bucket(path.substr(0, slash));
  std::string key;
  if (slash != std::string_view::npos) {
    std::optional<std::string> k = UriDecode(path.substr(slash + 1));
    if (!k) return ErrorResponse(s3::S3Error::InvalidURI(), r.path);
    key = std::move(*k);
  }
  std::lock_guard<std::mutex> lock(mu_);
  return HandleLocked(r, bucket, key, ParseQuery(r.query));
}

HttpResponse FakeS3::HandleLocked(const HttpRequest& r, const std::string& bucket, const std::string& key,
                                  const std::map<std::string, std::string>& q) {
  HttpResponse ok;
  ok.headers = {{"x-amz-request-id", "FAKE0001"}};
  auto b = buckets_.find(bucket);

  if (key.empty()) {  // bucket operations
    if (r.method == "PUT") {
      if (b != buckets_.end()) return ErrorResponse(s3::S3Error::BucketAlreadyOwnedByYou(), r.path);
      buckets_[bucket];
      return ok;
    }
    if (b == buckets_.end()) {
      if (r.method == "HEAD") return StatusOnly(404);
      return ErrorResponse(s3::S3Error::NoSuchBucket(), r.path);
    }
    if (r.method == "HEAD") return ok;
    if (r.method == "DELETE") {
      if (!b->second.empty()) return ErrorResponse(s3::S3Error::BucketNotEmpty(), r.path);
      buckets_.erase(b);
      ok.status = 204;
      return ok;
    }
    if (r.method == "GET" && q.contains("list-type")) {
      auto get = [&](const char* n) {
        auto it = q.find(n);
        return it == q.end() ? std::string() : it->second;
      };
      const std::string prefix = get("prefix"), delimiter = get("delimiter");
      const bool url = get("encoding-type") == "url";
      const int max_keys = get("max-keys").empty() ? 1000 : std::stoi(get("max-keys"));
      std::string after = get("start-after");
      if (std::string token = get("continuation-token"); !token.empty()) after = Base64Decode(token).value_or("");
      auto enc = [&](const std::string& s) { return url ? UriEncode(s, true) : s; };
      s3::XmlWriter w;
      w.Open("ListBucketResult", true).Element("Name", bucket).Element("Prefix", enc(prefix));
      int count = 0;
      bool truncated = false;
      std::string last, last_prefix;
      std::vector<std::string> prefixes;
      for (auto it = b->second.upper_bound(after); it != b->second.end(); ++it) {
        const std::string& k = it->first;
        if (!k.starts_with(prefix)) continue;
        if (count == max_keys) {
          truncated = true;
          break;
        }
        if (!delimiter.empty()) {
          size_t d = k.find(delimiter, prefix.size());
          if (d != std::string::npos) {
            std::string cp = k.substr(0, d + delimiter.size());
            if (cp != last_prefix) {
              prefixes.push_back(cp);
              last_prefix = cp;
              ++count;
            }
            last = k;
            continue;
          }
        }
        w.Open("Contents").Element("Key", enc(k)).Element("LastModified", "2024-01-01T00:00:00.000Z");
        w.Element("ETag", it->second.etag).Element("Size", static_cast<uint64_t>(it->second.data.size()));
        w.Element("StorageClass", "STANDARD").Close();
        last = k;
        ++count;
      }
      for (const std::string& p : prefixes) w.Open("CommonPrefixes").Element("Prefix", enc(p)).Close();
      w.Element("KeyCount", count).Element("MaxKeys", max_keys).Element("IsTruncated", truncated);
      if (truncated) w.Element("NextContinuationToken", Base64Encode(last));
      if (url) w.Element("EncodingType", "url");
      ok.body = w.Finish();
      return ok;
    }
    return ErrorResponse(s3::S3Error::NotImplemented(), r.path);
  }

  if (b == buckets_.end()) {
    if (r.method == "HEAD") return StatusOnly(404);
    return ErrorResponse(s3::S3Error::NoSuchBucket(), r.path);
  }
  auto& objects = b->second;

  if (r.method == "POST" && q.contains("uploads")) {
    const std::string id = "upload-" + std::to_string(next_upload_++);
    Upload u{bucket, key, {}, {}};
    if (const std::string* ct = r.Header("content-type")) u.proto.content_type = *ct;
    for (const auto& [n, v] : r.headers)
      if (ToLower(n).starts_with("x-amz-meta-")) u.proto.meta.emplace_back(ToLower(n), v);
    uploads_[id] = std::move(u);
    s3::XmlWriter w;
    w.Open("InitiateMultipartUploadResult", true).Element("Bucket", bucket).Element("Key", key).Element("UploadId", id);
    ok.body = w.Finish();
    return ok;
  }
  if (auto it = q.find("uploadId"); it != q.end()) {
    auto u = uploads_.find(it->second);
    if (u == uploads_.end()) return ErrorResponse(s3::S3Error::NoSuchUpload(), r.path);
    if (r.method == "PUT") {
      const int n = std::stoi(q.at("partNumber"));
      u->second.parts[n] = r.body;
      ok.headers.emplace_back("ETag", "\"" + Md5Hex(r.body) + "\"");
      return ok;
    }
    if (r.method == "DELETE") {
      uploads_.erase(u);
      ++aborted_;
      ok.status = 204;
      return ok;
    }
    if (r.method == "POST") {
      s3::S3Result<s3::CompleteMultipartUpload> parsed = s3::ParseCompleteMultipartUpload(r.body);
      if (!parsed.ok()) return ErrorResponse(parsed.error(), r.path);
      Obj o = u->second.proto;
      std::string md5s;
      for (const s3::CompletedPart& p : parsed->parts) {
        auto part = u->second.parts.find(p.part_number);
        if (part == u->second.parts.end() || Md5Hex(part->second) != p.etag)
          return ErrorResponse(s3::S3Error::InvalidPart(), r.path);
        o.data += part->second;
        md5s += s3::Md5::Of(part->second);
      }
      o.etag = "\"" + Md5Hex(md5s) + "-" + std::to_string(parsed->parts.size()) + "\"";
      s3::XmlWriter w;
      w.Open("CompleteMultipartUploadResult", true).Element("Bucket", bucket).Element("Key", key);
      w.Element("ETag", o.etag);
      ok.body = w.Finish();
      objects[key] = std::move(o);
      uploads_.erase(u);
      ++puts_;
      return ok;
    }
  }

  if (r.method == "PUT") {
    Obj o;
    o.data = r.body;
    o.etag = "\"" + Md5Hex(r.body) + "\"";
    if (const std::string* ct = r.Header("content-type")) o.content_type = *ct;
    for (const auto& [n, v] : r.headers)
      if (ToLower(n).starts_with("x-amz-meta-")) o.meta.emplace_back(ToLower(n), v);
    ok.headers.emplace_back("ETag", o.etag);
    objects[key] = std::move(o);
    ++puts_;
    return ok;
  }
  if (r.method == "DELETE") {
    objects.erase(key);
    ok.status = 204;
    return ok;
  }
  auto o = objects.find(key);
  if (o == objects.end()) {
    if (r.method == "HEAD") return StatusOnly(404);
    return ErrorResponse(s3::S3Error::NoSuchKey(), r.path);
  }
  const Obj& obj = o->second;
  if (const std::string* m = r.Header("if-match"); m && *m != obj.etag)
    return r.method == "HEAD" ? StatusOnly(412) : ErrorResponse(s3::S3Error::PreconditionFailed(), r.path);
  ok.headers.emplace_back("ETag", obj.etag);
  ok.headers.emplace_back("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT");
  if (!obj.content_type.empty()) ok.headers.emplace_back("Content-Type", obj.content_type);
  for (const auto& [n, v] : obj.meta) ok.headers.emplace_back(n, v);
  ok.body = obj.data;
  if (const std::string* range = r.Header("range"); range && r.method == "GET") {
    s3::S3Result<std::optional<s3::ByteRange>> br = s3::ParseRange(*range, obj.data.size());
    if (!br.ok()) return ErrorResponse(br.error(), r.path);
    if (*br) {
      ok.status = 206;
      ok.headers.emplace_back("Content-Range", (*br)->ContentRange(obj.data.size()));
      ok.body = obj.data.substr((*br)->first, (*br)->length());
    }
  }
  return ok;
}

}  // namespace faasnet::s3client::testing
