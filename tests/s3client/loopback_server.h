// A minimal HTTP/1.1 server on 127.0.0.1 (port 0) for the S3 client's tests
// and its CPU-per-GB benchmark: plain blocking sockets, one thread per
// connection, keep-alive, Content-Length request bodies, "100 Continue" when
// asked. A handler decides every response, so tests can script errors
// (503 SlowDown, dropped connections) and inspect what the client sent.
// Not a general server: no chunked request bodies, no pipelining.
//
// Ownership: the server owns its listening socket, connection sockets and
// threads; the destructor (or Stop) closes them all and joins.
// Thread-safety: the handler runs on connection threads, concurrently when
// several clients connect; the accessors are safe from any thread.
#ifndef FAASNET_TESTS_S3CLIENT_LOOPBACK_SERVER_H_
#define FAASNET_TESTS_S3CLIENT_LOOPBACK_SERVER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"

namespace faasnet::s3client::testing {

struct HttpRequest {
  std::string method;
  std::string target;  // as sent: path[?query]
  std::string path;
  std::string query;                                         // without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
  std::string body;                                          // empty when the server discards bodies
  uint64_t body_bytes = 0;                                   // bytes of the body read
  int connection = 0;                                        // 1-based number of the connection it came on

  // The first header named `name` (case-insensitive), or nullptr.
  const std::string* Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Bytes of a fixed pattern sent after `body` (benchmarks: large GETs
  // without building them in memory). Counted in Content-Length.
  uint64_t fill_bytes = 0;
  bool close = false;  // close the connection after this response
  bool drop = false;   // close the connection without any response
};

struct LoopbackServerOptions {
  bool keep_bodies = true;  // false: read and discard request bodies (benchmarks)
};

class LoopbackServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Listens on 127.0.0.1:0. Errors: the failing socket call (errno mapped).
  static Result<std::unique_ptr<LoopbackServer>> Start(Handler handler, LoopbackServerOptions options = {});
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  uint16_t port() const { return port_; }
  // "http://127.0.0.1:<port>".
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_.load(); }
  int requests() const { return requests_.load(); }
  // Every request so far (bodies as kept).
  std::vector<HttpRequest> received() const;

  // Stops accepting, closes every connection, joins the threads. Idempotent.
  void Stop();

 private:
  LoopbackServer(Handler handler, LoopbackServerOptions options, int listen_fd, uint16_t port);
  void AcceptLoop();
  void Serve(int fd, int connection);

  Handler handler_;
  LoopbackServerOptions options_;
  int listen_fd_;
  uint16_t port_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
  mutable std::mutex mu_;
  std::vector<int> open_fds_;          // guarded by mu_
  std::vector<std::thread> threads_;   // guarded by mu_
  std::vector<HttpRequest> received_;  // guarded by mu_
  std::thread acceptor_;
};

}  // namespace faasnet::s3client::testing

#endif  // FAASNET_TESTS_S3CLIENT_LOOPBACK_SERVER_H_
