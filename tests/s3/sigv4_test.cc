#include "s3/sigv4.h"

#include <gtest/gtest.h>

#include <cctype>

#include "base/strings.h"
#include "s3/checksum.h"
#include "test_request.h"

namespace faasnet::s3 {
namespace {

using namespace std::chrono_literals;
using testing::ExampleLookup;
using testing::ExampleParams;
using testing::ExampleTime;
using testing::kAccessKey;
using testing::TestRequest;

std::string ToUpperForTest(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string SignatureOf(const SignedRequest& signed_request) { return signed_request.signature; }

std::string HeaderValue(const SignedRequest& s, std::string_view name) {
  for (const auto& [n, v] : s.headers_to_add) {
    if (n == name) return v;
  }
  return "";
}

// ---------------------------------------------------------------- AWS examples
// From the S3 API reference, "Signature Calculations for the Authorization
// Header: Transferring Payload in a Single Chunk" and "Authenticating
// Requests: Using Query Parameters".

TEST(SigV4Kat, GetObjectWithRange) {
  TestRequest r;
  r.path = "/test.txt";
  r.Add("Host", "examplebucket.s3.amazonaws.com");
  r.Add("Range", "bytes=0-9");
  auto s = SignRequest(r.View(), ExampleParams(), kEmptySha256Hex);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(SignatureOf(*s), "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(s->signed_headers, "host;range;x-amz-content-sha256;x-amz-date");
  EXPECT_EQ(HeaderValue(*s, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(HeaderValue(*s, "x-amz-date"), "20130524T000000Z");
  EXPECT_EQ(HeaderValue(*s, "x-amz-content-sha256"), kEmptySha256Hex);

  // The building blocks give the documented intermediate values.
  r.AddAll(s->headers_to_add);
  std::vector<std::string> names = {"host", "range", "x-amz-content-sha256", "x-amz-date"};
  std::string canonical = CanonicalRequest(r.View(), names, kEmptySha256Hex);
  EXPECT_EQ(canonical,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(StringToSign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", canonical),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
}

TEST(SigV4Kat, PutObjectWithEncodedKeyAndDateHeader) {
  TestRequest r;
  r.method = "PUT";
  r.path = "/test%24file.text";
  r.Add("Host", "examplebucket.s3.amazonaws.com");
  r.Add("Date", "Fri, 24 May 2013 00:00:00 GMT");
  r.Add("x-amz-storage-class", "REDUCED_REDUNDANCY");
  std::string payload_hash = Sha256Hex("Welcome to Amazon S3.");
  EXPECT_EQ(payload_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  auto s = SignRequest(r.View(), ExampleParams(), payload_hash);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->signed_headers, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
  EXPECT_EQ(SignatureOf(*s), "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");

  r.AddAll(s->headers_to_add);
  std::vector<std::string> names = {"date", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-storage-class"};
  std::string canonical = CanonicalRequest(r.View(), names, payload_hash);
  EXPECT_EQ(Sha256Hex(canonical), "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
}

TEST(SigV4Kat, GetBucketLifecycle) {
  TestRequest r;
  r.query = "lifecycle";
  r.Add("Host", "examplebucket.s3.amazonaws.com");
  auto s = SignRequest(r.View(), ExampleParams(), kEmptySha256Hex);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(SignatureOf(*s), "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4Kat, ListObjects) {
  TestRequest r;
  r.query = "max-keys=2&prefix=J";
  r.Add("Host", "examplebucket.s3.amazonaws.com");
  auto s = SignRequest(r.View(), ExampleParams(), kEmptySha256Hex);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(SignatureOf(*s), "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
  // Query order on the wire does not matter.
  r.query = "prefix=J&max-keys=2";
  EXPECT_EQ(SignatureOf(*SignRequest(r.View(), ExampleParams(), kEmptySha256Hex)),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4Kat, PresignedUrl) {
  TestRequest r;
  r.path = "/test.txt";
  r.Add("Host", "examplebucket.s3.amazonaws.com");
  auto q = PresignQuery(r.View(), ExampleParams(), 86400s);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(*q,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(SigV4Kat, ChunkedUploadSeedSignature) {
  TestRequest r;
  r.method = "PUT";
  r.path = "/examplebucket/chunkObject.txt";
  r.Add("Host", "s3.amazonaws.com");
  r.Add("x-amz-storage-class", "REDUCED_REDUNDANCY");
  r.Add("Content-Encoding", "aws-chunked");
  r.Add("Content-Length", "66824");
  r.Add("x-amz-decoded-content-length", "66560");
  auto s = SignRequest(r.View(), ExampleParams(), kStreamingPayload);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->signed_headers,
            "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;"
            "x-amz-storage-class");
  EXPECT_EQ(SignatureOf(*s), "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
  EXPECT_EQ(s->chunk_context.seed_signature, s->signature);
  EXPECT_EQ(s->chunk_context.scope, "20130524/us-east-1/s3/aws4_request");
}

TEST(SigV4Kat, ServerAcceptsTheDocumentedGetRequest) {
  TestRequest r;
  r.path = "/test.txt";
  r.Add("Host", "examplebucket.s3.amazonaws.com");
  r.Add("Range", "bytes=0-9");
  r.Add("x-amz-content-sha256", std::string(kEmptySha256Hex));
  r.Add("x-amz-date", "20130524T000000Z");
  r.Add("Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  auto v = VerifyRequest(r.View(), ExampleLookup, ExampleTime() + 1min);
  ASSERT_TRUE(v.ok()) << v.error().code << ": " << v.error().message;
  EXPECT_EQ(v->kind, AuthKind::kHeader);
  EXPECT_EQ(v->access_key_id, kAccessKey);
  EXPECT_EQ(v->seed_signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(v->amz_date, "20130524T000000Z");
  EXPECT_EQ(v->scope, "20130524/us-east-1/s3/aws4_request");
  EXPECT_EQ(v->payload_mode, PayloadMode::kSha256);
  EXPECT_EQ(v->payload_hash, kEmptySha256Hex);
  EXPECT_EQ(v->signing_key, SigningKey(testing::kSecret, "20130524", "us-east-1", "s3"));
}

// ---------------------------------------------------------------- building blocks

TEST(SigV4, CanonicalQueryStringSortsAndReencodes) {
  EXPECT_EQ(CanonicalQueryString("b=2&a=x+y&a=%2B&c="), "a=%2B&a=x%20y&b=2&c=");
  EXPECT_EQ(CanonicalQueryString("uploads"), "uploads=");
  EXPECT_EQ(CanonicalQueryString("prefix=a%2fb&delimiter=/"), "delimiter=%2F&prefix=a%2Fb");
  EXPECT_EQ(CanonicalQueryString("a=1&&b=2&"), "a=1&b=2");
  EXPECT_EQ(CanonicalQueryString(""), "");
  EXPECT_EQ(CanonicalQueryString("k=%zz"), "k=%25zz");  // undecodable: literal
  EXPECT_EQ(CanonicalQueryString("X-Amz-Signature=abc&x=1", "X-Amz-Signature"), "x=1");
  EXPECT_EQ(CanonicalQueryString("key=%E2%82%AC~"), "key=%E2%82%AC~");
}

TEST(SigV4, CanonicalHeadersTrimCollapseAndJoin) {
  std::vector<HeaderPair> headers = {
      {"Host", "example.com"}, {"X-Amz-Meta-A", "  one   two  "}, {"x-amz-meta-a", "three"}, {"Other", "x"}};
  std::vector<std::string> names = {"host", "x-amz-meta-a", "x-amz-missing"};
  EXPECT_EQ(CanonicalHeaders(headers, names), "host:example.com\nx-amz-meta-a:one two,three\nx-amz-missing:\n");
}

TEST(SigV4, PathIsUsedAsReceivedForS3AndEncodedAgainOtherwise) {
  std::vector<HeaderPair> headers = {{"host", "example.com"}};
  RequestView v{"GET", "/pa%20th/./x", "", headers};
  std::vector<std::string> names = {"host"};
  EXPECT_TRUE(CanonicalRequest(v, names, "h").starts_with("GET\n/pa%20th/./x\n"));
  EXPECT_TRUE(CanonicalRequest(v, names, "h", /*double_encode_path=*/true).starts_with("GET\n/pa%2520th/./x\n"));
  RequestView empty{"GET", "", "", headers};
  EXPECT_TRUE(CanonicalRequest(empty, names, "h").starts_with("GET\n/\n"));
}

TEST(SigV4, AmzDateRoundTrip) {
  EXPECT_EQ(FormatAmzDate(ExampleTime() + 3723s + 999ms), "20130524T010203Z");
  EXPECT_EQ(ParseAmzDate("20130524T010203Z"), ExampleTime() + 3723s);
  EXPECT_FALSE(ParseAmzDate("20130524T010203"));
  EXPECT_FALSE(ParseAmzDate("20131324T000000Z"));
  EXPECT_FALSE(ParseAmzDate("20130230T000000Z"));
  EXPECT_FALSE(ParseAmzDate("2013-05-24T00:00:00Z"));
}

TEST(SigV4, ParsePayloadHash) {
  EXPECT_EQ(*ParsePayloadHash(kUnsignedPayload), PayloadMode::kUnsigned);
  EXPECT_EQ(*ParsePayloadHash(kStreamingPayload), PayloadMode::kStreamingSigned);
  EXPECT_EQ(*ParsePayloadHash(kStreamingPayloadTrailer), PayloadMode::kStreamingSignedTrailer);
  EXPECT_EQ(*ParsePayloadHash(kStreamingUnsignedTrailer), PayloadMode::kStreamingUnsignedTrailer);
  EXPECT_EQ(*ParsePayloadHash(kEmptySha256Hex), PayloadMode::kSha256);
  EXPECT_EQ(ParsePayloadHash("abc").error().code, "InvalidArgument");
  EXPECT_EQ(ParsePayloadHash(std::string(64, 'g')).error().code, "InvalidArgument");
  EXPECT_EQ(ParsePayloadHash("STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD").error().code, "NotImplemented");
  EXPECT_TRUE(IsStreaming(PayloadMode::kStreamingUnsignedTrailer));
  EXPECT_FALSE(IsStreaming(PayloadMode::kUnsigned));
}

// ---------------------------------------------------------------- Authorization header parsing

constexpr char kSig[] = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";

TEST(ParseAuthorizationHeader, AcceptsSpacingAndOrderVariants) {
  std::string cred = "Credential=AK/20130524/us-east-1/s3/aws4_request";
  std::string sh = "SignedHeaders=host;range;x-amz-date";
  std::string sig = std::string("Signature=") + kSig;
  for (const std::string& value : {
           "AWS4-HMAC-SHA256 " + cred + "," + sh + "," + sig,
           "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig,
           "AWS4-HMAC-SHA256   " + cred + " ,  " + sh + " ,\t" + sig + "  ",
           "AWS4-HMAC-SHA256 " + sig + ", " + cred + ", " + sh,
           "AWS4-HMAC-SHA256 Credential = AK/20130524/us-east-1/s3/aws4_request, " + sh + ", " + sig,
       }) {
    auto a = ParseAuthorizationHeader(value);
    ASSERT_TRUE(a.ok()) << value << " -> " << a.error().message;
    EXPECT_EQ(a->access_key_id, "AK");
    EXPECT_EQ(a->date8, "20130524");
    EXPECT_EQ(a->region, "us-east-1");
    EXPECT_EQ(a->service, "s3");
    EXPECT_EQ(a->signed_headers, (std::vector<std::string>{"host", "range", "x-amz-date"}));
    EXPECT_EQ(a->signature, kSig);
  }
}

TEST(ParseAuthorizationHeader, RejectsMalformed) {
  std::string sig = std::string("Signature=") + kSig;
  const std::string malformed[] = {
      "AWS4-HMAC-SHA256",
      "AWS4-HMAC-SHA256 ",
      "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host",
      "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, " + sig + ", " + sig,
      "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3, SignedHeaders=host, " + sig,
      "AWS4-HMAC-SHA256 Credential=AK/2013052/us-east-1/s3/aws4_request, SignedHeaders=host, " + sig,
      "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_reques, SignedHeaders=host, " + sig,
      "AWS4-HMAC-SHA256 Credential=/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, " + sig,
      "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=Host, " + sig,
      "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;;x, " + sig,
      "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc",
      "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" +
          std::string(64, 'z'),
      "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Foo=1, " + sig,
      "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request SignedHeaders=host " + sig,
  };
  for (const auto& value : malformed) {
    auto a = ParseAuthorizationHeader(value);
    ASSERT_FALSE(a.ok()) << value;
    EXPECT_EQ(a.error().code, "AuthorizationHeaderMalformed") << value;
    EXPECT_EQ(a.error().http_status, 400);
  }
  EXPECT_EQ(ParseAuthorizationHeader("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=").error().code,
            "InvalidRequest");
  EXPECT_EQ(ParseAuthorizationHeader("Bearer xyz").error().code, "InvalidRequest");
}

// ---------------------------------------------------------------- sign + verify

// A signed PUT with a query, a range-less body hash and user metadata.
struct SignedFixture {
  TestRequest request;
  SignedRequest signed_request;
};

SignedFixture MakeSigned(const SigningParams& params = ExampleParams()) {
  SignedFixture f;
  f.request.method = "PUT";
  f.request.path = "/bucket/dir/my%20key%2B1.txt";
  f.request.query = "partNumber=3&uploadId=abc%2Fdef";
  f.request.Add("Host", "localhost:9000");
  f.request.Add("Content-Type", "text/plain");
  f.request.Add("x-amz-meta-color", "blue");
  f.request.Add("User-Agent", "test/1.0");  // not signed
  f.signed_request = *SignRequest(f.request.View(), params, Sha256Hex("hello"));
  f.request.AddAll(f.signed_request.headers_to_add);
  return f;
}

TEST(SigV4RoundTrip, SignedRequestVerifies) {
  SignedFixture f = MakeSigned();
  auto v = VerifyRequest(f.request.View(), ExampleLookup, ExampleTime() + 5min);
  ASSERT_TRUE(v.ok()) << v.error().code << ": " << v.error().message;
  EXPECT_EQ(v->kind, AuthKind::kHeader);
  EXPECT_EQ(v->payload_hash, Sha256Hex("hello"));
  EXPECT_EQ(v->seed_signature, f.signed_request.signature);
  EXPECT_EQ(f.signed_request.signed_headers, "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-color");
}

TEST(SigV4RoundTrip, PayloadHashIsCheckedAgainstTheBody) {
  SignedFixture f = MakeSigned();
  auto v = VerifyRequest(f.request.View(), ExampleLookup, ExampleTime());
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(CheckPayloadHash(*v, Sha256Hex("hello")).ok());
  S3Error e = CheckPayloadHash(*v, Sha256Hex("hellO"));
  EXPECT_EQ(e.code, "XAmzContentSHA256Mismatch");
  EXPECT_EQ(e.http_status, 400);
  VerifiedRequest unsigned_payload;
  unsigned_payload.payload_mode = PayloadMode::kUnsigned;
  EXPECT_TRUE(CheckPayloadHash(unsigned_payload, Sha256Hex("anything")).ok());
}

TEST(SigV4RoundTrip, UnsignedHeaderMayChange) {
  SignedFixture f = MakeSigned();
  for (auto& [n, v] : f.request.headers) {
    if (n == "User-Agent") v = "other/2.0";
  }
  EXPECT_TRUE(VerifyRequest(f.request.View(), ExampleLookup, ExampleTime()).ok());
}

TEST(SigV4RoundTrip, AnyChangedByteOfPathQueryOrSignedHeaderValueIsRejected) {
  SignedFixture base = MakeSigned();
  auto mutate = [](std::string* s, size_t i) { (*s)[i] = (*s)[i] == 'X' ? 'Y' : 'X'; };
  int checked = 0;
  for (size_t i = 0; i < base.request.path.size(); ++i) {
    SignedFixture f = base;
    mutate(&f.request.path, i);
    auto v = VerifyRequest(f.request.View(), ExampleLookup, ExampleTime());
    ASSERT_FALSE(v.ok()) << "path " << f.request.path;
    EXPECT_EQ(v.error().code, "SignatureDoesNotMatch") << f.request.path;
    ++checked;
  }
  for (size_t i = 0; i < base.request.query.size(); ++i) {
    SignedFixture f = base;
    mutate(&f.request.query, i);
    auto v = VerifyRequest(f.request.View(), ExampleLookup, ExampleTime());
    ASSERT_FALSE(v.ok()) << "query " << f.request.query;
    EXPECT_EQ(v.error().code, "SignatureDoesNotMatch") << f.request.query;
    ++checked;
  }
  for (std::string name : {"Host", "Content-Type", "x-amz-meta-color", "x-amz-content-sha256"}) {
    size_t idx = 0;
    while (base.request.headers[idx].first != name) ++idx;
    for (size_t i = 0; i < base.request.headers[idx].second.size(); ++i) {
      SignedFixture f = base;
      std::string& value = f.request.headers[idx].second;
      // Keep the payload hash a valid hex digest so the signature check runs.
      if (name == "x-amz-content-sha256") {
        value[i] = value[i] == '0' ? '1' : '0';
      } else {
        mutate(&value, i);
      }
      auto v = VerifyRequest(f.request.View(), ExampleLookup, ExampleTime());
      ASSERT_FALSE(v.ok()) << name << ": " << value;
      EXPECT_EQ(v.error().code, "SignatureDoesNotMatch") << name << ": " << value;
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
}

TEST(SigV4RoundTrip, ChangedMethodOrRenamedHeaderIsRejected) {
  SignedFixture f = MakeSigned();
  f.request.method = "POST";
  EXPECT_EQ(VerifyRequest(f.request.View(), ExampleLookup, ExampleTime()).error().code, "SignatureDoesNotMatch");
  f = MakeSigned();
  for (auto& [n, v] : f.request.headers) {
    if (n == "Content-Type") n = "Content-Typo";
  }
  EXPECT_EQ(VerifyRequest(f.request.View(), ExampleLookup, ExampleTime()).error().code, "SignatureDoesNotMatch");
  f = MakeSigned();
  f.request.Add("Content-Type", "text/html");  // a repeated signed header changes its canonical value
  EXPECT_EQ(VerifyRequest(f.request.View(), ExampleLookup, ExampleTime()).error().code, "SignatureDoesNotMatch");
}

TEST(SigV4RoundTrip, HeaderNameCaseDoesNotMatter) {
  SignedFixture f = MakeSigned();
  for (auto& [n, v] : f.request.headers) {
    if (n != "Authorization") n = ToUpperForTest(n);
  }
  EXPECT_TRUE(VerifyRequest(f.request.View(), ExampleLookup, ExampleTime()).ok());
}

TEST(SigV4RoundTrip, WrongSecretAndUnknownKey) {
  SigningParams wrong = ExampleParams();
  wrong.credentials.secret_access_key = "not-the-secret";
  SignedFixture f = MakeSigned(wrong);
  auto v = VerifyRequest(f.request.View(), ExampleLookup, ExampleTime());
  EXPECT_EQ(v.error().code, "SignatureDoesNotMatch");
  EXPECT_EQ(v.error().http_status, 403);

  SigningParams unknown = ExampleParams();
  unknown.credentials.access_key_id = "AKIDUNKNOWN";
  f = MakeSigned(unknown);
  v = VerifyRequest(f.request.View(), ExampleLookup, ExampleTime());
  EXPECT_EQ(v.error().code, "InvalidAccessKeyId");
  EXPECT_EQ(v.error().http_status, 403);
}

TEST(SigV4RoundTrip, ClockSkew) {
  SignedFixture f = MakeSigned();
  EXPECT_TRUE(VerifyRequest(f.request.View(), ExampleLookup, ExampleTime() + 14min).ok());
  EXPECT_TRUE(VerifyRequest(f.request.View(), ExampleLookup, ExampleTime() - 14min).ok());
  auto late = VerifyRequest(f.request.View(), ExampleLookup, ExampleTime() + 16min);
  EXPECT_EQ(late.error().code, "RequestTimeTooSkewed");
  EXPECT_EQ(late.error().http_status, 403);
  EXPECT_EQ(VerifyRequest(f.request.View(), ExampleLookup, ExampleTime() - 16min).error().code, "RequestTimeTooSkewed");
}

TEST(SigV4RoundTrip, SessionTokenIsSignedAndReported) {
  SigningParams p = ExampleParams();
  p.credentials.session_token = "token/with+chars";
  SignedFixture f = MakeSigned(p);
  EXPECT_NE(f.signed_request.signed_headers.find("x-amz-security-token"), std::string::npos);
  auto v = VerifyRequest(f.request.View(), ExampleLookup, ExampleTime());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->session_token, "token/with+chars");
}

TEST(SigV4Verify, AnonymousIsReportedDistinctly) {
  TestRequest r;
  r.Add("Host", "localhost");
  auto v = VerifyRequest(r.View(), ExampleLookup, ExampleTime());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->kind, AuthKind::kAnonymous);
  EXPECT_TRUE(v->access_key_id.empty());
  EXPECT_EQ(v->payload_mode, PayloadMode::kUnsigned);
  r.Add("x-amz-content-sha256", "garbage");
  EXPECT_EQ(VerifyRequest(r.View(), ExampleLookup, ExampleTime()).error().code, "InvalidArgument");
}

TEST(SigV4Verify, RejectsBothMechanisms) {
  SignedFixture f = MakeSigned();
  f.request.query += "&X-Amz-Algorithm=AWS4-HMAC-SHA256";
  EXPECT_EQ(VerifyRequest(f.request.View(), ExampleLookup, ExampleTime()).error().code, "InvalidArgument");
}

TEST(SigV4Verify, HostMustBeSigned) {
  TestRequest r;
  r.Add("Host", "localhost");
  r.Add("x-amz-date", "20130524T000000Z");
  r.Add("x-amz-content-sha256", std::string(kEmptySha256Hex));
  r.Add("Authorization", std::string("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                                     "aws4_request, SignedHeaders=x-amz-content-sha256;x-amz-date, Signature=") +
                             kSig);
  auto v = VerifyRequest(r.View(), ExampleLookup, ExampleTime());
  EXPECT_EQ(v.error().code, "AuthorizationHeaderMalformed");
}

TEST(SigV4Verify, UnsignedAmzHeaderIsAccessDenied) {
  SignedFixture f = MakeSigned();
  f.request.Add("x-amz-acl", "public-read");
  auto v = VerifyRequest(f.request.View(), ExampleLookup, ExampleTime());
  EXPECT_EQ(v.error().code, "AccessDenied");
}

TEST(SigV4Verify, RegionAndServiceAreChecked) {
  SignedFixture f = MakeSigned();
  VerifyOptions options;
  options.region = "eu-west-1";
  auto v = VerifyRequest(f.request.View(), ExampleLookup, ExampleTime(), options);
  EXPECT_EQ(v.error().code, "AuthorizationHeaderMalformed");
  EXPECT_NE(v.error().message.find("'us-east-1' is wrong; expecting 'eu-west-1'"), std::string::npos);
  options.region = "us-east-1";
  EXPECT_TRUE(VerifyRequest(f.request.View(), ExampleLookup, ExampleTime(), options).ok());
  options.service = "lambda";
  EXPECT_EQ(VerifyRequest(f.request.View(), ExampleLookup, ExampleTime(), options).error().code,
            "AuthorizationHeaderMalformed");
}

TEST(SigV4Verify, MissingDateOrPayloadHash) {
  SignedFixture f = MakeSigned();
  std::erase_if(f.request.headers, [](const auto& h) { return h.first == "x-amz-date"; });
  EXPECT_EQ(VerifyRequest(f.request.View(), ExampleLookup, ExampleTime()).error().code, "AccessDenied");

  f = MakeSigned();
  std::erase_if(f.request.headers, [](const auto& h) { return h.first == "x-amz-content-sha256"; });
  EXPECT_EQ(VerifyRequest(f.request.View(), ExampleLookup, ExampleTime()).error().code, "InvalidRequest");
}

TEST(SigV4Verify, DateHeaderAloneDatesTheRequest) {
  // Signed by hand with the building blocks: no x-amz-date, only Date.
  TestRequest r;
  r.Add("Host", "examplebucket.s3.amazonaws.com");
  r.Add("Date", "Fri, 24 May 2013 00:00:00 GMT");
  r.Add("x-amz-content-sha256", std::string(kEmptySha256Hex));
  std::vector<std::string> names = {"date", "host", "x-amz-content-sha256"};
  std::string key = SigningKey(testing::kSecret, "20130524", "us-east-1", "s3");
  std::string sig = SignatureHex(key, StringToSign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request",
                                                   CanonicalRequest(r.View(), names, kEmptySha256Hex)));
  r.Add("Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=date;host;x-amz-content-sha256, Signature=" +
            sig);
  auto v = VerifyRequest(r.View(), ExampleLookup, ExampleTime());
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->amz_date, "20130524T000000Z");
}

TEST(SigV4Verify, CredentialDateMustMatchRequestDate) {
  SignedFixture f = MakeSigned();
  for (auto& [n, v] : f.request.headers) {
    if (n == "x-amz-date") v = "20130525T000000Z";
  }
  auto v = VerifyRequest(f.request.View(), ExampleLookup, ExampleTime() + 24h);
  EXPECT_EQ(v.error().code, "AuthorizationHeaderMalformed");
}

TEST(SigV4Verify, BodyHashOptionForServicesWithoutTheHeader) {
  // A "lambda"-style request: no x-amz-content-sha256 header; the caller
  // supplies the body hash.
  TestRequest r;
  r.method = "POST";
  r.path = "/2015-03-31/functions/my%20fn/invocations";
  r.Add("Host", "localhost");
  SigningParams p = ExampleParams();
  p.service = "lambda";
  p.double_encode_path = true;
  std::string body_hash = Sha256Hex("{}");
  std::string amz_date = FormatAmzDate(p.time);
  r.Add("x-amz-date", amz_date);
  std::vector<std::string> names = {"host", "x-amz-date"};
  std::string sig = SignatureHex(SigningKey(testing::kSecret, "20130524", "us-east-1", "lambda"),
                                 StringToSign(amz_date, "20130524/us-east-1/lambda/aws4_request",
                                              CanonicalRequest(r.View(), names, body_hash, true)));
  r.Add("Authorization",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/lambda/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" +
            sig);
  VerifyOptions options;
  options.service = "lambda";
  options.double_encode_path = true;
  EXPECT_EQ(VerifyRequest(r.View(), ExampleLookup, ExampleTime(), options).error().code, "InvalidRequest");
  options.body_sha256_hex = body_hash;
  EXPECT_TRUE(VerifyRequest(r.View(), ExampleLookup, ExampleTime(), options).ok());
  options.body_sha256_hex = Sha256Hex("{\"x\":1}");
  EXPECT_EQ(VerifyRequest(r.View(), ExampleLookup, ExampleTime(), options).error().code, "SignatureDoesNotMatch");
}

TEST(SignRequest, RejectsMissingHostAndPreexistingSignerHeaders) {
  TestRequest r;
  EXPECT_FALSE(SignRequest(r.View(), ExampleParams(), kEmptySha256Hex).ok());
  r.Add("Host", "h");
  r.Add("X-Amz-Date", "20130524T000000Z");
  EXPECT_FALSE(SignRequest(r.View(), ExampleParams(), kEmptySha256Hex).ok());
}

// ---------------------------------------------------------------- presigned

struct PresignedFixture {
  TestRequest request;
};

PresignedFixture MakePresigned(std::chrono::seconds expires, std::string extra_query = "") {
  PresignedFixture f;
  f.request.path = "/bucket/key%20with%20space";
  f.request.query = std::move(extra_query);
  f.request.Add("Host", "localhost:9000");
  f.request.query = *PresignQuery(f.request.View(), ExampleParams(), expires);
  return f;
}

TEST(Presigned, VerifiesUntilExpiry) {
  PresignedFixture f = MakePresigned(3600s);
  auto v = VerifyRequest(f.request.View(), ExampleLookup, ExampleTime() + 3599s);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->kind, AuthKind::kPresigned);
  EXPECT_EQ(v->payload_hash, kUnsignedPayload);
  EXPECT_EQ(v->payload_mode, PayloadMode::kUnsigned);
  EXPECT_EQ(v->access_key_id, kAccessKey);

  auto expired = VerifyRequest(f.request.View(), ExampleLookup, ExampleTime() + 3601s);
  EXPECT_EQ(expired.error().code, "AccessDenied");
  EXPECT_EQ(expired.error().message, "Request has expired");

  auto early = VerifyRequest(f.request.View(), ExampleLookup, ExampleTime() - 1h);
  EXPECT_EQ(early.error().code, "AccessDenied");
}

TEST(Presigned, ExtraQueryParametersAreSignedAndTolerated) {
  PresignedFixture f = MakePresigned(600s, "response-content-type=text%2Fplain&versionId=7");
  EXPECT_TRUE(VerifyRequest(f.request.View(), ExampleLookup, ExampleTime()).ok());
  size_t pos = f.request.query.find("versionId=7");
  ASSERT_NE(pos, std::string::npos);
  f.request.query[pos + 10] = '8';
  EXPECT_EQ(VerifyRequest(f.request.View(), ExampleLookup, ExampleTime()).error().code, "SignatureDoesNotMatch");
}

TEST(Presigned, TamperedPathOrSignatureFails) {
  PresignedFixture f = MakePresigned(600s);
  f.request.path = "/bucket/other";
  EXPECT_EQ(VerifyRequest(f.request.View(), ExampleLookup, ExampleTime()).error().code, "SignatureDoesNotMatch");
  f = MakePresigned(600s);
  size_t pos = f.request.query.find("X-Amz-Signature=") + 16;
  f.request.query[pos] = f.request.query[pos] == '0' ? '1' : '0';
  EXPECT_EQ(VerifyRequest(f.request.View(), ExampleLookup, ExampleTime()).error().code, "SignatureDoesNotMatch");
}

TEST(Presigned, ExpiresBoundsAndMalformedParameters) {
  TestRequest r;
  r.Add("Host", "h");
  EXPECT_FALSE(PresignQuery(r.View(), ExampleParams(), 0s).ok());
  EXPECT_FALSE(PresignQuery(r.View(), ExampleParams(), 604801s).ok());
  EXPECT_TRUE(PresignQuery(r.View(), ExampleParams(), 604800s).ok());

  std::string good = *PresignQuery(r.View(), ExampleParams(), 60s);
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string q = good;
    q.replace(q.find(from), from.size(), to);
    return q;
  };
  for (const std::string& q : {
           replace("X-Amz-Expires=60", "X-Amz-Expires=0"),
           replace("X-Amz-Expires=60", "X-Amz-Expires=604801"),
           replace("X-Amz-Expires=60", "X-Amz-Expires=-5"),
           replace("X-Amz-Expires=60", "X-Amz-Expires=1e3"),
           replace("X-Amz-Expires=60", "X-Amz-Foo=60"),
           replace("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1"),
           replace("X-Amz-Date=20130524T000000Z", "X-Amz-Date=2013-05-24"),
           replace("%2Faws4_request", "%2Faws5_request"),
           replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders="),
           good + "&X-Amz-Date=20130524T000000Z",
       }) {
    auto p = ParsePresignedQuery(q);
    ASSERT_FALSE(p.ok()) << q;
    EXPECT_EQ(p.error().code, "AuthorizationQueryParametersError") << q;
  }
  auto none = ParsePresignedQuery("prefix=a&list-type=2");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(Presigned, SessionTokenTravelsInTheQuery) {
  SigningParams p = ExampleParams();
  p.credentials.session_token = "tok+en/=";
  TestRequest r;
  r.Add("Host", "h");
  r.query = *PresignQuery(r.View(), p, 60s);
  EXPECT_NE(r.query.find("X-Amz-Security-Token=tok%2Ben%2F%3D"), std::string::npos);
  auto v = VerifyRequest(r.View(), ExampleLookup, ExampleTime());
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->session_token, "tok+en/=");
}

}  // namespace
}  // namespace faasnet::s3
