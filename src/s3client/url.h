// Where an S3 request goes: the endpoint URL parsed once, and for each request
// the Host header, the percent-encoded path and the query, built exactly as
// they are sent so that SigV4 signs what goes on the wire (S3 signs the path
// as sent, without a second encoding or "."/".." normalisation; the client
// tells curl to leave the path alone).
//
// Keys are encoded with faasnet::UriEncode (every byte but A-Z a-z 0-9 - . _ ~
// and '/' becomes %XX), so spaces, '+', unicode and '%' survive; '/' stays a
// path separator, as every SDK sends it.
//
// Thread-safety: pure functions and values.
#ifndef FAASNET_S3CLIENT_URL_H_
#define FAASNET_S3CLIENT_URL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace faasnet::s3client {

// A parsed endpoint URL: http(s)://host[:port][/base-path].
struct Endpoint {
  std::string scheme;     // "http" or "https"
  std::string host;       // "127.0.0.1", "s3.us-east-1.amazonaws.com", "[::1]"
  uint16_t port = 0;      // the explicit port; 0 when the URL has none
  std::string base_path;  // "" or "/prefix" (no trailing '/')

  // Parses `url` (via curl's URL parser). Errors: InvalidArgument for another
  // scheme, no host, user info, a query or fragment.
  static Result<Endpoint> Parse(std::string_view url);

  // "host" or "host:port" (the port omitted when it is the scheme's default),
  // i.e. what curl would send and what gets signed.
  std::string Authority() const;
};

// One request's target.
struct Target {
  std::string host;   // the Host header value
  std::string path;   // percent-encoded, starts with '/'
  std::string query;  // raw, without '?'; may be empty
  std::string url;    // scheme://host/path[?query]
};

// Path-style: http://host/bucket/key; virtual-hosted: http://bucket.host/key.
// `bucket` may be empty (service-level request: path "/"), `key` may be empty
// (bucket-level request: "/bucket", or "/" for virtual-hosted).
Target BuildTarget(const Endpoint& endpoint, bool path_style, std::string_view bucket, std::string_view key,
                   std::string_view query = {});

// "a=1&b=x%20y": names and values UriEncode'd (so '/', '+', '=' and '&' in
// values are escaped); a pair with an empty value is written bare
// ({"uploads", ""} gives "uploads", which SigV4 signs as "uploads=").
std::string BuildQuery(const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace faasnet::s3client

#endif  // FAASNET_S3CLIENT_URL_H_
