// The HTTP Range header as S3 interprets it for GetObject / HeadObject /
// UploadPartCopy (x-amz-copy-source-range).
//
// S3 accepts a single byte range: "bytes=first-last", "bytes=first-" or
// "bytes=-suffix". The end is clamped to size-1. A range that starts at or
// past the end of the object (or a zero suffix) is unsatisfiable ->
// InvalidRange (416). Anything S3 does not understand (another unit, several
// ranges, garbage, last < first) is ignored and the whole object is sent,
// which is what S3 does; ParseRange reports that as "no range".
//
// Thread-safety: pure functions.
#ifndef FAASNET_S3_RANGE_H_
#define FAASNET_S3_RANGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "s3/errors.h"

namespace faasnet::s3 {

// A satisfiable byte range [first, last] (inclusive) of an object.
struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t length() const { return last - first + 1; }
  // "bytes 0-9/443" for Content-Range.
  std::string ContentRange(uint64_t object_size) const;
};

// Parses `header` (the Range value) against an object of `object_size` bytes.
// Success: a ByteRange, or nullopt meaning "send the whole object" (header
// absent/empty, syntactically invalid, multi-range, other unit).
// Error: InvalidRange when the range is well-formed but unsatisfiable
// (including any range of an empty object).
S3Result<std::optional<ByteRange>> ParseRange(std::string_view header, uint64_t object_size);

// UploadPartCopy's x-amz-copy-source-range: must be "bytes=first-last"
// (first <= last) with last < source_size. Anything else (open ends,
// suffixes, garbage, out of bounds) is InvalidArgument, as S3 answers.
S3Result<ByteRange> ParseCopySourceRange(std::string_view header, uint64_t source_size);

}  // namespace faasnet::s3

#endif  // FAASNET_S3_RANGE_H_
