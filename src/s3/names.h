// Validation of S3 bucket names and object keys.
//
// Bucket names follow S3's general-purpose bucket rules: 3..63 characters of
// a-z 0-9 . -, starting and ending with a letter or digit, no "..", not an
// IPv4 address, no "xn--", "sthree-" or "amzn-s3-demo-" prefix, no "-s3alias"
// or "--ol-s3" suffix. Violations -> InvalidBucketName.
//
// Object keys: S3 allows any UTF-8 up to 1024 bytes. This store is stricter,
// on purpose: a filesystem-backed store maps keys to paths, and some keys
// would be misread there (or by tools that treat keys as paths). Refused:
//   - empty key                                  -> InvalidArgument
//   - longer than 1024 bytes                     -> KeyTooLongError
//   - not valid UTF-8                            -> InvalidArgument
//   - containing NUL                             -> InvalidArgument
//   - starting with '/'                          -> InvalidArgument
//   - a path segment that is "." or ".."
//     ("a/./b", "../x", "x/..")                  -> InvalidArgument
// Empty segments ("a//b", trailing "/") are allowed: S3 "folder" markers
// end in '/', and the store must encode keys, not split them naively.
//
// Thread-safety: pure functions.
#ifndef FAASNET_S3_NAMES_H_
#define FAASNET_S3_NAMES_H_

#include <cstddef>
#include <string_view>

#include "s3/errors.h"

namespace faasnet::s3 {

inline constexpr size_t kMaxKeyBytes = 1024;

// OK, or InvalidBucketName naming the rule that failed.
S3Error ValidateBucketName(std::string_view name);

// OK, or KeyTooLongError / InvalidArgument naming the rule that failed.
S3Error ValidateObjectKey(std::string_view key);

}  // namespace faasnet::s3

#endif  // FAASNET_S3_NAMES_H_
