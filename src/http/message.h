// HTTP/1.1 messages as faasnet's services see them, independent of the
// parser underneath (Boost.Beast): a parsed request head, a response head with
// an optional in-memory body, and the serialisation of a response head.
//
// Thread-safety: plain values.
#ifndef FAASNET_HTTP_MESSAGE_H_
#define FAASNET_HTTP_MESSAGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faasnet::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The head of a request. Header names keep the case they arrived in; lookups
// ignore case. `target` is the request-target exactly as received.
struct Request {
  std::string method;  // "GET", "PUT", ... as received (upper case by HTTP)
  std::string target;  // "/bucket/key?x=y" as on the wire
  HeaderList headers;
  int version = 11;  // 10 or 11
  std::optional<uint64_t> content_length;
  bool chunked = false;          // Transfer-Encoding: chunked
  bool expect_continue = false;  // Expect: 100-continue
  bool keep_alive = true;
  std::string remote;  // "127.0.0.1:54321"
  std::string local;   // the address the connection came in on, "10.7.0.1:9001"

  // The target up to '?' (still percent-encoded) and after it ("" if none).
  std::string_view RawPath() const;
  std::string_view RawQuery() const;
  // First header with this name (case-insensitive), or nullopt.
  std::optional<std::string_view> Header(std::string_view name) const;
  bool HasBody() const { return chunked || content_length.value_or(0) > 0; }
};

// A response head plus an optional in-memory body. Content-Length is written
// by the server from `body` unless `content_length` is set (HEAD responses and
// file bodies).
struct Response {
  int status = 200;
  HeaderList headers;
  std::string body;
  std::optional<uint64_t> content_length;

  Response& Set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  std::optional<std::string_view> Header(std::string_view name) const;
};

// "OK", "Not Found", ...; "Unknown" for codes without a phrase.
const char* ReasonPhrase(int status);

// "HTTP/1.1 200 OK\r\nName: value\r\n...\r\n\r\n". Adds Content-Length
// (`content_length`), and "Connection: close" when !keep_alive.
std::string SerializeHead(const Response& r, uint64_t content_length, bool keep_alive);

// Splits a query string "a=1&b&c=x%20y" into raw (still encoded) name/value pairs.
std::vector<std::pair<std::string_view, std::string_view>> SplitQuery(std::string_view query);

}  // namespace faasnet::http

#endif  // FAASNET_HTTP_MESSAGE_H_
