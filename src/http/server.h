// A small, fast HTTP/1.1 server for faasnet's services (the S3 store, later
// the Lambda APIs). Boost.Asio does the I/O with C++20 coroutines and
// Boost.Beast parses request heads and chunked bodies; everything else is
// ours because the store needs what generic servers hide:
//   - request bodies streamed in the caller's buffers (Content-Length bodies
//     are read straight from the socket, no intermediate copy),
//   - file responses sent with sendfile(2) (zero-copy, as nginx does),
//   - per-exchange pacing (a bandwidth cap) and a first-byte delay,
//   - "100 Continue" sent as soon as the handler asks for the body.
//
// Ownership: the Server owns its io_contexts (one per thread), threads,
// acceptors and connections. A Handler is called once per request with an
// Exchange that is valid until the handler's coroutine returns. Thread-safety:
// Listen/Start/Stop from one controlling thread; connections are spread over
// the threads in turn and each stays on its thread, so handlers of different
// connections run concurrently, one request of a connection at a time. A
// handler that blocks its thread stalls the other connections of that thread:
// long blocking work (fsync, copies) belongs on a pool of the handler's own.
#ifndef FAASNET_HTTP_SERVER_H_
#define FAASNET_HTTP_SERVER_H_

#include <utility>  // before Asio: its awaitable.hpp uses std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "http/message.h"

namespace faasnet::http {

struct ServerOptions {
  int threads = 4;                                  // event loops, one thread each
  size_t max_header_bytes = 64 * 1024;              // larger heads get 431
  std::chrono::milliseconds idle_timeout{120'000};  // keep-alive idle and head read
  std::chrono::milliseconds io_timeout{300'000};    // a body read/write without progress
  size_t max_connections = 10'000;                  // more are accepted and closed at once
};

class Connection;  // server.cc

// One request/response on a connection, handed to the Handler.
class Exchange {
 public:
  explicit Exchange(Connection* c) : c_(c) {}
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  const Request& request() const;

  // Reads up to `cap` body bytes into `buf`; 0 means the body is complete.
  // Sends "100 Continue" first when the client asked for it. Fails (and the
  // connection will close) when the peer stops early or the chunked framing
  // is broken.
  boost::asio::awaitable<Result<size_t>> ReadBody(char* buf, size_t cap);
  // True when the whole body has been read (or there was none).
  bool body_done() const;

  // Sends the response with its in-memory body (no body for HEAD requests;
  // Content-Length then is r.content_length or the body size). Once per exchange.
  boost::asio::awaitable<Status> Respond(Response r);
  // Sends `head` then `length` bytes of `fd` from `offset` with sendfile(2).
  boost::asio::awaitable<Status> RespondFile(Response head, int fd, uint64_t offset, uint64_t length);

  // Waits without blocking a thread (used for first-byte latency).
  boost::asio::awaitable<void> Sleep(std::chrono::nanoseconds d);

  // Paces body bytes in both directions to at most `bytes_per_second` (0: off).
  void SetRateLimit(uint64_t bytes_per_second);
  // Close the connection after this response (e.g. an unread large body).
  void CloseAfterResponse();

  bool responded() const;
  uint64_t body_bytes_received() const;
  uint64_t bytes_sent() const;

 private:
  Connection* c_;
};

using Handler = std::function<boost::asio::awaitable<void>(Exchange&)>;

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens on "HOST:PORT" (port 0 picks a free one). Before or
  // after Start (then it accepts at once). Returns the bound "HOST:PORT".
  Result<std::string> Listen(std::string_view address);
  // Adopts an already bound and listening TCP socket (e.g. one opened in
  // another network namespace). Takes ownership of `fd` (closed on failure).
  // Returns its bound "HOST:PORT".
  Result<std::string> ListenFd(int fd);
  // Stops accepting on a listener added by Listen/ListenFd (connections
  // already accepted go on). No-op for an unknown address.
  void RemoveListener(const std::string& bound_address);
  // Starts accepting on every listener with options.threads threads. Needs no
  // listener yet: they may all be added later.
  Status Start();
  // Stops accepting, lets requests in flight finish for up to `grace`, then
  // closes every connection and joins the threads. Idempotent.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

  // Connections open now and requests being handled now.
  size_t open_connections() const;
  size_t active_requests() const;

 private:
  friend class Connection;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faasnet::http

#endif  // FAASNET_HTTP_SERVER_H_
