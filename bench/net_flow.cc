// net_flow: one TCP flow, bounded in bytes and in time, with JSON results.
// The traffic generator of the shaping benchmark (bench/shaping.sh) and of
// the net module's privileged tests; run it inside a namespace (sys::Process
// with netns, or `ip netns exec`).
//
//   net_flow recv --listen IP:PORT --seconds S [--interval-ms MS]
//       accepts one connection, reads until EOF or S seconds, prints
//       {"role":"recv","bytes":N,"first_ns":T,"last_ns":T,"samples":[[t_ns,bytes],...]}
//       where t_ns is CLOCK_MONOTONIC (shared by all processes) and bytes is
//       cumulative, one sample per interval (default 20 ms).
//   net_flow send --to IP:PORT --bytes N --seconds S [--cc NAME]
//       connects (retrying while refused, for up to 3 s), writes until N bytes
//       are sent or S seconds passed, prints {"role":"send","bytes":N,"seconds":S}.
//       --cc sets the socket's TCP congestion control (e.g. cubic; root may
//       pick any available one).
// Exit status 0 on success, 1 on a usage error, 2 on a socket error (the JSON
// then has "error").
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

bool ParseAddr(const std::string& text, sockaddr_in* out) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  *out = sockaddr_in{};
  out->sin_family = AF_INET;
  out->sin_port = htons(static_cast<uint16_t>(std::atoi(text.c_str() + colon + 1)));
  return inet_pton(AF_INET, text.substr(0, colon).c_str(), &out->sin_addr) == 1;
}

void SetTimeout(int fd, int opt, int ms) {
  timeval tv{ms / 1000, static_cast<suseconds_t>(ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv);
}

int Fail(nlohmann::json j, const std::string& what) {
  j["error"] = what + ": " + std::strerror(errno);
  std::printf("%s\n", j.dump().c_str());
  return 2;
}

int Recv(const std::string& listen_addr, double seconds, int interval_ms) {
  nlohmann::json j = {{"role", "recv"}};
  sockaddr_in a;
  if (!ParseAddr(listen_addr, &a)) return Fail(j, "bad address " + listen_addr);
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return Fail(j, "bind " + listen_addr);
  if (listen(lfd, 4) != 0) return Fail(j, "listen");
  const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  SetTimeout(lfd, SO_RCVTIMEO, 100);
  int fd = -1;
  while (fd < 0 && Clock::now() < deadline) {
    fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return Fail(j, "accept");
  }
  close(lfd);
  if (fd < 0) {
    errno = ETIMEDOUT;
    return Fail(j, "accept");
  }
  SetTimeout(fd, SO_RCVTIMEO, 50);
  std::vector<char> buf(1 << 18);
  uint64_t bytes = 0;
  int64_t first_ns = 0, last_ns = 0;
  const int64_t interval_ns = static_cast<int64_t>(interval_ms) * 1'000'000;
  int64_t next_sample = 0;
  nlohmann::json samples = nlohmann::json::array();
  while (Clock::now() < deadline) {
    ssize_t n = read(fd, buf.data(), buf.size());
    int64_t t = NowNs();
    if (n > 0) {
      if (bytes == 0) {
        first_ns = t;
        samples.push_back({t, 0});
        next_sample = t + interval_ns;
      }
      bytes += static_cast<uint64_t>(n);
      last_ns = t;
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      break;  // EOF, or reset by the sender at its time bound: what arrived counts
    }
    if (bytes > 0 && t >= next_sample) {
      samples.push_back({t, bytes});
      next_sample += interval_ns * ((t - next_sample) / interval_ns + 1);
    }
  }
  if (bytes > 0 && (samples.empty() || samples.back()[1].get<uint64_t>() != bytes)) samples.push_back({last_ns, bytes});
  close(fd);
  j["bytes"] = bytes;
  j["first_ns"] = first_ns;
  j["last_ns"] = last_ns;
  j["samples"] = std::move(samples);
  std::printf("%s\n", j.dump().c_str());
  return 0;
}

int Send(const std::string& to, uint64_t max_bytes, double seconds, const std::string& cc) {
  nlohmann::json j = {{"role", "send"}};
  sockaddr_in a;
  if (!ParseAddr(to, &a)) return Fail(j, "bad address " + to);
  const auto start = Clock::now();
  const auto connect_deadline = start + std::chrono::seconds(3);
  int fd = -1;
  while (true) {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (!cc.empty() && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc.data(), static_cast<socklen_t>(cc.size())) != 0) {
      close(fd);
      return Fail(j, "set TCP_CONGESTION " + cc);
    }
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) break;
    int err = errno;
    close(fd);
    fd = -1;
    if ((err != ECONNREFUSED && err != ENETUNREACH && err != EHOSTUNREACH) || Clock::now() > connect_deadline) {
      errno = err;
      return Fail(j, "connect " + to);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  SetTimeout(fd, SO_SNDTIMEO, 50);
  const auto t0 = Clock::now();
  const auto deadline = t0 + std::chrono::duration<double>(seconds);
  std::vector<char> buf(1 << 18, 'x');
  uint64_t sent = 0;
  while (sent < max_bytes && Clock::now() < deadline) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), max_bytes - sent));
    ssize_t n = write(fd, buf.data(), want);
    if (n > 0) {
      sent += static_cast<uint64_t>(n);
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      close(fd);
      return Fail(j, "write");
    }
  }
  shutdown(fd, SHUT_WR);
  close(fd);
  j["bytes"] = sent;
  j["seconds"] = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("%s\n", j.dump().c_str());
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: net_flow recv --listen IP:PORT --seconds S [--interval-ms MS]\n"
               "       net_flow send --to IP:PORT --bytes N --seconds S [--cc NAME]\n");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  std::string mode = argv[1];
  std::string addr;
  double seconds = 2;
  uint64_t bytes = ~0ull;
  int interval_ms = 20;
  std::string cc;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--listen" || k == "--to") {
      addr = v;
    } else if (k == "--seconds") {
      seconds = std::atof(v.c_str());
    } else if (k == "--bytes") {
      bytes = std::strtoull(v.c_str(), nullptr, 10);
    } else if (k == "--cc") {
      cc = v;
    } else if (k == "--interval-ms") {
      interval_ms = std::max(1, std::atoi(v.c_str()));
    } else {
      return Usage();
    }
  }
  if (addr.empty() || seconds <= 0 || seconds > 600) return Usage();
  if (mode == "recv") return Recv(addr, seconds, interval_ms);
  if (mode == "send") return Send(addr, bytes, seconds, cc);
  return Usage();
}
