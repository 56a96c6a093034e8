#include "store/object_store.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/log.h"
#include "base/strings.h"
#include "s3/checksum.h"

namespace faasnet::store {

namespace fs = std::filesystem;

namespace {

constexpr char kMarkerName[] = ".faasnet-store";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  return HexEncode(raw);
}

bool IsHex32(const std::string& s) {
  return s.size() == 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string StripQuotes(std::string_view s) {
  s = Trim(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return ToLower(s);
}

S3Error Internal(const Status& st) {
  spdlog::error("store: {}", st.ToString());
  return S3Error::InternalError("We encountered an internal error. Please try again. (" + st.message() + ")");
}

S3Error InternalErrno(int err, std::string_view op, const std::string& path) {
  return Internal(Status::FromErrno(err, op, path));
}

// Writes `data` to `path` atomically (temp file in the same directory, fsync, rename).
Status WriteFileAtomic(const std::string& path, std::string_view data, bool sync) {
  std::string tmp = path + ".tmp-" + RandomHex(4);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(errno, "create", tmp);
  FileDescriptor owner(fd);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::unlink(tmp.c_str());
      return Status::FromErrno(err, "write", tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (sync && ::fsync(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Status::FromErrno(err, "fsync", tmp);
  }
  owner.Reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Status::FromErrno(err, "rename to", path);
  }
  return Status::Ok();
}

Result<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FromErrno(errno, "open", path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The smallest string greater than every string starting with `prefix`, or
// "" when there is none (all 0xff bytes).
std::string PrefixSuccessor(std::string prefix) {
  while (!prefix.empty()) {
    auto c = static_cast<unsigned char>(prefix.back());
    if (c != 0xff) {
      prefix.back() = static_cast<char>(c + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

}  // namespace

// ---- PendingFile ----

PendingFile::~PendingFile() {
  fd_.Reset();
  if (!committed_) ::unlink(path_.c_str());
}

S3Error PendingFile::Append(const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd_.get(), data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return InternalErrno(errno, "write", path_);
    }
    data += w;
    n -= static_cast<size_t>(w);
    size_ += static_cast<uint64_t>(w);
  }
  return {};
}

void PendingFile::Reserve(uint64_t n) {
  if (n > 0) (void)::fallocate(fd_.get(), FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(n));
}

namespace {

// Appends the first `length` bytes of `src` to `dst`, in the kernel where it can.
S3Error AppendFrom(PendingFile* dst, int src, uint64_t length, const std::string& src_path) {
  loff_t in_off = 0;
  uint64_t left = length;
  while (left > 0) {
    ssize_t n = ::copy_file_range(src, &in_off, dst->fd(), nullptr, left, 0);
    if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
      // Fallback: through user space.
      std::string buf(1 << 20, '\0');
      while (left > 0) {
        ssize_t r = ::pread(src, buf.data(), std::min<uint64_t>(left, buf.size()), in_off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return InternalErrno(r < 0 ? errno : EIO, "read", src_path);
        S3Error e = dst->Append(buf.data(), static_cast<size_t>(r));
        if (!e.ok()) return e;
        in_off += r;
        left -= static_cast<uint64_t>(r);
      }
      return {};
    }
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return InternalErrno(n < 0 ? errno : EIO, "copy from", src_path);
    left -= static_cast<uint64_t>(n);
  }
  return {};  // Seal() takes the size from the file, not from Append's count
}

}  // namespace

// ---- inode leases and spare files ----

InodeLease& InodeLease::operator=(InodeLease&& o) noexcept {
  if (this != &o) {
    if (store_) store_->Release(inode_);
    store_ = std::exchange(o.store_, nullptr);
    inode_ = o.inode_;
  }
  return *this;
}

InodeLease::~InodeLease() {
  if (store_) store_->Release(inode_);
}

std::mutex& ObjectStore::PathLock(const std::string& path) const {
  return path_mu_[std::hash<std::string>{}(path) % path_mu_.size()];
}

InodeLease ObjectStore::Lease(uint64_t inode) const {
  std::lock_guard<std::mutex> lock(leases_mu_);
  ++leases_[inode];
  return InodeLease(this, inode);
}

void ObjectStore::Release(uint64_t inode) const {
  std::lock_guard<std::mutex> lock(leases_mu_);
  auto it = leases_.find(inode);
  if (it != leases_.end() && --it->second <= 0) leases_.erase(it);
}

std::optional<ObjectStore::Spare> ObjectStore::KeepSpare(const std::string& path) {
  if (options_.spare_bytes == 0) return std::nullopt;
  // Space running short: freed space goes back to the file system, not to spares.
  struct statvfs fsinfo;
  if (::statvfs(dir_.c_str(), &fsinfo) != 0 ||
      static_cast<uint64_t>(fsinfo.f_bavail) * fsinfo.f_frsize < options_.spare_bytes) {
    return std::nullopt;
  }
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) return std::nullopt;
  {
    std::lock_guard<std::mutex> lock(leases_mu_);
    if (leases_.count(static_cast<uint64_t>(st.st_ino))) return std::nullopt;  // a reader has it open
  }
  Spare spare{dir_ + "/tmp/spare-" + RandomHex(8), static_cast<uint64_t>(st.st_blocks) * 512};
  {
    std::lock_guard<std::mutex> lock(spares_mu_);
    if (spare_bytes_ + spare.bytes > options_.spare_bytes) return std::nullopt;
    spare_bytes_ += spare.bytes;  // reserved now; SettleSpare keeps or returns it
  }
  if (::link(path.c_str(), spare.path.c_str()) != 0) {
    SettleSpare(Spare{"", spare.bytes}, false);
    return std::nullopt;
  }
  return spare;
}

void ObjectStore::SettleSpare(std::optional<Spare> spare, bool keep) {
  if (!spare) return;
  if (keep) {
    std::lock_guard<std::mutex> lock(spares_mu_);
    spares_.push_back(std::move(*spare));
    return;
  }
  if (!spare->path.empty()) ::unlink(spare->path.c_str());
  std::lock_guard<std::mutex> lock(spares_mu_);
  spare_bytes_ -= spare->bytes;
}

size_t ObjectStore::spare_count() const {
  std::lock_guard<std::mutex> lock(spares_mu_);
  return spares_.size();
}

// ---- Open / load ----

Result<std::unique_ptr<ObjectStore>> ObjectStore::Open(const std::string& dir, StoreOptions options) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::FromErrno(ec.value(), "create store directory", dir);
  std::string marker = dir + "/" + kMarkerName;
  if (!fs::exists(marker)) {
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      std::string name = entry.path().filename();
      if (name != "tmp" && name != "buckets") {
        return Status::FailedPrecondition("store directory " + dir + " holds files that are not a faasnet store (" +
                                          name + "); use an empty directory");
      }
    }
    RETURN_IF_ERROR(WriteFileAtomic(marker, "{\"format\":1}\n", options.fsync));
  }
  for (const char* sub : {"/tmp", "/buckets"}) {
    fs::create_directories(dir + sub, ec);
    if (ec) return Status::FromErrno(ec.value(), "create", dir + sub);
  }
  std::unique_ptr<ObjectStore> store(new ObjectStore(fs::absolute(dir).lexically_normal().string(), options));
  RETURN_IF_ERROR(store->Load());
  return store;
}

ObjectStore::~ObjectStore() {
  // Spares are only a cache of files to overwrite: a clean stop frees their space.
  for (const auto& s : spares_) ::unlink(s.path.c_str());
}

Status ObjectStore::Load() {
  std::error_code ec;
  // Leftovers of writes that were never acknowledged.
  size_t swept = 0;
  for (const auto& entry : fs::directory_iterator(dir_ + "/tmp", ec)) {
    fs::remove_all(entry.path(), ec);
    ++swept;
  }
  if (swept) spdlog::info("store: removed {} unfinished write(s) left by an earlier run", swept);
  for (const auto& entry : fs::directory_iterator(dir_ + "/buckets", ec)) {
    if (!entry.is_directory()) continue;
    Status st = LoadBucket(entry.path().filename());
    if (!st.ok()) spdlog::warn("store: skipping bucket directory {}: {}", entry.path().string(), st.ToString());
  }
  if (ec) return Status::FromErrno(ec.value(), "list", dir_ + "/buckets");
  return Status::Ok();
}

Status ObjectStore::LoadBucket(const std::string& name) {
  std::string bdir = BucketDir(name);
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(bdir + "/bucket.json"));
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::IoError(bdir + "/bucket.json is not valid JSON");
  auto b = std::make_unique<Bucket>();
  b->info.name = name;
  b->info.owner = j.value("owner", "");
  b->info.created_ms = j.value("created_ms", int64_t{0});
  b->info.location = j.value("location", "");
  std::error_code ec;
  for (const auto& shard : fs::directory_iterator(bdir + "/objects", ec)) {
    std::error_code ec2;
    for (const auto& f : fs::directory_iterator(shard.path(), ec2)) {
      std::string path = f.path().string();
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      FileDescriptor owner(fd);
      auto meta = ReadTrailer(fd, path);
      if (!meta.ok()) {
        spdlog::warn("store: ignoring {}: {}", path, meta.status().ToString());
        continue;
      }
      if (ObjectPath(name, meta->key) != path) {
        spdlog::warn("store: ignoring {}: its key hashes elsewhere", path);
        continue;
      }
      struct stat st;
      if (::fstat(fd, &st) == 0) meta->inode = static_cast<uint64_t>(st.st_ino);
      b->objects.emplace(meta->key, std::move(*meta));
    }
  }
  for (const char* sub : {"/objects", "/uploads", "/completed"}) fs::create_directories(bdir + sub, ec);
  buckets_[name] = std::move(b);
  return Status::Ok();
}

// ---- paths ----

std::string ObjectStore::BucketDir(const std::string& bucket) const { return dir_ + "/buckets/" + bucket; }

std::string ObjectStore::ObjectPath(const std::string& bucket, const std::string& key) const {
  std::string h = HexEncode(s3::Sha256::Of(key));
  return BucketDir(bucket) + "/objects/" + h.substr(0, 2) + "/" + h;
}

std::string ObjectStore::UploadDir(const std::string& bucket, const std::string& upload_id) const {
  return BucketDir(bucket) + "/uploads/" + upload_id;
}

void ObjectStore::SyncDir(const std::string& dir) const {
  if (!options_.fsync) return;
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

S3Result<const ObjectStore::Bucket*> ObjectStore::FindBucket(const std::string& name, const std::string& owner) const {
  auto it = buckets_.find(name);
  if (it == buckets_.end() || it->second->deleted) return S3Error::NoSuchBucket();
  if (!owner.empty() && it->second->info.owner != owner) return S3Error::AccessDenied();
  return static_cast<const Bucket*>(it->second.get());
}

// ---- buckets ----

S3Error ObjectStore::CreateBucket(const std::string& name, const std::string& owner, const std::string& location) {
  std::unique_lock lock(mu_);
  auto it = buckets_.find(name);
  if (it != buckets_.end()) {
    return it->second->info.owner == owner ? S3Error::BucketAlreadyOwnedByYou() : S3Error::BucketAlreadyExists();
  }
  // Built in tmp/ and renamed into place: a bucket directory is complete or absent.
  std::string tmp = dir_ + "/tmp/bucket-" + RandomHex(8);
  std::error_code ec;
  for (const char* sub : {"/objects", "/uploads", "/completed"}) {
    fs::create_directories(tmp + sub, ec);
    if (ec) return InternalErrno(ec.value(), "create", tmp + sub);
  }
  auto b = std::make_unique<Bucket>();
  b->info = BucketInfo{name, owner, NowMs(), location};
  nlohmann::json j = {{"owner", owner}, {"created_ms", b->info.created_ms}, {"location", location}};
  Status st = WriteFileAtomic(tmp + "/bucket.json", j.dump(), options_.fsync);
  if (!st.ok()) {
    fs::remove_all(tmp, ec);
    return Internal(st);
  }
  std::string dest = BucketDir(name);
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    int err = errno;
    fs::remove_all(tmp, ec);
    return InternalErrno(err, "rename bucket to", dest);
  }
  SyncDir(dir_ + "/buckets");
  buckets_[name] = std::move(b);
  return {};
}

S3Error ObjectStore::DeleteBucket(const std::string& name, const std::string& owner) {
  std::string doomed;
  {
    std::unique_lock lock(mu_);
    auto found = FindBucket(name, owner);
    if (!found.ok()) return found.error();
    if (!(*found)->objects.empty()) return S3Error::BucketNotEmpty();
    doomed = dir_ + "/tmp/deleted-" + RandomHex(8);
    if (::rename(BucketDir(name).c_str(), doomed.c_str()) != 0) return InternalErrno(errno, "remove bucket", name);
    buckets_.erase(name);
  }
  SyncDir(dir_ + "/buckets");
  std::error_code ec;
  fs::remove_all(doomed, ec);
  return {};
}

S3Result<BucketInfo> ObjectStore::GetBucket(const std::string& name, const std::string& owner) const {
  std::shared_lock lock(mu_);
  auto found = FindBucket(name, owner);
  if (!found.ok()) return found.error();
  return (*found)->info;
}

std::vector<BucketInfo> ObjectStore::ListBuckets(const std::string& owner) const {
  std::shared_lock lock(mu_);
  std::vector<BucketInfo> out;
  for (const auto& [name, b] : buckets_) {
    if (!b->deleted && (owner.empty() || b->info.owner == owner)) out.push_back(b->info);
  }
  return out;
}

// ---- objects ----

S3Result<std::unique_ptr<PendingFile>> ObjectStore::BeginWrite(const std::string& bucket, const std::string& owner) {
  {
    std::shared_lock lock(mu_);
    auto found = FindBucket(bucket, owner);
    if (!found.ok()) return found.error();
  }
  for (;;) {  // a spare file first (overwritten from offset 0; Seal cuts it to what was written)
    Spare spare;
    {
      std::lock_guard<std::mutex> lock(spares_mu_);
      if (spares_.empty()) break;
      spare = std::move(spares_.back());
      spares_.pop_back();
      spare_bytes_ -= spare.bytes;
    }
    int fd = ::open(spare.path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd >= 0) return std::make_unique<PendingFile>(spare.path, FileDescriptor(fd));
    ::unlink(spare.path.c_str());
  }
  std::string path = dir_ + "/tmp/" + RandomHex(12);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return InternalErrno(errno, "create", path);
  return std::make_unique<PendingFile>(path, FileDescriptor(fd));
}

S3Error ObjectStore::Seal(PendingFile* file, ObjectMeta* meta) {
  // The data arrived by write(2) or copy_file_range(2) at the file offset:
  // the offset is where the data ends. A spare file may be longer: cut it.
  off_t end = ::lseek(file->fd(), 0, SEEK_CUR);
  if (end < 0) return InternalErrno(errno, "seek", file->path());
  struct stat st;
  if (::fstat(file->fd(), &st) != 0) return InternalErrno(errno, "stat", file->path());
  if (st.st_size != end && ::ftruncate(file->fd(), end) != 0) return InternalErrno(errno, "truncate", file->path());
  meta->size = static_cast<uint64_t>(end);
  meta->inode = static_cast<uint64_t>(st.st_ino);
  std::string trailer = EncodeTrailer(*meta, meta->size);
  S3Error e = file->Append(trailer.data(), trailer.size());
  if (!e.ok()) return e;
  if (options_.fsync && ::fdatasync(file->fd()) != 0) return InternalErrno(errno, "fsync", file->path());
  file->Close();
  return {};
}

S3Result<ObjectMeta> ObjectStore::CommitObject(const std::string& bucket, std::unique_ptr<PendingFile> file,
                                               ObjectMeta meta) {
  meta.last_modified_ms = NowMs();
  std::string dest = ObjectPath(bucket, meta.key);
  S3Error e = Seal(file.get(), &meta);
  if (!e.ok()) return e;
  std::string shard = dest.substr(0, dest.rfind('/'));
  {
    std::lock_guard<std::mutex> path_lock(PathLock(dest));
    // The file this commit replaces, if any, before the store-wide lock: the
    // path lock is what keeps readers from it.
    auto spare = KeepSpare(dest);
    std::unique_lock lock(mu_);
    auto it = buckets_.find(bucket);
    if (it == buckets_.end() || it->second->deleted) {
      SettleSpare(std::move(spare), false);
      return S3Error::NoSuchBucket();
    }
    if (::mkdir(shard.c_str(), 0755) != 0 && errno != EEXIST) {
      int err = errno;
      SettleSpare(std::move(spare), false);
      return InternalErrno(err, "mkdir", shard);
    }
    if (::rename(file->path().c_str(), dest.c_str()) != 0) {
      int err = errno;
      SettleSpare(std::move(spare), false);
      return InternalErrno(err, "rename to", dest);
    }
    SettleSpare(std::move(spare), true);
    file->MarkCommitted();
    it->second->objects[meta.key] = meta;
  }
  SyncDir(shard);
  return meta;
}

S3Result<OpenObject> ObjectStore::OpenForRead(const std::string& bucket, const std::string& key,
                                              const std::string& owner) const {
  OpenObject o;
  std::string path = ObjectPath(bucket, key);
  // Under the path's lock: the index entry and the file opened are the same
  // object, and the file is leased before anyone can rename it away.
  std::lock_guard<std::mutex> path_lock(PathLock(path));
  {
    std::shared_lock lock(mu_);
    auto found = FindBucket(bucket, owner);
    if (!found.ok()) return found.error();
    auto it = (*found)->objects.find(key);
    if (it == (*found)->objects.end()) return S3Error::NoSuchKey();
    o.meta = it->second;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return S3Error::NoSuchKey();  // deleted meanwhile
    return InternalErrno(errno, "open", path);
  }
  o.fd = FileDescriptor(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return InternalErrno(errno, "stat", path);
  o.lease = Lease(static_cast<uint64_t>(st.st_ino));
  // The index describes the file we opened unless it is an older store's
  // entry without an inode: then the file's own trailer is the truth.
  if (o.meta.inode != 0 && static_cast<uint64_t>(st.st_ino) == o.meta.inode) return o;
  auto meta = ReadTrailer(fd, path);
  if (!meta.ok()) return Internal(meta.status());
  if (meta->key != key) return S3Error::NoSuchKey();
  o.meta = std::move(*meta);
  o.meta.inode = static_cast<uint64_t>(st.st_ino);
  return o;
}

S3Result<ObjectMeta> ObjectStore::Stat(const std::string& bucket, const std::string& key,
                                       const std::string& owner) const {
  std::shared_lock lock(mu_);
  auto found = FindBucket(bucket, owner);
  if (!found.ok()) return found.error();
  auto it = (*found)->objects.find(key);
  if (it == (*found)->objects.end()) return S3Error::NoSuchKey();
  return it->second;
}

S3Error ObjectStore::DeleteObject(const std::string& bucket, const std::string& key, const std::string& owner) {
  std::string path = ObjectPath(bucket, key);
  {
    std::lock_guard<std::mutex> path_lock(PathLock(path));
    auto spare = KeepSpare(path);  // before the store-wide lock, as in CommitObject
    std::unique_lock lock(mu_);
    auto found = FindBucket(bucket, owner);
    if (!found.ok() || !buckets_.at(bucket)->objects.count(key)) {
      SettleSpare(std::move(spare), false);
      return found.ok() ? S3Error() : found.error();
    }
    auto* b = buckets_.at(bucket).get();
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      int err = errno;
      SettleSpare(std::move(spare), false);
      return InternalErrno(err, "unlink", path);
    }
    SettleSpare(std::move(spare), true);
    b->objects.erase(key);
  }
  SyncDir(path.substr(0, path.rfind('/')));
  return {};
}

S3Result<ObjectMeta> ObjectStore::CopyObject(const std::string& src_bucket, const std::string& src_key,
                                             const std::string& dst_bucket, ObjectMeta meta, bool replace_metadata,
                                             const std::string& owner) {
  auto src = OpenForRead(src_bucket, src_key, owner);
  if (!src.ok()) return src.error();
  auto dst = BeginWrite(dst_bucket, owner);
  if (!dst.ok()) return dst.error();
  S3Error e = AppendFrom(dst->get(), src->fd.get(), src->meta.size, src_bucket + "/" + src_key);
  if (!e.ok()) return e;
  ObjectMeta out = src->meta;
  out.key = meta.key;
  out.owner = owner;
  if (replace_metadata) {
    out.content_type = meta.content_type;
    out.headers = meta.headers;
    out.user_metadata = meta.user_metadata;
  }
  return CommitObject(dst_bucket, std::move(*dst), std::move(out));
}

S3Result<ListResult> ObjectStore::List(const std::string& bucket, const std::string& owner, const ListQuery& q) const {
  std::shared_lock lock(mu_);
  auto found = FindBucket(bucket, owner);
  if (!found.ok()) return found.error();
  const auto& objects = (*found)->objects;
  ListResult r;
  auto it = objects.lower_bound(q.prefix);
  if (!q.start_after.empty() && q.start_after >= q.prefix) it = objects.upper_bound(q.start_after);
  int count = 0;
  while (it != objects.end()) {
    const std::string& key = it->first;
    if (key.compare(0, q.prefix.size(), q.prefix) != 0) break;
    std::string prefix_item;
    if (!q.delimiter.empty()) {
      size_t pos = key.find(q.delimiter, q.prefix.size());
      if (pos != std::string::npos) prefix_item = key.substr(0, pos + q.delimiter.size());
    }
    if (!prefix_item.empty() && prefix_item <= q.start_after) {
      // Every key under this prefix was summarised on an earlier page.
      std::string next = PrefixSuccessor(prefix_item);
      if (next.empty()) break;
      it = objects.lower_bound(next);
      continue;
    }
    if (count >= q.max_keys) {
      r.truncated = true;
      break;
    }
    ++count;
    if (prefix_item.empty()) {
      r.objects.push_back(it->second);
      r.next_marker = key;
      ++it;
    } else {
      r.common_prefixes.push_back(prefix_item);
      r.next_marker = prefix_item;
      std::string next = PrefixSuccessor(prefix_item);
      if (next.empty()) break;
      it = objects.lower_bound(next);
    }
  }
  if (!r.truncated) r.next_marker.clear();
  return r;
}

// ---- multipart ----

S3Result<std::string> ObjectStore::CreateUpload(const std::string& bucket, ObjectMeta meta) {
  {
    std::shared_lock lock(mu_);
    auto found = FindBucket(bucket, meta.owner);
    if (!found.ok()) return found.error();
  }
  std::string id = RandomHex(16);
  std::string tmp = dir_ + "/tmp/upload-" + id;
  if (::mkdir(tmp.c_str(), 0755) != 0) return InternalErrno(errno, "mkdir", tmp);
  meta.last_modified_ms = NowMs();
  Status st = WriteFileAtomic(tmp + "/upload.json", MetaToJson(meta), options_.fsync);
  std::error_code ec;
  if (!st.ok()) {
    fs::remove_all(tmp, ec);
    return Internal(st);
  }
  std::string dest = UploadDir(bucket, id);
  if (::rename(tmp.c_str(), dest.c_str()) != 0) {
    int err = errno;
    fs::remove_all(tmp, ec);
    if (err == ENOENT) return S3Error::NoSuchBucket();
    return InternalErrno(err, "rename upload to", dest);
  }
  SyncDir(BucketDir(bucket) + "/uploads");
  return id;
}

S3Result<ObjectMeta> ObjectStore::ReadUploadMeta(const std::string& bucket, const std::string& key,
                                                 const std::string& upload_id, const std::string& owner) const {
  {
    std::shared_lock lock(mu_);
    auto found = FindBucket(bucket, owner);
    if (!found.ok()) return found.error();
  }
  if (!IsHex32(upload_id)) return S3Error::NoSuchUpload();
  auto text = ReadSmallFile(UploadDir(bucket, upload_id) + "/upload.json");
  if (!text.ok()) return S3Error::NoSuchUpload();
  auto meta = MetaFromJson(*text);
  if (!meta.ok()) return Internal(meta.status());
  if (meta->key != key) return S3Error::NoSuchUpload();
  return std::move(*meta);
}

S3Result<PartInfo> ObjectStore::CommitPart(const std::string& bucket, const std::string& key,
                                           const std::string& upload_id, int number, std::unique_ptr<PendingFile> file,
                                           const std::string& etag, std::map<std::string, std::string> checksums) {
  auto upload = ReadUploadMeta(bucket, key, upload_id, "");
  if (!upload.ok()) return upload.error();
  if (number < 1 || number > options_.max_parts) {
    return S3Error::InvalidArgument("Part number must be an integer between 1 and " + std::to_string(options_.max_parts) +
                                    ", inclusive");
  }
  ObjectMeta meta;
  meta.key = key;
  meta.etag = etag;
  meta.checksums = std::move(checksums);
  meta.last_modified_ms = NowMs();
  S3Error e = Seal(file.get(), &meta);
  if (!e.ok()) return e;
  char name[32];
  std::snprintf(name, sizeof name, "/part-%05d", number);
  std::string dest = UploadDir(bucket, upload_id) + name;
  if (::rename(file->path().c_str(), dest.c_str()) != 0) {
    if (errno == ENOENT) return S3Error::NoSuchUpload();
    return InternalErrno(errno, "rename part to", dest);
  }
  file->MarkCommitted();
  SyncDir(UploadDir(bucket, upload_id));
  return PartInfo{number, meta.size, etag, meta.last_modified_ms, meta.checksums};
}

S3Result<std::vector<PartInfo>> ObjectStore::ListParts(const std::string& bucket, const std::string& key,
                                                       const std::string& upload_id, const std::string& owner) const {
  auto upload = ReadUploadMeta(bucket, key, upload_id, owner);
  if (!upload.ok()) return upload.error();
  std::vector<PartInfo> parts;
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(UploadDir(bucket, upload_id), ec)) {
    std::string name = f.path().filename();
    if (name.rfind("part-", 0) != 0 || name.size() != 10) continue;
    int number = std::atoi(name.c_str() + 5);
    std::string path = f.path().string();
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    FileDescriptor owner_fd(fd);
    auto meta = ReadTrailer(fd, path);
    if (!meta.ok()) continue;
    parts.push_back(PartInfo{number, meta->size, meta->etag, meta->last_modified_ms, meta->checksums});
  }
  std::sort(parts.begin(), parts.end(), [](const PartInfo& a, const PartInfo& b) { return a.number < b.number; });
  return parts;
}

S3Result<ObjectMeta> ObjectStore::CompleteUpload(const std::string& bucket, const std::string& key,
                                                 const std::string& upload_id, const std::vector<CompletedPart>& parts,
                                                 EtagMode etag_mode, const std::string& owner) {
  static std::mutex complete_mu;  // completes are rare; one at a time keeps them simple
  std::lock_guard<std::mutex> guard(complete_mu);
  std::string completed_record = BucketDir(bucket) + "/completed/" + upload_id + ".json";
  auto upload = ReadUploadMeta(bucket, key, upload_id, owner);
  if (!upload.ok()) {
    // Idempotent completion: the same upload completed before, object unchanged.
    if (upload.error().code == "NoSuchUpload" && IsHex32(upload_id)) {
      auto text = ReadSmallFile(completed_record);
      if (text.ok()) {
        auto rec = nlohmann::json::parse(*text, nullptr, false);
        if (!rec.is_discarded() && rec.value("key", "") == key) {
          auto current = Stat(bucket, key, owner);
          if (current.ok() && current->etag == rec.value("etag", "")) return current;
        }
      }
    }
    return upload.error();
  }
  if (parts.empty()) return S3Error::MalformedXML("You must specify at least one part");
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].number <= parts[i - 1].number) return S3Error::InvalidPartOrder();
  }
  auto stored = ListParts(bucket, key, upload_id, owner);
  if (!stored.ok()) return stored.error();
  std::map<int, PartInfo> by_number;
  for (auto& p : *stored) by_number[p.number] = p;
  std::string etag_concat;
  std::map<std::string, std::string> checksum_concat;
  bool all_have_checksums = true;
  for (size_t i = 0; i < parts.size(); ++i) {
    auto it = by_number.find(parts[i].number);
    if (it == by_number.end() || StripQuotes(parts[i].etag) != it->second.etag) return S3Error::InvalidPart();
    if (i + 1 < parts.size() && it->second.size < options_.min_part_bytes) return S3Error::EntityTooSmall();
    auto raw = HexDecode(it->second.etag);
    if (!raw) return Internal(Status::IoError("part etag is not hex: " + it->second.etag));
    etag_concat += *raw;
    if (it->second.checksums.empty()) all_have_checksums = false;
    for (const auto& [alg, b64] : it->second.checksums) {
      auto bytes = Base64Decode(b64);
      if (bytes) checksum_concat[alg] += *bytes;
    }
  }
  (void)etag_mode;  // part ETags already follow the mode; the composite rule is S3's for both
  auto out = BeginWrite(bucket, owner);
  if (!out.ok()) return out.error();
  for (const auto& p : parts) {
    char name[32];
    std::snprintf(name, sizeof name, "/part-%05d", p.number);
    std::string path = UploadDir(bucket, upload_id) + name;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return S3Error::InvalidPart();
    FileDescriptor src(fd);
    S3Error e = AppendFrom(out->get(), fd, by_number[p.number].size, path);
    if (!e.ok()) return e;
  }
  ObjectMeta meta = std::move(*upload);
  meta.etag = HexEncode(s3::Md5::Of(etag_concat)) + "-" + std::to_string(parts.size());
  meta.parts = static_cast<int>(parts.size());
  meta.owner = owner.empty() ? meta.owner : owner;
  meta.checksums.clear();
  if (all_have_checksums) {
    for (const auto& [alg, concat] : checksum_concat) {
      auto a = s3::ChecksumAlgorithmFromName(alg);
      if (a) meta.checksums[alg] = Base64Encode(s3::ComputeChecksum(*a, concat)) + "-" + std::to_string(parts.size());
    }
  }
  auto committed = CommitObject(bucket, std::move(*out), std::move(meta));
  if (!committed.ok()) return committed;
  nlohmann::json rec = {{"key", key}, {"etag", committed->etag}};
  Status st = WriteFileAtomic(completed_record, rec.dump(), options_.fsync);
  if (!st.ok()) spdlog::warn("store: {}", st.ToString());
  std::string doomed = dir_ + "/tmp/completed-" + upload_id;
  if (::rename(UploadDir(bucket, upload_id).c_str(), doomed.c_str()) == 0) {
    std::error_code ec;
    fs::remove_all(doomed, ec);
  }
  return committed;
}

S3Error ObjectStore::AbortUpload(const std::string& bucket, const std::string& key, const std::string& upload_id,
                                 const std::string& owner) {
  auto upload = ReadUploadMeta(bucket, key, upload_id, owner);
  if (!upload.ok()) return upload.error();
  std::string doomed = dir_ + "/tmp/aborted-" + upload_id;
  if (::rename(UploadDir(bucket, upload_id).c_str(), doomed.c_str()) != 0) {
    if (errno == ENOENT) return S3Error::NoSuchUpload();
    return InternalErrno(errno, "remove upload", upload_id);
  }
  std::error_code ec;
  fs::remove_all(doomed, ec);
  return {};
}

S3Result<std::vector<UploadInfo>> ObjectStore::ListUploads(const std::string& bucket, const std::string& owner,
                                                           const std::string& prefix) const {
  {
    std::shared_lock lock(mu_);
    auto found = FindBucket(bucket, owner);
    if (!found.ok()) return found.error();
  }
  std::vector<UploadInfo> out;
  std::error_code ec;
  for (const auto& d : fs::directory_iterator(BucketDir(bucket) + "/uploads", ec)) {
    std::string id = d.path().filename();
    if (!IsHex32(id)) continue;
    auto text = ReadSmallFile(d.path().string() + "/upload.json");
    if (!text.ok()) continue;
    auto meta = MetaFromJson(*text);
    if (!meta.ok() || meta->key.compare(0, prefix.size(), prefix) != 0) continue;
    out.push_back(UploadInfo{id, meta->key, meta->last_modified_ms, meta->owner});
  }
  std::sort(out.begin(), out.end(), [](const UploadInfo& a, const UploadInfo& b) {
    return std::tie(a.key, a.initiated_ms) < std::tie(b.key, b.initiated_ms);
  });
  return out;
}

}  // namespace faasnet::store
