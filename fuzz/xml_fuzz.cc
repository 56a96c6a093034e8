// Fuzzes the XML request-body parsers, and checks that keys written by
// XmlWriter parse back unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "s3/errors.h"
#include "s3/xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace faasnet::s3;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)ParseCompleteMultipartUpload(input);
  (void)ParseDeleteObjects(input);
  (void)ParseCreateBucketConfiguration(input);
  (void)ParseErrorXml(input, 500);

  // Any key without NUL (which XML cannot carry) must survive a round trip.
  if (!input.empty() && input.size() <= 1024 && input.find('\0') == std::string_view::npos) {
    XmlWriter w;
    w.Open("Delete").Open("Object").Element("Key", input);
    auto parsed = ParseDeleteObjects(w.Finish());
    if (!parsed.ok() || parsed->objects.size() != 1 || parsed->objects[0].key != input) __builtin_trap();
  }
  return 0;
}
