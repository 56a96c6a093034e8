// A borrowed view of HTTP request headers as the S3 logic consumes them:
// (name, value) pairs in wire order, names in any case, names possibly
// repeated. The HTTP layer builds a std::vector<HeaderPair> pointing into its
// own buffers and passes a span of it.
//
// Ownership: borrowed; the pairs must outlive every call that receives them.
// Thread-safety: pure functions.
#ifndef FAASNET_S3_HEADERS_H_
#define FAASNET_S3_HEADERS_H_

#include <optional>
#include <span>
#include <string_view>
#include <utility>

namespace faasnet::s3 {

using HeaderPair = std::pair<std::string_view, std::string_view>;
using HeaderSpan = std::span<const HeaderPair>;

// The first value of header `name` (case-insensitive), untrimmed, or nullopt.
std::optional<std::string_view> FindHeader(HeaderSpan headers, std::string_view name);

}  // namespace faasnet::s3

#endif  // FAASNET_S3_HEADERS_H_
