#include "s3client/parse.h"

#include <charconv>
#include <pugixml.hpp>

#include "base/strings.h"
#include "s3/errors.h"

namespace faasnet::s3client {
namespace {

Status Malformed(std::string_view what, std::string_view why) {
  return Status::InvalidArgument(std::string(what) + ": malformed response: " + std::string(why));
}

bool ParseUint(std::string_view s, uint64_t* out) {
  s = Trim(s);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

// Decodes `text` when the listing is URL-encoded.
bool MaybeDecode(const char* text, bool url_encoded, std::string* out) {
  if (!url_encoded) {
    *out = text;
    return true;
  }
  std::optional<std::string> d = UriDecode(text, /*plus_is_space=*/true);
  if (!d) return false;
  *out = std::move(*d);
  return true;
}

}  // namespace

const char* ErrorClassName(ErrorClass c) {
  switch (c) {
    case ErrorClass::kNone:
      return "none";
    case ErrorClass::kClientError:
      return "client_error";
    case ErrorClass::kNotFound:
      return "not_found";
    case ErrorClass::kAuth:
      return "auth";
    case ErrorClass::kThrottled:
      return "throttled";
    case ErrorClass::kServerError:
      return "server_error";
    case ErrorClass::kTimeout:
      return "timeout";
    case ErrorClass::kConnection:
      return "connection";
    case ErrorClass::kCancelled:
      return "cancelled";
    case ErrorClass::kProtocol:
      return "protocol";
    case ErrorClass::kInvalid:
      return "invalid";
  }
  return "unknown";
}

std::string ByteRange::HeaderValue() const {
  std::string v = "bytes=" + std::to_string(first) + "-";
  if (last) v += std::to_string(*last);
  return v;
}

std::string_view StripQuotes(std::string_view etag) {
  etag = Trim(etag);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

Status ParseListObjectsV2(std::string_view xml, bool url_encoded, ListObjectsResult* out) {
  constexpr std::string_view kOp = "ListObjectsV2";
  pugi::xml_document doc;
  if (pugi::xml_parse_result r = doc.load_buffer(xml.data(), xml.size()); !r) return Malformed(kOp, r.description());
  pugi::xml_node root = doc.child("ListBucketResult");
  if (!root) return Malformed(kOp, "no ListBucketResult element");

  out->objects.clear();
  out->common_prefixes.clear();
  out->is_truncated = std::string_view(root.child_value("IsTruncated")) == "true";
  out->next_continuation_token = root.child_value("NextContinuationToken");
  uint64_t key_count = 0;
  if (pugi::xml_node kc = root.child("KeyCount"); kc && !ParseUint(kc.child_value(), &key_count))
    return Malformed(kOp, "bad KeyCount");

  for (pugi::xml_node c : root.children("Contents")) {
    ObjectSummary o;
    if (!MaybeDecode(c.child_value("Key"), url_encoded, &o.key)) return Malformed(kOp, "bad Key escape");
    if (!ParseUint(c.child_value("Size"), &o.size)) return Malformed(kOp, "bad Size of " + o.key);
    o.etag = StripQuotes(c.child_value("ETag"));
    o.last_modified = c.child_value("LastModified");
    o.storage_class = c.child_value("StorageClass");
    out->objects.push_back(std::move(o));
  }
  for (pugi::xml_node cp : root.children("CommonPrefixes")) {
    std::string p;
    if (!MaybeDecode(cp.child_value("Prefix"), url_encoded, &p)) return Malformed(kOp, "bad Prefix escape");
    out->common_prefixes.push_back(std::move(p));
  }
  out->key_count = root.child("KeyCount") ? static_cast<int>(key_count)
                                          : static_cast<int>(out->objects.size() + out->common_prefixes.size());
  return Status::Ok();
}

Result<std::string> ParseInitiateMultipartUpload(std::string_view xml) {
  constexpr std::string_view kOp = "CreateMultipartUpload";
  pugi::xml_document doc;
  if (pugi::xml_parse_result r = doc.load_buffer(xml.data(), xml.size()); !r) return Malformed(kOp, r.description());
  std::string id = doc.child("InitiateMultipartUploadResult").child_value("UploadId");
  if (id.empty()) return Malformed(kOp, "no UploadId");
  return id;
}

Result<CompleteMultipartOutcome> ParseCompleteMultipartUpload(std::string_view xml) {
  constexpr std::string_view kOp = "CompleteMultipartUpload";
  pugi::xml_document doc;
  if (pugi::xml_parse_result r = doc.load_buffer(xml.data(), xml.size()); !r) return Malformed(kOp, r.description());
  CompleteMultipartOutcome out;
  if (pugi::xml_node err = doc.child("Error")) {
    out.error_code = err.child_value("Code");
    out.error_message = err.child_value("Message");
    if (out.error_code.empty()) out.error_code = "InternalError";
    return out;
  }
  pugi::xml_node root = doc.child("CompleteMultipartUploadResult");
  if (!root) return Malformed(kOp, "no CompleteMultipartUploadResult element");
  out.etag = StripQuotes(root.child_value("ETag"));
  return out;
}

std::string CompleteMultipartUploadXml(std::span<const s3::CompletedPart> parts) {
  s3::XmlWriter w;
  w.Open("CompleteMultipartUpload", /*s3_namespace=*/true);
  for (const s3::CompletedPart& p : parts) {
    w.Open("Part");
    w.Element("PartNumber", p.part_number);
    w.Element("ETag", "\"" + p.etag + "\"");
    w.Close();
  }
  return w.Finish();
}

HttpError ParseHttpError(std::string_view body, int http_status) {
  if (Trim(body).empty()) {
    switch (http_status) {
      case 304:
        return {"NotModified", "Not Modified"};
      case 400:
        return {"BadRequest", "Bad Request"};
      case 403:
        return {"Forbidden", "Forbidden"};
      case 404:
        return {"NotFound", "Not Found"};
      case 412:
        return {"PreconditionFailed", "Precondition Failed"};
      default:
        return {"Http" + std::to_string(http_status), ""};
    }
  }
  s3::S3Error e = s3::ParseErrorXml(body, http_status);
  return {std::move(e.code), std::move(e.message)};
}

Status HttpErrorStatus(std::string_view op, std::string_view object, int http_status, const HttpError& error,
                       int retries) {
  std::string text = std::string(op);
  if (!object.empty()) text += " " + std::string(object);
  text += ": " + std::to_string(http_status) + " " + error.code;
  if (!error.message.empty()) text += ": " + error.message;
  if (retries > 0) text += " (after " + std::to_string(retries) + (retries == 1 ? " retry)" : " retries)");
  // A 200 carrying an <Error> is a server failure.
  const int effective = http_status < 300 ? 500 : http_status;
  const Status::Code code = s3::ToStatus(s3::S3Error::Make(effective, error.code, error.message)).code();
  return Status(code, std::move(text));
}

ErrorClass ClassifyHttpError(int http_status, std::string_view s3_code) {
  if (http_status == 429 || s3_code == "SlowDown" || s3_code == "Throttling" || s3_code == "ThrottlingException" ||
      s3_code == "RequestLimitExceeded")
    return ErrorClass::kThrottled;
  if (http_status == 404) return ErrorClass::kNotFound;
  if (http_status == 401 || http_status == 403) return ErrorClass::kAuth;
  if (http_status >= 500 || http_status < 300) return ErrorClass::kServerError;
  if (s3_code == "RequestTimeout") return ErrorClass::kTimeout;
  return ErrorClass::kClientError;
}

bool IsRetryableHttp(int http_status, std::string_view s3_code) {
  switch (http_status) {
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      break;
  }
  return s3_code == "RequestTimeout" || s3_code == "InternalError" || s3_code == "SlowDown" || s3_code == "Throttling";
}

Result<std::vector<std::string>> ParseListBuckets(std::string_view xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) return Status::Internal("ListBuckets: the answer is not XML");
  auto root = doc.child("ListAllMyBucketsResult");
  if (!root) return Status::Internal("ListBuckets: no ListAllMyBucketsResult element");
  std::vector<std::string> names;
  for (auto b : root.child("Buckets").children("Bucket")) names.emplace_back(b.child_value("Name"));
  return names;
}

}  // namespace faasnet::s3client
