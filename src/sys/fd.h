// File descriptors and small-file helpers: the lowest rung of the Linux seam.
//
// UniqueFd is the one owner of an open file descriptor (move-only; the
// destructor closes it). The helpers read and write the small text files that
// the kernel exposes as its control interface (cgroupfs, procfs, sysfs): one
// open, one read or one write, errno mapped to a Status exactly once whose
// message names the operation and the path, e.g.
//   "write 134217728 to /sys/fs/cgroup/memory/faasnet/h1/memory.limit_in_bytes: Device or resource busy".
//
// Thread-safety: UniqueFd is a value owned by one thread at a time; the free
// functions are thread-safe (they share no state).
#ifndef FAASNET_SYS_FD_H_
#define FAASNET_SYS_FD_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace faasnet::sys {

// Owns one file descriptor; -1 means "none". Closing errors are ignored (the
// descriptor is gone either way, as close(2) documents for Linux).
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) Reset(other.Release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  // Gives up ownership; the caller must close the returned descriptor.
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closes the held descriptor (if any) and takes `fd`.
  void Reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Opens `path` with O_CLOEXEC added to `flags` (open(2) flags). Fails with the
// errno-mapped Status "open <path>: <strerror>".
Result<UniqueFd> OpenFile(const std::string& path, int flags, unsigned mode = 0644);

// Reads a whole small file (at most `max_bytes`; more is an InvalidArgument
// error). procfs/cgroupfs files report size 0, so this reads until EOF.
Result<std::string> ReadFile(const std::string& path, size_t max_bytes = 1 << 20);

// Reads a file holding one unsigned integer (surrounding whitespace allowed).
// "max" (cgroup v2 for "no limit") is returned as UINT64_MAX.
Result<uint64_t> ReadUint64File(const std::string& path);

// Writes `text` to an EXISTING file with a single write(2) (open O_WRONLY|O_TRUNC,
// no O_CREAT): control files take their value in one write, and a missing
// control file must be an error, not a new regular file. A short write is an
// IoError. Errors name the value and the path ("write max to <path>: ...").
Status WriteFile(const std::string& path, std::string_view text);

// Creates or replaces a regular file holding `text` (O_CREAT|O_TRUNC).
Status CreateFile(const std::string& path, std::string_view text, unsigned mode = 0644);

// Entry names in `dir` (no "." or ".."), unsorted. NotFound when `dir` is missing.
Result<std::vector<std::string>> ListDir(const std::string& dir);

// Names of the subdirectories of `dir` (no "." or ".."), from readdir's
// d_type (one getdents, no stat per entry; falls back to lstat when the
// filesystem does not report types). NotFound when `dir` is missing.
Result<std::vector<std::string>> ListSubdirs(const std::string& dir);

// True when `path` exists (any file type; symlinks are not followed).
bool PathExists(const std::string& path);

// mkdir(2); OK when the directory already exists and `exist_ok`.
Status MakeDir(const std::string& path, unsigned mode = 0755, bool exist_ok = true);

// Creates `path` and its missing parents (like mkdir -p).
Status MakeDirs(const std::string& path, unsigned mode = 0755);

// Removes a directory tree of regular files, symlinks and directories (for
// temp dirs and fake trees; never pointed at kernel filesystems). OK when absent.
Status RemoveTree(const std::string& path);

// Creates a fresh directory "<parent>/<prefix>XXXXXX" (mkdtemp) and returns its path.
Result<std::string> MakeTempDir(const std::string& prefix, const std::string& parent = "/tmp");

}  // namespace faasnet::sys

#endif  // FAASNET_SYS_FD_H_
