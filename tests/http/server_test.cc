// The server over real loopback sockets: keep-alive, streamed bodies,
// 100-continue, file responses, pacing, stop with connections open.
#include "http/server.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace faasnet::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// A blocking client for one connection.
class Client {
 public:
  explicit Client(const std::string& hostport) : socket_(ioc_) {
    auto colon = hostport.rfind(':');
    socket_.connect(tcp::endpoint(asio::ip::make_address(hostport.substr(0, colon)),
                                  static_cast<unsigned short>(std::stoi(hostport.substr(colon + 1)))));
  }
  void Send(const std::string& s) { asio::write(socket_, asio::buffer(s)); }
  // Reads one response; returns status and body (Content-Length framing).
  std::pair<int, std::string> Read() {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) Fill();
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    int status = std::stoi(head.substr(9, 3));
    size_t len = 0;
    auto pos = head.find("Content-Length: ");
    if (pos != std::string::npos) len = std::stoul(head.substr(pos + 16));
    while (buf_.size() < len) Fill();
    std::string body = buf_.substr(0, len);
    buf_.erase(0, len);
    return {status, body};
  }
  // Reads one response head; returns status and its Content-Length value.
  std::pair<int, std::string> ReadHeadOnly() {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) Fill();
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    std::string len;
    auto pos = head.find("Content-Length: ");
    if (pos != std::string::npos) len = head.substr(pos + 16, head.find("\r\n", pos) - pos - 16);
    return {std::stoi(head.substr(9, 3)), len};
  }
  // True when the peer closes before sending the head and all of its Content-Length.
  bool ClosedBeforeWholeResponse() {
    for (;;) {
      size_t end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        auto pos = buf_.find("Content-Length: ");
        size_t len = pos < end ? std::stoul(buf_.substr(pos + 16)) : 0;
        if (buf_.size() >= end + 4 + len) return false;
      }
      boost::system::error_code ec;
      char tmp[65536];
      size_t n = socket_.read_some(asio::buffer(tmp), ec);
      if (ec) return true;
      buf_.append(tmp, n);
    }
  }
  bool Closed() {
    boost::system::error_code ec;
    char c;
    size_t n = socket_.read_some(asio::buffer(&c, 1), ec);
    return n == 0 && ec;
  }

 private:
  void Fill() {
    char tmp[65536];
    size_t n = socket_.read_some(asio::buffer(tmp));
    buf_.append(tmp, n);
  }
  asio::io_context ioc_;
  tcp::socket socket_;
  std::string buf_;
};

asio::awaitable<void> Echo(Exchange& ex) {
  const Request& req = ex.request();
  Response r;
  if (req.RawPath() == "/file") {
    char path[] = "/tmp/faasnet-http-test-XXXXXX";
    int fd = mkstemp(path);
    size_t size = 3'000'000;
    if (auto v = req.Header("X-Size")) size = std::stoull(std::string(*v));
    std::string data;
    for (size_t i = 0; i < size; ++i) data += static_cast<char>('a' + i % 26);
    data += "END";
    EXPECT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
    ::unlink(path);
    if (auto rate = req.Header("X-Rate")) ex.SetRateLimit(std::stoull(std::string(*rate)));
    uint64_t promised = data.size() - 1;
    if (req.Header("X-Short")) promised += 10;  // the file is shorter than the length sent
    Status st = co_await ex.RespondFile(std::move(r), fd, 1, promised);
    if (req.Header("X-Short")) {
      EXPECT_FALSE(st.ok());
    }
    ::close(fd);
    co_return;
  }
  if (req.RawPath() == "/wait") {  // waits on something else, as a long-polling handler does
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(std::chrono::milliseconds(700));
    co_await t.async_wait(asio::use_awaitable);
    r.body = "waited";
    co_await ex.Respond(std::move(r));
    co_return;
  }
  if (req.RawPath() == "/sink") {  // reads with a large buffer, as the store does; answers the byte count
    std::vector<char> buf(512 << 10);
    size_t total = 0;
    for (;;) {
      auto n = co_await ex.ReadBody(buf.data(), buf.size());
      if (!n.ok() || *n == 0) break;
      total += *n;
    }
    r.body = "sink " + std::to_string(total);
    co_await ex.Respond(std::move(r));
    co_return;
  }
  if (req.RawPath() == "/refuse") {  // answers without reading the body
    r.status = 403;
    co_await ex.Respond(std::move(r));
    co_return;
  }
  std::string body;
  char buf[1000];
  for (;;) {
    auto n = co_await ex.ReadBody(buf, sizeof buf);
    if (!n.ok() || *n == 0) break;
    body.append(buf, *n);
  }
  r.body = req.method + " " + req.target + " " + body;
  co_await ex.Respond(std::move(r));
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Server>(ServerOptions{}, Echo);
    auto a = server_->Listen("127.0.0.1:0");
    ASSERT_TRUE(a.ok());
    addr_ = *a;
    ASSERT_TRUE(server_->Start().ok());
  }
  std::unique_ptr<Server> server_;
  std::string addr_;
};

TEST_F(ServerTest, KeepAliveAndBodies) {
  Client c(addr_);
  for (int i = 0; i < 5; ++i) {
    c.Send("PUT /k" + std::to_string(i) + " HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
    auto [status, body] = c.Read();
    EXPECT_EQ(status, 200);
    EXPECT_EQ(body, "PUT /k" + std::to_string(i) + " hello");
  }
  c.Send("POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n");
  EXPECT_EQ(c.Read().second, "POST /c abcdefg");
  std::string big(250'000, 'x');
  c.Send("PUT /big HTTP/1.1\r\nHost: h\r\nContent-Length: 250000\r\n\r\n" + big);
  EXPECT_EQ(c.Read().second, "PUT /big " + big);
}

TEST_F(ServerTest, ExpectContinueOnlyWhenTheHandlerReads) {
  Client c(addr_);
  c.Send("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(c.Read().first, 100);
  c.Send("abc");
  EXPECT_EQ(c.Read().second, "PUT /x abc");
  // Refused before reading: no 100, an answer, and the connection closes (the body never came).
  Client d(addr_);
  d.Send("PUT /refuse HTTP/1.1\r\nHost: h\r\nContent-Length: 5000000\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(d.Read().first, 403);
  EXPECT_TRUE(d.Closed());
}

TEST_F(ServerTest, FileResponsesWithOffsetAndPacing) {
  Client c(addr_);
  c.Send("GET /file HTTP/1.1\r\nHost: h\r\n\r\n");
  auto [status, body] = c.Read();
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body.size(), 3'000'002u);
  EXPECT_EQ(body.substr(body.size() - 3), "END");
  // 3 MB at 20 MB/s cannot arrive in less than ~0.15 s (pacing is a lower bound).
  auto t0 = std::chrono::steady_clock::now();
  c.Send("GET /file HTTP/1.1\r\nHost: h\r\nX-Rate: 20000000\r\n\r\n");
  EXPECT_EQ(c.Read().second.size(), 3'000'002u);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(s, 0.14);
}

// Small files go out with their head in one write, large ones by sendfile under
// TCP_CORK: both give the exact bytes, and the connection stays usable after
// either (the cork is off again: the next response arrives whole).
TEST_F(ServerTest, SmallAndLargeFileResponsesKeepTheConnection) {
  Client c(addr_);
  for (size_t size : {size_t{0}, size_t{100}, size_t{16382}, size_t{16383}, size_t{70000}, size_t{1'000'000}}) {
    c.Send("GET /file HTTP/1.1\r\nHost: h\r\nX-Size: " + std::to_string(size) + "\r\n\r\n");
    auto [status, body] = c.Read();
    EXPECT_EQ(status, 200) << size;
    std::string want;
    for (size_t i = 1; i < size; ++i) want += static_cast<char>('a' + i % 26);
    want = size == 0 ? std::string("ND") : want + "END";
    EXPECT_EQ(body, want) << size;
    c.Send("HEAD /file HTTP/1.1\r\nHost: h\r\nX-Size: " + std::to_string(size) + "\r\n\r\n");
    // A HEAD answer has the length but no body: read the head only.
    c.Send("PUT /after HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok");
    auto [hs, hbody] = c.ReadHeadOnly();
    EXPECT_EQ(hs, 200) << size;
    EXPECT_EQ(hbody, std::to_string(want.size())) << size;
    EXPECT_EQ(c.Read().second, "PUT /after ok") << size;
  }
}

// A file shorter than the length promised in the head ends the connection
// (a client must never take a short body for a whole one), small or large.
TEST_F(ServerTest, AShortFileClosesTheConnection) {
  for (size_t size : {size_t{100}, size_t{200'000}}) {
    Client c(addr_);
    c.Send("GET /file HTTP/1.1\r\nHost: h\r\nX-Short: 1\r\nX-Size: " + std::to_string(size) + "\r\n\r\n");
    EXPECT_TRUE(c.ClosedBeforeWholeResponse()) << size;
  }
}

// Each connection stays on one event-loop thread (its requests never wake another thread), and
// consecutive connections go to different threads.
TEST(ServerThreadsTest, AConnectionStaysOnOneThreadAndConnectionsAreSpread) {
  std::mutex mu;
  std::map<std::string, std::set<std::thread::id>> threads_of;  // by the request's X-Conn
  auto handler = [&](Exchange& ex) -> asio::awaitable<void> {
    {
      std::lock_guard<std::mutex> lock(mu);
      threads_of[std::string(ex.request().Header("X-Conn").value_or("?"))].insert(std::this_thread::get_id());
    }
    asio::steady_timer t(co_await asio::this_coro::executor);  // a wait resumes on the same thread
    t.expires_after(std::chrono::milliseconds(1));
    co_await t.async_wait(asio::use_awaitable);
    {
      std::lock_guard<std::mutex> lock(mu);
      threads_of[std::string(ex.request().Header("X-Conn").value_or("?"))].insert(std::this_thread::get_id());
    }
    Response r;  // named: GCC 12 destroys a temporary argument of a co_awaited coroutine twice
    co_await ex.Respond(std::move(r));
  };
  ServerOptions o;
  o.threads = 3;
  Server server(o, handler);
  auto a = server.Listen("127.0.0.1:0");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(server.Start().ok());
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(std::make_unique<Client>(*a));
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 3; ++i) {
      clients[i]->Send("GET / HTTP/1.1\r\nHost: h\r\nX-Conn: " + std::to_string(i) + "\r\n\r\n");
      EXPECT_EQ(clients[i]->Read().first, 200);
    }
  }
  std::set<std::thread::id> all;
  for (int i = 0; i < 3; ++i) {
    const auto& ids = threads_of[std::to_string(i)];
    ASSERT_EQ(ids.size(), 1u) << "connection " << i << " ran on " << ids.size() << " threads";
    all.insert(*ids.begin());
  }
  EXPECT_EQ(all.size(), 3u) << "three connections, three threads";
  server.Stop();
}

// Starts `server` on a loopback port; returns its address (empty on failure).
std::string StartEcho(Server* server) {
  auto addr = server->Listen("127.0.0.1:0");
  EXPECT_TRUE(addr.ok());
  EXPECT_TRUE(server->Start().ok());
  return addr.ok() ? *addr : std::string();
}

TEST(ServerTimeoutTest, AWaitingHandlerIsNotAnIdleConnection) {
  ServerOptions o;
  o.idle_timeout = std::chrono::milliseconds(200);
  o.io_timeout = std::chrono::milliseconds(200);
  Server server(o, Echo);
  std::string addr = StartEcho(&server);
  ASSERT_FALSE(addr.empty());
  Client c(addr);
  c.Send("GET /wait HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(c.Read().second, "waited");  // 700 ms > both timeouts
  // An idle connection is still closed after the idle timeout.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_TRUE(c.Closed());
}

// Body reads wait for batches of bytes (SO_RCVLOWAT), but never long: a
// client that sends fast and then slows to a trickle is neither stalled nor
// cut off by the I/O timeout, and a fast upload arrives whole.
TEST(ServerTimeoutTest, ABodyThatSlowsToATrickleIsNotCutOff) {
  ServerOptions o;
  o.io_timeout = std::chrono::milliseconds(500);
  Server server(o, Echo);
  std::string addr = StartEcho(&server);
  ASSERT_FALSE(addr.empty());
  Client c(addr);
  std::string fast(5 << 20, 'x');
  c.Send("PUT /sink HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(fast.size()) + "\r\n\r\n" + fast);
  EXPECT_EQ(c.Read().second, "sink " + std::to_string(fast.size()));
  const size_t burst = 300 << 10, pieces = 15, piece = 1000;
  c.Send("PUT /sink HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(burst + pieces * piece) + "\r\n\r\n" +
         std::string(burst, 'y'));
  for (size_t i = 0; i < pieces; ++i) {  // 1.5 s of trickle: three times the I/O timeout
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    c.Send(std::string(piece, 'z'));
  }
  auto [status, body] = c.Read();
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, "sink " + std::to_string(burst + pieces * piece));
}

TEST_F(ServerTest, MalformedHeadGets400AndServerGoesOn) {
  Client c(addr_);
  c.Send("BROKEN\r\n\r\n");
  EXPECT_EQ(c.Read().first, 400);
  Client d(addr_);
  d.Send("GET /ok HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(d.Read().first, 200);
}

TEST_F(ServerTest, StopClosesIdleConnections) {
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 50; ++i) idle.push_back(std::make_unique<Client>(addr_));
  for (int i = 0; i < 100 && server_->open_connections() < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server_->open_connections(), 50u);
  server_->Stop(std::chrono::milliseconds(100));
  EXPECT_TRUE(idle[0]->Closed());
}

}  // namespace
}  // namespace faasnet::http
