// Fuzzes Range / x-amz-copy-source-range parsing and checks that every range
// handed out lies inside the object.
//
// Input: 8 bytes of object size (little-endian, reduced), then the header.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "s3/range.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace faasnet::s3;
  if (size < 8) return 0;
  uint64_t object_size = 0;
  std::memcpy(&object_size, data, 8);
  if (data[0] & 1) object_size %= 10000;  // small objects half of the time
  std::string_view header(reinterpret_cast<const char*>(data) + 8, size - 8);

  auto r = ParseRange(header, object_size);
  if (r.ok() && r->has_value()) {
    const ByteRange& b = **r;
    if (b.first > b.last || b.last >= object_size || b.length() == 0) __builtin_trap();
  }
  if (!r.ok() && r.error().code != "InvalidRange") __builtin_trap();

  auto c = ParseCopySourceRange(header, object_size);
  if (c.ok() && (c->first > c->last || c->last >= object_size)) __builtin_trap();
  return 0;
}
