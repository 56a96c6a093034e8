#include "loopback_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/strings.h"

namespace faasnet::s3client::testing {
namespace {

constexpr size_t kMaxHead = 64 * 1024;

bool SendAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t k = ::send(fd, p, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    p += k;
    n -= static_cast<size_t>(k);
  }
  return true;
}

const char* Reason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 416:
      return "Range Not Satisfiable";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

// A 1 MiB pattern for fill_bytes.
const std::string& Pattern() {
  static const std::string p = [] {
    std::string s(1 << 20, '\0');
    for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>('a' + i % 26);
    return s;
  }();
  return p;
}

}  // namespace

const std::string* HttpRequest::Header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (EqualsIgnoreCase(n, name)) return &v;
  return nullptr;
}

Result<std::unique_ptr<LoopbackServer>> LoopbackServer::Start(Handler handler, LoopbackServerOptions options) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::FromErrno(errno, "socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
    Status st = Status::FromErrno(errno, "bind/listen", "127.0.0.1:0");
    ::close(fd);
    return st;
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::unique_ptr<LoopbackServer> s(new LoopbackServer(std::move(handler), options, fd, ntohs(addr.sin_port)));
  s->acceptor_ = std::thread([p = s.get()] { p->AcceptLoop(); });
  return s;
}

LoopbackServer::LoopbackServer(Handler handler, LoopbackServerOptions options, int listen_fd, uint16_t port)
    : handler_(std::move(handler)), options_(options), listen_fd_(listen_fd), port_(port) {}

LoopbackServer::~LoopbackServer() { Stop(); }

void LoopbackServer::Stop() {
  if (stopping_.exchange(true)) return;
  ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);  // wakes recv()
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
}

std::vector<HttpRequest> LoopbackServer::received() const {
  std::lock_guard<std::mutex> lock(mu_);
  return received_;
}

void LoopbackServer::AcceptLoop() {
  while (!stopping_.load()) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const int number = ++connections_;
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_.load()) {
      ::close(fd);
      return;
    }
    open_fds_.push_back(fd);
    threads_.emplace_back([this, fd, number] { Serve(fd, number); });
  }
}

void LoopbackServer::Serve(int fd, int connection) {
  std::string buf;  // bytes read but not consumed
  std::vector<char> scratch(1 << 20);
  auto read_more = [&]() -> bool {
    ssize_t k;
    do {
      k = ::recv(fd, scratch.data(), scratch.size(), 0);
    } while (k < 0 && errno == EINTR);
    if (k <= 0) return false;
    buf.append(scratch.data(), static_cast<size_t>(k));
    return true;
  };

  for (;;) {
    // The request head.
    size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (buf.size() > kMaxHead || !read_more()) goto done;
    }
    HttpRequest req;
    req.connection = connection;
    {
      std::string_view head(buf.data(), end);
      size_t eol = head.find("\r\n");
      std::string_view line = head.substr(0, eol);
      size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
      if (sp1 == std::string_view::npos || sp2 == sp1) goto done;
      req.method = line.substr(0, sp1);
      req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      size_t q = req.target.find('?');
      req.path = req.target.substr(0, q);
      if (q != std::string::npos) req.query = req.target.substr(q + 1);
      while (eol != std::string_view::npos) {
        size_t start = eol + 2;
        eol = head.find("\r\n", start);
        std::string_view h = head.substr(start, eol == std::string_view::npos ? std::string_view::npos : eol - start);
        size_t colon = h.find(':');
        if (colon == std::string_view::npos) continue;
        req.headers.emplace_back(std::string(h.substr(0, colon)), std::string(Trim(h.substr(colon + 1))));
      }
    }
    buf.erase(0, end + 4);

    // The body (Content-Length only).
    uint64_t length = 0;
    if (const std::string* cl = req.Header("content-length")) length = std::stoull(*cl);
    if (const std::string* ex = req.Header("expect"); ex && EqualsIgnoreCase(*ex, "100-continue") && length > 0) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      if (!SendAll(fd, kContinue.data(), kContinue.size())) goto done;
    }
    while (req.body_bytes < length) {
      const uint64_t want = length - req.body_bytes;
      if (!buf.empty()) {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(buf.size(), want));
        if (options_.keep_bodies) req.body.append(buf, 0, take);
        buf.erase(0, take);
        req.body_bytes += take;
        continue;
      }
      // Straight from the socket, never past the body (no copy into `buf`).
      ssize_t k = ::recv(fd, scratch.data(), static_cast<size_t>(std::min<uint64_t>(scratch.size(), want)), 0);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) goto done;
      if (options_.keep_bodies) req.body.append(scratch.data(), static_cast<size_t>(k));
      req.body_bytes += static_cast<uint64_t>(k);
    }
    ++requests_;
    HttpResponse resp = handler_(req);
    if (options_.keep_bodies) {
      std::lock_guard<std::mutex> lock(mu_);
      received_.push_back(req);
    }
    if (resp.drop) goto done;

    std::string out = "HTTP/1.1 " + std::to_string(resp.status) + " " + Reason(resp.status) + "\r\n";
    bool has_length = false;
    for (const auto& [n, v] : resp.headers) {
      out += n + ": " + v + "\r\n";
      if (EqualsIgnoreCase(n, "content-length")) has_length = true;
    }
    const uint64_t body_length = resp.body.size() + resp.fill_bytes;
    if (!has_length) out += "Content-Length: " + std::to_string(body_length) + "\r\n";
    if (resp.close) out += "Connection: close\r\n";
    out += "\r\n";
    const bool send_body = req.method != "HEAD";
    if (send_body) out += resp.body;
    if (!SendAll(fd, out.data(), out.size())) goto done;
    if (send_body) {
      for (uint64_t left = resp.fill_bytes; left > 0;) {
        const size_t k = static_cast<size_t>(std::min<uint64_t>(left, Pattern().size()));
        if (!SendAll(fd, Pattern().data(), k)) goto done;
        left -= k;
      }
    }
    if (resp.close) goto done;
  }
done:
  // Closed here, under the lock, so Stop() never shuts down a reused fd number.
  std::lock_guard<std::mutex> lock(mu_);
  open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
  ::close(fd);
}

}  // namespace faasnet::s3client::testing
