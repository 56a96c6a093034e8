// The synthetic "food reviews" data set: deterministic CSV text shaped like the
// Amazon Fine Food Reviews file the paper split into 10-200 MB chunks for its
// S3 GET/PUT workload. We cannot ship the real file, so we generate text with
// the same columns, value shapes and CSV quoting:
//
//   Id,ProductId,UserId,ProfileName,HelpfulnessNumerator,HelpfulnessDenominator,Score,Time,Summary,Text
//   100000001,B00AF3K1QZ,A1Q7LZ0M3XK2PW,"Karen ""Foodie""",1,2,5,1187049600,Great Taste,"I bought ..."
//
// - ProductId is 'B' + 9 of [0-9A-Z] (most start "B00"), UserId 'A' + 13 of
//   [0-9A-Z]; both come from pools (74,258 products, 256,059 users, the real
//   file's counts) so ids repeat across records and chunks, as in the original.
// - ProfileName belongs to the user; some need CSV quoting (commas, "" quotes).
// - Score 1-5 weighted like the original (64% fives), Time a midnight (UTC)
//   in 2000-2012, Summary 1-6 title-cased words, Text 20-200 words of an
//   English-like review vocabulary (~330 words), always quoted.
// - Id is chunk_index * 10^8 + record number + 1 (unique while a chunk holds
//   fewer than 10^8 records, i.e. always: records are >= ~100 bytes).
//
// Chunks. Chunk i of a data set is a pure function of (seed, i, its size):
// its own PRNG stream is seeded from (seed, i) alone, so any chunk can be
// regenerated and verified without the others. Every chunk starts with the
// header line and is exactly its size in bytes. Records are written whole
// until less than kMaxRecordBytes + kMinTailBytes remain; then one final
// record fills the rest exactly: its Text is cut to fit and ends with '.',
// "\"\n" closes it, so every chunk of at least kMinValidChunkBytes is valid
// CSV ending in a newline. Smaller chunks (only a short last chunk can be) are
// the header and a record truncated to the size: not valid CSV.
//
// The output depends only on integer arithmetic of a fixed PRNG
// (xoshiro256** seeded by splitmix64; no <random> distributions), so the same
// seed gives byte-identical chunks on every run, compiler and machine.
//
// Speed: words are copied as 16-byte slots from a table, one PRNG draw per
// word; well over 500 MB/s on one core (bench/client_dataset_bench.cc).
//
// Thread-safety: pure functions; safe to call concurrently.
#ifndef FAASNET_DATASET_REVIEWS_H_
#define FAASNET_DATASET_REVIEWS_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace faasnet::dataset {

// The CSV header line, with its trailing '\n'.
inline constexpr std::string_view kCsvHeader =
    "Id,ProductId,UserId,ProfileName,HelpfulnessNumerator,HelpfulnessDenominator,"
    "Score,Time,Summary,Text\n";
inline constexpr int kCsvColumns = 10;

// Upper bound of one record's length in bytes (the fields, the separators and
// the '\n'); the generator relies on it and a test checks it.
inline constexpr size_t kMaxRecordBytes = 4600;
// The final record is at least this long, so it always fits its fixed fields.
inline constexpr size_t kMinTailBytes = 512;
// Chunks of at least this many bytes are valid CSV (see the header comment).
inline constexpr size_t kMinValidChunkBytes = kCsvHeader.size() + kMinTailBytes;

// How a data set of `total_bytes` splits into chunks of `chunk_bytes`: all
// chunks are full except the last, which holds the remainder.
struct ChunkLayout {
  uint64_t total_bytes = 0;
  uint64_t chunk_bytes = 0;

  // ceil(total / chunk); 0 when either is 0.
  uint64_t chunk_count() const;
  // The size of chunk `index` (0 when index >= chunk_count()).
  uint64_t ChunkSize(uint64_t index) const;
};

// Writes chunk `index` of the data set `seed` into `out`, filling exactly
// out.size() bytes (the chunk's size).
void GenerateChunk(uint64_t seed, uint64_t index, std::span<char> out);
// The same into a new string of `size` bytes.
std::string GenerateChunk(uint64_t seed, uint64_t index, uint64_t size);

}  // namespace faasnet::dataset

#endif  // FAASNET_DATASET_REVIEWS_H_
