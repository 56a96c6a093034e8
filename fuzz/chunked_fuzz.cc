// Fuzzes the aws-chunked decoder with random slicing, and checks that
// decoding does not depend on how the body is split and that anything the
// encoder produces decodes back.
//
// Input: byte 0 picks the mode, byte 1 seeds the slicing, the rest is the body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/strings.h"
#include "s3/checksum.h"
#include "s3/chunked.h"

namespace {

using namespace faasnet::s3;

ChunkSigningContext Context() {
  static const ChunkSigningContext ctx{SigningKey("secret", "20130524", "us-east-1", "s3"), "20130524T000000Z",
                                       "20130524/us-east-1/s3/aws4_request", std::string(64, 'a')};
  return ctx;
}

struct Outcome {
  std::string code;
  std::string payload;
  TrailerList trailers;
};

Outcome Decode(const ChunkedOptions& options, std::string_view body, uint32_t seed) {
  ChunkedDecoder decoder(options);
  Outcome out;
  auto sink = [&](std::string_view s) { out.payload.append(s); };
  S3Error e;
  while (!body.empty() && e.ok()) {
    size_t n = seed == 0 ? body.size() : 1 + (seed % 17);
    seed = seed * 1103515245u + 12345u;
    n = std::min(n, body.size());
    e = decoder.Feed(body.substr(0, n), sink);
    body.remove_prefix(n);
  }
  if (e.ok()) e = decoder.Finish();
  out.code = e.code;
  if (e.ok()) out.trailers = decoder.trailers();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static const PayloadMode kModes[] = {PayloadMode::kStreamingSigned, PayloadMode::kStreamingSignedTrailer,
                                       PayloadMode::kStreamingUnsignedTrailer};
  ChunkedOptions options;
  options.mode = kModes[data[0] % 3];
  options.signing = Context();
  options.max_line_bytes = 256;
  if ((data[0] & 4) && options.mode != PayloadMode::kStreamingSigned) {
    options.declared_trailer = "x-amz-checksum-crc32";
  }
  uint32_t seed = data[1];
  std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);

  // Split-independence: whole vs sliced feeding give the same outcome.
  Outcome whole = Decode(options, body, 0);
  Outcome sliced = Decode(options, body, seed | 1);
  if (whole.code != sliced.code) __builtin_trap();
  if (whole.code.empty() && (whole.payload != sliced.payload || whole.trailers != sliced.trailers)) __builtin_trap();

  // Round trip: the body bytes as a payload, encoded then decoded.
  size_t chunk = 1 + data[1] % 64;
  TrailerList trailers;
  if (!options.declared_trailer.empty()) {
    trailers.emplace_back("x-amz-checksum-crc32", faasnet::Base64Encode(Crc32::Of(body)));
  }
  std::string encoded = EncodeChunked(body, chunk, options.mode, options.signing, trailers);
  if (encoded.size() != ChunkedEncoder::EncodedLength(options.mode, body.size(), chunk, trailers)) __builtin_trap();
  options.decoded_content_length = body.size();
  Outcome round = Decode(options, encoded, seed | 1);
  if (!round.code.empty() || round.payload != body) __builtin_trap();
  return 0;
}
