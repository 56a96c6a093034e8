// Builds zip archives in tests with libzip, including the hostile ones
// (zip-slip names, escaping symlinks) that real tools refuse to make.
//
// Thread-safety: each call uses its own temporary file.
#ifndef FAASNET_TESTS_LAMBDA_ZIP_BUILDER_H_
#define FAASNET_TESTS_LAMBDA_ZIP_BUILDER_H_

#include <unistd.h>
#include <zip.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace faasnet::lambda::testing {

struct ZipEntrySpec {
  std::string name;  // as stored, "dir/" for a directory
  std::string data;  // file contents, or a symlink's target
  uint32_t unix_mode = 0100644;  // st_mode stored in the external attributes
  bool unix_attributes = true;   // false: an MS-DOS entry without Unix mode bits
  bool store = false;            // no compression (the raw bytes are in the archive)
};

inline ZipEntrySpec File(std::string name, std::string data, bool executable = false) {
  return {std::move(name), std::move(data), executable ? 0100755u : 0100644u, true, false};
}
inline ZipEntrySpec Dir(std::string name) { return {std::move(name), "", 040755u, true, false}; }
inline ZipEntrySpec Symlink(std::string name, std::string target) {
  return {std::move(name), std::move(target), 0120777u, true, false};
}

// The archive's bytes. Throws std::runtime_error when libzip fails.
inline std::string BuildZip(const std::vector<ZipEntrySpec>& entries) {
  static std::atomic<int> counter{0};
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("faasnet-zip-test-" + std::to_string(::getpid()) + "-" +
                                std::to_string(counter.fetch_add(1)) + ".zip");
  int err = 0;
  zip_t* za = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (!za) throw std::runtime_error("zip_open failed");
  for (const auto& e : entries) {
    zip_int64_t index;
    if (!e.name.empty() && e.name.back() == '/') {
      index = zip_dir_add(za, e.name.c_str(), ZIP_FL_ENC_UTF_8);
    } else {
      zip_source_t* src = zip_source_buffer(za, e.data.data(), e.data.size(), 0);
      if (!src) throw std::runtime_error("zip_source_buffer failed");
      index = zip_file_add(za, e.name.c_str(), src, ZIP_FL_ENC_UTF_8);
      if (index < 0) {
        zip_source_free(src);
        throw std::runtime_error(std::string("zip_file_add: ") + zip_strerror(za));
      }
      if (e.store) zip_set_file_compression(za, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
    }
    if (index < 0) throw std::runtime_error(std::string("zip add: ") + zip_strerror(za));
    if (e.unix_attributes) {
      zip_file_set_external_attributes(za, static_cast<zip_uint64_t>(index), 0, ZIP_OPSYS_UNIX, e.unix_mode << 16);
    } else {
      zip_file_set_external_attributes(za, static_cast<zip_uint64_t>(index), 0, ZIP_OPSYS_DOS, 0);
    }
  }
  if (zip_close(za) != 0) {
    std::string why = zip_strerror(za);
    zip_discard(za);
    throw std::runtime_error("zip_close: " + why);
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::filesystem::remove(path);
  return ss.str();
}

}  // namespace faasnet::lambda::testing

#endif  // FAASNET_TESTS_LAMBDA_ZIP_BUILDER_H_
