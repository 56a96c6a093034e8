#include "lambda/zip.h"

#include <zip.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <system_error>
#include <vector>

#include "base/strings.h"

namespace faasnet::lambda {

namespace fs = std::filesystem;

namespace {

// Unix file types in the high 16 bits of a Unix-made entry's external
// attributes (the st_mode values of the archive format, not of this host).
constexpr uint32_t kTypeMask = 0170000;
constexpr uint32_t kTypeRegular = 0100000;
constexpr uint32_t kTypeDirectory = 0040000;
constexpr uint32_t kTypeSymlink = 0120000;

constexpr std::string_view kUnzipFailed =
    "Could not unzip uploaded file. Please check your file, then try to upload again.";

LambdaError BadZip(std::string_view why) {
  return LambdaError::InvalidParameterValueException(std::string(kUnzipFailed) + " (" + std::string(why) + ")");
}

LambdaError TooBig(const ZipLimits& limits) {
  return LambdaError::InvalidParameterValueException("Unzipped size must be smaller than " +
                                                     std::to_string(limits.max_unzipped_bytes) + " bytes");
}

LambdaError Local(std::string_view what, const fs::path& path, const std::error_code& ec) {
  return LambdaError::ServiceException("unzip: " + std::string(what) + " " + path.string() + ": " + ec.message());
}

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};
struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

enum class Kind { kFile, kDirectory, kSymlink };

struct Entry {
  zip_uint64_t index;
  std::string path;  // SafeEntryPath of the name
  Kind kind;
  bool executable;
  uint64_t size;
};

// Removes what a failed extraction made, on every exit path that does not Release().
class Cleanup {
 public:
  Cleanup(fs::path dir, bool created) : dir_(std::move(dir)), created_(created) {}
  ~Cleanup() {
    if (released_) return;
    std::error_code ec;
    if (created_) {
      fs::remove_all(dir_, ec);
    } else {
      for (const auto& e : fs::directory_iterator(dir_, ec)) fs::remove_all(e.path(), ec);
    }
  }
  void Release() { released_ = true; }

 private:
  fs::path dir_;
  bool created_;
  bool released_ = false;
};

// Lexically joins `base` (relative, already safe) and a relative `target`;
// "" when the result leaves the root.
std::string JoinInside(std::string_view base_dir, std::string_view target) {
  std::vector<std::string_view> parts;
  for (auto p : Split(base_dir, '/')) {
    if (!p.empty()) parts.push_back(p);
  }
  for (auto p : Split(target, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (parts.empty()) return "";
      parts.pop_back();
      continue;
    }
    parts.push_back(p);
  }
  std::string out = ".";
  for (auto p : parts) out += "/" + std::string(p);
  return out;
}

bool Within(const fs::path& root, const fs::path& p) {
  auto r = root.begin();
  auto q = p.begin();
  for (; r != root.end(); ++r, ++q) {
    if (q == p.end() || *r != *q) return false;
  }
  return true;
}

// Reads a whole (small) entry into memory.
LambdaResult<std::string> ReadSmall(zip_t* za, zip_uint64_t index, uint64_t cap) {
  std::unique_ptr<zip_file_t, ZipFileCloser> f(zip_fopen_index(za, index, 0));
  if (!f) return BadZip(zip_error_strerror(zip_get_error(za)));
  std::string out;
  char buf[4096];
  for (;;) {
    zip_int64_t n = zip_fread(f.get(), buf, sizeof buf);
    if (n < 0) return BadZip(zip_file_strerror(f.get()));
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > cap) return BadZip("a symlink target is too long");
  }
  return out;
}

}  // namespace

std::string SafeEntryPath(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find('\0') != std::string_view::npos) return "";
  std::string out;
  for (auto part : Split(name, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") return "";
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

LambdaResult<ZipSummary> ExtractZip(std::string_view zip_bytes, const std::string& dir, const ZipLimits& limits) {
  if (zip_bytes.size() > limits.max_zipped_bytes) {
    return LambdaError::RequestTooLargeException("Zipped size must be smaller than " +
                                                 std::to_string(limits.max_zipped_bytes) + " bytes");
  }
  if (zip_bytes.empty()) return BadZip("the archive is empty");
  zip_error_t zerr;
  zip_error_init(&zerr);
  zip_source_t* src = zip_source_buffer_create(zip_bytes.data(), zip_bytes.size(), 0, &zerr);
  if (!src) {
    LambdaError e = BadZip(zip_error_strerror(&zerr));
    zip_error_fini(&zerr);
    return e;
  }
  std::unique_ptr<zip_t, ZipCloser> za(zip_open_from_source(src, ZIP_RDONLY, &zerr));
  if (!za) {
    zip_source_free(src);  // not taken over on failure
    LambdaError e = BadZip(zip_error_strerror(&zerr));
    zip_error_fini(&zerr);
    return e;
  }
  zip_error_fini(&zerr);

  // Catalogue and check every entry before writing anything.
  zip_int64_t count = zip_get_num_entries(za.get(), 0);
  if (count < 0) return BadZip("cannot count entries");
  if (static_cast<uint64_t>(count) > limits.max_entries) return TooBig(limits);
  std::vector<Entry> entries;
  entries.reserve(static_cast<size_t>(count));
  uint64_t declared = 0;
  for (zip_uint64_t i = 0; i < static_cast<zip_uint64_t>(count); ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(za.get(), i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME)) {
      return BadZip(zip_error_strerror(zip_get_error(za.get())));
    }
    std::string_view name = st.name;
    std::string path = SafeEntryPath(name);
    if (path.empty()) {
      // A bare "./" entry is harmless; anything else that normalises to nothing is not.
      if (!name.empty() && name.front() != '/' && name.find_first_not_of("./") == std::string_view::npos &&
          name.find("..") == std::string_view::npos) {
        continue;
      }
      return BadZip("entry \"" + std::string(name) + "\" would be written outside the package");
    }
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
      return BadZip("entry \"" + std::string(name) + "\" is encrypted");
    }
    zip_uint8_t opsys = 0;
    zip_uint32_t attributes = 0;
    if (zip_file_get_external_attributes(za.get(), i, 0, &opsys, &attributes) != 0) {
      return BadZip(zip_error_strerror(zip_get_error(za.get())));
    }
    Entry e{i, std::move(path), Kind::kFile, false, (st.valid & ZIP_STAT_SIZE) ? st.size : 0};
    uint32_t mode = opsys == ZIP_OPSYS_UNIX ? attributes >> 16 : 0;
    uint32_t type = mode & kTypeMask;
    if (name.back() == '/' || type == kTypeDirectory) {
      e.kind = Kind::kDirectory;
    } else if (type == kTypeSymlink) {
      e.kind = Kind::kSymlink;
    } else if (type != 0 && type != kTypeRegular) {
      return BadZip("entry \"" + std::string(name) + "\" is not a file, directory or symlink");
    }
    e.executable = (mode & 0111) != 0;
    if (e.kind == Kind::kFile) {
      declared += e.size;
      if (declared > limits.max_unzipped_bytes) return TooBig(limits);
    }
    entries.push_back(std::move(e));
  }

  // The destination: new, or an empty directory.
  fs::path root(dir);
  std::error_code ec;
  bool created = false;
  if (fs::exists(root, ec)) {
    if (!fs::is_directory(root, ec)) return Local("extract into", root, std::make_error_code(std::errc::not_a_directory));
    if (!fs::is_empty(root, ec)) {
      return Local("extract into", root, std::make_error_code(std::errc::directory_not_empty));
    }
  } else {
    if (!fs::create_directory(root, ec)) return Local("mkdir", root, ec ? ec : std::make_error_code(std::errc::io_error));
    created = true;
  }
  Cleanup cleanup(root, created);
  fs::permissions(root, fs::perms(0755), ec);
  fs::path real_root = fs::canonical(root, ec);
  if (ec) return Local("resolve", root, ec);

  ZipSummary summary;
  auto make_parents = [&](const fs::path& p) -> LambdaError {
    std::error_code e2;
    fs::create_directories(p.parent_path(), e2);
    if (e2) return BadZip("cannot create the directory of \"" + p.lexically_relative(root).string() + "\": " + e2.message());
    return LambdaError::Ok();
  };

  // Directories and files first; symlinks last, so nothing is written through one.
  std::vector<char> buf(1 << 16);
  for (const Entry& e : entries) {
    fs::path target = root / e.path;
    if (e.kind == Kind::kDirectory) {
      fs::create_directories(target, ec);
      if (ec) return BadZip("cannot create directory \"" + e.path + "\": " + ec.message());
      ++summary.directories;
      continue;
    }
    if (e.kind != Kind::kFile) continue;
    if (LambdaError pe = make_parents(target); !pe.ok()) return pe;
    std::unique_ptr<zip_file_t, ZipFileCloser> in(zip_fopen_index(za.get(), e.index, 0));
    if (!in) return BadZip("entry \"" + e.path + "\": " + zip_error_strerror(zip_get_error(za.get())));
    std::unique_ptr<std::FILE, FileCloser> out(std::fopen(target.c_str(), "wb"));
    if (!out) return BadZip("cannot create \"" + e.path + "\" (a directory of that name exists?)");
    for (;;) {
      zip_int64_t n = zip_fread(in.get(), buf.data(), buf.size());
      if (n < 0) return BadZip("entry \"" + e.path + "\": " + zip_file_strerror(in.get()));
      if (n == 0) break;
      summary.unzipped_bytes += static_cast<uint64_t>(n);
      if (summary.unzipped_bytes > limits.max_unzipped_bytes) return TooBig(limits);
      if (std::fwrite(buf.data(), 1, static_cast<size_t>(n), out.get()) != static_cast<size_t>(n)) {
        return Local("write", target, std::error_code(errno, std::generic_category()));
      }
    }
    if (std::fclose(out.release()) != 0) return Local("write", target, std::error_code(errno, std::generic_category()));
    fs::permissions(target, fs::perms(e.executable ? 0755 : 0644), ec);
    if (ec) return Local("chmod", target, ec);
    ++summary.files;
  }

  std::vector<const Entry*> links;
  for (const Entry& e : entries) {
    if (e.kind != Kind::kSymlink) continue;
    auto text = ReadSmall(za.get(), e.index, limits.max_symlink_target_bytes);
    if (!text.ok()) return text.error();
    const std::string& t = *text;
    std::string parent = e.path.find('/') == std::string::npos ? "" : e.path.substr(0, e.path.rfind('/'));
    if (t.empty() || t.front() == '/' || t.find('\0') != std::string::npos || JoinInside(parent, t).empty()) {
      return BadZip("symlink \"" + e.path + "\" -> \"" + t + "\" points outside the package");
    }
    fs::path link = root / e.path;
    if (LambdaError pe = make_parents(link); !pe.ok()) return pe;
    fs::create_symlink(t, link, ec);
    if (ec) return BadZip("cannot create symlink \"" + e.path + "\": " + ec.message());
    links.push_back(&e);
  }
  // Chains of links can leave the root even when each is lexically inside
  // (a -> ".", b -> "a/.."): check where each one really ends.
  for (const Entry* e : links) {
    fs::path link = root / e->path;
    fs::path resolved = fs::canonical(link, ec);
    if (!ec) {
      if (!Within(real_root, resolved)) return BadZip("symlink \"" + e->path + "\" resolves outside the package");
    } else {
      std::string t = fs::read_symlink(link, ec).string();
      for (auto part : Split(t, '/')) {
        if (part == "..") return BadZip("dangling symlink \"" + e->path + "\" may not contain \"..\"");
      }
    }
    ++summary.symlinks;
  }
  cleanup.Release();
  return summary;
}

}  // namespace faasnet::lambda
