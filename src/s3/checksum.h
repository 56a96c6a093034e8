// Checksums and digests used by S3: incremental hashers (MD5 for ETags and
// Content-MD5, SHA-1/SHA-256/CRC32/CRC32C for x-amz-checksum-*, XXH3-128 for
// the store's internal integrity), HMAC-SHA256 for SigV4, and the mapping
// between S3's checksum algorithm names and header names.
//
// Every hasher has the same small interface:
//   void Update(const void* data, size_t n);   // any number of times
//   void Update(std::string_view data);
//   std::string Final();                        // raw digest bytes
//   void Reset();                               // start over
// Final() may be called once; call Reset() before reusing the hasher. The
// concrete classes are `final`, so calls through them are not virtual; the
// `Hasher` base exists for code that picks an algorithm at run time
// (MakeHasher), which costs one virtual call per Update *slice*, never per byte.
//
// Digest encodings: Final() returns raw bytes. S3 headers carry
// base64(raw) (x-amz-checksum-*, Content-MD5); ETags are hex(md5). CRC32 and
// CRC32C raw bytes are the 4-byte big-endian value, as S3 encodes them.
//
// Ownership: each hasher owns its state (OpenSSL contexts are freed by the
// destructor); hashers are movable, not copyable.
// Thread-safety: a hasher is not thread-safe; distinct hashers and the free
// functions are safe to use concurrently.
#ifndef FAASNET_S3_CHECKSUM_H_
#define FAASNET_S3_CHECKSUM_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

typedef struct evp_md_ctx_st EVP_MD_CTX;  // OpenSSL
struct XXH3_state_s;                      // xxHash

namespace faasnet::s3 {

class Hasher {
 public:
  virtual ~Hasher() = default;
  virtual void Update(const void* data, size_t n) = 0;
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // Raw digest bytes. Call once, then Reset() before reuse.
  virtual std::string Final() = 0;
  virtual void Reset() = 0;
  // Digest length in bytes (16 for MD5, 4 for CRC32, ...).
  virtual size_t DigestSize() const = 0;
};

// MD5, SHA-1, SHA-256 through OpenSSL EVP. Construction cannot fail in
// practice (the algorithms are built into libcrypto); if OpenSSL is broken the
// constructor aborts rather than hash silently wrong.
class EvpHasher : public Hasher {
 public:
  EvpHasher(EvpHasher&& other) noexcept;
  EvpHasher& operator=(EvpHasher&& other) noexcept;
  EvpHasher(const EvpHasher&) = delete;
  EvpHasher& operator=(const EvpHasher&) = delete;
  ~EvpHasher() override;

  void Update(const void* data, size_t n) final;
  using Hasher::Update;
  std::string Final() final;
  void Reset() final;
  size_t DigestSize() const final { return digest_size_; }

 protected:
  // `name` is an OpenSSL digest name: "MD5", "SHA1", "SHA256".
  explicit EvpHasher(const char* name);

 private:
  EVP_MD_CTX* ctx_ = nullptr;
  const void* md_ = nullptr;  // const EVP_MD*, fetched once per process
  size_t digest_size_ = 0;
};

class Md5 final : public EvpHasher {
 public:
  Md5();
  static std::string Of(std::string_view data);  // raw 16 bytes
};

class Sha1 final : public EvpHasher {
 public:
  Sha1();
  static std::string Of(std::string_view data);  // raw 20 bytes
};

class Sha256 final : public EvpHasher {
 public:
  Sha256();
  static std::string Of(std::string_view data);  // raw 32 bytes
};

// CRC-32 (IEEE 802.3, the gzip/zlib one) via ISA-L crc32_gzip_refl.
// crc32("123456789") == 0xCBF43926.
class Crc32 final : public Hasher {
 public:
  void Update(const void* data, size_t n) override;
  using Hasher::Update;
  std::string Final() override;  // 4 bytes, big-endian
  void Reset() override { crc_ = 0; }
  size_t DigestSize() const override { return 4; }
  uint32_t value() const { return crc_; }  // the CRC of everything so far
  static std::string Of(std::string_view data);

 private:
  uint32_t crc_ = 0;
};

// CRC-32C (Castagnoli, iSCSI) via ISA-L crc32_iscsi.
// crc32c("123456789") == 0xE3069283.
class Crc32c final : public Hasher {
 public:
  void Update(const void* data, size_t n) override;
  using Hasher::Update;
  std::string Final() override;  // 4 bytes, big-endian
  void Reset() override { state_ = 0xFFFFFFFFu; }
  size_t DigestSize() const override { return 4; }
  uint32_t value() const { return ~state_; }  // the CRC of everything so far
  static std::string Of(std::string_view data);

 private:
  uint32_t state_ = 0xFFFFFFFFu;  // pre-inverted running value
};

// XXH3 128-bit (streaming). Final() is the canonical (big-endian) 16 bytes.
class Xxh128 final : public Hasher {
 public:
  Xxh128();
  Xxh128(Xxh128&& other) noexcept;
  Xxh128& operator=(Xxh128&& other) noexcept;
  Xxh128(const Xxh128&) = delete;
  Xxh128& operator=(const Xxh128&) = delete;
  ~Xxh128() override;

  void Update(const void* data, size_t n) override;
  using Hasher::Update;
  std::string Final() override;
  void Reset() override;
  size_t DigestSize() const override { return 16; }
  static std::string Of(std::string_view data);

 private:
  XXH3_state_s* state_ = nullptr;
};

// The additional checksums S3 supports (x-amz-checksum-*).
enum class ChecksumAlgorithm { kCrc32, kCrc32c, kSha1, kSha256 };

// From an x-amz-checksum-algorithm / x-amz-sdk-checksum-algorithm value:
// "CRC32", "CRC32C", "SHA1", "SHA256" (case-insensitive). nullopt otherwise.
std::optional<ChecksumAlgorithm> ChecksumAlgorithmFromName(std::string_view value);
// From a header name: "x-amz-checksum-crc32", "-crc32c", "-sha1", "-sha256"
// (case-insensitive). nullopt for any other name (including
// "x-amz-checksum-algorithm" and "x-amz-checksum-type").
std::optional<ChecksumAlgorithm> ChecksumAlgorithmFromHeader(std::string_view header_name);
// "CRC32", "CRC32C", "SHA1", "SHA256".
std::string_view ChecksumAlgorithmName(ChecksumAlgorithm algorithm);
// "x-amz-checksum-crc32", ... (lower case).
std::string_view ChecksumHeaderName(ChecksumAlgorithm algorithm);
// The XML element name in S3 responses: "ChecksumCRC32", "ChecksumCRC32C", ...
std::string_view ChecksumXmlName(ChecksumAlgorithm algorithm);
// Raw digest length: 4, 4, 20, 32.
size_t ChecksumSize(ChecksumAlgorithm algorithm);

// A fresh hasher for `algorithm`. Never null.
std::unique_ptr<Hasher> MakeHasher(ChecksumAlgorithm algorithm);
// One-shot: raw digest of `data`.
std::string ComputeChecksum(ChecksumAlgorithm algorithm, std::string_view data);

// HMAC-SHA256 of `data` under `key`: raw 32 bytes.
std::string HmacSha256(std::string_view key, std::string_view data);
// Lower-case hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(std::string_view data);
// Lower-case hex SHA-256 of the empty string (constant).
inline constexpr std::string_view kEmptySha256Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

}  // namespace faasnet::s3

#endif  // FAASNET_S3_CHECKSUM_H_
