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

// The Lambda architecture ("x86_64", "arm64") an ELF executable is built for.
// Errors: NotFound (no file), InvalidArgument (not ELF, or another CPU).
Result<std::string> ElfArchitecture(const std::string& path);

// OK when `dir`/bootstrap is an ELF for `architecture`; else InvalidArgument
// saying how to get the right probe (or NotFound).
Status CheckProbe(const std::string& dir, const std::string& architecture);

// A workload's deployment zip for `architecture`: "probe" zips `dir` (the
// probe bundle, build/functions/probe-bundle: its `bootstrap` must be an ELF
// for that architecture), "boto3" zips `dir` as it is. Errors: NotFound,
// InvalidArgument (unknown workload; a probe for another CPU, saying how to
// get the right one).
Result<std::string> PackageWorkload(const std::string& workload, const std::string& dir,
                                    const std::string& architecture);

}  // namespace faasnet::cloud

#endif  // FAASNET_CLOUD_PACKAGE_H_
