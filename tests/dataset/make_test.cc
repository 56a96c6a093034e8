// MakeDataset against the in-test fake S3 on 127.0.0.1 (port 0).
#include "dataset/make.h"

#include <gtest/gtest.h>

#include "dataset/reviews.h"
#include "fake_s3.h"
#include "loopback_server.h"

namespace faasnet::dataset {
namespace {

using s3client::testing::FakeS3;
using s3client::testing::LoopbackServer;

class MakeDatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::move(LoopbackServer::Start(s3_.handler())).value();
    s3client::Options o;
    o.endpoint = server_->endpoint();
    o.credentials = {s3client::testing::kTestAccessKey, s3client::testing::kTestSecretKey, ""};
    o.retry_base_delay = std::chrono::milliseconds(1);
    o.multipart_threshold = 64 * 1024;  // exercise multipart with small chunks
    o.part_size = 40 * 1024;
    client_ = std::make_unique<s3client::Client>(std::move(s3client::Client::Create(o)).value());
  }

  MakeOptions Options(uint64_t seed = 5) {
    MakeOptions m;
    m.bucket = "data";
    m.total_bytes = 250'000;
    m.chunk_bytes = 100'000;
    m.seed = seed;
    return m;
  }

  FakeS3 s3_;
  std::unique_ptr<LoopbackServer> server_;
  std::unique_ptr<s3client::Client> client_;
};

TEST_F(MakeDatasetTest, UploadsChunksAndManifest) {
  std::vector<Progress> seen;
  Result<Manifest> m = MakeDataset(Options(), *client_, [&](const Progress& p) { seen.push_back(p); });
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->chunks.size(), 3u);
  EXPECT_EQ(m->prefix, "reviews-100000B");
  for (uint64_t i = 0; i < 3; ++i) {
    const uint64_t size = i < 2 ? 100'000 : 50'000;
    std::optional<std::string> stored = s3_.Object("data", ChunkKey(m->prefix, i));
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(*stored, GenerateChunk(5, i, size));
    EXPECT_TRUE(VerifyChunk(m->chunks[i], *stored).ok());
  }
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].bytes_done, 250'000u);
  EXPECT_EQ(seen[2].chunk_count, 3u);
  EXPECT_FALSE(seen[0].skipped);

  Result<Manifest> loaded = LoadManifest(*client_, "data", m->prefix);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(ManifestToJson(*loaded), ManifestToJson(*m));
  EXPECT_EQ(s3_.auth_failures(), 0);
}

TEST_F(MakeDatasetTest, ReRunSkipsWhatIsThere) {
  ASSERT_TRUE(MakeDataset(Options(), *client_).ok());
  const int puts = s3_.puts();
  int skipped = 0;
  Result<Manifest> again = MakeDataset(Options(), *client_, [&](const Progress& p) { skipped += p.skipped; });
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(skipped, 3);
  EXPECT_EQ(s3_.puts(), puts + 1);  // only the manifest

  // Another seed under the same prefix: same sizes, other bytes -> re-upload.
  skipped = 0;
  Result<Manifest> other = MakeDataset(Options(6), *client_, [&](const Progress& p) { skipped += p.skipped; });
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(skipped, 0);
  EXPECT_EQ(*s3_.Object("data", ChunkKey(other->prefix, 0)), GenerateChunk(6, 0, 100'000));
}

TEST_F(MakeDatasetTest, ReportsTheFailingCall) {
  s3_.set_fault([](const s3client::testing::HttpRequest& r) -> std::optional<s3client::testing::HttpResponse> {
    if (r.method == "PUT" && r.path.find("chunk-00001") != std::string::npos)
      return s3client::testing::ErrorResponse(s3::S3Error::AccessDenied(), r.path);
    return std::nullopt;
  });
  Result<Manifest> m = MakeDataset(Options(), *client_);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Status::Code::kPermissionDenied);
  // "UploadPart data/reviews-100000B/chunk-00001.csv part 1: 403 AccessDenied: Access Denied"
  EXPECT_NE(m.status().message().find("data/reviews-100000B/chunk-00001.csv"), std::string::npos)
      << m.status().message();
  EXPECT_NE(m.status().message().find(": 403 AccessDenied"), std::string::npos) << m.status().message();
}

TEST_F(MakeDatasetTest, MissingManifestIsNotFound) {
  ASSERT_TRUE(client_->CreateBucket("data").ok());
  EXPECT_EQ(LoadManifest(*client_, "data", "nope").status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace faasnet::dataset
