// The HTTP request parser as the server uses it (Beast's parser plus our
// conversion), then what the S3 layer does first with a request: split the
// target, split and decode the query, decode the path.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/strings.h"
#include "http/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string body;
  auto r = faasnet::http::ParseRequest(input, &body, 8192);
  if (!r.ok()) return 0;
  (void)r->Header("Authorization");
  (void)faasnet::UriDecode(r->RawPath());
  for (auto [name, value] : faasnet::http::SplitQuery(r->RawQuery())) {
    (void)faasnet::UriDecode(name, true);
    (void)faasnet::UriDecode(value, true);
  }
  return 0;
}
