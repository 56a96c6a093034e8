#include "s3/chunked.h"

#include <gtest/gtest.h>

#include "base/strings.h"
#include "s3/checksum.h"
#include "test_request.h"

namespace faasnet::s3 {
namespace {

using testing::ExampleLookup;
using testing::ExampleTime;
using testing::TestRequest;

// The AWS "Example: PUT Object" of the chunked-upload documentation:
// 65 KiB of 'a' in 64 KiB chunks.
constexpr char kSeed[] = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
constexpr char kSig1[] = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
constexpr char kSig2[] = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497";
constexpr char kSig3[] = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9";

ChunkSigningContext ExampleContext() {
  return {SigningKey(testing::kSecret, "20130524", "us-east-1", "s3"), "20130524T000000Z",
          "20130524/us-east-1/s3/aws4_request", kSeed};
}

std::string ExampleBody() {
  return std::string("10000;chunk-signature=") + kSig1 + "\r\n" + std::string(65536, 'a') + "\r\n" +
         "400;chunk-signature=" + kSig2 + "\r\n" + std::string(1024, 'a') + "\r\n" + "0;chunk-signature=" + kSig3 +
         "\r\n\r\n";
}

struct Decoded {
  S3Error error;
  std::string payload;
  TrailerList trailers;
  size_t slices = 0;
};

// Feeds `body` in pieces cut at `cuts` (ascending offsets), then Finish().
Decoded DecodeWithCuts(const ChunkedOptions& options, std::string_view body, const std::vector<size_t>& cuts) {
  ChunkedDecoder d(options);
  Decoded out;
  size_t pos = 0;
  auto sink = [&](std::string_view s) {
    out.payload.append(s);
    ++out.slices;
  };
  std::vector<size_t> ends = cuts;
  ends.push_back(body.size());
  for (size_t end : ends) {
    out.error = d.Feed(body.substr(pos, end - pos), sink);
    pos = end;
    if (!out.error.ok()) return out;
  }
  out.error = d.Finish();
  out.trailers = d.trailers();
  return out;
}

Decoded Decode(const ChunkedOptions& options, std::string_view body) { return DecodeWithCuts(options, body, {}); }

ChunkedOptions SignedOptions(ChunkSigningContext ctx, std::optional<uint64_t> length = std::nullopt) {
  ChunkedOptions o;
  o.mode = PayloadMode::kStreamingSigned;
  o.signing = std::move(ctx);
  o.decoded_content_length = length;
  return o;
}

TEST(ChunkedKat, AwsExampleEncodesExactly) {
  std::string payload(66560, 'a');
  EXPECT_EQ(EncodeChunked(payload, 65536, PayloadMode::kStreamingSigned, ExampleContext()), ExampleBody());
  EXPECT_EQ(ChunkedEncoder::EncodedLength(PayloadMode::kStreamingSigned, 66560, 65536), 66824u);
  EXPECT_EQ(ExampleBody().size(), 66824u);
}

TEST(ChunkedKat, AwsExampleDecodesAndVerifies) {
  Decoded d = Decode(SignedOptions(ExampleContext(), 66560), ExampleBody());
  ASSERT_TRUE(d.error.ok()) << d.error.code << ": " << d.error.message;
  EXPECT_EQ(d.payload, std::string(66560, 'a'));
}

TEST(ChunkedKat, ServerSideFromVerifiedRequest) {
  TestRequest r;
  r.method = "PUT";
  r.path = "/examplebucket/chunkObject.txt";
  r.Add("Host", "s3.amazonaws.com");
  r.Add("x-amz-date", "20130524T000000Z");
  r.Add("x-amz-storage-class", "REDUCED_REDUNDANCY");
  r.Add("Authorization", std::string("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                                     "aws4_request,SignedHeaders=content-encoding;content-length;host;"
                                     "x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;"
                                     "x-amz-storage-class,Signature=") +
                             kSeed);
  r.Add("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  r.Add("Content-Encoding", "aws-chunked");
  r.Add("x-amz-decoded-content-length", "66560");
  r.Add("Content-Length", "66824");
  auto v = VerifyRequest(r.View(), ExampleLookup, ExampleTime());
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->payload_mode, PayloadMode::kStreamingSigned);
  auto options = ChunkedOptionsFor(*v, r.View().headers);
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_EQ(options->decoded_content_length, 66560u);
  Decoded d = Decode(*options, ExampleBody());
  ASSERT_TRUE(d.error.ok()) << d.error.message;
  EXPECT_EQ(d.payload.size(), 66560u);
}

TEST(ChunkedKat, ChunkSignaturesChain) {
  ChunkSigningContext ctx = ExampleContext();
  EXPECT_EQ(ChunkSignature(ctx, kSeed, Sha256Hex(std::string(65536, 'a'))), kSig1);
  EXPECT_EQ(ChunkSignature(ctx, kSig1, Sha256Hex(std::string(1024, 'a'))), kSig2);
  EXPECT_EQ(ChunkSignature(ctx, kSig2, kEmptySha256Hex), kSig3);
}

// A small signed body so every split point can be tried.
struct SmallBody {
  ChunkSigningContext ctx = ExampleContext();
  std::string payload = "The quick brown fox jumps over the lazy dog";
  std::string body = EncodeChunked(payload, 10, PayloadMode::kStreamingSigned, ctx);
};

TEST(ChunkedDecoder, EverySingleSplitPoint) {
  SmallBody b;
  for (size_t cut = 0; cut <= b.body.size(); ++cut) {
    Decoded d = DecodeWithCuts(SignedOptions(b.ctx, b.payload.size()), b.body, {cut});
    ASSERT_TRUE(d.error.ok()) << "cut " << cut << ": " << d.error.message;
    ASSERT_EQ(d.payload, b.payload) << "cut " << cut;
  }
}

TEST(ChunkedDecoder, EveryPairOfSplitPoints) {
  SmallBody b;
  for (size_t i = 0; i <= b.body.size(); i += 3) {
    for (size_t j = i; j <= b.body.size(); j += 2) {
      Decoded d = DecodeWithCuts(SignedOptions(b.ctx), b.body, {i, j});
      ASSERT_TRUE(d.error.ok()) << i << "," << j << ": " << d.error.message;
      ASSERT_EQ(d.payload, b.payload);
    }
  }
}

TEST(ChunkedDecoder, ByteByByte) {
  SmallBody b;
  std::vector<size_t> cuts;
  for (size_t i = 1; i < b.body.size(); ++i) cuts.push_back(i);
  Decoded d = DecodeWithCuts(SignedOptions(b.ctx), b.body, cuts);
  ASSERT_TRUE(d.error.ok()) << d.error.message;
  EXPECT_EQ(d.payload, b.payload);
  EXPECT_EQ(d.slices, b.payload.size());
}

TEST(ChunkedDecoder, PayloadSlicesPointIntoTheInput) {
  SmallBody b;
  ChunkedDecoder d(SignedOptions(b.ctx));
  const char* begin = b.body.data();
  const char* end = begin + b.body.size();
  bool all_inside = true;
  ASSERT_TRUE(d.Feed(b.body, [&](std::string_view s) {
                 all_inside = all_inside && s.data() >= begin && s.data() + s.size() <= end;
               }).ok());
  EXPECT_TRUE(all_inside);
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.decoded_bytes(), b.payload.size());
}

TEST(ChunkedDecoder, CorruptChunkSignatureOrDataIsRejected) {
  SmallBody b;
  // A flipped byte anywhere in a chunk's data or its signature must fail.
  size_t sig_pos = b.body.find("chunk-signature=") + 16;
  std::string bad_sig = b.body;
  bad_sig[sig_pos] = bad_sig[sig_pos] == '0' ? '1' : '0';
  EXPECT_EQ(Decode(SignedOptions(b.ctx), bad_sig).error.code, "SignatureDoesNotMatch");

  std::string bad_data = b.body;
  bad_data[bad_data.find("quick")] = 'Q';
  EXPECT_EQ(Decode(SignedOptions(b.ctx), bad_data).error.code, "SignatureDoesNotMatch");

  size_t last_sig = b.body.rfind("chunk-signature=") + 16;
  std::string bad_final = b.body;
  bad_final[last_sig] = bad_final[last_sig] == '0' ? '1' : '0';
  EXPECT_EQ(Decode(SignedOptions(b.ctx), bad_final).error.code, "SignatureDoesNotMatch");

  // Chunks in another order break the chain.
  ChunkedEncoder enc(PayloadMode::kStreamingSigned, b.ctx);
  std::string first = enc.Chunk("bbbb");
  std::string second = enc.Chunk("aaaa");
  std::string swapped = second + first + enc.Finish();
  EXPECT_EQ(Decode(SignedOptions(b.ctx), swapped).error.code, "SignatureDoesNotMatch");

  // Wrong seed (another request's signature).
  ChunkSigningContext other = b.ctx;
  other.seed_signature = std::string(64, '0');
  EXPECT_EQ(Decode(SignedOptions(other), b.body).error.code, "SignatureDoesNotMatch");

  // A missing signature extension.
  EXPECT_EQ(Decode(SignedOptions(b.ctx), "3\r\nabc\r\n0\r\n\r\n").error.code, "SignatureDoesNotMatch");
}

TEST(ChunkedDecoder, TruncatedBodyIsIncomplete) {
  SmallBody b;
  for (size_t len = 0; len < b.body.size(); ++len) {
    Decoded d = Decode(SignedOptions(b.ctx), b.body.substr(0, len));
    ASSERT_FALSE(d.error.ok()) << "len " << len;
    ASSERT_EQ(d.error.code, "IncompleteBody") << "len " << len << ": " << d.error.message;
  }
}

TEST(ChunkedDecoder, DecodedLengthMustMatch) {
  SmallBody b;
  EXPECT_EQ(Decode(SignedOptions(b.ctx, b.payload.size() + 1), b.body).error.code, "IncompleteBody");
  EXPECT_EQ(Decode(SignedOptions(b.ctx, b.payload.size() - 1), b.body).error.code, "InvalidArgument");
}

TEST(ChunkedDecoder, FramingErrors) {
  ChunkedOptions o;
  o.mode = PayloadMode::kStreamingUnsignedTrailer;
  EXPECT_TRUE(Decode(o, "3\r\nabc\r\n0\r\n\r\n").error.ok());
  EXPECT_EQ(Decode(o, "zz\r\nabc\r\n0\r\n\r\n").error.code, "InvalidArgument");             // bad size
  EXPECT_EQ(Decode(o, "\r\nabc\r\n0\r\n\r\n").error.code, "InvalidArgument");               // empty size
  EXPECT_EQ(Decode(o, "3\nabc\r\n0\r\n\r\n").error.code, "InvalidArgument");                // LF only
  EXPECT_EQ(Decode(o, "3\r\nabcX\r\n0\r\n\r\n").error.code, "InvalidArgument");             // data too long
  EXPECT_EQ(Decode(o, "3\r\nabc\r\n0\r\n\r\nextra").error.code, "InvalidArgument");         // after the end
  EXPECT_EQ(Decode(o, "11111111111111111\r\n").error.code, "InvalidArgument");              // 17 hex digits
  EXPECT_EQ(Decode(o, "3\r\nabc\r\n0\r\nno-colon\r\n\r\n").error.code, "InvalidArgument");  // bad trailer
  EXPECT_EQ(Decode(o, std::string(5000, '1')).error.code, "InvalidArgument");               // line too long
  o.max_chunk_bytes = 2;
  EXPECT_EQ(Decode(o, "3\r\nabc\r\n0\r\n\r\n").error.code, "InvalidArgument");

  ChunkedOptions s;
  s.mode = PayloadMode::kStreamingSigned;
  s.signing = ExampleContext();
  // Trailers are not allowed without a trailer mode.
  std::string body = EncodeChunked("abc", 8, PayloadMode::kStreamingSigned, s.signing);
  body.insert(body.size() - 2, "x-amz-checksum-crc32:AAAAAA==\r\n");
  EXPECT_EQ(Decode(s, body).error.code, "InvalidArgument");
}

TEST(ChunkedDecoder, ErrorsAreSticky) {
  ChunkedOptions o;
  o.mode = PayloadMode::kStreamingUnsignedTrailer;
  ChunkedDecoder d(o);
  auto sink = [](std::string_view) {};
  EXPECT_EQ(d.Feed("zz\r\n", sink).code, "InvalidArgument");
  EXPECT_EQ(d.Feed("3\r\nabc\r\n0\r\n\r\n", sink).code, "InvalidArgument");
  EXPECT_EQ(d.Finish().code, "InvalidArgument");
}

TEST(ChunkedDecoder, MinimumChunkSize) {
  ChunkedOptions o = SignedOptions(ExampleContext());
  o.min_chunk_bytes = 8;
  std::string small = EncodeChunked(std::string(20, 'x'), 5, PayloadMode::kStreamingSigned, o.signing);
  EXPECT_EQ(Decode(o, small).error.code, "InvalidChunkSizeError");
  std::string ok = EncodeChunked(std::string(20, 'x'), 8, PayloadMode::kStreamingSigned, o.signing);  // 8, 8, 4
  EXPECT_TRUE(Decode(o, ok).error.ok());
}

// ---------------------------------------------------------------- trailers

TEST(ChunkedTrailer, UnsignedTrailerWithChecksum) {
  std::string payload = "123456789";
  TrailerList trailers = {{"x-amz-checksum-crc32", Base64Encode(Crc32::Of(payload))}};
  std::string body = EncodeChunked(payload, 4, PayloadMode::kStreamingUnsignedTrailer, {}, trailers);
  EXPECT_EQ(body, "4\r\n1234\r\n4\r\n5678\r\n1\r\n9\r\n0\r\nx-amz-checksum-crc32:y/Q5Jg==\r\n\r\n");
  EXPECT_EQ(ChunkedEncoder::EncodedLength(PayloadMode::kStreamingUnsignedTrailer, 9, 4, trailers), body.size());

  ChunkedOptions o;
  o.mode = PayloadMode::kStreamingUnsignedTrailer;
  o.declared_trailer = "x-amz-checksum-crc32";
  o.decoded_content_length = 9;
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    Decoded d = DecodeWithCuts(o, body, {cut});
    ASSERT_TRUE(d.error.ok()) << cut << ": " << d.error.message;
    ASSERT_EQ(d.payload, payload);
    ASSERT_EQ(d.trailers, trailers);
  }
  ChunkedDecoder d(o);
  ASSERT_TRUE(d.Feed(body, [](std::string_view) {}).ok());
  EXPECT_EQ(d.computed_checksum(), Crc32::Of(payload));

  std::string wrong = body;
  wrong.replace(wrong.find("y/Q5Jg=="), 8, "AAAAAA==");
  Decoded bad = Decode(o, wrong);
  EXPECT_EQ(bad.error.code, "BadDigest");
  EXPECT_EQ(bad.error.message, "The CRC32 you specified did not match the calculated checksum.");

  std::string missing = EncodeChunked(payload, 4, PayloadMode::kStreamingUnsignedTrailer);
  EXPECT_EQ(Decode(o, missing).error.code, "InvalidArgument");
}

TEST(ChunkedTrailer, SignedTrailerVerifiesAndDetectsTampering) {
  ChunkSigningContext ctx = ExampleContext();
  std::string payload(100, 'z');
  TrailerList trailers = {{"x-amz-checksum-crc32c", Base64Encode(Crc32c::Of(payload))}};
  std::string body = EncodeChunked(payload, 64, PayloadMode::kStreamingSignedTrailer, ctx, trailers);
  EXPECT_EQ(ChunkedEncoder::EncodedLength(PayloadMode::kStreamingSignedTrailer, 100, 64, trailers), body.size());
  EXPECT_NE(body.find("\r\nx-amz-trailer-signature:"), std::string::npos);

  ChunkedOptions o;
  o.mode = PayloadMode::kStreamingSignedTrailer;
  o.signing = ctx;
  o.declared_trailer = "x-amz-checksum-crc32c";
  for (size_t cut = 0; cut <= body.size(); cut += 7) {
    Decoded d = DecodeWithCuts(o, body, {cut});
    ASSERT_TRUE(d.error.ok()) << cut << ": " << d.error.message;
    ASSERT_EQ(d.payload, payload);
  }

  // The trailer signature covers the trailer: change the checksum value to
  // another valid one and the signature no longer matches.
  std::string forged = body;
  std::string value = trailers[0].second;
  forged.replace(forged.find(value), value.size(), Base64Encode(Crc32c::Of("other")));
  EXPECT_EQ(Decode(o, forged).error.code, "SignatureDoesNotMatch");

  std::string no_sig = body;
  size_t at = no_sig.find("x-amz-trailer-signature:");
  no_sig.erase(at, no_sig.find("\r\n", at) + 2 - at);
  EXPECT_EQ(Decode(o, no_sig).error.code, "SignatureDoesNotMatch");
}

TEST(ChunkedOptionsFor, ReadsHeaders) {
  VerifiedRequest v;
  v.kind = AuthKind::kHeader;
  v.payload_mode = PayloadMode::kStreamingUnsignedTrailer;
  std::vector<HeaderPair> headers = {{"X-Amz-Decoded-Content-Length", "42"},
                                     {"X-Amz-Trailer", "x-amz-checksum-sha256"}};
  auto o = ChunkedOptionsFor(v, headers);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->decoded_content_length, 42u);
  EXPECT_EQ(o->declared_trailer, "x-amz-checksum-sha256");
  EXPECT_EQ(o->mode, PayloadMode::kStreamingUnsignedTrailer);

  std::vector<HeaderPair> no_length = {{"X-Amz-Trailer", "x-amz-checksum-sha256"}};
  EXPECT_EQ(ChunkedOptionsFor(v, no_length).error().code, "MissingContentLength");
  std::vector<HeaderPair> bad_length = {{"X-Amz-Decoded-Content-Length", "4x"}};
  EXPECT_EQ(ChunkedOptionsFor(v, bad_length).error().code, "InvalidArgument");
  std::vector<HeaderPair> bad_trailer = {{"X-Amz-Decoded-Content-Length", "4"}, {"X-Amz-Trailer", "x-foo"}};
  EXPECT_EQ(ChunkedOptionsFor(v, bad_trailer).error().code, "InvalidArgument");
  v.payload_mode = PayloadMode::kUnsigned;
  EXPECT_EQ(ChunkedOptionsFor(v, headers).error().code, "InvalidArgument");
}

}  // namespace
}  // namespace faasnet::s3
