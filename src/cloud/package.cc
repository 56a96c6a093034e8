#include "cloud/package.h"

#include <elf.h>
#include <sys/stat.h>
#include <zip.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace faasnet::cloud {

Result<std::string> BuildZip(const std::vector<ZipEntry>& entries) {
  std::set<std::string> names;
  for (const auto& e : entries) {
    if (e.name.empty()) return Status::InvalidArgument("zip entry with an empty name");
    if (!names.insert(e.name).second) return Status::InvalidArgument("zip entry '" + e.name + "' twice");
  }
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(nullptr, 0, 0, &err);
  if (!src) return Status::Internal(std::string("zip: ") + zip_error_strerror(&err));
  zip_t* z = zip_open_from_source(src, ZIP_TRUNCATE, &err);
  if (!z) {
    zip_source_free(src);
    return Status::Internal(std::string("zip: ") + zip_error_strerror(&err));
  }
  zip_source_keep(src);
  for (const auto& e : entries) {
    zip_source_t* data = zip_source_buffer(z, e.data.data(), e.data.size(), 0);
    zip_int64_t idx = data ? zip_file_add(z, e.name.c_str(), data, ZIP_FL_ENC_UTF_8) : -1;
    if (idx < 0) {
      if (data) zip_source_free(data);
      std::string m = zip_strerror(z);
      zip_discard(z);
      zip_source_free(src);
      return Status::Internal("zip " + e.name + ": " + m);
    }
    zip_file_set_external_attributes(z, static_cast<zip_uint64_t>(idx), 0, ZIP_OPSYS_UNIX,
                                     static_cast<zip_uint32_t>((S_IFREG | e.mode) << 16));
  }
  if (zip_close(z) < 0) {
    std::string m = zip_strerror(z);
    zip_discard(z);
    zip_source_free(src);
    return Status::Internal("zip: " + m);
  }
  std::string out;
  if (zip_source_open(src) == 0) {
    zip_source_seek(src, 0, SEEK_END);
    zip_int64_t size = zip_source_tell(src);
    zip_source_seek(src, 0, SEEK_SET);
    out.resize(static_cast<size_t>(std::max<zip_int64_t>(size, 0)));
    zip_int64_t got = zip_source_read(src, out.data(), out.size());
    zip_source_close(src);
    if (got != size) out.clear();
  }
  zip_source_free(src);
  if (out.empty()) return Status::Internal("zip: could not read the archive back");
  return out;
}

Result<std::string> ZipDirectory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound("package directory " + dir + " does not exist");
  std::vector<ZipEntry> entries;
  for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Status::IoError("package " + dir + ": " + ec.message());
    if (!it->is_regular_file()) continue;
    if (it->path().filename() == "__pycache__" || it->path().extension() == ".pyc") continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    struct stat st {};
    ::stat(it->path().c_str(), &st);
    entries.push_back({fs::relative(it->path(), dir).string(), ss.str(), static_cast<unsigned>(st.st_mode & 0777)});
  }
  if (entries.empty()) return Status::NotFound("package directory " + dir + " is empty");
  std::sort(entries.begin(), entries.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return BuildZip(entries);
}

Result<std::string> ElfArchitecture(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + " does not exist");
  Elf64_Ehdr h{};  // e_ident and e_machine sit at the same offsets in 32- and 64-bit headers
  in.read(reinterpret_cast<char*>(&h), offsetof(Elf64_Ehdr, e_machine) + sizeof h.e_machine);
  if (!in || std::memcmp(h.e_ident, ELFMAG, SELFMAG) != 0)
    return Status::InvalidArgument(path + " is not an ELF executable");
  const unsigned char* m = reinterpret_cast<const unsigned char*>(&h.e_machine);
  const unsigned machine = h.e_ident[EI_DATA] == ELFDATA2MSB ? (m[0] << 8 | m[1]) : (m[0] | m[1] << 8);
  if (machine == EM_X86_64) return std::string("x86_64");
  if (machine == EM_AARCH64) return std::string("arm64");
  return Status::InvalidArgument(path + " is built for ELF machine " + std::to_string(machine) +
                                 ", which Lambda does not run (x86_64 or arm64)");
}

Status CheckProbe(const std::string& dir, const std::string& architecture) {
  auto arch = ElfArchitecture(dir + "/bootstrap");
  if (!arch.ok()) return arch.status().WithContext("the native probe (build/functions/probe-bundle)");
  if (*arch != architecture)
    return Status::InvalidArgument("the probe in " + dir + " is built for " + *arch + ", not " + architecture +
                                   ": build faasnet on an " + architecture + " machine" +
                                   (architecture == "arm64" ? " (or run scripts/cross-probe arm64 here)" : "") +
                                   " and point FAASNET_PROBE_DIR at its functions/probe-bundle, or run with "
                                   "--arch " + *arch);
  return Status::Ok();
}

Result<std::string> PackageWorkload(const std::string& workload, const std::string& dir,
                                    const std::string& architecture) {
  if (workload == "probe") {
    if (auto st = CheckProbe(dir, architecture); !st.ok()) return st;
  } else if (workload != "boto3") {
    return Status::InvalidArgument("unknown workload " + workload + " (probe or boto3)");
  }
  return ZipDirectory(dir);
}

}  // namespace faasnet::cloud
