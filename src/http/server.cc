#include "http/server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <csignal>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <map>
#include <unordered_map>

#include "base/log.h"
#include "base/strings.h"
#include "http/parser.h"

namespace faasnet::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::awaitable;
using asio::use_awaitable;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kDrainLimit = 1 << 20;      // unread bodies up to this are drained for keep-alive
constexpr size_t kMaxSendfileChunk = 8 << 20;  // one sendfile call at most
constexpr uint64_t kSmallFileBody = 16 << 10;   // file bodies up to this are read and sent with the head
constexpr size_t kBodyLowWatermark = 256 << 10; // a body read waits for at most this much (or what is left)
constexpr std::chrono::milliseconds kBatchWait{20};  // and for at most this long

// TCP_CORK on or off; failures are harmless (only segment sizes change).
void Cork(int sock, bool on) {
  int v = on ? 1 : 0;
  ::setsockopt(sock, IPPROTO_TCP, TCP_CORK, &v, sizeof v);
}

Result<tcp::endpoint> ParseEndpoint(std::string_view address) {
  std::string host;
  std::string port;
  if (!address.empty() && address.front() == '[') {
    size_t close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() || address[close + 1] != ':') {
      return Status::InvalidArgument("listen address '" + std::string(address) + "': expected [IPv6]:PORT");
    }
    host = std::string(address.substr(1, close - 1));
    port = std::string(address.substr(close + 2));
  } else {
    size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) {
      return Status::InvalidArgument("listen address '" + std::string(address) + "': expected HOST:PORT");
    }
    host = std::string(address.substr(0, colon));
    port = std::string(address.substr(colon + 1));
  }
  if (host == "localhost") host = "127.0.0.1";
  error_code ec;
  auto ip = asio::ip::make_address(host, ec);
  if (ec) return Status::InvalidArgument("listen address '" + std::string(address) + "': '" + host + "' is not an IP address");
  char* end = nullptr;
  unsigned long p = std::strtoul(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p > 65535) {
    return Status::InvalidArgument("listen address '" + std::string(address) + "': bad port '" + port + "'");
  }
  return tcp::endpoint(ip, static_cast<unsigned short>(p));
}

std::string EndpointString(const tcp::endpoint& ep) {
  if (ep.address().is_v6()) return "[" + ep.address().to_string() + "]:" + std::to_string(ep.port());
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace

struct Server::Impl {
  Impl(ServerOptions o, Handler h) : options(std::move(o)), handler(std::move(h)) {
    const int n = std::max(1, options.threads);
    for (int i = 0; i < n; ++i) contexts.push_back(std::make_unique<asio::io_context>(1));
  }

  // Listeners live on the first loop; each connection on one loop, in turn.
  asio::io_context& ioc() { return *contexts.front(); }
  asio::io_context& NextContext() { return *contexts[next_context++ % contexts.size()]; }

  awaitable<void> AcceptLoop(std::shared_ptr<tcp::acceptor> acceptor);
  // Registers a bound acceptor; starts accepting at once when running.
  std::string AddAcceptor(std::shared_ptr<tcp::acceptor> acceptor);
  void Register(const std::shared_ptr<Connection>& c);
  void Unregister(Connection* c);

  ServerOptions options;
  Handler handler;
  std::atomic<size_t> connections{0};
  std::atomic<size_t> active{0};
  std::mutex mu;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> live;  // guarded by mu
  bool started = false;
  bool stopped = false;
  // One event loop per thread (concurrency hint 1): a connection's reads,
  // writes and timers all complete on its own loop's thread, so moving bytes
  // wakes no other thread (a shared loop cost ~16,000 context switches per GB
  // uploaded, against ~1,300). Declared after the counters: destroying a
  // context destroys connections, whose destructors still touch `connections`
  // and `live`.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::atomic<size_t> next_context{0};
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::mutex acceptors_mu;
  std::map<std::string, std::shared_ptr<tcp::acceptor>> acceptors;  // by bound address; guarded by acceptors_mu
  std::vector<std::thread> threads;
};

class Connection {
 public:
  Connection(Server::Impl* server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)), timer_(socket_.get_executor()) {
    Arm(server_->options.idle_timeout);  // before the watchdog's first look
    error_code ec;
    socket_.non_blocking(true, ec);  // once: sendfile(2) below must not block a worker
    auto ep = socket_.remote_endpoint(ec);
    if (!ec) remote_ = EndpointString(ep);
    auto lep = socket_.local_endpoint(ec);
    if (!ec) local_ = EndpointString(lep);
    ++server_->connections;
  }
  ~Connection() {
    --server_->connections;
    server_->Unregister(this);
  }

  // Both take the owning pointer: a coroutine starts later than it is
  // created, and the frame must keep the connection alive from the start.
  awaitable<void> Run(std::shared_ptr<Connection> self);
  awaitable<void> Watchdog(std::shared_ptr<Connection> self);
  tcp::socket::executor_type executor() { return socket_.get_executor(); }
  void Close();

  awaitable<Result<size_t>> ReadBody(char* buf, size_t cap);
  awaitable<Status> Respond(Response r);
  awaitable<Status> RespondFile(Response head, int fd, uint64_t offset, uint64_t length);
  awaitable<void> Sleep(std::chrono::nanoseconds d);

  const Request& request() const { return request_; }
  bool body_done() const { return body_done_; }
  bool responded() const { return responded_; }
  uint64_t body_received() const { return body_received_; }
  uint64_t sent() const { return sent_; }
  void SetRateLimit(uint64_t bps) {
    rate_ = bps;
    pace_start_ = Clock::now();
    paced_ = 0;
  }
  void CloseAfterResponse() { close_after_ = true; }

 private:
  // Sets the deadline of the I/O about to happen (or of the idle wait). The
  // watchdog sleeps until the deadline; an earlier one wakes it.
  void Arm(std::chrono::milliseconds timeout) {
    deadline_ = Clock::now() + timeout;
    if (deadline_ < timer_.expiry()) timer_.expires_at(deadline_);
  }
  // After an I/O inside a handler: a handler may wait as long as it likes
  // (a function running for 900 s, a runtime's /next long poll), only its
  // I/O is timed.
  void Relax() {
    if (in_handler_) deadline_ = Clock::time_point::max();
  }
  // How many of `want` bytes may move now under the rate limit; waits when
  // the budget is spent. Moves are accounted with Account().
  awaitable<size_t> Pace(size_t want);
  void Account(size_t n) { paced_ += n; }
  // How many bytes a body read waits for (SO_RCVLOWAT), at most `want`:
  // a batch, not each of the client's writes (curl writes 64 KiB at a time),
  // so a fast upload costs one wakeup, recv and write(2) per ~256 KiB instead
  // of per ~50 KiB. The batch is ~10 ms of the client's rate over the last
  // read, and the watchdog ends any batch wait after kBatchWait (the read then
  // takes what has come): a client that slows down is held back by that at
  // most, and the I/O timeout still counts from the read's start.
  size_t BodyBatch(size_t want) const {
    size_t cap = std::min(want, kBodyLowWatermark);
    if (recv_rate_ <= 0 || cap <= 1) return 1;
    double batch = recv_rate_ * 0.010;
    return batch >= static_cast<double>(cap) ? cap : std::max<size_t>(1, static_cast<size_t>(batch));
  }
  void NoteBodyRead(size_t n) {
    auto now = Clock::now();
    double dt = std::chrono::duration<double>(now - last_read_).count();
    if (n > 0 && dt > 0) recv_rate_ = static_cast<double>(n) / dt;
    last_read_ = now;
  }
  // SO_RCVLOWAT: the socket reads as ready only once `bytes` are queued.
  void SetLowWatermark(size_t bytes) {
    if (bytes == lowat_) return;
    int v = static_cast<int>(bytes);
    if (::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVLOWAT, &v, sizeof v) == 0) lowat_ = bytes;
  }
  awaitable<Status> WriteAll(std::string_view a, std::string_view b = {});
  // Decides whether the connection can stay open after this response.
  bool KeepAliveAfter() const;
  awaitable<void> Drain();
  awaitable<void> SimpleError(int status);

  Server::Impl* server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::string remote_;
  std::string local_;
  beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  Request request_;
  enum class BodyMode { kNone, kLength, kChunked } mode_ = BodyMode::kNone;
  uint64_t remaining_ = 0;
  bool body_done_ = true;
  bool continue_sent_ = false;
  bool responded_ = false;
  bool close_after_ = false;
  bool closed_ = false;
  bool in_handler_ = false;
  uint64_t body_received_ = 0;
  uint64_t sent_ = 0;
  uint64_t rate_ = 0;
  uint64_t paced_ = 0;
  size_t lowat_ = 1;        // the socket's SO_RCVLOWAT
  bool batching_ = false;   // a body read is waiting for a batch (lowat_ > 1)
  Clock::time_point io_deadline_;  // that read's I/O deadline
  double recv_rate_ = 0;    // bytes/s of the last body read (0: unknown)
  Clock::time_point last_read_;
  Clock::time_point pace_start_;
  Clock::time_point deadline_ = Clock::now();
};

// ---- Exchange: a thin view of the connection ----

const Request& Exchange::request() const { return c_->request(); }
awaitable<Result<size_t>> Exchange::ReadBody(char* buf, size_t cap) { return c_->ReadBody(buf, cap); }
bool Exchange::body_done() const { return c_->body_done(); }
awaitable<Status> Exchange::Respond(Response r) { return c_->Respond(std::move(r)); }
awaitable<Status> Exchange::RespondFile(Response head, int fd, uint64_t offset, uint64_t length) {
  return c_->RespondFile(std::move(head), fd, offset, length);
}
awaitable<void> Exchange::Sleep(std::chrono::nanoseconds d) { return c_->Sleep(d); }
void Exchange::SetRateLimit(uint64_t bytes_per_second) { c_->SetRateLimit(bytes_per_second); }
void Exchange::CloseAfterResponse() { c_->CloseAfterResponse(); }
bool Exchange::responded() const { return c_->responded(); }
uint64_t Exchange::body_bytes_received() const { return c_->body_received(); }
uint64_t Exchange::bytes_sent() const { return c_->sent(); }

// ---- Connection ----

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  timer_.cancel();
}

awaitable<void> Connection::Watchdog(std::shared_ptr<Connection> self) {
  while (!closed_) {
    timer_.expires_at(deadline_);
    error_code ec;
    co_await timer_.async_wait(asio::redirect_error(use_awaitable, ec));
    if (closed_) break;
    if (Clock::now() >= deadline_ && batching_) {
      // A body read waited kBatchWait for a batch: let it take what has
      // come (lowering SO_RCVLOWAT wakes the reader if bytes are queued),
      // under the read's own I/O deadline.
      batching_ = false;
      SetLowWatermark(1);
      deadline_ = io_deadline_;
      continue;
    }
    if (Clock::now() >= deadline_) {
      spdlog::debug("http: closing idle or stalled connection from {}", remote_);
      Close();
    }
  }
}

awaitable<void> Connection::SimpleError(int status) {
  Response r;
  r.status = status;
  r.Set("Content-Type", "text/plain");
  r.body = std::string(ReasonPhrase(status)) + "\n";
  std::string head = SerializeHead(r, r.body.size(), false);
  co_await WriteAll(head, r.body);
}

awaitable<void> Connection::Run(std::shared_ptr<Connection> self) {
  const auto& opt = server_->options;
  while (!closed_) {
    SetLowWatermark(1);  // a body left unread must not leave the next head waiting for a batch
    parser_.emplace();
    ConfigureParser(*parser_, opt.max_header_bytes);
    Arm(opt.idle_timeout);
    error_code ec;
    co_await bhttp::async_read_header(socket_, buffer_, *parser_, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec != bhttp::error::end_of_stream && ec != asio::error::operation_aborted) {
        spdlog::debug("http: reading a request head from {}: {}", remote_, ec.message());
      }
      if (ec == bhttp::error::header_limit) {
        co_await SimpleError(431);
      } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
                 ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
        co_await SimpleError(400);
      }
      break;
    }
    request_ = ToRequest(*parser_);
    request_.remote = remote_;
    request_.local = local_;
    mode_ = request_.chunked ? BodyMode::kChunked
                             : (request_.content_length.value_or(0) > 0 ? BodyMode::kLength : BodyMode::kNone);
    remaining_ = mode_ == BodyMode::kLength ? *request_.content_length : 0;
    body_done_ = mode_ == BodyMode::kNone;
    continue_sent_ = responded_ = close_after_ = false;
    body_received_ = sent_ = 0;
    recv_rate_ = 0;
    last_read_ = Clock::now();
    rate_ = 0;

    ++server_->active;
    Exchange ex(this);
    in_handler_ = true;
    Relax();
    try {
      co_await server_->handler(ex);
    } catch (const std::exception& e) {
      spdlog::error("http: handler failed on {} {}: {}", request_.method, request_.target, e.what());
    }
    in_handler_ = false;
    Arm(opt.io_timeout);
    --server_->active;
    if (closed_) break;
    if (!responded_) {
      Response r;
      r.status = 500;
      co_await Respond(std::move(r));
    }
    if (close_after_ || !request_.keep_alive || closed_) break;
    if (!body_done_) co_await Drain();
    if (!body_done_) break;
  }
  Close();
}

awaitable<void> Connection::Drain() {
  char buf[16384];
  while (!body_done_ && !closed_) {
    auto n = co_await ReadBody(buf, sizeof buf);
    if (!n.ok()) co_return;
  }
}

bool Connection::KeepAliveAfter() const {
  if (close_after_ || !request_.keep_alive) return false;
  if (body_done_) return true;
  // An unread body: keep the connection only if it is short and on its way.
  if (request_.expect_continue && !continue_sent_) return false;
  return mode_ == BodyMode::kLength && remaining_ <= kDrainLimit;
}

awaitable<Status> Connection::WriteAll(std::string_view a, std::string_view b) {
  std::array<asio::const_buffer, 2> bufs{asio::buffer(a.data(), a.size()), asio::buffer(b.data(), b.size())};
  Arm(server_->options.io_timeout);
  error_code ec;
  size_t n = co_await asio::async_write(socket_, bufs, asio::redirect_error(use_awaitable, ec));
  Relax();
  if (ec) {
    Close();
    co_return Status::Unavailable("write response to " + remote_ + ": " + ec.message());
  }
  (void)n;
  co_return Status::Ok();
}

awaitable<size_t> Connection::Pace(size_t want) {
  if (rate_ == 0) co_return want;
  // Quantum: 10 ms of the rate, at least 16 KiB, so pacing stays smooth.
  size_t quantum = std::max<size_t>(16384, rate_ / 100);
  want = std::min(want, quantum);
  for (;;) {
    double elapsed = std::chrono::duration<double>(Clock::now() - pace_start_).count();
    double budget = elapsed * static_cast<double>(rate_) - static_cast<double>(paced_);
    if (budget >= static_cast<double>(want)) co_return want;
    double wait_s = (static_cast<double>(want) - budget) / static_cast<double>(rate_);
    co_await Sleep(std::chrono::nanoseconds(static_cast<int64_t>(wait_s * 1e9)));
    if (closed_) co_return want;
  }
}

awaitable<void> Connection::Sleep(std::chrono::nanoseconds d) {
  asio::steady_timer t(socket_.get_executor());
  t.expires_after(d);
  Arm(std::chrono::duration_cast<std::chrono::milliseconds>(d) + server_->options.io_timeout);
  error_code ec;
  co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
  Relax();
}

awaitable<Result<size_t>> Connection::ReadBody(char* buf, size_t cap) {
  if (body_done_ || cap == 0 || closed_) co_return size_t{0};
  error_code ec;
  if (request_.expect_continue && !continue_sent_ && !responded_) {
    continue_sent_ = true;
    Status st = co_await WriteAll("HTTP/1.1 100 Continue\r\n\r\n");
    if (!st.ok()) co_return st;
  }
  const auto io_timeout = server_->options.io_timeout;
  if (mode_ == BodyMode::kLength) {
    size_t want = co_await Pace(static_cast<size_t>(std::min<uint64_t>(cap, remaining_)));
    size_t n;
    if (buffer_.size() > 0) {
      n = asio::buffer_copy(asio::buffer(buf, want), buffer_.data());
      buffer_.consume(n);
    } else {
      SetLowWatermark(BodyBatch(want));
      if (lowat_ > 1) {
        io_deadline_ = Clock::now() + io_timeout;
        batching_ = true;
        Arm(kBatchWait);
      } else {
        Arm(io_timeout);
      }
      n = co_await socket_.async_read_some(asio::buffer(buf, want), asio::redirect_error(use_awaitable, ec));
      batching_ = false;
      Relax();
      if (ec) {
        Close();
        co_return Status::Unavailable("read request body from " + remote_ + ": connection ended after " +
                                      std::to_string(body_received_) + " of " +
                                      std::to_string(*request_.content_length) + " bytes");
      }
      NoteBodyRead(n);
    }
    remaining_ -= n;
    body_received_ += n;
    Account(n);
    if (remaining_ == 0) {
      body_done_ = true;
      SetLowWatermark(1);
    }
    co_return n;
  }
  // Chunked: Beast decodes the framing into our buffer.
  size_t want = co_await Pace(cap);
  for (;;) {
    auto& body = parser_->get().body();
    body.data = buf;
    body.size = want;
    body.more = true;
    Arm(io_timeout);
    co_await bhttp::async_read_some(socket_, buffer_, *parser_, asio::redirect_error(use_awaitable, ec));
    Relax();
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) {
      Close();
      co_return Status::InvalidArgument("read chunked request body from " + remote_ + ": " + ec.message());
    }
    size_t n = want - parser_->get().body().size;
    if (parser_->is_done()) body_done_ = true;
    if (n > 0 || body_done_) {
      body_received_ += n;
      Account(n);
      co_return n;
    }
  }
}

awaitable<Status> Connection::Respond(Response r) {
  responded_ = true;
  bool keep = KeepAliveAfter();
  if (!keep) close_after_ = true;
  bool head_only = request_.method == "HEAD";
  uint64_t length = r.content_length.value_or(r.body.size());
  std::string head = SerializeHead(r, length, keep);
  Status st = co_await WriteAll(head, head_only ? std::string_view() : std::string_view(r.body));
  if (st.ok() && !head_only) sent_ += r.body.size();
  co_return st;
}

awaitable<Status> Connection::RespondFile(Response r, int fd, uint64_t offset, uint64_t length) {
  r.content_length = length;
  r.body.clear();
  bool head_only = request_.method == "HEAD";
  // A small file goes with its head in one write (one syscall, one packet):
  // the 1 KB GET is two syscalls and one segment instead of three and two.
  if (!head_only && length <= kSmallFileBody && rate_ == 0) {
    r.body.resize(length);
    size_t got = 0;
    while (got < length) {
      ssize_t n = ::pread(fd, r.body.data() + got, length - got, static_cast<off_t>(offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int err = n < 0 ? errno : 0;
        Close();  // nothing sent yet, but the handler has committed to this response
        if (err == 0) co_return Status::Internal("send file to " + remote_ + ": file shorter than its recorded size");
        co_return Status::FromErrno(err, "read file for", remote_);
      }
      got += static_cast<size_t>(n);
    }
    co_return co_await Respond(std::move(r));
  }
  // A large one: the socket is corked (as nginx's tcp_nopush) from the head
  // until the last byte or the socket's first backlog, so the head rides in
  // the first segment and every segment is full. Without it, TCP_NODELAY sent
  // whatever sendfile had added so far whenever the window opened: ~1.5x the
  // packets per GB (net:net_dev_xmit), which cost the store ~0.45 CPU-s/GB
  // instead of nginx's ~0.29 when the client ran on the other CPU.
  int sock = socket_.native_handle();
  Cork(sock, !head_only);
  Status st = co_await Respond(std::move(r));
  if (!st.ok() || head_only) {
    Cork(sock, false);
    co_return st;
  }
  off_t off = static_cast<off_t>(offset);
  uint64_t left = length;
  bool corked = true;
  while (left > 0) {
    size_t chunk = co_await Pace(static_cast<size_t>(std::min<uint64_t>(left, kMaxSendfileChunk)));
    if (closed_) co_return Status::Cancelled("send file to " + remote_ + ": connection closed");
    ssize_t n = ::sendfile(sock, fd, &off, chunk);
    if (n > 0) {
      left -= static_cast<uint64_t>(n);
      sent_ += static_cast<uint64_t>(n);
      Account(static_cast<size_t>(n));
      Arm(server_->options.io_timeout);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (corked && errno == EAGAIN) {
        // The socket is backlogged: its queue keeps every segment full
        // anyway, and uncorked, the ACKs that open the window send the queued
        // data at once. 16 connections: store 0.18 instead of 0.23 CPU-s/GB,
        // curl no more, 3.4 instead of 3.2 GB/s; 1 connection unchanged.
        Cork(sock, false);
        corked = false;
      }
      error_code ec;
      co_await socket_.async_wait(tcp::socket::wait_write, asio::redirect_error(use_awaitable, ec));
      Relax();
      if (ec) {
        Close();
        co_return Status::Unavailable("send file to " + remote_ + ": " + ec.message());
      }
      continue;
    }
    int err = n < 0 ? errno : 0;
    Close();  // the length is promised: the only honest end is closing
    if (err == 0) co_return Status::Internal("send file to " + remote_ + ": file shorter than its recorded size");
    co_return Status::FromErrno(err, "sendfile to", remote_);
  }
  if (corked) Cork(sock, false);  // pushes the last partial segment now
  Relax();
  co_return Status::Ok();
}

// ---- Server ----

void Server::Impl::Register(const std::shared_ptr<Connection>& c) {
  std::lock_guard<std::mutex> lock(mu);
  live.emplace(c.get(), c);
}

void Server::Impl::Unregister(Connection* c) {
  std::lock_guard<std::mutex> lock(mu);
  live.erase(c);
}

std::string Server::Impl::AddAcceptor(std::shared_ptr<tcp::acceptor> acceptor) {
  error_code ec;
  std::string bound = EndpointString(acceptor->local_endpoint(ec));
  std::lock_guard<std::mutex> lock(acceptors_mu);
  acceptors[bound] = acceptor;
  if (started && !stopped) asio::co_spawn(ioc(), AcceptLoop(std::move(acceptor)), asio::detached);
  return bound;
}

awaitable<void> Server::Impl::AcceptLoop(std::shared_ptr<tcp::acceptor> acceptor) {
  for (;;) {
    tcp::socket socket(NextContext());
    error_code ec;
    co_await acceptor->async_accept(socket, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      // Out of descriptors and the like: back off briefly, keep serving.
      spdlog::warn("http: accept failed: {}", ec.message());
      asio::steady_timer t(ioc());
      t.expires_after(std::chrono::milliseconds(20));
      co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    if (connections.load() >= options.max_connections) {
      socket.close(ec);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto c = std::make_shared<Connection>(this, std::move(socket));
    Register(c);
    // Both coroutines run on the connection's loop (one thread).
    asio::co_spawn(c->executor(), c->Run(c), asio::detached);
    asio::co_spawn(c->executor(), c->Watchdog(c), asio::detached);
  }
}

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Server::~Server() { Stop(std::chrono::milliseconds(0)); }

Result<std::string> Server::Listen(std::string_view address) {
  ASSIGN_OR_RETURN(tcp::endpoint ep, ParseEndpoint(address));
  auto acceptor = std::make_shared<tcp::acceptor>(impl_->ioc());
  error_code ec;
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable("listen on " + std::string(address) + ": " + ec.message());
  return impl_->AddAcceptor(std::move(acceptor));
}

Result<std::string> Server::ListenFd(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    int err = errno;
    ::close(fd);
    return Status::FromErrno(err, "getsockname of listening fd", std::to_string(fd));
  }
  auto acceptor = std::make_shared<tcp::acceptor>(impl_->ioc());
  error_code ec;
  acceptor->assign(ss.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
  if (ec) {
    ::close(fd);
    return Status::InvalidArgument("adopt listening fd " + std::to_string(fd) + ": " + ec.message());
  }
  return impl_->AddAcceptor(std::move(acceptor));
}

void Server::RemoveListener(const std::string& bound_address) {
  std::shared_ptr<tcp::acceptor> a;
  {
    std::lock_guard<std::mutex> lock(impl_->acceptors_mu);
    auto it = impl_->acceptors.find(bound_address);
    if (it == impl_->acceptors.end()) return;
    a = std::move(it->second);
    impl_->acceptors.erase(it);
  }
  // Closed on the context (acceptors are not thread-safe); the accept loop ends.
  asio::post(impl_->ioc(), [a] {
    error_code ec;
    a->close(ec);
  });
}

Status Server::Start() {
  if (impl_->started) return Status::FailedPrecondition("server already started");
  // sendfile(2) has no MSG_NOSIGNAL: a peer that goes away must not kill us.
  std::signal(SIGPIPE, SIG_IGN);
  for (auto& ctx : impl_->contexts) impl_->work.emplace_back(ctx->get_executor());
  {
    std::lock_guard<std::mutex> lock(impl_->acceptors_mu);
    impl_->started = true;
    for (auto& [addr, a] : impl_->acceptors) asio::co_spawn(impl_->ioc(), impl_->AcceptLoop(a), asio::detached);
  }
  for (auto& ctx : impl_->contexts) impl_->threads.emplace_back([c = ctx.get()] { c->run(); });
  return Status::Ok();
}

void Server::Stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard<std::mutex> lock(impl_->acceptors_mu);
    if (impl_->stopped) return;
    impl_->stopped = true;
    if (!impl_->started) return;
  }
  asio::post(impl_->ioc(), [this] {
    error_code ec;
    std::lock_guard<std::mutex> lock(impl_->acceptors_mu);
    for (auto& [addr, a] : impl_->acceptors) a->close(ec);
  });
  auto until = Clock::now() + grace;
  while (impl_->active.load() > 0 && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  spdlog::debug("http: stopping, {} request(s) in flight, {} connection(s)", impl_->active.load(),
                impl_->connections.load());
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (auto& [ptr, weak] : impl_->live) {
      if (auto c = weak.lock()) open.push_back(std::move(c));
    }
  }
  // Posted outside the lock: the last reference may be dropped here, and a
  // connection's destructor takes the lock to unregister.
  for (auto& c : open) asio::post(c->executor(), [c] { c->Close(); });
  open.clear();
  // Let the closes run, so peers see the connection end now, not at destruction.
  auto close_until = Clock::now() + std::chrono::seconds(2);
  while (impl_->connections.load() > 0 && Clock::now() < close_until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  spdlog::debug("http: {} connection(s) left at stop", impl_->connections.load());
  impl_->work.clear();
  for (auto& ctx : impl_->contexts) ctx->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  // stop() may have dropped the close posted above before it ran: close the
  // listeners here (no thread runs the context any more), so that a stopped
  // server holds no listening socket (nor the network namespace it is in).
  {
    std::lock_guard<std::mutex> lock(impl_->acceptors_mu);
    error_code ec;
    for (auto& [addr, a] : impl_->acceptors) a->close(ec);
  }
  spdlog::debug("http: stopped");
}

size_t Server::open_connections() const { return impl_->connections.load(); }
size_t Server::active_requests() const { return impl_->active.load(); }

}  // namespace faasnet::http
