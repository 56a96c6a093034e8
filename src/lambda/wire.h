// HTTP plumbing the two Lambda APIs share: reading a whole request body into
// memory under a size cap, and the common response heads.
//
// Thread-safety: free functions; each works on one exchange, which is used by
// one coroutine at a time.
#ifndef FAASNET_LAMBDA_WIRE_H_
#define FAASNET_LAMBDA_WIRE_H_

#include <utility>  // before Asio: its awaitable.hpp uses std::exchange

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <string>

#include "http/server.h"
#include "lambda/errors.h"

namespace faasnet::lambda {

// Reads the request body (Content-Length or chunked) into memory.
// Success: the body ("" when there is none).
// Errors:
//   `too_large` when the body is longer than `cap`. So the client can read
//     that answer, a body that is not much larger (up to `drain_limit` bytes
//     in all) is read and discarded; a larger one, or one the client held back
//     behind "Expect: 100-continue", is left unread and the connection is
//     marked to close after the response.
//   InvalidRequestContentException when the peer stops early or breaks the
//     chunked framing (the connection is closing; a response may not arrive).
boost::asio::awaitable<LambdaResult<std::string>> ReadWholeBody(http::Exchange& ex, size_t cap, size_t drain_limit,
                                                                LambdaError too_large);

// The current time as an HTTP Date header value.
std::string HttpDateNow();

}  // namespace faasnet::lambda

#endif  // FAASNET_LAMBDA_WIRE_H_
