#include "s3/chunked.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>

#include "base/strings.h"

namespace faasnet::s3 {

namespace {

constexpr std::string_view kSignatureExtension = "chunk-signature=";
constexpr std::string_view kTrailerSignature = "x-amz-trailer-signature";
constexpr size_t kSignatureHexLength = 64;

bool SignedMode(PayloadMode mode) {
  return mode == PayloadMode::kStreamingSigned || mode == PayloadMode::kStreamingSignedTrailer;
}

bool TrailerMode(PayloadMode mode) {
  return mode == PayloadMode::kStreamingSignedTrailer || mode == PayloadMode::kStreamingUnsignedTrailer;
}

bool SameSignature(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// "name:value\n" per trailer: the text the trailer signature covers.
std::string CanonicalTrailers(const TrailerList& trailers) {
  std::string text;
  for (const auto& [name, value] : trailers) text.append(name).append(":").append(value).append("\n");
  return text;
}

std::string Hex(uint64_t v) {
  char buf[17];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v, 16);
  return std::string(buf, end);
}

S3Error Framing(std::string message) { return S3Error::InvalidArgument("aws-chunked body: " + std::move(message)); }

}  // namespace

// ---------------------------------------------------------------- options

S3Result<ChunkedOptions> ChunkedOptionsFor(const VerifiedRequest& verified, HeaderSpan headers) {
  if (!IsStreaming(verified.payload_mode)) {
    return S3Error::InvalidArgument("the request body is not aws-chunked (x-amz-content-sha256 is not STREAMING-*)");
  }
  ChunkedOptions options;
  options.mode = verified.payload_mode;
  if (SignedMode(options.mode)) options.signing = verified.chunk_context();
  auto length = FindHeader(headers, "x-amz-decoded-content-length");
  if (!length) return S3Error::MissingContentLength("aws-chunked bodies need x-amz-decoded-content-length");
  std::string_view text = Trim(*length);
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return S3Error::InvalidArgument("x-amz-decoded-content-length is not a number");
  }
  options.decoded_content_length = value;
  if (auto trailer = FindHeader(headers, "x-amz-trailer"); trailer && TrailerMode(options.mode)) {
    std::string name = ToLower(Trim(*trailer));
    if (!ChecksumAlgorithmFromHeader(name)) {
      return S3Error::InvalidArgument("x-amz-trailer must name an x-amz-checksum-* header, not \"" + name + "\"");
    }
    options.declared_trailer = std::move(name);
  }
  return options;
}

// ---------------------------------------------------------------- decoder

ChunkedDecoder::ChunkedDecoder(ChunkedOptions options)
    : options_(std::move(options)), previous_signature_(options_.signing.seed_signature) {
  if (!options_.declared_trailer.empty()) {
    if (auto algorithm = ChecksumAlgorithmFromHeader(options_.declared_trailer)) checksum_ = MakeHasher(*algorithm);
  }
}

bool ChunkedDecoder::is_signed() const { return SignedMode(options_.mode); }

S3Error ChunkedDecoder::Fail(S3Error error) {
  state_ = State::kFailed;
  error_ = error;
  return error;
}

S3Error ChunkedDecoder::Finish() const {
  if (state_ == State::kDone) return S3Error::Ok();
  if (state_ == State::kFailed) return error_;
  return S3Error::IncompleteBody("The aws-chunked body ended before its final chunk");
}

// Appends input up to and including the next '\n' to line_; returns the bytes
// consumed. The caller checks whether line_ is now complete.
size_t ChunkedDecoder::FeedLine(std::string_view input) {
  size_t room = options_.max_line_bytes + 2 - line_.size();  // + CRLF
  size_t nl = input.substr(0, room).find('\n');
  size_t take = nl == std::string_view::npos ? std::min(room, input.size()) : nl + 1;
  line_.append(input.substr(0, take));
  return take;
}

S3Error ChunkedDecoder::Feed(std::string_view input, const Sink& sink) {
  while (!input.empty()) {
    switch (state_) {
      case State::kSizeLine:
      case State::kTrailerLine: {
        input.remove_prefix(FeedLine(input));
        if (line_.empty() || line_.back() != '\n') {
          if (line_.size() >= options_.max_line_bytes + 2) return Fail(Framing("line too long"));
          break;
        }
        if (line_.size() < 2 || line_[line_.size() - 2] != '\r') return Fail(Framing("line not ended by CRLF"));
        std::string_view line(line_.data(), line_.size() - 2);
        S3Error e = state_ == State::kSizeLine ? OnSizeLine(line) : OnTrailerLine(line);
        line_.clear();
        if (!e.ok()) return Fail(std::move(e));
        break;
      }
      case State::kData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, input.size()));
        std::string_view slice = input.substr(0, n);
        if (is_signed()) chunk_hash_.Update(slice);
        if (checksum_) checksum_->Update(slice);
        sink(slice);
        remaining_ -= n;
        decoded_ += n;
        input.remove_prefix(n);
        if (remaining_ == 0) state_ = State::kDataCr;
        break;
      }
      case State::kDataCr:
        if (input.front() != '\r') return Fail(Framing("chunk data not followed by CRLF"));
        input.remove_prefix(1);
        state_ = State::kDataLf;
        break;
      case State::kDataLf: {
        if (input.front() != '\n') return Fail(Framing("chunk data not followed by CRLF"));
        input.remove_prefix(1);
        S3Error e = OnChunkEnd();
        if (!e.ok()) return Fail(std::move(e));
        state_ = State::kSizeLine;
        break;
      }
      case State::kDone:
        return Fail(Framing("data after the final chunk"));
      case State::kFailed:
        return error_;
    }
  }
  return state_ == State::kFailed ? error_ : S3Error::Ok();
}

S3Error ChunkedDecoder::OnSizeLine(std::string_view line) {
  size_t semi = line.find(';');
  std::string_view size_text = line.substr(0, semi);
  std::string_view extension = semi == std::string_view::npos ? std::string_view() : line.substr(semi + 1);
  uint64_t size = 0;
  auto [end, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
  if (size_text.empty() || size_text.size() > 16 || ec != std::errc() || end != size_text.data() + size_text.size()) {
    return Framing("invalid chunk size \"" + std::string(size_text.substr(0, 32)) + "\"");
  }
  if (size > options_.max_chunk_bytes) {
    return Framing("chunk of " + std::to_string(size) + " bytes exceeds the limit of " +
                   std::to_string(options_.max_chunk_bytes));
  }
  if (options_.min_chunk_bytes > 0 && size > 0 && chunks_ > 0 && last_chunk_size_ < options_.min_chunk_bytes) {
    return S3Error::InvalidChunkSizeError();
  }
  if (options_.decoded_content_length && decoded_ + size > *options_.decoded_content_length) {
    return Framing("the chunks carry more than x-amz-decoded-content-length bytes");
  }
  if (is_signed()) {
    if (!extension.starts_with(kSignatureExtension) ||
        extension.size() != kSignatureExtension.size() + kSignatureHexLength) {
      return S3Error::SignatureDoesNotMatch("aws-chunked body: chunk without a valid chunk-signature");
    }
    chunk_signature_ = ToLower(extension.substr(kSignatureExtension.size()));
  }
  ++chunks_;
  last_chunk_size_ = size;
  remaining_ = size;
  if (size > 0) {
    state_ = State::kData;
    return S3Error::Ok();
  }
  // The final chunk: no data, no data CRLF; trailers (or the empty line) follow.
  S3Error e = OnChunkEnd();
  if (!e.ok()) return e;
  if (options_.decoded_content_length && decoded_ != *options_.decoded_content_length) {
    return S3Error::IncompleteBody("The aws-chunked body carries " + std::to_string(decoded_) +
                                   " bytes; x-amz-decoded-content-length says " +
                                   std::to_string(*options_.decoded_content_length));
  }
  state_ = State::kTrailerLine;
  return S3Error::Ok();
}

S3Error ChunkedDecoder::OnChunkEnd() {
  if (!is_signed()) return S3Error::Ok();
  std::string hash = last_chunk_size_ == 0 ? std::string(kEmptySha256Hex) : HexEncode(chunk_hash_.Final());
  chunk_hash_.Reset();
  std::string expected = ChunkSignature(options_.signing, previous_signature_, hash);
  if (!SameSignature(expected, chunk_signature_)) {
    return S3Error::SignatureDoesNotMatch("aws-chunked body: signature of chunk " + std::to_string(chunks_) +
                                          " does not match");
  }
  previous_signature_ = std::move(chunk_signature_);
  return S3Error::Ok();
}

S3Error ChunkedDecoder::OnTrailerLine(std::string_view line) {
  if (line.empty()) return OnTrailersEnd();
  if (!TrailerMode(options_.mode)) return Framing("trailing headers in a body without trailers");
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return Framing("malformed trailer line");
  std::string name = ToLower(Trim(line.substr(0, colon)));
  std::string value(Trim(line.substr(colon + 1)));
  if (name.empty()) return Framing("trailer with an empty name");
  if (name == kTrailerSignature && is_signed()) {
    if (!trailer_signature_.empty()) return Framing("repeated x-amz-trailer-signature");
    trailer_signature_ = ToLower(value);
    return S3Error::Ok();
  }
  if (!trailer_signature_.empty()) return Framing("trailer after x-amz-trailer-signature");
  if (trailers_.size() == options_.max_trailers) return Framing("too many trailers");
  trailers_.emplace_back(std::move(name), std::move(value));
  return S3Error::Ok();
}

S3Error ChunkedDecoder::OnTrailersEnd() {
  if (options_.mode == PayloadMode::kStreamingSignedTrailer) {
    if (trailer_signature_.empty()) {
      return S3Error::SignatureDoesNotMatch("aws-chunked body: x-amz-trailer-signature missing");
    }
    std::string expected = TrailerSignature(options_.signing, previous_signature_, CanonicalTrailers(trailers_));
    if (!SameSignature(expected, trailer_signature_)) {
      return S3Error::SignatureDoesNotMatch("aws-chunked body: trailer signature does not match");
    }
  }
  if (!options_.declared_trailer.empty()) {
    auto it = std::find_if(trailers_.begin(), trailers_.end(),
                           [&](const auto& t) { return t.first == options_.declared_trailer; });
    if (it == trailers_.end()) return Framing("declared trailer " + options_.declared_trailer + " was not sent");
    if (checksum_) {
      computed_checksum_ = checksum_->Final();
      if (Base64Encode(computed_checksum_) != it->second) {
        auto algorithm = ChecksumAlgorithmFromHeader(options_.declared_trailer);
        return S3Error::BadDigest("The " + std::string(ChecksumAlgorithmName(*algorithm)) +
                                  " you specified did not match the calculated checksum.");
      }
    }
  }
  state_ = State::kDone;
  return S3Error::Ok();
}

// ---------------------------------------------------------------- encoder

ChunkedEncoder::ChunkedEncoder(PayloadMode mode, ChunkSigningContext signing)
    : mode_(mode), signing_(std::move(signing)), previous_signature_(signing_.seed_signature) {}

bool ChunkedEncoder::is_signed() const { return SignedMode(mode_); }

std::string ChunkedEncoder::Chunk(std::string_view data) {
  std::string out = Hex(data.size());
  if (is_signed()) {
    std::string hash = data.empty() ? std::string(kEmptySha256Hex) : Sha256Hex(data);
    previous_signature_ = ChunkSignature(signing_, previous_signature_, hash);
    out.append(";").append(kSignatureExtension).append(previous_signature_);
  }
  out.append("\r\n");
  if (data.empty()) return out;  // the final chunk has no data CRLF
  out.reserve(out.size() + data.size() + 2);
  out.append(data).append("\r\n");
  return out;
}

std::string ChunkedEncoder::Finish(const TrailerList& trailers) {
  std::string out = Chunk({});
  if (TrailerMode(mode_)) {
    TrailerList lower;
    for (const auto& [name, value] : trailers) lower.emplace_back(ToLower(name), value);
    for (const auto& [name, value] : lower) out.append(name).append(":").append(value).append("\r\n");
    if (mode_ == PayloadMode::kStreamingSignedTrailer) {
      out.append(kTrailerSignature).append(":");
      out.append(TrailerSignature(signing_, previous_signature_, CanonicalTrailers(lower))).append("\r\n");
    }
  }
  out.append("\r\n");
  return out;
}

uint64_t ChunkedEncoder::EncodedLength(PayloadMode mode, uint64_t payload_size, uint64_t chunk_size,
                                       const TrailerList& trailers) {
  const uint64_t signature = SignedMode(mode) ? 1 + kSignatureExtension.size() + kSignatureHexLength : 0;
  auto chunk = [&](uint64_t n) { return Hex(n).size() + signature + 2 + (n > 0 ? n + 2 : 0); };
  uint64_t total = 0;
  if (chunk_size > 0 && payload_size > 0) {
    uint64_t full = payload_size / chunk_size;
    total += full * chunk(chunk_size);
    if (payload_size % chunk_size) total += chunk(payload_size % chunk_size);
  }
  total += chunk(0);
  if (TrailerMode(mode)) {
    for (const auto& [name, value] : trailers) total += name.size() + 1 + value.size() + 2;
    if (mode == PayloadMode::kStreamingSignedTrailer) total += kTrailerSignature.size() + 1 + kSignatureHexLength + 2;
  }
  return total + 2;
}

std::string EncodeChunked(std::string_view payload, size_t chunk_size, PayloadMode mode,
                          const ChunkSigningContext& signing, const TrailerList& trailers) {
  ChunkedEncoder encoder(mode, signing);
  std::string out;
  out.reserve(ChunkedEncoder::EncodedLength(mode, payload.size(), chunk_size, trailers));
  for (size_t pos = 0; chunk_size > 0 && pos < payload.size(); pos += chunk_size) {
    out += encoder.Chunk(payload.substr(pos, chunk_size));
  }
  out += encoder.Finish(trailers);
  return out;
}

}  // namespace faasnet::s3
