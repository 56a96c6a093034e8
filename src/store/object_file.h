// The on-disk form of one object (or one multipart part): the data bytes,
// then the metadata as JSON, then a fixed 32-byte footer. Data and metadata
// live in one file so that a single rename(2) commits both atomically: a
// reader sees the old object or the new one, never a mix, and a file without
// a valid footer is never visible under an object's name.
//
//   [data: data_size bytes][meta JSON: meta_len bytes][footer: 32 bytes]
//   footer = magic "FNOBJv01" | u64 data_size | u32 meta_len | u32 crc32c(meta)
//            | u64 reserved (0), all little-endian
//
// Thread-safety: pure functions and a move-only file owner.
#ifndef FAASNET_STORE_OBJECT_FILE_H_
#define FAASNET_STORE_OBJECT_FILE_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace faasnet::store {

// Everything S3 returns about an object besides its bytes.
struct ObjectMeta {
  std::string key;
  uint64_t size = 0;
  std::string etag;               // without quotes: 32 hex, or "<hex>-<parts>"
  int64_t last_modified_ms = 0;   // Unix epoch, milliseconds
  std::string content_type;       // "" -> binary/octet-stream on the wire
  // Content-Encoding, Content-Disposition, Cache-Control, Content-Language,
  // Expires, as given at upload (canonical header names).
  std::vector<std::pair<std::string, std::string>> headers;
  // x-amz-meta-* with the prefix removed, names lower-case.
  std::vector<std::pair<std::string, std::string>> user_metadata;
  // "CRC32" -> base64 digest, for x-amz-checksum-* the client asked for.
  std::map<std::string, std::string> checksums;
  int parts = 0;      // multipart part count; 0 for a single PUT
  std::string owner;  // access key id of the writer
  // Not stored: the inode of the file holding this version, so a reader can
  // tell that the file it opened is the one the index describes.
  uint64_t inode = 0;
};

std::string MetaToJson(const ObjectMeta& m);
Result<ObjectMeta> MetaFromJson(std::string_view json);

inline constexpr size_t kFooterSize = 32;

// The footer plus metadata to append after `data_size` data bytes.
std::string EncodeTrailer(const ObjectMeta& meta, uint64_t data_size);

// Move-only owner of a file descriptor; closes it on destruction.
class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& o) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor();
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset();

 private:
  int fd_ = -1;
};

// Reads the footer and metadata of an open object file. `path` is for
// messages. Fails with kIoError on a short, truncated or corrupt file.
Result<ObjectMeta> ReadTrailer(int fd, const std::string& path);

}  // namespace faasnet::store

#endif  // FAASNET_STORE_OBJECT_FILE_H_
