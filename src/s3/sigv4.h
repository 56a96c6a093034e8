// AWS Signature Version 4 (AWS4-HMAC-SHA256), both sides, for S3 and for other
// services that use the same scheme (e.g. "lambda").
//
//   Client side: SignRequest() adds Authorization / x-amz-date /
//   x-amz-content-sha256 (/ x-amz-security-token); PresignQuery() builds a
//   presigned URL's query string. The building blocks (CanonicalRequest,
//   StringToSign, SigningKey, ...) are public for tests and the chunk signer.
//
//   Server side: VerifyRequest() checks the Authorization header or the
//   presigned X-Amz-* query parameters against a secret lookup and a clock and
//   returns what the body decoder needs (signing key, seed signature, scope,
//   claimed payload hash). The body itself is not read here: for a hex
//   x-amz-content-sha256 the caller hashes the body and compares (mismatch ->
//   XAmzContentSHA256Mismatch); for STREAMING-* bodies it uses
//   s3/chunked.h with the returned signing material.
//
// Paths: S3 signs the path exactly as received on the wire (already
// percent-encoded), without normalisation or a second encoding. Other services
// encode it once more (SigV4Options::double_encode_path); no service here
// normalises "." / ".." segments.
//
// Query strings: every parameter is decoded ('+' as space; an undecodable
// escape is taken literally) and re-encoded with faasnet::UriEncode, then
// sorted by encoded name, then value. "?uploads" signs as "uploads=".
//
// Ownership: RequestView borrows; it must not outlive the strings it points
// to. Results own their strings.
// Thread-safety: pure functions; safe to call concurrently. The SecretLookup
// is called on the caller's thread and must be safe for whatever the caller does.
#ifndef FAASNET_S3_SIGV4_H_
#define FAASNET_S3_SIGV4_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "s3/errors.h"
#include "s3/headers.h"

namespace faasnet::s3 {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
// Special x-amz-content-sha256 values.
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view kStreamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
inline constexpr std::string_view kStreamingPayloadTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
inline constexpr std::string_view kStreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
// Presigned URLs: X-Amz-Expires must lie in [1, kMaxPresignExpiry].
inline constexpr std::chrono::seconds kMaxPresignExpiry{604800};
// Header-signed requests more than this far from "now" are RequestTimeTooSkewed.
inline constexpr std::chrono::minutes kMaxClockSkew{15};

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary credentials
};

// An HTTP request as seen on the wire. Header names may be in any case and may
// repeat (repeated values are joined with "," in the canonical form).
struct RequestView {
  std::string_view method;  // "GET", "PUT", ...
  std::string_view path;    // raw request-target path, percent-encoded, no '?'
  std::string_view query;   // raw query without the leading '?'; may be empty
  std::span<const HeaderPair> headers;
};

// What the body hash claim (x-amz-content-sha256) says about the payload.
enum class PayloadMode {
  kSha256,                   // a hex SHA-256 of the whole body
  kUnsigned,                 // UNSIGNED-PAYLOAD
  kStreamingSigned,          // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
  kStreamingSignedTrailer,   // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
  kStreamingUnsignedTrailer  // STREAMING-UNSIGNED-PAYLOAD-TRAILER
};
// Classifies an x-amz-content-sha256 value. Hex digests must be 64 hex
// characters (either case). Anything else -> InvalidArgument (S3's wording);
// the SigV4a "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD*" -> NotImplemented.
S3Result<PayloadMode> ParsePayloadHash(std::string_view value);
// True for the three STREAMING-* modes (body is aws-chunked).
bool IsStreaming(PayloadMode mode);

// ---------------------------------------------------------------- building blocks

// "20130524T000000Z" (UTC) for `t`, truncated to whole seconds.
std::string FormatAmzDate(std::chrono::system_clock::time_point t);
// Parses "YYYYMMDDTHHMMSSZ"; nullopt when malformed or out of range.
std::optional<std::chrono::system_clock::time_point> ParseAmzDate(std::string_view s);

// "<yyyymmdd>/<region>/<service>/aws4_request".
std::string CredentialScope(std::string_view date8, std::string_view region, std::string_view service);

// The canonical query string of a raw query (see the header comment).
// Parameters named `exclude` (exact, after decoding) are dropped; presigned
// verification excludes "X-Amz-Signature".
std::string CanonicalQueryString(std::string_view raw_query, std::string_view exclude = {});

// "name:value\n" for each name in `signed_headers` (lower case; in the order
// given), values trimmed with inner runs of spaces collapsed, repeated headers
// joined with ','. A signed header absent from the request contributes "name:\n".
std::string CanonicalHeaders(std::span<const HeaderPair> headers, std::span<const std::string> signed_headers);

// The canonical request:
//   METHOD \n URI \n QUERY \n CANONICAL-HEADERS \n SIGNED-HEADERS \n PAYLOAD-HASH
// `signed_headers` are lower case, normally sorted (used in the given
// order). The URI is req.path as is
// ("/" when empty), or encoded once more when `double_encode_path`.
// `exclude_query` is passed to CanonicalQueryString.
std::string CanonicalRequest(const RequestView& req, std::span<const std::string> signed_headers,
                             std::string_view payload_hash, bool double_encode_path = false,
                             std::string_view exclude_query = {});

// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256(canonical_request)>".
std::string StringToSign(std::string_view amz_date, std::string_view scope, std::string_view canonical_request);

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date8), region), service), "aws4_request"); raw 32 bytes.
std::string SigningKey(std::string_view secret, std::string_view date8, std::string_view region,
                       std::string_view service);

// Lower-case hex HMAC-SHA256(signing_key, string_to_sign).
std::string SignatureHex(std::string_view signing_key, std::string_view string_to_sign);

// ---------------------------------------------------------------- streaming (aws-chunked)

// What signs an aws-chunked body: the request's signing key, timestamp and
// scope, and the signature of the previous chunk (initially the seed signature
// from the Authorization header).
struct ChunkSigningContext {
  std::string signing_key;  // raw
  std::string amz_date;     // "20130524T000000Z"
  std::string scope;        // "20130524/us-east-1/s3/aws4_request"
  std::string seed_signature;
};

// Signature of one chunk: HMAC over
//   "AWS4-HMAC-SHA256-PAYLOAD\n<date>\n<scope>\n<prev>\n<sha256("")>\n<chunk_sha256_hex>".
std::string ChunkSignature(const ChunkSigningContext& ctx, std::string_view previous_signature,
                           std::string_view chunk_sha256_hex);
// Signature of the trailer: HMAC over
//   "AWS4-HMAC-SHA256-TRAILER\n<date>\n<scope>\n<prev>\n<sha256(trailer_headers)>"
// where `trailer_headers` is the canonical "name:value\n" text of the trailing
// headers (without x-amz-trailer-signature).
std::string TrailerSignature(const ChunkSigningContext& ctx, std::string_view previous_signature,
                             std::string_view trailer_headers);

// ---------------------------------------------------------------- client side

struct SigningParams {
  Credentials credentials;
  std::string region = "us-east-1";
  std::string service = "s3";
  std::chrono::system_clock::time_point time = std::chrono::system_clock::now();
  bool double_encode_path = false;  // false for s3, true for other services
};

// The outcome of signing: headers the caller must add to the request (in this
// order), and the material an aws-chunked encoder needs.
struct SignedRequest {
  std::vector<std::pair<std::string, std::string>> headers_to_add;
  std::string signature;              // hex; the seed signature of a chunked body
  std::string signed_headers;         // "host;range;x-amz-content-sha256;x-amz-date"
  ChunkSigningContext chunk_context;  // seed_signature == signature
};

// Signs `req` with header auth. `payload_hash` is the x-amz-content-sha256
// value to send (a hex SHA-256, UNSIGNED-PAYLOAD or a STREAMING-* value).
// Every header of `req` is signed except hop-by-hop and agent headers
// (authorization, user-agent, expect, connection, transfer-encoding, ...);
// x-amz-date / x-amz-content-sha256 / x-amz-security-token are added by this
// call and must not already be in `req`.
// Errors: InvalidArgument when `req` has no Host header or already carries
// one of the headers this call adds.
Result<SignedRequest> SignRequest(const RequestView& req, const SigningParams& params, std::string_view payload_hash);

// The query string of a presigned URL (without '?'): `req.query`'s parameters
// followed by X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires,
// X-Amz-SignedHeaders (X-Amz-Security-Token when set) and X-Amz-Signature.
// The payload is UNSIGNED-PAYLOAD; signed headers are chosen as in SignRequest
// (normally just "host").
// Errors: InvalidArgument for no Host header or `expires` outside [1s, 7 days].
Result<std::string> PresignQuery(const RequestView& req, const SigningParams& params, std::chrono::seconds expires);

// ---------------------------------------------------------------- server side

// A parsed Authorization header:
//   AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,
//   SignedHeaders=host;range;x-amz-date, Signature=<64 hex>
struct AuthorizationHeader {
  std::string access_key_id;
  std::string date8;  // "20130524"
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;  // lower case, in the order listed
  std::string signature;                    // 64 lower-case hex
};
// Tolerates spaces around ',' and '=', and any order of the three fields.
// SignedHeaders are kept in the order given (signers sort them; verifying in
// the given order is what a client that did not sort would have signed).
// Errors: InvalidRequest for another algorithm (e.g. SigV2 "AWS AK:sig");
// AuthorizationHeaderMalformed for a missing/duplicate/unknown field, a bad
// credential (needs exactly 5 non-empty '/'-separated parts ending in
// "aws4_request", an 8-digit date), a SignedHeaders list with an empty or
// upper-case name, or a signature that is not 64 hex digits (either case;
// returned lower case).
S3Result<AuthorizationHeader> ParseAuthorizationHeader(std::string_view value);

// The X-Amz-* parameters of a presigned URL.
struct PresignedQuery {
  std::string access_key_id;
  std::string date8;
  std::string region;
  std::string service;
  std::string amz_date;  // X-Amz-Date, "20130524T000000Z"
  std::chrono::seconds expires{0};
  std::vector<std::string> signed_headers;
  std::string signature;
  std::string security_token;  // X-Amz-Security-Token, may be empty
};
// Parses the query. Returns nullopt inside the result when X-Amz-Algorithm is
// absent (not a presigned request).
// Errors: AuthorizationQueryParametersError for a wrong algorithm, missing or
// malformed X-Amz-Credential / X-Amz-Date / X-Amz-SignedHeaders /
// X-Amz-Signature, X-Amz-Expires missing, not a number, or outside
// [1, 604800].
S3Result<std::optional<PresignedQuery>> ParsePresignedQuery(std::string_view raw_query);

// How the request authenticated.
enum class AuthKind { kAnonymous, kHeader, kPresigned };

// The outcome of a successful VerifyRequest.
struct VerifiedRequest {
  AuthKind kind = AuthKind::kAnonymous;
  // Everything below is empty for kAnonymous.
  std::string access_key_id;
  std::string signing_key;     // raw 32 bytes
  std::string seed_signature;  // hex; the request signature
  std::string amz_date;        // "20130524T000000Z"
  std::string scope;           // "20130524/us-east-1/s3/aws4_request"
  std::string region;
  std::string session_token;  // x-amz-security-token / X-Amz-Security-Token
  // The x-amz-content-sha256 claim (UNSIGNED-PAYLOAD for presigned URLs and
  // for anonymous requests without the header), and its classification.
  std::string payload_hash;
  PayloadMode payload_mode = PayloadMode::kUnsigned;

  // The chain start for s3/chunked.h.
  ChunkSigningContext chunk_context() const { return {signing_key, amz_date, scope, seed_signature}; }
};

// Returns the secret key for an access key id, or nullopt when unknown.
using SecretLookup = std::function<std::optional<std::string>(std::string_view access_key_id)>;

struct VerifyOptions {
  // Expected region; empty accepts any (the signature still binds the region).
  std::string region;
  std::string service = "s3";
  std::chrono::seconds max_skew = kMaxClockSkew;
  bool double_encode_path = false;
  // Used as the payload hash when the request has no x-amz-content-sha256
  // header (services other than S3 do not send it). When empty and the header
  // is absent, a header-signed request fails with InvalidRequest.
  std::string body_sha256_hex;
};

// Authenticates `req` at time `now`.
// Success: kind kAnonymous when the request carries neither an Authorization
// header nor X-Amz-Algorithm (the caller decides: AccessDenied or allow);
// otherwise kHeader / kPresigned with the signing material.
// Errors:
//   InvalidArgument      both an Authorization header and presigned params
//   InvalidRequest       unsupported algorithm; missing x-amz-content-sha256
//   AuthorizationHeaderMalformed / AuthorizationQueryParametersError
//                        malformed auth; Host not signed; wrong region or
//                        service; credential date != request date; no date
//   AccessDenied         presigned URL expired ("Request has expired") or not
//                        yet valid; x-amz-* header present but not signed
//   RequestTimeTooSkewed header auth more than options.max_skew from `now`
//   InvalidAccessKeyId   lookup returned nullopt
//   SignatureDoesNotMatch the signature differs
//   InvalidArgument      malformed x-amz-content-sha256
// The session token (x-amz-security-token) is reported, not validated.
S3Result<VerifiedRequest> VerifyRequest(const RequestView& req, const SecretLookup& lookup,
                                        std::chrono::system_clock::time_point now, const VerifyOptions& options = {});

// After reading the body of a kSha256 request: OK when `body_sha256_hex`
// (hex SHA-256 of the received body, either case) equals the claim, else
// XAmzContentSHA256Mismatch. OK for every other payload mode.
S3Error CheckPayloadHash(const VerifiedRequest& verified, std::string_view body_sha256_hex);

}  // namespace faasnet::s3

#endif  // FAASNET_S3_SIGV4_H_
