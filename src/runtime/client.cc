#include "runtime/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <string>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including it

namespace faasnet::runtime {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr char kPrefix[] = "/2018-06-01/runtime";
// Lambda caps payloads at 6 MB (synchronous) and 256 KB (asynchronous); leave room over that so the
// platform, not this client, is the one that enforces the limit.
constexpr uint64_t kMaxBody = 64ull << 20;

std::string Str(beast::string_view s) { return std::string(s.data(), s.size()); }

// The server closed a kept-alive connection before (or while) we used it.
bool IsStale(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

}  // namespace

struct RuntimeClient::Impl {
  using Request = http::request<http::string_body>;
  using Response = http::response<http::string_body>;

  explicit Impl(ApiAddress a) : address(std::move(a)), socket(io) {}

  void Close() {
    beast::error_code ignored;
    socket.close(ignored);
    buffer.clear();
  }

  Status Connect() {
    beast::error_code ec;
    std::string where = address.host + ":" + std::to_string(address.port);
    asio::ip::address ip = asio::ip::make_address(address.host, ec);
    if (!ec) {
      socket.connect(tcp::endpoint(ip, address.port), ec);
    } else {  // a name: resolve it (the region passes an IP literal, so this is the rare path)
      tcp::resolver resolver(io);
      auto endpoints = resolver.resolve(address.host, std::to_string(address.port), ec);
      if (!ec) asio::connect(socket, endpoints, ec);
    }
    if (ec) {
      Close();
      return Status::Unavailable("connect " + where + ": " + ec.message());
    }
    socket.set_option(tcp::no_delay(true), ec);  // small requests and replies: no Nagle delay
    return Status::Ok();
  }

  // Sends `req` and reads the reply. Unavailable when the transfer fails.
  Result<Response> Exchange(Request& req) {
    req.set(http::field::host, address.host);
    req.prepare_payload();
    for (int attempt = 0;; ++attempt) {
      bool reused = socket.is_open();
      if (!reused) RETURN_IF_ERROR(Connect());
      beast::error_code ec;
      http::write(socket, req, ec);
      http::response_parser<http::string_body> parser;
      parser.body_limit(kMaxBody);
      if (!ec) http::read(socket, buffer, parser, ec);
      if (!ec) {
        Response res = parser.release();
        if (!res.keep_alive()) Close();
        return res;
      }
      Close();
      if (reused && attempt == 0 && IsStale(ec)) continue;
      return Status::Unavailable(Str(req.method_string()) + " " + Str(req.target()) + ": " + ec.message());
    }
  }

  Status Post(std::string target, std::string_view body, std::string_view content_type,
              std::string_view error_type = {}) {
    Request req{http::verb::post, target, 11};
    req.set(http::field::content_type, beast::string_view(content_type.data(), content_type.size()));
    if (!error_type.empty()) {
      req.set("Lambda-Runtime-Function-Error-Type", beast::string_view(error_type.data(), error_type.size()));
    }
    req.body().assign(body.data(), body.size());
    ASSIGN_OR_RETURN(Response res, Exchange(req));
    if (res.result_int() != 202) {
      return Status::Internal("POST " + target + ": HTTP " + std::to_string(res.result_int()) + " " +
                              res.body().substr(0, 256));
    }
    return Status::Ok();
  }

  ApiAddress address;
  asio::io_context io;
  tcp::socket socket;
  beast::flat_buffer buffer;
};

RuntimeClient::RuntimeClient(ApiAddress address) : impl_(std::make_unique<Impl>(std::move(address))) {}

RuntimeClient::~RuntimeClient() = default;

Result<Invocation> RuntimeClient::Next(const FunctionEnv& function) {
  Impl::Request req{http::verb::get, std::string(kPrefix) + "/invocation/next", 11};
  ASSIGN_OR_RETURN(Impl::Response res, impl_->Exchange(req));
  if (res.result_int() != 200) {
    return Status::Internal("GET " + Str(req.target()) + ": HTTP " + std::to_string(res.result_int()) + " " +
                            res.body().substr(0, 256));
  }
  NextHeaders headers;
  headers.request_id = Str(res["Lambda-Runtime-Aws-Request-Id"]);
  headers.deadline_ms = Str(res["Lambda-Runtime-Deadline-Ms"]);
  headers.function_arn = Str(res["Lambda-Runtime-Invoked-Function-Arn"]);
  headers.trace_id = Str(res["Lambda-Runtime-Trace-Id"]);
  headers.client_context = Str(res["Lambda-Runtime-Client-Context"]);
  headers.cognito_identity = Str(res["Lambda-Runtime-Cognito-Identity"]);
  headers.content_type = Str(res[http::field::content_type]);
  return ParseInvocation(headers, std::move(res.body()), function, std::chrono::system_clock::now(),
                         std::chrono::steady_clock::now());
}

Status RuntimeClient::PostResponse(std::string_view request_id, std::string_view payload,
                                   std::string_view content_type) {
  return impl_->Post(std::string(kPrefix) + "/invocation/" + std::string(request_id) + "/response", payload,
                     content_type.empty() ? "application/json" : content_type);
}

Status RuntimeClient::PostError(std::string_view request_id, std::string_view error_type,
                                std::string_view error_message) {
  return impl_->Post(std::string(kPrefix) + "/invocation/" + std::string(request_id) + "/error",
                     ErrorDocument(error_type, error_message), "application/json", error_type);
}

Status RuntimeClient::PostInitError(std::string_view error_type, std::string_view error_message) {
  return impl_->Post(std::string(kPrefix) + "/init/error", ErrorDocument(error_type, error_message), "application/json",
                     error_type);
}

}  // namespace faasnet::runtime
