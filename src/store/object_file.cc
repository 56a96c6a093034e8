#include "store/object_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "s3/checksum.h"

namespace faasnet::store {

namespace {

constexpr char kMagic[8] = {'F', 'N', 'O', 'B', 'J', 'v', '0', '1'};

void PutLe(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetLe(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

Status ReadExact(int fd, char* buf, size_t n, uint64_t offset, const std::string& path) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, buf + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "read", path);
    }
    if (r == 0) return Status::IoError("read " + path + ": unexpected end of file");
    done += static_cast<size_t>(r);
  }
  return Status::Ok();
}

}  // namespace

std::string MetaToJson(const ObjectMeta& m) {
  nlohmann::json j;
  j["key"] = m.key;
  j["size"] = m.size;
  j["etag"] = m.etag;
  j["last_modified_ms"] = m.last_modified_ms;
  if (!m.content_type.empty()) j["content_type"] = m.content_type;
  if (!m.headers.empty()) j["headers"] = m.headers;
  if (!m.user_metadata.empty()) j["user_metadata"] = m.user_metadata;
  if (!m.checksums.empty()) j["checksums"] = m.checksums;
  if (m.parts) j["parts"] = m.parts;
  if (!m.owner.empty()) j["owner"] = m.owner;
  return j.dump();
}

Result<ObjectMeta> MetaFromJson(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::IoError("object metadata is not a JSON object");
  try {
    ObjectMeta m;
    m.key = j.at("key").get<std::string>();
    m.size = j.at("size").get<uint64_t>();
    m.etag = j.at("etag").get<std::string>();
    m.last_modified_ms = j.at("last_modified_ms").get<int64_t>();
    m.content_type = j.value("content_type", "");
    if (j.contains("headers")) m.headers = j["headers"].get<decltype(m.headers)>();
    if (j.contains("user_metadata")) m.user_metadata = j["user_metadata"].get<decltype(m.user_metadata)>();
    if (j.contains("checksums")) m.checksums = j["checksums"].get<decltype(m.checksums)>();
    m.parts = j.value("parts", 0);
    m.owner = j.value("owner", "");
    return m;
  } catch (const nlohmann::json::exception& e) {
    return Status::IoError(std::string("object metadata: ") + e.what());
  }
}

std::string EncodeTrailer(const ObjectMeta& meta, uint64_t data_size) {
  std::string json = MetaToJson(meta);
  s3::Crc32c c;
  c.Update(json);
  uint32_t crc = c.value();
  std::string out = json;
  out.append(kMagic, sizeof kMagic);
  PutLe(&out, data_size, 8);
  PutLe(&out, json.size(), 4);
  PutLe(&out, crc, 4);
  PutLe(&out, 0, 8);
  return out;
}

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& o) noexcept {
  if (this != &o) {
    Reset();
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

FileDescriptor::~FileDescriptor() { Reset(); }

void FileDescriptor::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<ObjectMeta> ReadTrailer(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Status::FromErrno(errno, "stat", path);
  auto file_size = static_cast<uint64_t>(st.st_size);
  if (file_size < kFooterSize) return Status::IoError(path + ": too short to be an object file");
  unsigned char footer[kFooterSize];
  RETURN_IF_ERROR(ReadExact(fd, reinterpret_cast<char*>(footer), kFooterSize, file_size - kFooterSize, path));
  if (std::memcmp(footer, kMagic, sizeof kMagic) != 0) return Status::IoError(path + ": not an object file (bad magic)");
  uint64_t data_size = GetLe(footer + 8, 8);
  auto meta_len = static_cast<uint32_t>(GetLe(footer + 16, 4));
  auto crc = static_cast<uint32_t>(GetLe(footer + 20, 4));
  if (data_size + meta_len + kFooterSize != file_size) return Status::IoError(path + ": sizes in footer do not match the file");
  std::string json(meta_len, '\0');
  RETURN_IF_ERROR(ReadExact(fd, json.data(), meta_len, data_size, path));
  s3::Crc32c c;
  c.Update(json);
  if (c.value() != crc) return Status::IoError(path + ": metadata checksum mismatch");
  auto meta = MetaFromJson(json);
  if (!meta.ok()) return meta.status().WithContext(path);
  if (meta->size != data_size) return Status::IoError(path + ": metadata size does not match data size");
  return meta;
}

}  // namespace faasnet::store
