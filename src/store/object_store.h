// The storage engine behind faasnet's S3 endpoint: buckets, objects and
// multipart uploads in a data directory, with S3's semantics and errors.
//
// Layout under DIR (object files are named by the SHA-256 of the key, so no
// key can name a path outside DIR, and any UTF-8 key fits):
//   DIR/.faasnet-store                          format marker
//   DIR/tmp/                                    files being written (swept at Open)
//   DIR/buckets/<bucket>/bucket.json            owner, creation time, location
//   DIR/buckets/<bucket>/objects/<h2>/<sha256>  data + metadata (object_file.h)
//   DIR/buckets/<bucket>/uploads/<id>/          upload.json, part-00001 ...
//   DIR/buckets/<bucket>/completed/<id>.json    finished uploads (idempotent Complete)
//
// Durability: a write goes to DIR/tmp, is fsynced (Options::fsync), then
// renamed into place and the directory fsynced; only then is it acknowledged.
// A crash leaves either the old object or the new one, plus temp files that
// the next Open removes. An in-memory index (key -> metadata, in byte order)
// serves HEAD and listings; GET reads the metadata from the opened file
// itself, so data and metadata always match.
//
// Spare files: the file of a replaced or deleted object is kept (hard-linked
// into DIR/tmp before its name goes) when no reader has it open, the spares
// stay within Options::spare_bytes and the file system has at least that much
// free; the next write overwrites it in place instead of creating a file.
// That skips inode and block allocation, the freeing (and discard) of the old
// blocks and fresh page-cache pages: rewriting 10 MB files costs ~0.13
// CPU-s/GB here against ~0.32 for a new file and a rename. Readers find files
// by path under a per-path lock, so a file stops being reachable the moment it
// is renamed away, and one still open is never taken (InodeLease). Spares are
// temp files: a crash loses nothing and Open sweeps them.
//
// Thread-safety: all methods are safe to call concurrently. Writers are
// single-threaded objects handed to one caller.
#ifndef FAASNET_STORE_OBJECT_STORE_H_
#define FAASNET_STORE_OBJECT_STORE_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "s3/errors.h"
#include "store/object_file.h"

namespace faasnet::store {

using s3::S3Error;
using s3::S3Result;

struct StoreOptions {
  bool fsync = true;                           // fsync files and directories before acknowledging
  // Disk space that replaced and deleted object files may keep as spares, to
  // be overwritten in place by later writes (0: none; see "Spare files").
  uint64_t spare_bytes = 512ull << 20;
  uint64_t max_object_bytes = 5ull << 30;      // single PUT / part limit (S3: 5 GiB)
  uint64_t min_part_bytes = 5ull << 20;        // every part but the last (S3: 5 MiB)
  int max_parts = 10000;
};

struct BucketInfo {
  std::string name;
  std::string owner;
  int64_t created_ms = 0;
  std::string location;  // "" means us-east-1
};

// A file being written; becomes an object or a part when committed, and is
// removed when dropped uncommitted.
class PendingFile {
 public:
  PendingFile(std::string path, FileDescriptor fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;
  ~PendingFile();

  // Appends data; an I/O failure (e.g. disk full) is InternalError.
  S3Error Append(const char* data, size_t n);
  // Allocates disk space for `n` bytes ahead of the appends (the size stays
  // what was appended): the file system allocates one extent at once instead
  // of reserving blocks page by page as the data arrives. Best effort.
  void Reserve(uint64_t n);
  uint64_t size() const { return size_; }
  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  // Called by the store once the file has been renamed into place.
  void MarkCommitted() { committed_ = true; }
  // Closes the descriptor, keeping the file (the store renamed it already).
  void Close() { fd_.Reset(); }

 private:
  std::string path_;
  FileDescriptor fd_;
  uint64_t size_ = 0;
  bool committed_ = false;
};

class ObjectStore;

// Keeps an object file's inode from being reused as a spare while a reader
// has it open. Move-only; releases on destruction.
class InodeLease {
 public:
  InodeLease() = default;
  InodeLease(const ObjectStore* store, uint64_t inode) : store_(store), inode_(inode) {}
  InodeLease(InodeLease&& o) noexcept : store_(std::exchange(o.store_, nullptr)), inode_(o.inode_) {}
  InodeLease& operator=(InodeLease&& o) noexcept;
  InodeLease(const InodeLease&) = delete;
  InodeLease& operator=(const InodeLease&) = delete;
  ~InodeLease();

 private:
  const ObjectStore* store_ = nullptr;
  uint64_t inode_ = 0;
};

// An object opened for reading: its metadata and a descriptor positioned
// nowhere in particular (use pread/sendfile at [0, meta.size)).
struct OpenObject {
  ObjectMeta meta;
  FileDescriptor fd;
  InodeLease lease;
};

struct ListQuery {
  std::string prefix;
  std::string delimiter;
  std::string start_after;  // keys (and prefixes) <= this are skipped
  int max_keys = 1000;
};

struct ListResult {
  std::vector<ObjectMeta> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_marker;  // the last key or prefix returned, when truncated
};

struct PartInfo {
  int number = 0;
  uint64_t size = 0;
  std::string etag;  // hex, no quotes
  int64_t last_modified_ms = 0;
  std::map<std::string, std::string> checksums;
};

struct UploadInfo {
  std::string upload_id;
  std::string key;
  int64_t initiated_ms = 0;
  std::string owner;
};

// A part named by CompleteMultipartUpload.
struct CompletedPart {
  int number = 0;
  std::string etag;  // quotes allowed, compared without them
};

enum class EtagMode {
  kMd5,   // S3's ETag: MD5 of the data (costs ~1.2 CPU-s per GB here)
  kFast,  // XXH3-128 of the data, same shape; S3 too documents that ETags are not always MD5
};

class ObjectStore {
 public:
  // Opens (creating if needed) the store in `dir`: removes leftovers in tmp/,
  // loads buckets and the object index. Fails when `dir` cannot be created or
  // read, or holds something that is not a faasnet store.
  static Result<std::unique_ptr<ObjectStore>> Open(const std::string& dir, StoreOptions options = {});
  ~ObjectStore();

  const StoreOptions& options() const { return options_; }
  // Spare files held now (see "Spare files" above); for tests and metrics.
  size_t spare_count() const;
  const std::string& dir() const { return dir_; }

  // ---- buckets ----
  // BucketAlreadyOwnedByYou when `owner` has it (S3 answers 200 for that in
  // us-east-1, which the caller decides), BucketAlreadyExists when another has.
  S3Error CreateBucket(const std::string& name, const std::string& owner, const std::string& location);
  // NoSuchBucket, AccessDenied (not the owner), BucketNotEmpty.
  S3Error DeleteBucket(const std::string& name, const std::string& owner);
  S3Result<BucketInfo> GetBucket(const std::string& name, const std::string& owner) const;
  std::vector<BucketInfo> ListBuckets(const std::string& owner) const;

  // ---- objects ----
  // A new temp file for an object or a part of `bucket` (NoSuchBucket, AccessDenied).
  S3Result<std::unique_ptr<PendingFile>> BeginWrite(const std::string& bucket, const std::string& owner);
  // Seals `file` with `meta` (size and last_modified are filled in) and makes
  // it the object meta.key of `bucket`. Returns the stored metadata.
  S3Result<ObjectMeta> CommitObject(const std::string& bucket, std::unique_ptr<PendingFile> file, ObjectMeta meta);
  S3Result<OpenObject> OpenForRead(const std::string& bucket, const std::string& key, const std::string& owner) const;
  S3Result<ObjectMeta> Stat(const std::string& bucket, const std::string& key, const std::string& owner) const;
  // Deleting a missing key succeeds, as in S3.
  S3Error DeleteObject(const std::string& bucket, const std::string& key, const std::string& owner);
  // Server-side copy; `meta` carries the destination key and, when
  // `replace_metadata`, the new headers (else the source's are kept).
  S3Result<ObjectMeta> CopyObject(const std::string& src_bucket, const std::string& src_key,
                                  const std::string& dst_bucket, ObjectMeta meta, bool replace_metadata,
                                  const std::string& owner);
  S3Result<ListResult> List(const std::string& bucket, const std::string& owner, const ListQuery& q) const;

  // ---- multipart ----
  // `meta` carries the key and the headers the final object will have.
  S3Result<std::string> CreateUpload(const std::string& bucket, ObjectMeta meta);
  // Seals `file` as part `number` (1..max_parts) of the upload (NoSuchUpload).
  S3Result<PartInfo> CommitPart(const std::string& bucket, const std::string& key, const std::string& upload_id,
                                int number, std::unique_ptr<PendingFile> file, const std::string& etag,
                                std::map<std::string, std::string> checksums);
  S3Result<std::vector<PartInfo>> ListParts(const std::string& bucket, const std::string& key,
                                            const std::string& upload_id, const std::string& owner) const;
  // Assembles the named parts (InvalidPartOrder, InvalidPart, EntityTooSmall)
  // into the object. Completing an already completed upload again with the
  // same key returns the same object (idempotent) while it is unchanged.
  S3Result<ObjectMeta> CompleteUpload(const std::string& bucket, const std::string& key, const std::string& upload_id,
                                      const std::vector<CompletedPart>& parts, EtagMode etag_mode,
                                      const std::string& owner);
  S3Error AbortUpload(const std::string& bucket, const std::string& key, const std::string& upload_id,
                      const std::string& owner);
  S3Result<std::vector<UploadInfo>> ListUploads(const std::string& bucket, const std::string& owner,
                                                const std::string& prefix) const;

 private:
  struct Bucket {
    BucketInfo info;
    std::map<std::string, ObjectMeta> objects;  // byte order, as S3 lists
    bool deleted = false;
  };

  ObjectStore(std::string dir, StoreOptions options) : dir_(std::move(dir)), options_(options) {}
  Status Load();
  Status LoadBucket(const std::string& name);

  std::string BucketDir(const std::string& bucket) const;
  std::string ObjectPath(const std::string& bucket, const std::string& key) const;
  std::string UploadDir(const std::string& bucket, const std::string& upload_id) const;
  // The bucket under the lock held by the caller; NoSuchBucket / AccessDenied.
  S3Result<const Bucket*> FindBucket(const std::string& name, const std::string& owner) const;
  // Sets meta->size from the file, appends the trailer, fsyncs and closes.
  S3Error Seal(PendingFile* file, ObjectMeta* meta);
  S3Result<ObjectMeta> ReadUploadMeta(const std::string& bucket, const std::string& key,
                                      const std::string& upload_id, const std::string& owner) const;
  void SyncDir(const std::string& dir) const;

  // ---- spare files ----
  friend class InodeLease;
  struct Spare {
    std::string path;
    uint64_t bytes = 0;
  };
  // The lock of an object path: held from a reader's index lookup to its
  // open(2) and lease, and by whoever renames or unlinks that path.
  std::mutex& PathLock(const std::string& path) const;
  InodeLease Lease(uint64_t inode) const;
  void Release(uint64_t inode) const;
  // Links the object file at `path` (about to be replaced or unlinked; the
  // caller holds its path lock) into tmp/ as a spare when that is allowed.
  std::optional<Spare> KeepSpare(const std::string& path);
  // After the replace or unlink: keeps `spare` when it succeeded, else drops it.
  void SettleSpare(std::optional<Spare> spare, bool keep);

  const std::string dir_;
  const StoreOptions options_;
  mutable std::shared_mutex mu_;
  std::map<std::string, std::unique_ptr<Bucket>> buckets_;  // guarded by mu_
  mutable std::array<std::mutex, 64> path_mu_;
  mutable std::mutex leases_mu_;
  mutable std::map<uint64_t, int> leases_;  // inode -> readers; guarded by leases_mu_
  mutable std::mutex spares_mu_;
  std::vector<Spare> spares_;  // most recent last; guarded by spares_mu_
  uint64_t spare_bytes_ = 0;   // guarded by spares_mu_
};

}  // namespace faasnet::store

#endif  // FAASNET_STORE_OBJECT_STORE_H_
