// The data set's manifest: what was generated (seed, sizes, generator
// version) and, per chunk, its key, size and checksums, so that a loader can
// find every chunk and verify what it downloaded. Stored beside the chunks as
// "<prefix>/manifest.json":
//
//   {
//     "format_version": 1,
//     "generator": "faasnet-reviews-v1",
//     "seed": 1, "total_bytes": 1000000000, "chunk_bytes": 10000000, "chunk_count": 100,
//     "bucket": "faasnet-data", "prefix": "reviews-10MB",
//     "chunks": [
//       {"index": 0, "key": "reviews-10MB/chunk-00000.csv", "size_bytes": 10000000,
//        "crc32c": "1a2b3c4d", "sha256": "9f86d0..."}, ...
//     ]
//   }
//
// crc32c is the CRC-32C (Castagnoli) as 8 lower-case hex digits, sha256 64
// lower-case hex digits (s3/checksum.h computes both). Sizes are bytes.
// The seed is a JSON integer up to 2^64-1 (readers that use doubles lose
// precision above 2^53).
//
// Thread-safety: pure functions and values.
#ifndef FAASNET_DATASET_MANIFEST_H_
#define FAASNET_DATASET_MANIFEST_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace faasnet::dataset {

inline constexpr int kManifestFormatVersion = 1;
// Names the generator and its version; bump when GenerateChunk's bytes change.
inline constexpr std::string_view kGeneratorName = "faasnet-reviews-v1";

struct ChunkInfo {
  uint64_t index = 0;
  std::string key;
  uint64_t size_bytes = 0;
  uint32_t crc32c = 0;
  std::string sha256_hex;
};

struct Manifest {
  int format_version = kManifestFormatVersion;
  std::string generator = std::string(kGeneratorName);
  uint64_t seed = 0;
  uint64_t total_bytes = 0;
  uint64_t chunk_bytes = 0;
  uint64_t chunk_count = 0;
  std::string bucket;
  std::string prefix;
  std::vector<ChunkInfo> chunks;
};

// The checksums of chunk `index` whose bytes are `data`.
ChunkInfo DescribeChunk(uint64_t index, std::string key, std::string_view data);

// Checks `data` against `chunk`: size, CRC-32C and, when `check_sha256`,
// SHA-256. Errors: FailedPrecondition "chunk <key>: size 5 != 10" / "crc32c
// ... != ..." / "sha256 ... != ...".
Status VerifyChunk(const ChunkInfo& chunk, std::string_view data, bool check_sha256 = true);

// Pretty-printed JSON (2-space indent) with a trailing newline.
std::string ManifestToJson(const Manifest& manifest);

// Parses and checks a manifest: known format_version, every field present
// with the right type, chunk_count == chunks.size(), sizes summing to
// total_bytes, checksums well-formed. Errors: InvalidArgument "manifest: ...".
Result<Manifest> ParseManifest(std::string_view json);

}  // namespace faasnet::dataset

#endif  // FAASNET_DATASET_MANIFEST_H_
