#include "http/parser.h"

#include "base/strings.h"

namespace faasnet::http {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

Request ToRequest(const Parser& p) {
  const auto& m = p.get();
  Request r;
  r.method = std::string(m.method_string());
  r.target = std::string(m.target());
  r.version = static_cast<int>(m.version());
  r.headers.reserve(16);
  for (const auto& f : m) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  if (p.content_length()) r.content_length = *p.content_length();
  r.chunked = p.chunked();
  r.keep_alive = p.keep_alive();
  auto expect = m[bhttp::field::expect];
  r.expect_continue = EqualsIgnoreCase(Trim(std::string_view(expect.data(), expect.size())), "100-continue");
  return r;
}

void ConfigureParser(Parser& p, size_t max_header_bytes) {
  p.header_limit(static_cast<std::uint32_t>(max_header_bytes));
  // Not boost::none: Beast 1.74 compares the length with the optional, and
  // every length is "greater" than none. Sizes are checked by the handlers.
  p.body_limit(std::numeric_limits<std::uint64_t>::max());
}

Result<Request> ParseRequest(std::string_view bytes, std::string* body, size_t max_header_bytes) {
  Parser p;
  ConfigureParser(p, max_header_bytes);
  p.eager(false);
  error_code ec;
  size_t used = p.put(asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec && ec != bhttp::error::need_buffer) return Status::InvalidArgument("parse request head: " + ec.message());
  if (!p.is_header_done()) return Status::InvalidArgument("parse request head: incomplete head");
  Request r = ToRequest(p);
  if (!body) return r;
  bytes.remove_prefix(used);
  char buf[4096];
  while (!p.is_done()) {
    p.get().body().data = buf;
    p.get().body().size = sizeof buf;
    used = p.put(asio::buffer(bytes.data(), bytes.size()), ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) return Status::InvalidArgument("parse request body: " + ec.message());
    body->append(buf, sizeof buf - p.get().body().size);
    bytes.remove_prefix(used);
    if (used == 0 && p.get().body().size == sizeof buf) {
      if (bytes.empty()) return Status::InvalidArgument("parse request body: incomplete body");
    }
  }
  return r;
}

}  // namespace faasnet::http
