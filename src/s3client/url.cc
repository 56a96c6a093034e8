#include "s3client/url.h"

#include <curl/curl.h>

#include <memory>

#include "base/strings.h"

namespace faasnet::s3client {
namespace {

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct CurlStrDeleter {
  void operator()(char* s) const { curl_free(s); }
};
using CurlStr = std::unique_ptr<char, CurlStrDeleter>;

// One part of a parsed URL; empty when absent.
std::string GetPart(CURLU* u, CURLUPart part) {
  char* out = nullptr;
  if (curl_url_get(u, part, &out, 0) != CURLUE_OK) return {};
  CurlStr owned(out);
  return out;
}

}  // namespace

Result<Endpoint> Endpoint::Parse(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("endpoint " + std::string(url) + ": " + std::string(why));
  };
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (!u) return Status::Internal("curl_url: out of memory");
  const std::string text(url);
  if (CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, text.c_str(), 0); rc != CURLUE_OK)
    return bad(curl_url_strerror(rc));
  Endpoint e;
  e.scheme = ToLower(GetPart(u.get(), CURLUPART_SCHEME));
  if (e.scheme != "http" && e.scheme != "https") return bad("the scheme must be http or https");
  e.host = GetPart(u.get(), CURLUPART_HOST);
  if (e.host.empty()) return bad("no host");
  if (!GetPart(u.get(), CURLUPART_USER).empty()) return bad("user info is not allowed");
  if (!GetPart(u.get(), CURLUPART_QUERY).empty()) return bad("a query is not allowed");
  if (!GetPart(u.get(), CURLUPART_FRAGMENT).empty()) return bad("a fragment is not allowed");
  if (std::string port = GetPart(u.get(), CURLUPART_PORT); !port.empty()) {
    unsigned long v = std::stoul(port);  // curl has checked it is 0..65535 digits
    if (v == 0 || v > 65535) return bad("bad port");
    e.port = static_cast<uint16_t>(v);
  }
  e.base_path = GetPart(u.get(), CURLUPART_PATH);
  while (!e.base_path.empty() && e.base_path.back() == '/') e.base_path.pop_back();
  return e;
}

std::string Endpoint::Authority() const {
  const bool default_port = port == 0 || (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
  return default_port ? host : host + ":" + std::to_string(port);
}

Target BuildTarget(const Endpoint& endpoint, bool path_style, std::string_view bucket, std::string_view key,
                   std::string_view query) {
  Target t;
  t.host = endpoint.Authority();
  t.path = endpoint.base_path;
  if (!bucket.empty()) {
    if (path_style) {
      t.path += '/';
      t.path += UriEncode(bucket, /*keep_slash=*/false);
    } else {
      t.host = std::string(bucket) + "." + t.host;
    }
  }
  if (!key.empty()) {
    t.path += '/';
    t.path += UriEncode(key, /*keep_slash=*/true);
  }
  if (t.path.empty()) t.path = "/";
  t.query = query;
  t.url = endpoint.scheme + "://" + t.host + t.path;
  if (!t.query.empty()) t.url += "?" + t.query;
  return t;
}

std::string BuildQuery(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string q;
  for (const auto& [name, value] : params) {
    if (!q.empty()) q += '&';
    q += UriEncode(name, false);
    if (!value.empty()) {
      q += '=';
      q += UriEncode(value, false);
    }
  }
  return q;
}

}  // namespace faasnet::s3client
