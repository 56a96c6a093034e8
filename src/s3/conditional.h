// Dates in S3's three wire formats, and conditional requests.
//
// Dates: HTTP dates (Last-Modified, If-Modified-Since, Date) are written as
// IMF-fixdate ("Fri, 24 May 2013 00:00:00 GMT") and read in all three formats
// RFC 7231 allows (IMF-fixdate, RFC 850, asctime). XML bodies use ISO 8601
// with milliseconds ("2013-05-24T00:00:00.000Z").
//
// Conditionals: If-Match, If-None-Match, If-Modified-Since,
// If-Unmodified-Since evaluated against an existing object's ETag and
// Last-Modified in RFC 7232 section 6 order, which is also what S3 documents:
//   1. If-Match present and no listed ETag matches (strong)  -> 412
//   2. else If-Unmodified-Since present and modified after   -> 412
//   3. If-None-Match present and an ETag matches (weak)      -> 304 for GET/HEAD, else 412
//   4. else If-Modified-Since (GET/HEAD only) not modified   -> 304
// So "If-Match true + If-Unmodified-Since false" proceeds and "If-None-Match
// false + If-Modified-Since true" is 304, as S3 specifies. A date that does
// not parse is ignored. Comparisons use whole seconds, the resolution of the
// HTTP date. The x-amz-copy-source-if-* variants follow the same rules against
// the copy source, except that every failure is 412 (CopyObject never
// answers 304).
// Evaluate only against an object that exists: a missing object is the
// caller's 404 (or, for If-None-Match: * on PUT, a green light).
//
// Ownership: values; Preconditions borrows the header values it was read from.
// Thread-safety: pure functions.
#ifndef FAASNET_S3_CONDITIONAL_H_
#define FAASNET_S3_CONDITIONAL_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "s3/errors.h"
#include "s3/headers.h"

namespace faasnet::s3 {

using TimePoint = std::chrono::system_clock::time_point;

// "Fri, 24 May 2013 00:00:00 GMT" (seconds truncated).
std::string FormatHttpDate(TimePoint t);
// IMF-fixdate, RFC 850 ("Friday, 24-May-13 00:00:00 GMT", two-digit years
// 70..99 -> 19xx, else 20xx) or asctime ("Fri May 24 00:00:00 2013", day may
// be space-padded). nullopt when malformed or out of range.
std::optional<TimePoint> ParseHttpDate(std::string_view text);

// "2013-05-24T00:00:00.000Z" (milliseconds truncated).
std::string FormatIso8601(TimePoint t);
// "2013-05-24T00:00:00Z" or with a fraction of 1..9 digits; only 'Z' (UTC).
// nullopt when malformed.
std::optional<TimePoint> ParseIso8601(std::string_view text);

// The conditional headers of one request (values borrowed from the headers).
struct Preconditions {
  std::optional<std::string_view> if_match;
  std::optional<std::string_view> if_none_match;
  std::optional<TimePoint> if_modified_since;    // absent when missing or unparsable
  std::optional<TimePoint> if_unmodified_since;  // absent when missing or unparsable
  bool empty() const { return !if_match && !if_none_match && !if_modified_since && !if_unmodified_since; }
};

// If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since.
Preconditions ReadPreconditions(HeaderSpan headers);
// x-amz-copy-source-if-match / -if-none-match / -if-modified-since / -if-unmodified-since.
Preconditions ReadCopySourcePreconditions(HeaderSpan headers);

// Evaluates `p` against the object's `etag` (quoted or not) and `last_modified`.
// `get_or_head`: the request is GET or HEAD (enables 304 and If-Modified-Since).
// Returns OK to proceed, S3Error::NotModified() (304) or
// S3Error::PreconditionFailed() (412).
S3Error EvaluatePreconditions(const Preconditions& p, std::string_view etag, TimePoint last_modified, bool get_or_head);
// The copy-source rules: as EvaluatePreconditions for a non-GET, but
// If-Modified-Since applies and every failure is PreconditionFailed.
S3Error EvaluateCopySourcePreconditions(const Preconditions& p, std::string_view etag, TimePoint last_modified);

// True when `etag` appears in the If-Match/If-None-Match list `header`
// ("*" matches anything). `weak` compares ignoring a W/ prefix; strong
// comparison never matches a W/ entry.
bool EtagListMatches(std::string_view header, std::string_view etag, bool weak);

}  // namespace faasnet::s3

#endif  // FAASNET_S3_CONDITIONAL_H_
