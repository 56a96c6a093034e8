#include "s3/checksum.h"

#include <isa-l.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <xxhash.h>

#include <climits>
#include <cstdlib>

#include "base/strings.h"

namespace faasnet::s3 {

namespace {

// Fetching an EVP_MD is a locked lookup in OpenSSL 3; do it once per digest.
const EVP_MD* FetchDigest(const char* name) {
  static const EVP_MD* md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  static const EVP_MD* sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  static const EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  std::string_view n(name);
  const EVP_MD* md = n == "MD5" ? md5 : n == "SHA1" ? sha1 : n == "SHA256" ? sha256 : nullptr;
  if (md == nullptr) std::abort();  // libcrypto without MD5/SHA: nothing sensible to do
  return md;
}

std::string BigEndian32(uint32_t v) {
  std::string out(4, '\0');
  out[0] = static_cast<char>(v >> 24);
  out[1] = static_cast<char>(v >> 16);
  out[2] = static_cast<char>(v >> 8);
  out[3] = static_cast<char>(v);
  return out;
}

// ISA-L takes int/uint64 lengths; feed it in slices that fit an int.
template <typename F>
void ForEachSlice(const void* data, size_t n, F&& f) {
  const auto* p = static_cast<const unsigned char*>(data);
  constexpr size_t kMax = 1u << 30;
  while (n > 0) {
    size_t k = n < kMax ? n : kMax;
    f(p, k);
    p += k;
    n -= k;
  }
}

}  // namespace

// ---------------------------------------------------------------- EVP

EvpHasher::EvpHasher(const char* name) : ctx_(EVP_MD_CTX_new()), md_(FetchDigest(name)) {
  const auto* md = static_cast<const EVP_MD*>(md_);
  digest_size_ = static_cast<size_t>(EVP_MD_get_size(md));
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, md, nullptr) != 1) std::abort();
}

EvpHasher::EvpHasher(EvpHasher&& other) noexcept : ctx_(other.ctx_), md_(other.md_), digest_size_(other.digest_size_) {
  other.ctx_ = nullptr;
}

EvpHasher& EvpHasher::operator=(EvpHasher&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(ctx_);
    ctx_ = other.ctx_;
    md_ = other.md_;
    digest_size_ = other.digest_size_;
    other.ctx_ = nullptr;
  }
  return *this;
}

EvpHasher::~EvpHasher() { EVP_MD_CTX_free(ctx_); }

void EvpHasher::Update(const void* data, size_t n) {
  if (n > 0) EVP_DigestUpdate(ctx_, data, n);
}

std::string EvpHasher::Final() {
  std::string out(digest_size_, '\0');
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, reinterpret_cast<unsigned char*>(out.data()), &len);
  out.resize(len);
  return out;
}

void EvpHasher::Reset() { EVP_DigestInit_ex(ctx_, static_cast<const EVP_MD*>(md_), nullptr); }

Md5::Md5() : EvpHasher("MD5") {}
Sha1::Sha1() : EvpHasher("SHA1") {}
Sha256::Sha256() : EvpHasher("SHA256") {}

namespace {
std::string OneShot(const char* name, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, FetchDigest(name), nullptr) != 1) std::abort();
  return std::string(reinterpret_cast<char*>(out), len);
}
}  // namespace

std::string Md5::Of(std::string_view data) { return OneShot("MD5", data); }
std::string Sha1::Of(std::string_view data) { return OneShot("SHA1", data); }
std::string Sha256::Of(std::string_view data) { return OneShot("SHA256", data); }

// ---------------------------------------------------------------- CRC

void Crc32::Update(const void* data, size_t n) {
  // crc32_gzip_refl pre- and post-inverts itself, so its result chains.
  ForEachSlice(data, n, [this](const unsigned char* p, size_t k) { crc_ = crc32_gzip_refl(crc_, p, k); });
}

std::string Crc32::Final() { return BigEndian32(crc_); }

std::string Crc32::Of(std::string_view data) {
  Crc32 c;
  c.Update(data);
  return c.Final();
}

void Crc32c::Update(const void* data, size_t n) {
  // crc32_iscsi does no inversion: keep the inverted running value.
  ForEachSlice(data, n, [this](const unsigned char* p, size_t k) {
    state_ = crc32_iscsi(const_cast<unsigned char*>(p), static_cast<int>(k), state_);
  });
}

std::string Crc32c::Final() { return BigEndian32(value()); }

std::string Crc32c::Of(std::string_view data) {
  Crc32c c;
  c.Update(data);
  return c.Final();
}

// ---------------------------------------------------------------- XXH3-128

Xxh128::Xxh128() : state_(XXH3_createState()) {
  if (state_ == nullptr) std::abort();
  XXH3_128bits_reset(state_);
}

Xxh128::Xxh128(Xxh128&& other) noexcept : state_(other.state_) { other.state_ = nullptr; }

Xxh128& Xxh128::operator=(Xxh128&& other) noexcept {
  if (this != &other) {
    XXH3_freeState(state_);
    state_ = other.state_;
    other.state_ = nullptr;
  }
  return *this;
}

Xxh128::~Xxh128() { XXH3_freeState(state_); }

void Xxh128::Update(const void* data, size_t n) { XXH3_128bits_update(state_, data, n); }

std::string Xxh128::Final() {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(state_));
  return std::string(reinterpret_cast<const char*>(canonical.digest), sizeof(canonical.digest));
}

void Xxh128::Reset() { XXH3_128bits_reset(state_); }

std::string Xxh128::Of(std::string_view data) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits(data.data(), data.size()));
  return std::string(reinterpret_cast<const char*>(canonical.digest), sizeof(canonical.digest));
}

// ---------------------------------------------------------------- algorithms

namespace {
struct AlgorithmInfo {
  ChecksumAlgorithm algorithm;
  std::string_view name;
  std::string_view header;
  std::string_view xml;
  size_t size;
};
constexpr AlgorithmInfo kAlgorithms[] = {
    {ChecksumAlgorithm::kCrc32, "CRC32", "x-amz-checksum-crc32", "ChecksumCRC32", 4},
    {ChecksumAlgorithm::kCrc32c, "CRC32C", "x-amz-checksum-crc32c", "ChecksumCRC32C", 4},
    {ChecksumAlgorithm::kSha1, "SHA1", "x-amz-checksum-sha1", "ChecksumSHA1", 20},
    {ChecksumAlgorithm::kSha256, "SHA256", "x-amz-checksum-sha256", "ChecksumSHA256", 32},
};
const AlgorithmInfo& Info(ChecksumAlgorithm a) { return kAlgorithms[static_cast<int>(a)]; }
}  // namespace

std::optional<ChecksumAlgorithm> ChecksumAlgorithmFromName(std::string_view value) {
  for (const auto& info : kAlgorithms) {
    if (EqualsIgnoreCase(info.name, value)) return info.algorithm;
  }
  return std::nullopt;
}

std::optional<ChecksumAlgorithm> ChecksumAlgorithmFromHeader(std::string_view header_name) {
  for (const auto& info : kAlgorithms) {
    if (EqualsIgnoreCase(info.header, header_name)) return info.algorithm;
  }
  return std::nullopt;
}

std::string_view ChecksumAlgorithmName(ChecksumAlgorithm algorithm) { return Info(algorithm).name; }
std::string_view ChecksumHeaderName(ChecksumAlgorithm algorithm) { return Info(algorithm).header; }
std::string_view ChecksumXmlName(ChecksumAlgorithm algorithm) { return Info(algorithm).xml; }
size_t ChecksumSize(ChecksumAlgorithm algorithm) { return Info(algorithm).size; }

std::unique_ptr<Hasher> MakeHasher(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32:
      return std::make_unique<Crc32>();
    case ChecksumAlgorithm::kCrc32c:
      return std::make_unique<Crc32c>();
    case ChecksumAlgorithm::kSha1:
      return std::make_unique<Sha1>();
    case ChecksumAlgorithm::kSha256:
      return std::make_unique<Sha256>();
  }
  std::abort();
}

std::string ComputeChecksum(ChecksumAlgorithm algorithm, std::string_view data) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32:
      return Crc32::Of(data);
    case ChecksumAlgorithm::kCrc32c:
      return Crc32c::Of(data);
    case ChecksumAlgorithm::kSha1:
      return Sha1::Of(data);
    case ChecksumAlgorithm::kSha256:
      return Sha256::Of(data);
  }
  std::abort();
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(FetchDigest("SHA256"), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len) == nullptr) {
    std::abort();
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256::Of(data)); }

}  // namespace faasnet::s3
