// Unpacking a function's deployment package (a zip held in memory, as
// CreateFunction's Code.ZipFile carries it) into a directory, with libzip.
//
// Safe against hostile packages:
//   - zip-slip: entries with an absolute name or a ".." component are refused;
//     "./" and empty components are dropped;
//   - symlinks: created last (so no file of the package is written through
//     one), with a relative target that must stay inside the directory both
//     lexically and once resolved; a dangling link may not contain "..";
//   - devices, FIFOs, sockets and encrypted entries are refused;
//   - sizes: Lambda's limits (50 MB zipped for a direct upload, 250 MB
//     unzipped), checked on the declared sizes first and on the bytes actually
//     written, so a lying header cannot fill the disk.
// Unix permissions travel in the entries' external attributes: a file with
// any execute bit becomes 0755 (a `bootstrap` must be executable), others
// 0644, directories 0755. Packages made without Unix attributes (e.g. on
// Windows) give 0644 files, as on Lambda.
//
// Ownership: the caller owns `dir`; on failure everything this call created
// there (and `dir` itself, if it created it) is removed.
// Thread-safety: pure apart from the files it writes; concurrent calls must
// use different directories.
#ifndef FAASNET_LAMBDA_ZIP_H_
#define FAASNET_LAMBDA_ZIP_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "lambda/errors.h"

namespace faasnet::lambda {

struct ZipLimits {
  uint64_t max_zipped_bytes = 50ull * 1024 * 1024;     // 52428800: Lambda's direct-upload limit
  uint64_t max_unzipped_bytes = 250ull * 1024 * 1024;  // 262144000: Lambda's unzipped limit
  uint64_t max_entries = 100'000;
  uint64_t max_symlink_target_bytes = 4096;
};

// What an extraction produced.
struct ZipSummary {
  uint64_t files = 0;
  uint64_t directories = 0;  // directory entries in the archive (parents made implicitly are not counted)
  uint64_t symlinks = 0;
  uint64_t unzipped_bytes = 0;  // bytes of regular files written
};

// Extracts `zip_bytes` into `dir`, which must not exist yet (its parent must)
// or be an empty directory.
// Success: the counts.
// Errors:
//   InvalidParameterValueException "Could not unzip uploaded file. Please check
//     your file, then try to upload again. (<why>)" for a corrupt archive, a
//     CRC mismatch, an unsafe entry name or symlink, an unsupported entry type;
//   InvalidParameterValueException "Unzipped size must be smaller than
//     262144000 bytes" past max_unzipped_bytes (or max_entries);
//   RequestTooLargeException "Zipped size must be smaller than 52428800 bytes"
//     past max_zipped_bytes;
//   ServiceException naming the path for local failures (dir not empty, disk
//     full, permission denied).
LambdaResult<ZipSummary> ExtractZip(std::string_view zip_bytes, const std::string& dir, const ZipLimits& limits = {});

// The zip-slip rule on its own: the entry name as a relative path with "./"
// and empty components dropped ("a//./b" -> "a/b"; "dir/" -> "dir"), or
// nullopt-like "" when the name is empty, absolute, contains NUL or a ".."
// component (or is only "." components).
std::string SafeEntryPath(std::string_view entry_name);

}  // namespace faasnet::lambda

#endif  // FAASNET_LAMBDA_ZIP_H_
