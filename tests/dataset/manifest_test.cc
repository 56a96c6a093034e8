#include "dataset/manifest.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "dataset/make.h"
#include "dataset/reviews.h"
#include "s3/checksum.h"

namespace faasnet::dataset {
namespace {

MakeOptions SmallOptions() {
  MakeOptions o;
  o.bucket = "data";
  o.total_bytes = 25'000;
  o.chunk_bytes = 10'000;
  o.seed = 9;
  return o;
}

TEST(KeysTest, PrefixAndKeys) {
  EXPECT_EQ(DefaultPrefix(10 * kMB), "reviews-10MB");
  EXPECT_EQ(DefaultPrefix(200 * kMB), "reviews-200MB");
  EXPECT_EQ(DefaultPrefix(8 * kMiB), "reviews-8MiB");
  EXPECT_EQ(DefaultPrefix(12345), "reviews-12345B");
  EXPECT_EQ(ChunkKey("reviews-10MB", 0), "reviews-10MB/chunk-00000.csv");
  EXPECT_EQ(ChunkKey("p", 123456), "p/chunk-123456.csv");
  EXPECT_EQ(ManifestKey("reviews-10MB"), "reviews-10MB/manifest.json");
}

TEST(ValidateTest, RejectsBadOptions) {
  EXPECT_TRUE(ValidateMakeOptions(SmallOptions()).ok());
  MakeOptions o = SmallOptions();
  o.bucket.clear();
  EXPECT_EQ(ValidateMakeOptions(o).code(), Status::Code::kInvalidArgument);
  o = SmallOptions();
  o.chunk_bytes = 100;
  EXPECT_FALSE(ValidateMakeOptions(o).ok());
  o = SmallOptions();
  o.total_bytes = 0;
  EXPECT_FALSE(ValidateMakeOptions(o).ok());
  o = SmallOptions();
  o.prefix = "/abs";
  EXPECT_FALSE(ValidateMakeOptions(o).ok());
  o = SmallOptions();
  o.total_bytes = 2 * kGB;
  o.chunk_bytes = 1000;  // 2 million chunks
  EXPECT_FALSE(ValidateMakeOptions(o).ok());
}

TEST(BuildManifestTest, DescribesEveryChunk) {
  Result<Manifest> m = BuildManifest(SmallOptions());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->prefix, "reviews-10000B");
  EXPECT_EQ(m->chunk_count, 3u);
  ASSERT_EQ(m->chunks.size(), 3u);
  EXPECT_EQ(m->chunks[0].size_bytes, 10'000u);
  EXPECT_EQ(m->chunks[2].size_bytes, 5'000u);
  EXPECT_EQ(m->chunks[2].key, "reviews-10000B/chunk-00002.csv");
  const std::string c2 = GenerateChunk(9, 2, 5'000);
  EXPECT_EQ(m->chunks[2].sha256_hex, s3::Sha256Hex(c2));
  s3::Crc32c crc;
  crc.Update(c2);
  EXPECT_EQ(m->chunks[2].crc32c, crc.value());
  EXPECT_TRUE(VerifyChunk(m->chunks[2], c2).ok());
}

TEST(ManifestJsonTest, HasTheDocumentedFields) {
  Manifest m = *BuildManifest(SmallOptions());
  const std::string text = ManifestToJson(m);
  nlohmann::json j = nlohmann::json::parse(text);
  EXPECT_EQ(j["format_version"], 1);
  EXPECT_EQ(j["generator"], "faasnet-reviews-v1");
  EXPECT_EQ(j["seed"], 9);
  EXPECT_EQ(j["total_bytes"], 25'000);
  EXPECT_EQ(j["chunk_bytes"], 10'000);
  EXPECT_EQ(j["chunk_count"], 3);
  EXPECT_EQ(j["bucket"], "data");
  EXPECT_EQ(j["prefix"], "reviews-10000B");
  ASSERT_EQ(j["chunks"].size(), 3u);
  const auto& c = j["chunks"][1];
  EXPECT_EQ(c["index"], 1);
  EXPECT_EQ(c["key"], "reviews-10000B/chunk-00001.csv");
  EXPECT_EQ(c["size_bytes"], 10'000);
  EXPECT_EQ(c["crc32c"].get<std::string>().size(), 8u);
  EXPECT_EQ(c["sha256"], m.chunks[1].sha256_hex);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_LT(text.find("format_version"), text.find("chunks"));  // fields in a stable order
}

TEST(ManifestJsonTest, RoundTrips) {
  Manifest m = *BuildManifest(SmallOptions());
  m.seed = 18446744073709551615ull;  // the full uint64 range survives
  Result<Manifest> back = ParseManifest(ManifestToJson(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->seed, m.seed);
  EXPECT_EQ(back->chunks.size(), 3u);
  EXPECT_EQ(back->chunks[1].crc32c, m.chunks[1].crc32c);
  EXPECT_EQ(back->chunks[1].sha256_hex, m.chunks[1].sha256_hex);
  EXPECT_EQ(ManifestToJson(*back), ManifestToJson(m));
}

TEST(ManifestJsonTest, RejectsInconsistentManifests) {
  const Manifest good = *BuildManifest(SmallOptions());
  auto mutate = [&](auto f) {
    nlohmann::json j = nlohmann::json::parse(ManifestToJson(good));
    f(j);
    return ParseManifest(j.dump());
  };
  EXPECT_FALSE(ParseManifest("not json").ok());
  EXPECT_FALSE(ParseManifest("[]").ok());
  EXPECT_FALSE(mutate([](auto& j) { j["format_version"] = 2; }).ok());
  EXPECT_FALSE(mutate([](auto& j) { j.erase("seed"); }).ok());
  EXPECT_FALSE(mutate([](auto& j) { j["chunk_count"] = 4; }).ok());
  EXPECT_FALSE(mutate([](auto& j) { j["total_bytes"] = 1; }).ok());
  EXPECT_FALSE(mutate([](auto& j) { j["chunks"][0]["crc32c"] = "xyz"; }).ok());
  EXPECT_FALSE(mutate([](auto& j) { j["chunks"][0]["sha256"] = "00"; }).ok());
  EXPECT_FALSE(mutate([](auto& j) { j["chunks"][0]["size_bytes"] = "big"; }).ok());
  Status st = mutate([](auto& j) { j["chunks"][1]["index"] = 5; }).status();
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("manifest: "), std::string::npos);
}

TEST(VerifyChunkTest, DetectsCorruption) {
  std::string data = GenerateChunk(1, 0, 10'000);
  const ChunkInfo info = DescribeChunk(0, "p/chunk-00000.csv", data);
  EXPECT_TRUE(VerifyChunk(info, data).ok());
  data[5000] ^= 1;
  Status st = VerifyChunk(info, data);
  EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(st.message().find("chunk p/chunk-00000.csv: crc32c"), std::string::npos) << st.message();
  EXPECT_FALSE(VerifyChunk(info, std::string_view(data).substr(1)).ok());
}

}  // namespace
}  // namespace faasnet::dataset
