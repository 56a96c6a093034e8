// aws-chunked bodies: the body encoding S3 uses when x-amz-content-sha256 is
// one of the STREAMING-* values (Content-Encoding: aws-chunked).
//
//   <hex-size>;chunk-signature=<sig>\r\n<data>\r\n     (signed modes)
//   <hex-size>\r\n<data>\r\n                           (unsigned-trailer mode)
//   ... a zero-size chunk ends the data, then, in the trailer modes,
//   name:value\r\n lines (x-amz-checksum-*, and x-amz-trailer-signature in
//   the signed-trailer mode), then an empty line.
// Chunk n's signature is HMAC over (chunk n data, signature of chunk n-1),
// starting from the request's seed signature (s3/sigv4.h ChunkSignature).
//
// ChunkedDecoder is a push parser: feed it any slices of the wire body (one
// byte at a time works); it hands out payload slices that point into the
// slice being fed (no copy) and checks framing, limits, chunk signatures, the
// trailer signature and the declared trailer checksum as it goes.
//
// IMPORTANT: payload is handed out *before* the signature of its chunk (and
// the trailer checksum) is checked; the signature arrives after the data. A
// server must stage what it receives and commit it only when Finish() returns
// OK, discarding it on any error.
//
// Errors (sticky: after one, every call returns it again):
//   InvalidArgument        malformed framing (size line, CRLFs, trailer
//                          lines), line longer than max_line_bytes, chunk
//                          larger than max_chunk_bytes, more data than
//                          x-amz-decoded-content-length, bytes after the end,
//                          a declared trailer that never came
//   InvalidChunkSizeError  a non-final chunk smaller than min_chunk_bytes
//   SignatureDoesNotMatch  a chunk or trailer signature missing or wrong
//   IncompleteBody         the body ended early, or the data is shorter than
//                          x-amz-decoded-content-length
//   BadDigest              the trailer checksum differs from the payload's
//
// ChunkedEncoder produces such bodies (for the client and for tests).
//
// Ownership: the decoder owns its small line buffer and hashers; slices it
// emits are valid only during the sink call. Thread-safety: one decoder or
// encoder per body, used from one thread at a time.
#ifndef FAASNET_S3_CHUNKED_H_
#define FAASNET_S3_CHUNKED_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "s3/checksum.h"
#include "s3/errors.h"
#include "s3/headers.h"
#include "s3/sigv4.h"

namespace faasnet::s3 {

using TrailerList = std::vector<std::pair<std::string, std::string>>;

struct ChunkedOptions {
  // kStreamingSigned, kStreamingSignedTrailer or kStreamingUnsignedTrailer.
  PayloadMode mode = PayloadMode::kStreamingSigned;
  // Signing material for the signed modes (VerifiedRequest::chunk_context()).
  ChunkSigningContext signing;
  // x-amz-decoded-content-length; when set the payload must be exactly this long.
  std::optional<uint64_t> decoded_content_length;
  // x-amz-trailer (e.g. "x-amz-checksum-crc32c"): that trailer must arrive,
  // and when it names a checksum the decoder computes it over the payload and
  // compares. Empty: no trailer is required.
  std::string declared_trailer;
  uint64_t max_chunk_bytes = 16ull << 20;
  // S3 refuses non-final chunks under 8 KiB (InvalidChunkSizeError); 0
  // accepts any size, which is the default because real clients never send
  // them and tests like tiny chunks.
  uint64_t min_chunk_bytes = 0;
  size_t max_line_bytes = 4096;
  size_t max_trailers = 16;
};

// Options for the body of a request VerifyRequest accepted, from its headers:
// mode and signing material from `verified`, x-amz-decoded-content-length and
// x-amz-trailer from `headers`.
// Errors: InvalidArgument when `verified` is not a streaming mode, the
// decoded length is not a number, or x-amz-trailer is not an
// x-amz-checksum-* name; MissingContentLength when
// x-amz-decoded-content-length is absent.
S3Result<ChunkedOptions> ChunkedOptionsFor(const VerifiedRequest& verified, HeaderSpan headers);

class ChunkedDecoder {
 public:
  using Sink = std::function<void(std::string_view payload)>;

  explicit ChunkedDecoder(ChunkedOptions options);
  ChunkedDecoder(const ChunkedDecoder&) = delete;
  ChunkedDecoder& operator=(const ChunkedDecoder&) = delete;

  // Consumes all of `input`, calling `sink` with each payload slice (views
  // into `input`). Returns OK or the first error (see the header comment).
  S3Error Feed(std::string_view input, const Sink& sink);
  // Call when the wire body has ended: OK when the final chunk and trailers
  // were complete and verified, else the error (IncompleteBody if cut short).
  S3Error Finish() const;

  bool done() const { return state_ == State::kDone; }
  uint64_t decoded_bytes() const { return decoded_; }
  // Trailing headers received (names lower case, values trimmed), without
  // x-amz-trailer-signature.
  const TrailerList& trailers() const { return trailers_; }
  // Raw checksum of the payload for the declared checksum trailer, set once
  // done(); empty when no checksum trailer was declared.
  const std::string& computed_checksum() const { return computed_checksum_; }

 private:
  enum class State { kSizeLine, kData, kDataCr, kDataLf, kTrailerLine, kDone, kFailed };

  bool is_signed() const;
  size_t FeedLine(std::string_view input);
  S3Error OnSizeLine(std::string_view line);
  S3Error OnChunkEnd();
  S3Error OnTrailerLine(std::string_view line);
  S3Error OnTrailersEnd();
  S3Error Fail(S3Error error);

  ChunkedOptions options_;
  State state_ = State::kSizeLine;
  S3Error error_;
  std::string line_;
  uint64_t remaining_ = 0;
  uint64_t decoded_ = 0;
  uint64_t last_chunk_size_ = 0;
  size_t chunks_ = 0;
  std::string previous_signature_;
  std::string chunk_signature_;
  std::string trailer_signature_;
  Sha256 chunk_hash_;
  std::unique_ptr<Hasher> checksum_;  // for the declared checksum trailer
  TrailerList trailers_;
  std::string computed_checksum_;
};

class ChunkedEncoder {
 public:
  // `mode` is one of the streaming modes; `signing` (SignRequest's
  // chunk_context) is needed by the signed ones.
  explicit ChunkedEncoder(PayloadMode mode, ChunkSigningContext signing = {});

  // One data chunk with its framing (and signature). `data` must not be empty.
  std::string Chunk(std::string_view data);
  // The zero-size chunk, the trailers (trailer modes only; ignored otherwise)
  // with the trailer signature in the signed-trailer mode, and the final CRLF.
  std::string Finish(const TrailerList& trailers = {});

  // Wire length of a `payload_size`-byte body cut into `chunk_size` chunks
  // with `trailers`: the Content-Length to send.
  static uint64_t EncodedLength(PayloadMode mode, uint64_t payload_size, uint64_t chunk_size,
                                const TrailerList& trailers = {});

 private:
  bool is_signed() const;
  PayloadMode mode_;
  ChunkSigningContext signing_;
  std::string previous_signature_;
};

// The whole body of `payload` in `chunk_size` chunks (see ChunkedEncoder).
std::string EncodeChunked(std::string_view payload, size_t chunk_size, PayloadMode mode,
                          const ChunkSigningContext& signing = {}, const TrailerList& trailers = {});

}  // namespace faasnet::s3

#endif  // FAASNET_S3_CHUNKED_H_
