#include "lambda/wire.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "s3/conditional.h"

namespace faasnet::lambda {

boost::asio::awaitable<LambdaResult<std::string>> ReadWholeBody(http::Exchange& ex, size_t cap, size_t drain_limit,
                                                                LambdaError too_large) {
  const http::Request& req = ex.request();
  if (!req.HasBody()) co_return std::string();
  auto declared = req.content_length;
  if (declared && *declared > cap) {
    if (req.expect_continue || *declared > drain_limit) {
      ex.CloseAfterResponse();
      co_return too_large;
    }
  }
  std::string body;
  if (declared && *declared <= cap) body.reserve(*declared);
  std::vector<char> buf(64 * 1024);
  uint64_t total = 0;
  bool over = declared && *declared > cap;
  for (;;) {
    auto n = co_await ex.ReadBody(buf.data(), buf.size());
    if (!n.ok()) {
      co_return LambdaError::InvalidRequestContentException("The request body could not be read: " +
                                                            n.status().message());
    }
    if (*n == 0) break;
    total += *n;
    if (!over && total > cap) {
      over = true;
      body.clear();
      body.shrink_to_fit();
    }
    if (over) {
      if (total > drain_limit) {
        ex.CloseAfterResponse();
        co_return too_large;
      }
      continue;
    }
    body.append(buf.data(), *n);
  }
  if (over) co_return too_large;
  co_return body;
}

std::string HttpDateNow() { return s3::FormatHttpDate(std::chrono::system_clock::now()); }

}  // namespace faasnet::lambda
