// Making the data set in S3: generate every chunk (dataset/reviews.h),
// upload it with the S3 client, verify it, and write the manifest
// (dataset/manifest.h). Behind `faasnet dataset make --endpoint URL
// --bucket B --size 1GB --chunk 10MB [--seed N] [--prefix P]`.
//
// Idempotent: a chunk whose object already exists with the same size and the
// same seed and CRC-32C (x-amz-meta-faasnet-seed / -crc32c, written at
// upload) is not uploaded again, so an interrupted run can simply be re-run.
//
// Keys: "<prefix>/chunk-00000.csv", "<prefix>/chunk-00001.csv", ... (at least
// five digits) and "<prefix>/manifest.json". The default prefix names the
// chunk size: "reviews-10MB".
//
// Ownership: MakeDataset borrows the client for the call and holds one chunk
// in memory at a time. Thread-safety: MakeDataset uses the client, which is
// not thread-safe; the other functions are pure.
#ifndef FAASNET_DATASET_MAKE_H_
#define FAASNET_DATASET_MAKE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/units.h"
#include "dataset/manifest.h"
#include "s3client/client.h"

namespace faasnet::dataset {

struct MakeOptions {
  std::string bucket;               // required
  std::string prefix;               // empty: DefaultPrefix(chunk_bytes)
  uint64_t total_bytes = 1 * kGB;   // the paper's job: 1 GB ...
  uint64_t chunk_bytes = 10 * kMB;  // ... in 10 MB chunks (also 20, 50, 100, 200 MB)
  uint64_t seed = 1;
  bool create_bucket = true;  // CreateBucket first; a bucket we already own is fine
  bool skip_existing = true;  // skip chunks already uploaded (see the header comment)
  bool verify = true;         // HeadObject after each upload and compare the size
};

// Reported after each chunk.
struct Progress {
  uint64_t index = 0;  // the chunk just done
  uint64_t chunk_count = 0;
  std::string_view key;
  uint64_t chunk_bytes = 0;  // its size
  uint64_t bytes_done = 0;   // all chunks so far, skipped ones included
  uint64_t total_bytes = 0;
  bool skipped = false;       // already present
  double upload_seconds = 0;  // 0 when skipped
};
using ProgressCallback = std::function<void(const Progress&)>;

// "reviews-10MB" for 10,000,000 bytes, "reviews-8MiB" for 8 MiB, else
// "reviews-<bytes>B".
std::string DefaultPrefix(uint64_t chunk_bytes);
// "<prefix>/chunk-00042.csv".
std::string ChunkKey(std::string_view prefix, uint64_t index);
// "<prefix>/manifest.json".
std::string ManifestKey(std::string_view prefix);

// Checks the options (bucket set, sizes > 0, the chunk at least
// kMinValidChunkBytes, at most 10^6 chunks). Errors: InvalidArgument "dataset
// make: ...".
Status ValidateMakeOptions(const MakeOptions& options);

// The manifest of the data set `options` describes, computed locally (every
// chunk is generated and hashed; nothing is uploaded). Errors as
// ValidateMakeOptions.
Result<Manifest> BuildManifest(const MakeOptions& options);

// Generates, uploads (PutObjectAuto: multipart above the client's threshold)
// and verifies every chunk, then uploads the manifest, and returns it.
// Errors: the options' (InvalidArgument), or the first failed S3 call's
// Status ("PutObject b/reviews-10MB/chunk-00003.csv: 503 SlowDown: ...", after
// the client's retries), or FailedPrecondition when a verified size differs.
Result<Manifest> MakeDataset(const MakeOptions& options, s3client::Client& client,
                             const ProgressCallback& progress = {});

// Downloads and parses "<prefix>/manifest.json". Errors: the GetObject
// Status (kNotFound when absent) or ParseManifest's.
Result<Manifest> LoadManifest(s3client::Client& client, std::string_view bucket, std::string_view prefix);

}  // namespace faasnet::dataset

#endif  // FAASNET_DATASET_MAKE_H_
