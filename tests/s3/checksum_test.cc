#include "s3/checksum.h"

#include <gtest/gtest.h>

#include <string>

#include "base/strings.h"

namespace faasnet::s3 {
namespace {

const std::string kCheck = "123456789";

TEST(Checksum, KnownVectors) {
  EXPECT_EQ(HexEncode(Crc32::Of(kCheck)), "cbf43926");
  EXPECT_EQ(HexEncode(Crc32c::Of(kCheck)), "e3069283");
  EXPECT_EQ(HexEncode(Md5::Of("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(HexEncode(Sha1::Of("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(HexEncode(Sha256::Of("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), kEmptySha256Hex);
  EXPECT_EQ(HexEncode(Crc32::Of("")), "00000000");
  EXPECT_EQ(HexEncode(Crc32c::Of("")), "00000000");
  // S3 header encoding: base64 of the 4 big-endian bytes.
  EXPECT_EQ(Base64Encode(Crc32::Of(kCheck)), "y/Q5Jg==");
  EXPECT_EQ(Base64Encode(Crc32c::Of(kCheck)), "4waSgw==");
}

TEST(Checksum, Xxh128MatchesStreamingAndIsCanonical) {
  Xxh128 h;
  EXPECT_EQ(h.DigestSize(), 16u);
  std::string data(10000, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31);
  for (size_t i = 0; i < data.size(); i += 777) h.Update(std::string_view(data).substr(i, 777));
  std::string streamed = h.Final();
  EXPECT_EQ(streamed.size(), 16u);
  EXPECT_EQ(streamed, Xxh128::Of(data));
  EXPECT_NE(Xxh128::Of("a"), Xxh128::Of("b"));
  // XXH3-128 of the empty input (xxHash's published value, canonical byte order).
  EXPECT_EQ(HexEncode(Xxh128::Of("")), "99aa06d3014798d86001c324468d497f");
}

// Every hasher: incremental in arbitrary pieces == one shot; Reset restarts.
template <typename H>
void CheckIncremental() {
  std::string data;
  for (int i = 0; i < 5000; ++i) data.push_back(static_cast<char>(i * 7 + 3));
  std::string expected = H::Of(data);
  for (size_t piece : {1u, 3u, 64u, 1000u, 4999u}) {
    H h;
    for (size_t i = 0; i < data.size(); i += piece) h.Update(data.data() + i, std::min(piece, data.size() - i));
    EXPECT_EQ(h.Final(), expected) << "piece " << piece;
    h.Reset();
    h.Update(data);
    EXPECT_EQ(h.Final(), expected) << "after reset, piece " << piece;
  }
}

TEST(Checksum, IncrementalEqualsOneShot) {
  CheckIncremental<Md5>();
  CheckIncremental<Sha1>();
  CheckIncremental<Sha256>();
  CheckIncremental<Crc32>();
  CheckIncremental<Crc32c>();
  CheckIncremental<Xxh128>();
}

TEST(Checksum, CrcValueAccessors) {
  Crc32 a;
  a.Update(kCheck);
  EXPECT_EQ(a.value(), 0xCBF43926u);
  Crc32c b;
  b.Update("1234");
  b.Update("56789");
  EXPECT_EQ(b.value(), 0xE3069283u);
}

TEST(Checksum, HashersMove) {
  Sha256 a;
  a.Update("ab");
  Sha256 b = std::move(a);
  b.Update("c");
  EXPECT_EQ(b.Final(), Sha256::Of("abc"));
  Xxh128 x;
  x.Update("ab");
  Xxh128 y = std::move(x);
  y.Update("c");
  EXPECT_EQ(y.Final(), Xxh128::Of("abc"));
}

TEST(Checksum, AlgorithmNames) {
  EXPECT_EQ(ChecksumAlgorithmFromName("CRC32"), ChecksumAlgorithm::kCrc32);
  EXPECT_EQ(ChecksumAlgorithmFromName("crc32c"), ChecksumAlgorithm::kCrc32c);
  EXPECT_EQ(ChecksumAlgorithmFromName("SHA1"), ChecksumAlgorithm::kSha1);
  EXPECT_EQ(ChecksumAlgorithmFromName("SHA256"), ChecksumAlgorithm::kSha256);
  EXPECT_FALSE(ChecksumAlgorithmFromName("MD5"));
  EXPECT_FALSE(ChecksumAlgorithmFromName("CRC64NVME"));
  EXPECT_FALSE(ChecksumAlgorithmFromName(""));
  EXPECT_EQ(ChecksumAlgorithmFromHeader("x-amz-checksum-crc32"), ChecksumAlgorithm::kCrc32);
  EXPECT_EQ(ChecksumAlgorithmFromHeader("X-Amz-Checksum-CRC32C"), ChecksumAlgorithm::kCrc32c);
  EXPECT_EQ(ChecksumAlgorithmFromHeader("x-amz-checksum-sha1"), ChecksumAlgorithm::kSha1);
  EXPECT_EQ(ChecksumAlgorithmFromHeader("x-amz-checksum-sha256"), ChecksumAlgorithm::kSha256);
  EXPECT_FALSE(ChecksumAlgorithmFromHeader("x-amz-checksum-algorithm"));
  EXPECT_FALSE(ChecksumAlgorithmFromHeader("x-amz-checksum-type"));
  for (auto a :
       {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256}) {
    EXPECT_EQ(ChecksumAlgorithmFromName(ChecksumAlgorithmName(a)), a);
    EXPECT_EQ(ChecksumAlgorithmFromHeader(ChecksumHeaderName(a)), a);
    auto h = MakeHasher(a);
    h->Update(kCheck);
    std::string digest = h->Final();
    EXPECT_EQ(digest, ComputeChecksum(a, kCheck));
    EXPECT_EQ(digest.size(), ChecksumSize(a));
    EXPECT_EQ(h->DigestSize(), ChecksumSize(a));
  }
  EXPECT_EQ(ChecksumXmlName(ChecksumAlgorithm::kCrc32c), "ChecksumCRC32C");
}

TEST(Checksum, HmacSha256Rfc4231Case2) {
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace faasnet::s3
