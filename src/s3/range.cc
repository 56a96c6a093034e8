#include "s3/range.h"

#include <charconv>

#include "base/strings.h"

namespace faasnet::s3 {

namespace {

// A decimal number filling all of `s`; nullopt on empty, junk or overflow.
std::optional<uint64_t> ParseNumber(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// The syntactic form of one range spec "first-last" / "first-" / "-suffix".
struct RangeSpec {
  std::optional<uint64_t> first;
  std::optional<uint64_t> last;  // or the suffix length when !first
};

std::optional<RangeSpec> ParseSpec(std::string_view header) {
  header = Trim(header);
  if (!header.starts_with("bytes=")) return std::nullopt;
  std::string_view spec = Trim(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return std::nullopt;  // multi-range: S3 ignores
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view a = Trim(spec.substr(0, dash)), b = Trim(spec.substr(dash + 1));
  RangeSpec r;
  if (!a.empty() && !(r.first = ParseNumber(a))) return std::nullopt;
  if (!b.empty() && !(r.last = ParseNumber(b))) return std::nullopt;
  if (!r.first && !r.last) return std::nullopt;                      // "bytes=-"
  if (r.first && r.last && *r.last < *r.first) return std::nullopt;  // RFC 7233: invalid, ignored
  return r;
}

}  // namespace

std::string ByteRange::ContentRange(uint64_t object_size) const {
  return "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(object_size);
}

S3Result<std::optional<ByteRange>> ParseRange(std::string_view header, uint64_t object_size) {
  std::optional<RangeSpec> spec = ParseSpec(header);
  if (!spec) return std::optional<ByteRange>();
  if (!spec->first) {  // suffix: the last N bytes
    uint64_t n = *spec->last;
    if (n == 0 || object_size == 0) return S3Error::InvalidRange();
    uint64_t first = n >= object_size ? 0 : object_size - n;
    return std::optional<ByteRange>(ByteRange{first, object_size - 1});
  }
  if (*spec->first >= object_size) return S3Error::InvalidRange();
  uint64_t last = spec->last && *spec->last < object_size ? *spec->last : object_size - 1;
  return std::optional<ByteRange>(ByteRange{*spec->first, last});
}

S3Result<ByteRange> ParseCopySourceRange(std::string_view header, uint64_t source_size) {
  std::optional<RangeSpec> spec = ParseSpec(header);
  if (!spec || !spec->first || !spec->last) {
    return S3Error::InvalidArgument(
        "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the "
        "zero-based offsets of the first and last bytes to copy");
  }
  if (*spec->last >= source_size) {
    return S3Error::InvalidArgument("Range specified is not valid for source object of size: " +
                                    std::to_string(source_size));
  }
  return ByteRange{*spec->first, *spec->last};
}

}  // namespace faasnet::s3
