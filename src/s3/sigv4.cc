#include "s3/sigv4.h"

#include <mutex>
#include <unordered_map>

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>

#include "base/strings.h"
#include "s3/checksum.h"
#include "s3/conditional.h"

namespace faasnet::s3 {

namespace {

using std::chrono::system_clock;

constexpr std::string_view kTerminator = "aws4_request";
constexpr std::string_view kSignatureMismatch =
    "The request signature we calculated does not match the signature you provided. Check your key and signing "
    "method.";

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); });
}

// Headers a signer leaves out: hop-by-hop, or rewritten by proxies and agents.
bool IsUnsignedHeader(std::string_view lower_name) {
  static constexpr std::string_view kSkip[] = {"authorization",
                                               "user-agent",
                                               "expect",
                                               "connection",
                                               "keep-alive",
                                               "proxy-authorization",
                                               "te",
                                               "trailer",
                                               "upgrade",
                                               "x-amzn-trace-id",
                                               "transfer-encoding",
                                               "accept-encoding"};
  return std::find(std::begin(kSkip), std::end(kSkip), lower_name) != std::end(kSkip);
}

// Trims and collapses inner runs of spaces/tabs to one space.
void AppendCanonicalValue(std::string* out, std::string_view value) {
  value = Trim(value);
  bool in_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      in_space = true;
      continue;
    }
    if (in_space) out->push_back(' ');
    in_space = false;
    out->push_back(c);
  }
}

std::string JoinSignedHeaders(std::span<const std::string> names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ';';
    out += n;
  }
  return out;
}

// A query component decoded ('+' is a space); undecodable text is taken as is.
std::string DecodeQueryComponent(std::string_view s) {
  auto decoded = UriDecode(s, /*plus_is_space=*/true);
  return decoded ? std::move(*decoded) : std::string(s);
}

struct QueryParam {
  std::string name;   // decoded
  std::string value;  // decoded
};

std::vector<QueryParam> ParseQuery(std::string_view raw) {
  std::vector<QueryParam> params;
  if (raw.empty()) return params;
  for (std::string_view part : Split(raw, '&')) {
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string_view name = part.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    params.push_back({DecodeQueryComponent(name), DecodeQueryComponent(value)});
  }
  return params;
}

bool HasQueryParam(std::string_view raw, std::string_view name) {
  for (const auto& p : ParseQuery(raw)) {
    if (p.name == name) return true;
  }
  return false;
}

struct CredentialParts {
  std::string access_key_id, date8, region, service;
};

// "AK/20130524/us-east-1/s3/aws4_request".
std::optional<CredentialParts> ParseCredential(std::string_view credential) {
  std::vector<std::string_view> parts = Split(credential, '/');
  if (parts.size() != 5 || parts[4] != kTerminator) return std::nullopt;
  for (auto p : parts) {
    if (p.empty()) return std::nullopt;
  }
  if (parts[1].size() != 8 || !IsDigits(parts[1])) return std::nullopt;
  return CredentialParts{std::string(parts[0]), std::string(parts[1]), std::string(parts[2]), std::string(parts[3])};
}

// "host;range;x-amz-date" -> names; nullopt when empty, has an empty or
// upper-case name.
std::optional<std::vector<std::string>> ParseSignedHeaders(std::string_view list) {
  std::vector<std::string> names;
  for (std::string_view name : Split(list, ';')) {
    if (name.empty()) return std::nullopt;
    for (char c : name) {
      if (c >= 'A' && c <= 'Z') return std::nullopt;
      if (c <= ' ' || c == ':' || c == ',') return std::nullopt;
    }
    names.emplace_back(name);
  }
  return names;
}

bool Contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Lower-case names of `headers` that a signer signs, sorted, unique.
std::vector<std::string> ChooseSignedHeaders(std::span<const HeaderPair> headers) {
  std::vector<std::string> names;
  for (const auto& [name, value] : headers) {
    std::string lower = ToLower(name);
    if (!IsUnsignedHeader(lower)) names.push_back(std::move(lower));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

bool SignaturesEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

// ---------------------------------------------------------------- headers

std::optional<std::string_view> FindHeader(HeaderSpan headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return v;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- payload hash

S3Result<PayloadMode> ParsePayloadHash(std::string_view value) {
  if (value == kUnsignedPayload) return PayloadMode::kUnsigned;
  if (value == kStreamingPayload) return PayloadMode::kStreamingSigned;
  if (value == kStreamingPayloadTrailer) return PayloadMode::kStreamingSignedTrailer;
  if (value == kStreamingUnsignedTrailer) return PayloadMode::kStreamingUnsignedTrailer;
  if (value.size() == 64 && IsHex(value)) return PayloadMode::kSha256;
  if (value.starts_with("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD")) {
    return S3Error::NotImplemented("SigV4a streaming payloads are not supported");
  }
  return S3Error::InvalidArgument(
      "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.");
}

bool IsStreaming(PayloadMode mode) {
  return mode == PayloadMode::kStreamingSigned || mode == PayloadMode::kStreamingSignedTrailer ||
         mode == PayloadMode::kStreamingUnsignedTrailer;
}

// ---------------------------------------------------------------- dates

std::string FormatAmzDate(system_clock::time_point t) {
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  auto days = std::chrono::floor<std::chrono::days>(secs);
  std::chrono::year_month_day ymd(days);
  std::chrono::hh_mm_ss hms(secs - days);
  char buf[32];
  snprintf(buf, sizeof(buf), "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
           static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
           static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return buf;
}

std::optional<system_clock::time_point> ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z' || !IsDigits(s.substr(0, 8)) || !IsDigits(s.substr(9, 6))) {
    return std::nullopt;
  }
  auto num = [&](size_t pos, size_t n) {
    int v = 0;
    std::from_chars(s.data() + pos, s.data() + pos + n, v);
    return v;
  };
  std::chrono::year_month_day ymd{std::chrono::year(num(0, 4)), std::chrono::month(static_cast<unsigned>(num(4, 2))),
                                  std::chrono::day(static_cast<unsigned>(num(6, 2)))};
  int hh = num(9, 2), mm = num(11, 2), ss = num(13, 2);
  if (!ymd.ok() || hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  return std::chrono::sys_days(ymd) + std::chrono::hours(hh) + std::chrono::minutes(mm) + std::chrono::seconds(ss);
}

// ---------------------------------------------------------------- building blocks

std::string CredentialScope(std::string_view date8, std::string_view region, std::string_view service) {
  std::string out;
  out.reserve(date8.size() + region.size() + service.size() + 16);
  out.append(date8).append("/").append(region).append("/").append(service).append("/").append(kTerminator);
  return out;
}

std::string CanonicalQueryString(std::string_view raw_query, std::string_view exclude) {
  std::vector<std::pair<std::string, std::string>> encoded;
  for (auto& p : ParseQuery(raw_query)) {
    if (!exclude.empty() && p.name == exclude) continue;
    encoded.emplace_back(UriEncode(p.name, false), UriEncode(p.value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out.append(name).append("=").append(value);
  }
  return out;
}

std::string CanonicalHeaders(std::span<const HeaderPair> headers, std::span<const std::string> signed_headers) {
  std::string out;
  for (const std::string& name : signed_headers) {
    out += name;
    out += ':';
    bool first = true;
    for (const auto& [n, v] : headers) {
      if (!EqualsIgnoreCase(n, name)) continue;
      if (!first) out += ',';
      first = false;
      AppendCanonicalValue(&out, v);
    }
    out += '\n';
  }
  return out;
}

std::string CanonicalRequest(const RequestView& req, std::span<const std::string> signed_headers,
                             std::string_view payload_hash, bool double_encode_path, std::string_view exclude_query) {
  std::string out;
  out.append(req.method).append("\n");
  std::string_view path = req.path.empty() ? std::string_view("/") : req.path;
  if (double_encode_path) {
    out.append(UriEncode(path, /*keep_slash=*/true));
  } else {
    out.append(path);
  }
  out.append("\n").append(CanonicalQueryString(req.query, exclude_query)).append("\n");
  out.append(CanonicalHeaders(req.headers, signed_headers)).append("\n");
  out.append(JoinSignedHeaders(signed_headers)).append("\n");
  out.append(payload_hash);
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope, std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out.append("\n").append(amz_date).append("\n").append(scope).append("\n");
  out.append(Sha256Hex(canonical_request));
  return out;
}

std::string SigningKey(std::string_view secret, std::string_view date8, std::string_view region,
                       std::string_view service) {
  std::string k = HmacSha256("AWS4" + std::string(secret), date8);
  k = HmacSha256(k, region);
  k = HmacSha256(k, service);
  return HmacSha256(k, kTerminator);
}

namespace {

// The signing key changes once a day per user, region and service; deriving it
// costs four HMACs (most of a small request's verification), so the verifier
// keeps the few it needs. Bounded; cleared when full.
std::string CachedSigningKey(std::string_view secret, std::string_view date8, std::string_view region,
                             std::string_view service) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::string> cache;
  std::string id;
  id.append(secret).push_back('\0');
  id.append(date8).push_back('\0');
  id.append(region).push_back('\0');
  id.append(service);
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(id);
    if (it != cache.end()) return it->second;
  }
  std::string key = SigningKey(secret, date8, region, service);
  std::lock_guard<std::mutex> lock(mu);
  if (cache.size() >= 4096) cache.clear();
  cache.emplace(std::move(id), key);
  return key;
}

}  // namespace

std::string SignatureHex(std::string_view signing_key, std::string_view string_to_sign) {
  return HexEncode(HmacSha256(signing_key, string_to_sign));
}

// ---------------------------------------------------------------- streaming

std::string ChunkSignature(const ChunkSigningContext& ctx, std::string_view previous_signature,
                           std::string_view chunk_sha256_hex) {
  std::string sts = "AWS4-HMAC-SHA256-PAYLOAD\n";
  sts.append(ctx.amz_date).append("\n").append(ctx.scope).append("\n").append(previous_signature).append("\n");
  sts.append(kEmptySha256Hex).append("\n").append(chunk_sha256_hex);
  return SignatureHex(ctx.signing_key, sts);
}

std::string TrailerSignature(const ChunkSigningContext& ctx, std::string_view previous_signature,
                             std::string_view trailer_headers) {
  std::string sts = "AWS4-HMAC-SHA256-TRAILER\n";
  sts.append(ctx.amz_date).append("\n").append(ctx.scope).append("\n").append(previous_signature).append("\n");
  sts.append(Sha256Hex(trailer_headers));
  return SignatureHex(ctx.signing_key, sts);
}

// ---------------------------------------------------------------- client side

Result<SignedRequest> SignRequest(const RequestView& req, const SigningParams& params, std::string_view payload_hash) {
  if (!FindHeader(req.headers, "host")) return Status::InvalidArgument("sign request: no Host header");
  for (std::string_view added : {"x-amz-date", "x-amz-content-sha256", "x-amz-security-token"}) {
    if (FindHeader(req.headers, added)) {
      return Status::InvalidArgument("sign request: header " + std::string(added) + " is added by the signer");
    }
  }
  SignedRequest out;
  std::string amz_date = FormatAmzDate(params.time);
  std::string date8 = amz_date.substr(0, 8);
  out.headers_to_add.emplace_back("x-amz-date", amz_date);
  out.headers_to_add.emplace_back("x-amz-content-sha256", std::string(payload_hash));
  if (!params.credentials.session_token.empty()) {
    out.headers_to_add.emplace_back("x-amz-security-token", params.credentials.session_token);
  }
  std::vector<HeaderPair> all(req.headers.begin(), req.headers.end());
  for (const auto& [n, v] : out.headers_to_add) all.emplace_back(n, v);
  std::vector<std::string> names = ChooseSignedHeaders(all);

  RequestView full = req;
  full.headers = all;
  std::string scope = CredentialScope(date8, params.region, params.service);
  std::string key = SigningKey(params.credentials.secret_access_key, date8, params.region, params.service);
  std::string canonical = CanonicalRequest(full, names, payload_hash, params.double_encode_path);
  out.signature = SignatureHex(key, StringToSign(amz_date, scope, canonical));
  out.signed_headers = JoinSignedHeaders(names);
  out.headers_to_add.emplace_back(
      "Authorization", std::string(kAlgorithm) + " Credential=" + params.credentials.access_key_id + "/" + scope +
                           ", SignedHeaders=" + out.signed_headers + ", Signature=" + out.signature);
  out.chunk_context = {std::move(key), std::move(amz_date), std::move(scope), out.signature};
  return out;
}

Result<std::string> PresignQuery(const RequestView& req, const SigningParams& params, std::chrono::seconds expires) {
  if (!FindHeader(req.headers, "host")) return Status::InvalidArgument("presign request: no Host header");
  if (expires.count() < 1 || expires > kMaxPresignExpiry) {
    return Status::InvalidArgument("presign request: expiry " + std::to_string(expires.count()) +
                                   "s is outside [1, 604800] seconds");
  }
  std::string amz_date = FormatAmzDate(params.time);
  std::string date8 = amz_date.substr(0, 8);
  std::string scope = CredentialScope(date8, params.region, params.service);
  std::vector<std::string> names = ChooseSignedHeaders(req.headers);

  std::string query(req.query);
  auto add = [&query](std::string_view name, std::string_view value) {
    if (!query.empty()) query += '&';
    query.append(name).append("=").append(UriEncode(value, false));
  };
  add("X-Amz-Algorithm", kAlgorithm);
  add("X-Amz-Credential", params.credentials.access_key_id + "/" + scope);
  add("X-Amz-Date", amz_date);
  add("X-Amz-Expires", std::to_string(expires.count()));
  add("X-Amz-SignedHeaders", JoinSignedHeaders(names));
  if (!params.credentials.session_token.empty()) add("X-Amz-Security-Token", params.credentials.session_token);

  RequestView full = req;
  full.query = query;
  std::string key = SigningKey(params.credentials.secret_access_key, date8, params.region, params.service);
  std::string canonical = CanonicalRequest(full, names, kUnsignedPayload, params.double_encode_path);
  add("X-Amz-Signature", SignatureHex(key, StringToSign(amz_date, scope, canonical)));
  return query;
}

// ---------------------------------------------------------------- server side: parsing

S3Result<AuthorizationHeader> ParseAuthorizationHeader(std::string_view value) {
  value = Trim(value);
  size_t space = value.find_first_of(" \t");
  std::string_view algorithm = value.substr(0, space);
  if (algorithm != kAlgorithm) {
    return S3Error::InvalidRequest(
        "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.");
  }
  std::string_view rest = space == std::string_view::npos ? std::string_view() : value.substr(space);
  std::optional<std::string_view> credential, signed_headers, signature;
  for (std::string_view field : Split(rest, ',')) {
    field = Trim(field);
    size_t eq = field.find('=');
    if (eq == std::string_view::npos) {
      return S3Error::AuthorizationHeaderMalformed(
          "The authorization header is malformed; the authorization "
          "component \"" +
          std::string(field) + "\" is malformed.");
    }
    std::string_view key = Trim(field.substr(0, eq));
    std::string_view val = Trim(field.substr(eq + 1));
    std::optional<std::string_view>* slot = key == "Credential"      ? &credential
                                            : key == "SignedHeaders" ? &signed_headers
                                            : key == "Signature"     ? &signature
                                                                     : nullptr;
    if (slot == nullptr || slot->has_value()) {
      return S3Error::AuthorizationHeaderMalformed(
          "The authorization header is malformed; unexpected or repeated "
          "component \"" +
          std::string(key) + "\".");
    }
    *slot = val;
  }
  if (!credential || !signed_headers || !signature) {
    return S3Error::AuthorizationHeaderMalformed(
        "The authorization header is malformed; it needs Credential, SignedHeaders and Signature.");
  }
  auto cred = ParseCredential(*credential);
  if (!cred) {
    return S3Error::AuthorizationHeaderMalformed(
        "The authorization header is malformed; the Credential is mal-formed; expecting "
        "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
  }
  auto names = ParseSignedHeaders(*signed_headers);
  if (!names) {
    return S3Error::AuthorizationHeaderMalformed("The authorization header is malformed; SignedHeaders is invalid.");
  }
  if (signature->size() != 64 || !IsHex(*signature)) {
    return S3Error::AuthorizationHeaderMalformed(
        "The authorization header is malformed; the Signature is not 64 hexadecimal digits.");
  }
  return AuthorizationHeader{std::move(cred->access_key_id), std::move(cred->date8), std::move(cred->region),
                             std::move(cred->service),       std::move(*names),      ToLower(*signature)};
}

namespace {
S3Error QueryError(std::string message) { return S3Error::AuthorizationQueryParametersError(std::move(message)); }
}  // namespace

S3Result<std::optional<PresignedQuery>> ParsePresignedQuery(std::string_view raw_query) {
  std::optional<std::string> algorithm, credential, date, expires, signed_headers, signature, token;
  for (auto& p : ParseQuery(raw_query)) {
    std::optional<std::string>* slot = p.name == "X-Amz-Algorithm"        ? &algorithm
                                       : p.name == "X-Amz-Credential"     ? &credential
                                       : p.name == "X-Amz-Date"           ? &date
                                       : p.name == "X-Amz-Expires"        ? &expires
                                       : p.name == "X-Amz-SignedHeaders"  ? &signed_headers
                                       : p.name == "X-Amz-Signature"      ? &signature
                                       : p.name == "X-Amz-Security-Token" ? &token
                                                                          : nullptr;
    if (slot == nullptr) continue;
    if (slot->has_value()) return QueryError("Query-string authentication parameter " + p.name + " is repeated.");
    *slot = std::move(p.value);
  }
  if (!algorithm) return std::optional<PresignedQuery>();
  if (*algorithm != kAlgorithm) return QueryError("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  if (!credential || !date || !expires || !signed_headers || !signature) {
    return QueryError(
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, "
        "X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
  }
  auto cred = ParseCredential(*credential);
  if (!cred) {
    return QueryError(
        "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "
        "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
  }
  if (!ParseAmzDate(*date)) return QueryError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  if (!IsDigits(*expires) || expires->size() > 7) return QueryError("X-Amz-Expires should be a number");
  long seconds = std::stol(*expires);
  if (seconds < 1) return QueryError("X-Amz-Expires must be non-negative");
  if (seconds > kMaxPresignExpiry.count()) {
    return QueryError("X-Amz-Expires must be less than a week (in seconds) that is 604800");
  }
  auto names = ParseSignedHeaders(*signed_headers);
  if (!names) return QueryError("X-Amz-SignedHeaders is invalid.");
  if (signature->size() != 64 || !IsHex(*signature)) return QueryError("X-Amz-Signature is not 64 hexadecimal digits.");
  PresignedQuery q{std::move(cred->access_key_id),
                   std::move(cred->date8),
                   std::move(cred->region),
                   std::move(cred->service),
                   std::move(*date),
                   std::chrono::seconds(seconds),
                   std::move(*names),
                   ToLower(*signature),
                   token.value_or("")};
  return std::optional<PresignedQuery>(std::move(q));
}

// ---------------------------------------------------------------- server side: verification

namespace {

// What both auth styles have once parsed.
struct Claim {
  AuthKind kind = AuthKind::kHeader;
  std::string access_key_id, date8, region, service, amz_date, signature, session_token, payload_hash;
  std::vector<std::string> signed_headers;
  system_clock::time_point time;
};

S3Error Malformed(AuthKind kind, std::string message) {
  return kind == AuthKind::kHeader ? S3Error::AuthorizationHeaderMalformed(std::move(message))
                                   : S3Error::AuthorizationQueryParametersError(std::move(message));
}

// Region, service and Host checks shared by both styles.
S3Error CheckScope(const Claim& c, const VerifyOptions& options) {
  if (!options.region.empty() && c.region != options.region) {
    return Malformed(c.kind, "The authorization header is malformed; the region '" + c.region +
                                 "' is wrong; expecting '" + options.region + "'");
  }
  if (c.service != options.service) {
    return Malformed(c.kind, "The authorization header is malformed; incorrect service \"" + c.service +
                                 "\". This endpoint belongs to \"" + options.service + "\".");
  }
  if (!Contains(c.signed_headers, "host")) return Malformed(c.kind, "The Host header must be signed.");
  if (c.amz_date.compare(0, 8, c.date8) != 0) {
    return Malformed(c.kind, "Invalid credential date \"" + c.date8 +
                                 "\". This date is not the same as X-Amz-Date: \"" + c.amz_date.substr(0, 8) + "\".");
  }
  return S3Error::Ok();
}

S3Result<Claim> HeaderClaim(const RequestView& req, std::string_view authorization, system_clock::time_point now,
                            const VerifyOptions& options) {
  auto auth = ParseAuthorizationHeader(authorization);
  if (!auth.ok()) return auth.error();
  Claim c;
  c.kind = AuthKind::kHeader;
  c.access_key_id = std::move(auth->access_key_id);
  c.date8 = std::move(auth->date8);
  c.region = std::move(auth->region);
  c.service = std::move(auth->service);
  c.signature = std::move(auth->signature);
  c.signed_headers = std::move(auth->signed_headers);
  if (auto amz = FindHeader(req.headers, "x-amz-date")) {
    auto t = ParseAmzDate(Trim(*amz));
    if (!t) return S3Error::AccessDenied("AWS authentication requires a valid Date or x-amz-date header");
    c.time = *t;
    c.amz_date = std::string(Trim(*amz));  // signed as sent
  } else if (auto date = FindHeader(req.headers, "date")) {
    auto t = ParseHttpDate(Trim(*date));
    if (!t) return S3Error::AccessDenied("AWS authentication requires a valid Date or x-amz-date header");
    c.time = *t;
  } else {
    return S3Error::AccessDenied("AWS authentication requires a valid Date or x-amz-date header");
  }
  if (c.amz_date.empty()) c.amz_date = FormatAmzDate(c.time);
  if (now - c.time > options.max_skew || c.time - now > options.max_skew) {
    return S3Error::RequestTimeTooSkewed();
  }
  if (auto sha = FindHeader(req.headers, "x-amz-content-sha256")) {
    c.payload_hash = std::string(Trim(*sha));
  } else if (!options.body_sha256_hex.empty()) {
    c.payload_hash = options.body_sha256_hex;
  } else {
    return S3Error::InvalidRequest("Missing required header for this request: x-amz-content-sha256");
  }
  for (const auto& [name, value] : req.headers) {
    std::string lower = ToLower(name);
    if (lower.starts_with("x-amz-") && !Contains(c.signed_headers, lower)) {
      return S3Error::AccessDenied("There were headers present in the request which were not signed: " + lower);
    }
  }
  c.session_token = std::string(FindHeader(req.headers, "x-amz-security-token").value_or(""));
  return c;
}

S3Result<Claim> PresignedClaim(PresignedQuery q, system_clock::time_point now, const VerifyOptions& options) {
  Claim c;
  c.kind = AuthKind::kPresigned;
  c.access_key_id = std::move(q.access_key_id);
  c.date8 = std::move(q.date8);
  c.region = std::move(q.region);
  c.service = std::move(q.service);
  c.amz_date = std::move(q.amz_date);
  c.signature = std::move(q.signature);
  c.signed_headers = std::move(q.signed_headers);
  c.session_token = std::move(q.security_token);
  c.payload_hash = std::string(kUnsignedPayload);
  c.time = *ParseAmzDate(c.amz_date);  // validated by ParsePresignedQuery
  if (c.time - now > options.max_skew) return S3Error::AccessDenied("Request is not valid yet");
  if (now > c.time + q.expires) return S3Error::AccessDenied("Request has expired");
  return c;
}

}  // namespace

S3Result<VerifiedRequest> VerifyRequest(const RequestView& req, const SecretLookup& lookup,
                                        system_clock::time_point now, const VerifyOptions& options) {
  std::optional<std::string_view> authorization = FindHeader(req.headers, "authorization");
  if (authorization && HasQueryParam(req.query, "X-Amz-Algorithm")) {
    return S3Error::InvalidArgument(
        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string "
        "parameter or the Authorization header should be specified");
  }
  S3Result<std::optional<PresignedQuery>> presigned = std::optional<PresignedQuery>();
  if (!authorization) presigned = ParsePresignedQuery(req.query);
  if (!presigned.ok()) return presigned.error();
  VerifiedRequest out;
  if (!authorization && !presigned->has_value()) {
    auto sha = FindHeader(req.headers, "x-amz-content-sha256");
    out.payload_hash = std::string(sha ? Trim(*sha) : kUnsignedPayload);
    auto mode = ParsePayloadHash(out.payload_hash);
    if (!mode.ok()) return mode.error();
    out.payload_mode = *mode;
    return out;
  }
  auto claim = authorization ? HeaderClaim(req, *authorization, now, options)
                             : PresignedClaim(std::move(**presigned), now, options);
  if (!claim.ok()) return claim.error();
  Claim& c = *claim;
  if (S3Error e = CheckScope(c, options); !e.ok()) return e;
  auto mode = ParsePayloadHash(c.payload_hash);
  if (!mode.ok()) return mode.error();
  std::optional<std::string> secret = lookup ? lookup(c.access_key_id) : std::nullopt;
  if (!secret) return S3Error::InvalidAccessKeyId();

  std::string key = CachedSigningKey(*secret, c.date8, c.region, c.service);
  std::string scope = CredentialScope(c.date8, c.region, c.service);
  std::string_view exclude = c.kind == AuthKind::kPresigned ? "X-Amz-Signature" : "";
  std::string canonical = CanonicalRequest(req, c.signed_headers, c.payload_hash, options.double_encode_path, exclude);
  std::string expected = SignatureHex(key, StringToSign(c.amz_date, scope, canonical));
  if (!SignaturesEqual(expected, c.signature)) return S3Error::SignatureDoesNotMatch(std::string(kSignatureMismatch));

  out.kind = c.kind;
  out.access_key_id = std::move(c.access_key_id);
  out.signing_key = std::move(key);
  out.seed_signature = std::move(c.signature);
  out.amz_date = std::move(c.amz_date);
  out.scope = std::move(scope);
  out.region = std::move(c.region);
  out.session_token = std::move(c.session_token);
  out.payload_hash = std::move(c.payload_hash);
  out.payload_mode = *mode;
  return out;
}

S3Error CheckPayloadHash(const VerifiedRequest& verified, std::string_view body_sha256_hex) {
  if (verified.payload_mode != PayloadMode::kSha256) return S3Error::Ok();
  if (EqualsIgnoreCase(verified.payload_hash, body_sha256_hex)) return S3Error::Ok();
  return S3Error::XAmzContentSHA256Mismatch(
      "The provided 'x-amz-content-sha256' header does not match what was computed. Client: " + verified.payload_hash +
      ", server: " + std::string(body_sha256_hex));
}

}  // namespace faasnet::s3
