#include "dataset/make.h"

#include <chrono>
#include <cstdio>
#include <span>

#include "dataset/reviews.h"

namespace faasnet::dataset {
namespace {

constexpr uint64_t kMaxChunks = 1'000'000;
constexpr std::string_view kMetaSeed = "faasnet-seed";
constexpr std::string_view kMetaCrc = "faasnet-crc32c";

std::string Hex8(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

std::string ResolvedPrefix(const MakeOptions& o) { return o.prefix.empty() ? DefaultPrefix(o.chunk_bytes) : o.prefix; }

const std::string* FindMeta(const s3client::Metadata& meta, std::string_view name) {
  for (const auto& [n, v] : meta)
    if (n == name) return &v;
  return nullptr;
}

// Generates chunk `index` into `buffer` (resized, capacity reused) and
// describes it.
ChunkInfo MakeChunk(const MakeOptions& o, const ChunkLayout& layout, std::string_view prefix, uint64_t index,
                    std::string* buffer) {
  buffer->resize(layout.ChunkSize(index));
  GenerateChunk(o.seed, index, std::span<char>(buffer->data(), buffer->size()));
  return DescribeChunk(index, ChunkKey(prefix, index), *buffer);
}

Manifest EmptyManifest(const MakeOptions& o, const ChunkLayout& layout) {
  Manifest m;
  m.seed = o.seed;
  m.total_bytes = o.total_bytes;
  m.chunk_bytes = o.chunk_bytes;
  m.chunk_count = layout.chunk_count();
  m.bucket = o.bucket;
  m.prefix = ResolvedPrefix(o);
  return m;
}

}  // namespace

std::string DefaultPrefix(uint64_t chunk_bytes) {
  if (chunk_bytes > 0 && chunk_bytes % kMB == 0) return "reviews-" + std::to_string(chunk_bytes / kMB) + "MB";
  if (chunk_bytes > 0 && chunk_bytes % kMiB == 0) return "reviews-" + std::to_string(chunk_bytes / kMiB) + "MiB";
  return "reviews-" + std::to_string(chunk_bytes) + "B";
}

std::string ChunkKey(std::string_view prefix, uint64_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "chunk-%05llu.csv", static_cast<unsigned long long>(index));
  return std::string(prefix) + "/" + buf;
}

std::string ManifestKey(std::string_view prefix) { return std::string(prefix) + "/manifest.json"; }

Status ValidateMakeOptions(const MakeOptions& o) {
  auto bad = [](const std::string& why) { return Status::InvalidArgument("dataset make: " + why); };
  if (o.bucket.empty()) return bad("a bucket is required");
  if (o.total_bytes == 0) return bad("the size must be > 0");
  if (o.chunk_bytes < kMinValidChunkBytes)
    return bad("the chunk size must be at least " + std::to_string(kMinValidChunkBytes) + " bytes");
  const ChunkLayout layout{o.total_bytes, o.chunk_bytes};
  if (layout.chunk_count() > kMaxChunks)
    return bad(std::to_string(layout.chunk_count()) + " chunks; at most " + std::to_string(kMaxChunks));
  if (!o.prefix.empty() && (o.prefix.front() == '/' || o.prefix.back() == '/'))
    return bad("the prefix must not start or end with '/'");
  return Status::Ok();
}

Result<Manifest> BuildManifest(const MakeOptions& o) {
  RETURN_IF_ERROR(ValidateMakeOptions(o));
  const ChunkLayout layout{o.total_bytes, o.chunk_bytes};
  Manifest m = EmptyManifest(o, layout);
  std::string buffer;
  for (uint64_t i = 0; i < layout.chunk_count(); ++i) m.chunks.push_back(MakeChunk(o, layout, m.prefix, i, &buffer));
  return m;
}

Result<Manifest> MakeDataset(const MakeOptions& o, s3client::Client& client, const ProgressCallback& progress) {
  RETURN_IF_ERROR(ValidateMakeOptions(o));
  const ChunkLayout layout{o.total_bytes, o.chunk_bytes};
  Manifest m = EmptyManifest(o, layout);

  if (o.create_bucket) {
    Result<s3client::RequestInfo> created = client.CreateBucket(o.bucket);
    if (!created.ok() && client.last_request().s3_code != "BucketAlreadyOwnedByYou") return created.status();
  }

  std::string buffer;
  uint64_t done = 0;
  for (uint64_t i = 0; i < layout.chunk_count(); ++i) {
    ChunkInfo chunk = MakeChunk(o, layout, m.prefix, i, &buffer);
    const std::string seed_text = std::to_string(o.seed), crc_text = Hex8(chunk.crc32c);

    bool skip = false;
    if (o.skip_existing) {
      Result<s3client::HeadObjectResult> head = client.HeadObject(o.bucket, chunk.key);
      if (head.ok()) {
        const std::string* seed = FindMeta(head->headers.metadata, kMetaSeed);
        const std::string* crc = FindMeta(head->headers.metadata, kMetaCrc);
        skip = head->headers.content_length == chunk.size_bytes && seed != nullptr && *seed == seed_text &&
               crc != nullptr && *crc == crc_text;
      } else if (head.status().code() != Status::Code::kNotFound) {
        return head.status();
      }
    }

    double seconds = 0;
    if (!skip) {
      s3client::PutOptions put;
      put.content_type = "text/csv";
      put.metadata = {{std::string(kMetaSeed), seed_text}, {std::string(kMetaCrc), crc_text}};
      const auto t0 = std::chrono::steady_clock::now();
      RETURN_IF_ERROR(client.PutObjectAuto(o.bucket, chunk.key, buffer, put).status());
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (o.verify) {
        ASSIGN_OR_RETURN(s3client::HeadObjectResult head, client.HeadObject(o.bucket, chunk.key));
        if (head.headers.content_length != chunk.size_bytes)
          return Status::FailedPrecondition("dataset make: " + o.bucket + "/" + chunk.key + " has " +
                                            std::to_string(head.headers.content_length) + " bytes after upload, want " +
                                            std::to_string(chunk.size_bytes));
      }
    }
    done += chunk.size_bytes;
    if (progress) {
      Progress p;
      p.index = i;
      p.chunk_count = layout.chunk_count();
      p.key = chunk.key;
      p.chunk_bytes = chunk.size_bytes;
      p.bytes_done = done;
      p.total_bytes = o.total_bytes;
      p.skipped = skip;
      p.upload_seconds = seconds;
      progress(p);
    }
    m.chunks.push_back(std::move(chunk));
  }

  s3client::PutOptions put;
  put.content_type = "application/json";
  RETURN_IF_ERROR(client.PutObject(o.bucket, ManifestKey(m.prefix), ManifestToJson(m), put).status());
  return m;
}

Result<Manifest> LoadManifest(s3client::Client& client, std::string_view bucket, std::string_view prefix) {
  ASSIGN_OR_RETURN(s3client::GetObjectResult got, client.GetObject(bucket, ManifestKey(prefix)));
  Result<Manifest> m = ParseManifest(got.body);
  if (!m.ok()) return m.status().WithContext(std::string(bucket) + "/" + ManifestKey(prefix));
  return m;
}

}  // namespace faasnet::dataset
