// Deployment packages: a function's code as a Lambda zip (libzip), built
// from files on disk, with each file's Unix mode kept (a custom runtime's
// `bootstrap` must stay executable).
//
// Thread-safety: pure functions.
#ifndef FAASNET_CLOUD_PACKAGE_H_
#define FAASNET_CLOUD_PACKAGE_H_

#include <string>
#include <vector>

#include "base/status.h"

namespace faasnet::cloud {

struct ZipEntry {
  std::string name;  // path inside the zip ("bootstrap", "app.py")
  std::string data;
  unsigned mode = 0644;
};

// The zip's bytes. Errors: InvalidArgument for an empty or duplicate name.
Result<std::string> BuildZip(const std::vector<ZipEntry>& entries);
// Every regular file under `dir` (recursively; names relative to it), modes kept.
Result<std::string> ZipDirectory(const std::string& dir);

}  // namespace faasnet::cloud

#endif  // FAASNET_CLOUD_PACKAGE_H_
