// Fuzzes the SigV4 server side (Authorization header and presigned-query
// parsing, canonical request building, verification) and checks that any
// well-formed request the signer accepts verifies.
//
// Input: lines. Line 0 is an Authorization value, line 1 the method, line 2
// the raw path, line 3 the raw query, the rest "name:value" headers.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "s3/checksum.h"
#include "s3/sigv4.h"

namespace {

using namespace faasnet::s3;

const auto kNow = std::chrono::sys_days(std::chrono::year(2013) / 5 / 24) + std::chrono::minutes(1);

std::optional<std::string> Lookup(std::string_view key) {
  if (key == "AKIAIOSFODNN7EXAMPLE") return std::string("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  return std::nullopt;
}

bool IsToken(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// Sign-then-verify must succeed for any request with token header names and
// none of the headers the signer adds or the verifier treats specially.
void CheckSignVerifies(const RequestView& req) {
  bool has_host = false;
  for (const auto& [name, value] : req.headers) {
    std::string lower = faasnet::ToLower(name);
    if (!IsToken(name) || lower == "authorization" || lower == "x-amz-date" || lower == "x-amz-content-sha256" ||
        lower == "x-amz-security-token") {
      return;
    }
    has_host = has_host || lower == "host";
  }
  // Presigned parameters (in any encoding) make it a two-mechanism request.
  if (!has_host || ("&" + CanonicalQueryString(req.query)).find("&X-Amz-Algorithm=") != std::string::npos) return;

  SigningParams params;
  params.credentials = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  params.time = kNow;
  auto signed_request = SignRequest(req, params, kEmptySha256Hex);
  if (!signed_request.ok()) __builtin_trap();
  std::vector<HeaderPair> all(req.headers.begin(), req.headers.end());
  for (const auto& [n, v] : signed_request->headers_to_add) all.emplace_back(n, v);
  RequestView full = req;
  full.headers = all;
  auto verified = VerifyRequest(full, Lookup, kNow);
  if (!verified.ok() || verified->seed_signature != signed_request->signature) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines = faasnet::Split(input, '\n');
  while (lines.size() < 4) lines.emplace_back();
  std::string_view authorization = lines[0];

  auto parsed = ParseAuthorizationHeader(authorization);
  (void)ParsePresignedQuery(lines[3]);
  (void)CanonicalQueryString(lines[3], "X-Amz-Signature");

  std::vector<HeaderPair> headers;
  for (size_t i = 4; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == std::string_view::npos) continue;
    headers.emplace_back(lines[i].substr(0, colon), lines[i].substr(colon + 1));
  }
  RequestView req{lines[1], lines[2], lines[3], headers};
  if (parsed.ok()) {
    (void)CanonicalRequest(req, parsed->signed_headers, kUnsignedPayload);
    (void)CanonicalRequest(req, parsed->signed_headers, kUnsignedPayload, /*double_encode_path=*/true);
  }
  CheckSignVerifies(req);

  std::vector<HeaderPair> with_auth = headers;
  with_auth.emplace_back("Authorization", authorization);
  RequestView authed{lines[1], lines[2], lines[3], with_auth};
  (void)VerifyRequest(authed, Lookup, kNow);
  (void)VerifyRequest(req, Lookup, kNow);  // presigned or anonymous
  return 0;
}
