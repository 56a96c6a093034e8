#include "dataset/manifest.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "s3/checksum.h"

namespace faasnet::dataset {
namespace {

using nlohmann::json;

std::string Crc32cHex(uint32_t crc) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", crc);
  return buf;
}

bool IsLowerHex(std::string_view s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

ChunkInfo DescribeChunk(uint64_t index, std::string key, std::string_view data) {
  ChunkInfo c;
  c.index = index;
  c.key = std::move(key);
  c.size_bytes = data.size();
  s3::Crc32c crc;
  crc.Update(data);
  c.crc32c = crc.value();
  c.sha256_hex = s3::Sha256Hex(data);
  return c;
}

Status VerifyChunk(const ChunkInfo& chunk, std::string_view data, bool check_sha256) {
  const std::string what = "chunk " + chunk.key + ": ";
  if (data.size() != chunk.size_bytes)
    return Status::FailedPrecondition(what + "size " + std::to_string(data.size()) +
                                      " != " + std::to_string(chunk.size_bytes));
  s3::Crc32c crc;
  crc.Update(data);
  if (crc.value() != chunk.crc32c)
    return Status::FailedPrecondition(what + "crc32c " + Crc32cHex(crc.value()) + " != " + Crc32cHex(chunk.crc32c));
  if (check_sha256) {
    std::string sha = s3::Sha256Hex(data);
    if (sha != chunk.sha256_hex) return Status::FailedPrecondition(what + "sha256 " + sha + " != " + chunk.sha256_hex);
  }
  return Status::Ok();
}

std::string ManifestToJson(const Manifest& m) {
  // nlohmann's ordered_json keeps this field order, which reads better.
  nlohmann::ordered_json j;
  j["format_version"] = m.format_version;
  j["generator"] = m.generator;
  j["seed"] = m.seed;
  j["total_bytes"] = m.total_bytes;
  j["chunk_bytes"] = m.chunk_bytes;
  j["chunk_count"] = m.chunk_count;
  j["bucket"] = m.bucket;
  j["prefix"] = m.prefix;
  j["chunks"] = nlohmann::ordered_json::array();
  for (const ChunkInfo& c : m.chunks) {
    nlohmann::ordered_json o;
    o["index"] = c.index;
    o["key"] = c.key;
    o["size_bytes"] = c.size_bytes;
    o["crc32c"] = Crc32cHex(c.crc32c);
    o["sha256"] = c.sha256_hex;
    j["chunks"].push_back(std::move(o));
  }
  return j.dump(2) + "\n";
}

Result<Manifest> ParseManifest(std::string_view text) {
  auto bad = [](const std::string& why) { return Status::InvalidArgument("manifest: " + why); };
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("not valid JSON");
  if (!j.is_object()) return bad("not a JSON object");
  Manifest m;
  try {
    m.format_version = j.at("format_version").get<int>();
    if (m.format_version != kManifestFormatVersion)
      return bad("format_version " + std::to_string(m.format_version) + " is not supported (want " +
                 std::to_string(kManifestFormatVersion) + ")");
    m.generator = j.at("generator").get<std::string>();
    m.seed = j.at("seed").get<uint64_t>();
    m.total_bytes = j.at("total_bytes").get<uint64_t>();
    m.chunk_bytes = j.at("chunk_bytes").get<uint64_t>();
    m.chunk_count = j.at("chunk_count").get<uint64_t>();
    m.bucket = j.at("bucket").get<std::string>();
    m.prefix = j.at("prefix").get<std::string>();
    uint64_t sum = 0;
    for (const json& c : j.at("chunks")) {
      ChunkInfo ci;
      ci.index = c.at("index").get<uint64_t>();
      ci.key = c.at("key").get<std::string>();
      ci.size_bytes = c.at("size_bytes").get<uint64_t>();
      const std::string crc = c.at("crc32c").get<std::string>();
      ci.sha256_hex = c.at("sha256").get<std::string>();
      if (!IsLowerHex(crc, 8)) return bad("chunk " + ci.key + ": crc32c is not 8 hex digits");
      if (!IsLowerHex(ci.sha256_hex, 64)) return bad("chunk " + ci.key + ": sha256 is not 64 hex digits");
      ci.crc32c = static_cast<uint32_t>(std::stoul(crc, nullptr, 16));
      if (ci.index != m.chunks.size()) return bad("chunk " + ci.key + ": index out of order");
      sum += ci.size_bytes;
      m.chunks.push_back(std::move(ci));
    }
    if (m.chunks.size() != m.chunk_count)
      return bad("chunk_count " + std::to_string(m.chunk_count) + " but " + std::to_string(m.chunks.size()) +
                 " chunks listed");
    if (sum != m.total_bytes)
      return bad("chunk sizes sum to " + std::to_string(sum) + ", total_bytes is " + std::to_string(m.total_bytes));
  } catch (const json::exception& e) {
    return bad(e.what());
  }
  return m;
}

}  // namespace faasnet::dataset
