// Request parsing shared by the server and the fuzz target: Beast's HTTP/1.1
// parser configured the server's way, and its conversion to http::Request.
// No coroutines here, so the fuzz build (clang) compiles it on its own.
//
// Thread-safety: pure functions; a Parser is used by one connection.
#ifndef FAASNET_HTTP_PARSER_H_
#define FAASNET_HTTP_PARSER_H_

#include <utility>

#include <boost/beast/http.hpp>
#include <string>
#include <string_view>

#include "base/status.h"
#include "http/message.h"

namespace faasnet::http {

using Parser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;

// Header limit as given; no body limit (handlers check sizes, S3-style).
void ConfigureParser(Parser& p, size_t max_header_bytes);
// The parsed head as a Request (remote left empty).
Request ToRequest(const Parser& p);

// Parses one request from `bytes`: the head, and when `body` is given, the
// body decoded from Content-Length or chunked framing. Fails on malformed or
// oversized heads and broken framing.
Result<Request> ParseRequest(std::string_view bytes, std::string* body = nullptr,
                             size_t max_header_bytes = 64 * 1024);

}  // namespace faasnet::http

#endif  // FAASNET_HTTP_PARSER_H_
