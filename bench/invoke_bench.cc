// The region's invocation speed through the real Invoke API: a RegionServer
// started in-process, the native no-op function (runtime/functions/noop), and
// a C++ libcurl client over loopback (keep-alive, one CURL handle per thread,
// every request SigV4-signed for service "lambda" as AWS SDKs do).
//
// Figures, each printed on one line with its target (issue 3, "Speed"):
//   cold    wall time of Invoke when each one is a cold start (an
//           UpdateFunctionConfiguration with a new Environment variable
//           retires the warm sandbox first), and the record's init_duration_ms
//           (sandbox creation until the runtime's first /next).  Target:
//           median <= 15 ms.
//   warm    round trip of sequential invokes on one warm sandbox. Target:
//           median <= 1 ms.
//   conc    200 concurrent invokes (one per client thread, released
//           together) after 200 sandboxes were warmed. Target: no error.
//   alive   256 sandboxes alive at once (256 concurrent invokes of
//           {"sleep_ms": S}, S = --alive-sleep-ms, default 5000: long enough
//           that the last sandbox is created before the first one is free
//           again), their creation time from the records and the teardown
//           time of RegionServer::Stop() with all of them.
// With full isolation the concurrent phases also report the kernel's packet
// drops (/proc/net/softnet_stat: the per-CPU backlog overflowed) and the TCP
// retransmissions inside the sandboxes' namespaces (read through
// /proc/<runtime pid>/net/): lost packets on the bridge show up there.
// Then one SUMMARY line.
//
// Everything is bounded: counts are fixed by the flags, every request has a
// timeout, and the whole run has a deadline (--deadline-s) after which the
// remaining phases are skipped. The region is stopped at the end, on error
// and on SIGINT/SIGTERM. Only 127.0.0.1 and the region's own namespaces are
// used; the region gets a name of its own (bench<pid>) so it neither sees
// nor reaps another run's namespaces or cgroups.
//
//   sudo build/bench/invoke_bench                     # full isolation (root)
//   build/bench/invoke_bench --isolation none          # plain processes, unisolated
//   options: --cold N (50) --warm N (1000) --concurrent N (200) --alive N (256)
//            --cold-gap-ms MS (100)     pause between retiring the warm sandbox and the cold invoke
//            --warm-sleep-ms MS (3000)  the concurrent phase's warm-up invokes sleep this long
//            --alive-sleep-ms MS (5000) the alive phase's invokes sleep this long
//            --workdir DIR (/var/tmp/faasnet-bench-<pid>, removed at the end unless --keep)
//            --bootstrap PATH (<build>/functions/noop/bootstrap) --vcpus X (2) --memory-mb N (40000)
//            --deadline-s S (600) --skip cold,warm,conc,alive
//            --hold-s S  keep the alive phase's sandboxes S seconds before the teardown (to inspect them)
//            --settle    before the alive phase, wait until the kernel has removed the veths of the
//                        sandboxes retired just before (their addresses are handed out again at once)
#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/strings.h"
#include "region/region_server.h"
#include "s3/checksum.h"
#include "s3/credentials.h"
#include "s3/sigv4.h"

using namespace faasnet;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr char kFunction[] = "noop";

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::atomic<bool> g_stop{false};  // SIGINT/SIGTERM or the deadline
Clock::time_point g_deadline;

bool Expired() { return g_stop.load() || Clock::now() > g_deadline; }

// ---------------------------------------------------------------- statistics

struct Stats {
  size_t n = 0;
  double median = 0, p90 = 0, p99 = 0, max = 0, min = 0, mean = 0;
};

Stats Summarise(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5))]; };
  s.n = v.size();
  s.median = at(0.5);
  s.p90 = at(0.9);
  s.p99 = at(0.99);
  s.max = v.back();
  s.min = v.front();
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  return s;
}

std::string Fmt(const Stats& s) {
  char buf[200];
  std::snprintf(buf, sizeof(buf), "n=%zu median %.3f ms  p90 %.3f  p99 %.3f  max %.3f  min %.3f", s.n, s.median, s.p90,
                s.p99, s.max, s.min);
  return buf;
}

// ---------------------------------------------------------------- the client

struct Reply {
  CURLcode rc = CURLE_OK;
  long status = 0;
  std::string body;
  std::string request_id;      // x-amzn-RequestId
  std::string function_error;  // X-Amz-Function-Error
  std::string error_type;      // x-amzn-ErrorType
  double ms = 0;               // wall time of the call (signing included)
  bool ok() const { return rc == CURLE_OK && status >= 200 && status < 300 && function_error.empty(); }
  std::string Describe() const {
    if (rc != CURLE_OK) return std::string("curl: ") + curl_easy_strerror(rc);
    std::string d = "HTTP " + std::to_string(status);
    if (!error_type.empty()) d += " " + error_type;
    if (!function_error.empty()) d += " function error " + function_error;
    return d + ": " + body.substr(0, 300);
  }
};

size_t CollectBody(char* p, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

size_t CollectHeader(char* p, size_t size, size_t n, void* out) {
  auto* r = static_cast<Reply*>(out);
  std::string_view line(p, size * n);
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string_view name = Trim(line.substr(0, colon));
    std::string value(Trim(line.substr(colon + 1)));
    if (EqualsIgnoreCase(name, "x-amzn-RequestId")) r->request_id = value;
    if (EqualsIgnoreCase(name, "X-Amz-Function-Error")) r->function_error = value;
    if (EqualsIgnoreCase(name, "x-amzn-ErrorType")) r->error_type = value;
  }
  return size * n;
}

// One keep-alive connection to the Lambda API; used by one thread at a time.
class Client {
 public:
  Client(std::string endpoint, s3::Credentials creds) : endpoint_(std::move(endpoint)), creds_(std::move(creds)) {
    hostport_ = endpoint_.substr(endpoint_.find("://") + 3);
    curl_ = curl_easy_init();
  }
  ~Client() { Close(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void Close() {
    if (curl_) curl_easy_cleanup(curl_);
    curl_ = nullptr;
  }

  Reply Call(const std::string& method, const std::string& path, const std::string& body, long timeout_ms = 30'000) {
    Reply r;
    auto t0 = Clock::now();
    std::vector<std::pair<std::string, std::string>> headers = {{"Host", hostport_},
                                                                {"Content-Type", "application/json"}};
    std::vector<s3::HeaderPair> view;
    for (auto& [k, v] : headers) view.emplace_back(k, v);
    s3::SigningParams sp;
    sp.credentials = creds_;
    sp.service = "lambda";
    sp.double_encode_path = true;
    sp.time = std::chrono::system_clock::now();
    auto signed_req = s3::SignRequest(s3::RequestView{method, path, "", view}, sp, s3::Sha256Hex(body));
    if (!signed_req.ok()) {
      r.rc = CURLE_FAILED_INIT;
      r.body = signed_req.status().ToString();
      return r;
    }
    curl_slist* list = nullptr;
    for (auto& [k, v] : headers) {
      if (k != "Host") list = curl_slist_append(list, (k + ": " + v).c_str());
    }
    for (auto& [k, v] : signed_req->headers_to_add) list = curl_slist_append(list, (k + ": " + v).c_str());
    list = curl_slist_append(list, "Expect:");
    std::string url = endpoint_ + path;
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    if (method == "GET") {
      curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
      curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, nullptr);
    } else {
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
      curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method == "POST" ? nullptr : method.c_str());
    }
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, CollectBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, CollectHeader);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &r);
    r.rc = curl_easy_perform(curl_);
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(list);
    r.ms = Ms(Clock::now() - t0);
    return r;
  }

  Reply Invoke(const std::string& payload, long timeout_ms = 30'000) {
    return Call("POST", std::string("/2015-03-31/functions/") + kFunction + "/invocations", payload, timeout_ms);
  }
  // A new environment retires the function's warm sandboxes: the next invoke is cold.
  Reply Reconfigure(int generation) {
    json body = {{"Environment", {{"Variables", {{"BENCH_GENERATION", std::to_string(generation)}}}}}};
    return Call("PUT", std::string("/2015-03-31/functions/") + kFunction + "/configuration", body.dump());
  }

 private:
  std::string endpoint_;
  std::string hostport_;
  s3::Credentials creds_;
  CURL* curl_ = nullptr;
};

// ---------------------------------------------------------------- records

// The region's invocations.jsonl, by request id.
std::map<std::string, json> ReadRecords(const std::string& path) {
  std::map<std::string, json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto j = json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("request_id") || !j["request_id"].is_string()) continue;
    std::string id = j["request_id"].get<std::string>();
    out[id] = std::move(j);
  }
  return out;
}

// Processes this process started that still run (the sandboxes' runtimes).
int ChildCount() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/task");
  if (!d) return -1;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(std::string("/proc/self/task/") + e->d_name + "/children");
    std::string pid;
    while (in >> pid) ++n;
  }
  ::closedir(d);
  return n;
}

// Samples ChildCount() until stopped; keeps the peak.
class PeakSampler {
 public:
  PeakSampler()
      : thread_([this] {
          while (!done_.load()) {
            int n = ChildCount();
            int p = peak_.load();
            while (n > p && !peak_.compare_exchange_weak(p, n)) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }) {}
  ~PeakSampler() { Stop(); }
  int Stop() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
    return peak_.load();
  }

 private:
  std::atomic<bool> done_{false};
  std::atomic<int> peak_{0};
  std::thread thread_;
};

// Waits (bounded) until at most `n` sandbox processes remain.
void WaitForChildrenAtMost(int n, std::chrono::milliseconds limit) {
  auto end = Clock::now() + limit;
  while (ChildCount() > n && Clock::now() < end) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

bool g_full_isolation = false;  // set from --isolation in main

// The runtime processes (children of this process). With full isolation
// this skips children still in this process's network namespace: the hosts'
// parked children (not yet sandboxes) and the region core's servers.
std::vector<int> ChildPids() {
  std::vector<int> out;
  struct stat self_ns {};
  bool have_self = ::stat("/proc/self/ns/net", &self_ns) == 0;
  DIR* d = ::opendir("/proc/self/task");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream in(std::string("/proc/self/task/") + e->d_name + "/children");
    int pid;
    while (in >> pid) {
      struct stat ns {};
      if (g_full_isolation && have_self && ::stat(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), &ns) == 0 &&
          ns.st_ino == self_ns.st_ino && ns.st_dev == self_ns.st_dev) {
        continue;
      }
      out.push_back(pid);
    }
  }
  ::closedir(d);
  return out;
}

// One counter of a /proc/net/{snmp,netstat} table ("Tcp:" + "RetransSegs").
uint64_t NetCounter(const std::string& path, const std::string& table, const std::string& name) {
  std::ifstream in(path);
  std::string header, values;
  while (std::getline(in, header) && std::getline(in, values)) {
    if (header.rfind(table, 0) != 0) continue;
    std::istringstream h(header), v(values);
    std::string key, val;
    while (h >> key && v >> val) {
      if (key == name) return std::strtoull(val.c_str(), nullptr, 10);
    }
  }
  return 0;
}

// TCP trouble inside the sandboxes (full isolation: one namespace per runtime process).
struct SandboxTcp {
  uint64_t retrans_segs = 0;
  uint64_t timeouts = 0;
  int sandboxes_with_retrans = 0;
  int sandboxes = 0;
};
SandboxTcp ReadSandboxTcp() {
  SandboxTcp t;
  for (int pid : ChildPids()) {
    std::string base = "/proc/" + std::to_string(pid) + "/net/";
    uint64_t r = NetCounter(base + "snmp", "Tcp:", "RetransSegs");
    t.retrans_segs += r;
    t.timeouts += NetCounter(base + "netstat", "TcpExt:", "TCPTimeouts");
    if (r) ++t.sandboxes_with_retrans;
    ++t.sandboxes;
  }
  return t;
}

// Packets the kernel dropped because a CPU's input backlog was full (all CPUs).
uint64_t BacklogDrops() {
  std::ifstream in("/proc/net/softnet_stat");
  uint64_t total = 0;
  std::string processed, dropped;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    if (l >> processed >> dropped) total += std::strtoull(dropped.c_str(), nullptr, 16);
  }
  return total;
}

// Network interfaces in a pinned namespace (/run/netns/NAME), or -1: read by
// a short-lived thread that joins it. The host namespace holds lo, the bridge
// and the host end of every sandbox's veth, until the kernel has freed the
// namespace of a removed sandbox.
int LinksInFd(int fd) {
  int n = -1;
  std::thread([&] {
    if (::setns(fd, CLONE_NEWNET) == 0) {
      std::ifstream in("/proc/thread-self/net/dev");
      std::string line;
      n = 0;
      while (std::getline(in, line)) {
        if (line.find(':') != std::string::npos) ++n;  // two header lines have none
      }
    }
  }).join();
  return n;
}
int LinksIn(const std::string& netns_name) {
  int fd = ::open(("/run/netns/" + netns_name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int n = LinksInFd(fd);
  ::close(fd);
  return n;
}

std::string NetNote(uint64_t drops_before, bool isolated) {
  std::string s = "kernel input-backlog drops during the phase: " + std::to_string(BacklogDrops() - drops_before);
  if (isolated) {
    SandboxTcp t = ReadSandboxTcp();
    s += "; TCP inside the " + std::to_string(t.sandboxes) + " sandboxes: " + std::to_string(t.retrans_segs) +
         " retransmitted segments (" + std::to_string(t.timeouts) + " timeouts) in " +
         std::to_string(t.sandboxes_with_retrans) + " sandboxes";
  }
  return s;
}

// ---------------------------------------------------------------- options

struct Options {
  std::string isolation = "full";
  std::string work_dir;
  std::string bootstrap;
  int cold = 50;
  int warm = 1000;
  int concurrent = 200;
  int alive = 256;
  int cold_gap_ms = 100;
  int warm_sleep_ms = 3000;   // the concurrent phase's warm-up invokes overlap this long
  int alive_sleep_ms = 5000;  // the alive phase's invokes overlap this long
  bool settle = false;        // before the alive phase, wait until the kernel freed the retired sandboxes' veths
  double vcpus = 2;
  int memory_mb = 40000;
  int deadline_s = 600;
  bool keep = false;
  int hold_s = 0;  // sleep before the teardown with all sandboxes alive (to inspect them)
  std::set<std::string> skip;
};

[[noreturn]] void Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--isolation full|none] [--cold N] [--warm N] [--concurrent N] [--alive N]\n"
               "          [--cold-gap-ms MS] [--warm-sleep-ms MS] [--alive-sleep-ms MS] [--workdir DIR] [--bootstrap "
               "PATH] [--vcpus X] [--memory-mb N]\n"
               "          [--deadline-s S] [--keep] [--hold-s S] [--settle] [--skip cold,warm,conc,alive]\n",
               argv0);
  std::exit(2);
}

std::string DefaultBootstrap() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  fs::path p = exe.parent_path().parent_path() / "functions/noop/bootstrap";  // build/bench/.. -> build/
  return p.string();
}

// One line per figure: "FIGURE name: value ... (target ...) [OK|MISSED]".
struct Figure {
  std::string name;
  bool has_target = false;
  bool met = true;
};
std::vector<Figure> g_figures;

void PrintFigure(const std::string& name, const std::string& text, const std::string& target, std::optional<bool> met) {
  std::string verdict = met.has_value() ? (*met ? "  [met]" : "  [MISSED]") : "";
  std::printf("%-22s %s%s%s\n", (name + ":").c_str(), text.c_str(),
              target.empty() ? "" : ("  (target " + target + ")").c_str(), verdict.c_str());
  std::fflush(stdout);
  g_figures.push_back(Figure{name, met.has_value(), met.value_or(true)});
}

void Note(const std::string& text) {
  std::printf("    %s\n", text.c_str());
  std::fflush(stdout);
}

// Runs fn(i) on `n` threads released together; returns the wall time from release to the last return.
template <typename Fn>
double RunTogether(int n, Fn fn) {
  std::barrier sync(n + 1);
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      sync.arrive_and_wait();
      fn(i);
    });
  }
  auto t0 = Clock::now();
  sync.arrive_and_wait();
  for (auto& t : threads) t.join();
  return Ms(Clock::now() - t0);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Usage(argv[0]);
      return argv[++i];
    };
    if (a == "--isolation") {
      o.isolation = next();
    } else if (a == "--workdir") {
      o.work_dir = next();
    } else if (a == "--bootstrap") {
      o.bootstrap = next();
    } else if (a == "--cold") {
      o.cold = std::atoi(next().c_str());
    } else if (a == "--warm") {
      o.warm = std::atoi(next().c_str());
    } else if (a == "--concurrent") {
      o.concurrent = std::atoi(next().c_str());
    } else if (a == "--alive") {
      o.alive = std::atoi(next().c_str());
    } else if (a == "--warm-sleep-ms") {
      o.warm_sleep_ms = std::atoi(next().c_str());
    } else if (a == "--alive-sleep-ms") {
      o.alive_sleep_ms = std::atoi(next().c_str());
    } else if (a == "--cold-gap-ms") {
      o.cold_gap_ms = std::atoi(next().c_str());
    } else if (a == "--vcpus") {
      o.vcpus = std::atof(next().c_str());
    } else if (a == "--memory-mb") {
      o.memory_mb = std::atoi(next().c_str());
    } else if (a == "--deadline-s") {
      o.deadline_s = std::atoi(next().c_str());
    } else if (a == "--hold-s") {
      o.hold_s = std::atoi(next().c_str());
    } else if (a == "--settle") {
      o.settle = true;
    } else if (a == "--keep") {
      o.keep = true;
    } else if (a == "--skip") {
      for (auto part : Split(next(), ',')) o.skip.insert(std::string(part));
    } else {
      Usage(argv[0]);
    }
  }
  if ((o.isolation != "full" && o.isolation != "none") || o.cold < 0 || o.cold > 1000 || o.warm < 0 ||
      o.warm > 100000 || o.concurrent < 0 || o.concurrent > 1000 || o.alive < 0 || o.alive > 1000 ||
      o.cold_gap_ms < 0 || o.cold_gap_ms > 10000 || o.deadline_s < 10 || o.deadline_s > 3600 || o.hold_s < 0 ||
      o.hold_s > 600 || o.warm_sleep_ms < 0 || o.warm_sleep_ms > 20000 || o.alive_sleep_ms < 0 ||
      o.alive_sleep_ms > 20000) {
    Usage(argv[0]);
  }
  if (o.isolation == "full" && ::geteuid() != 0) {
    std::fprintf(stderr, "invoke_bench: full isolation needs root; run as root or with --isolation none\n");
    return 1;
  }
  if (o.bootstrap.empty()) o.bootstrap = DefaultBootstrap();
  if (::access(o.bootstrap.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "invoke_bench: no executable no-op bootstrap at %s (build faasnet_fn_noop, or --bootstrap)\n",
                 o.bootstrap.c_str());
    return 1;
  }
  // Sandboxes get a private /tmp: the work dir must not be under /tmp with full isolation.
  if (o.work_dir.empty()) o.work_dir = "/var/tmp/faasnet-bench-" + std::to_string(::getpid());
  g_deadline = Clock::now() + std::chrono::seconds(o.deadline_s);

  // SIGINT/SIGTERM: stop the phases, then the region (the main thread does it).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // inherited by every thread started below
  std::thread([stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    std::fprintf(stderr, "invoke_bench: signal %d, stopping\n", sig);
    g_stop = true;
    std::this_thread::sleep_for(std::chrono::seconds(90));  // the region must be down by then
    std::fprintf(stderr, "invoke_bench: still not stopped after 90 s; exiting\n");
    std::_Exit(3);
  }).detach();
  curl_global_init(CURL_GLOBAL_DEFAULT);

  // The region: one host big enough for all sandboxes at once.
  region::RegionServerOptions ro;
  ro.config.name = "bench" + std::to_string(::getpid());
  ro.config.isolation = o.isolation == "full" ? region::Isolation::kFull : region::Isolation::kNone;
  g_full_isolation = o.isolation == "full";
  ro.config.hosts = {region::HostSpec{"h0", o.vcpus, o.memory_mb}};
  ro.config.region_concurrency = std::max({1000, o.alive, o.concurrent});
  ro.config.idle_timeout = std::chrono::milliseconds(3'600'000);
  ro.work_dir = o.work_dir;
  ro.s3_listen = "127.0.0.1:0";
  ro.lambda_listen = "127.0.0.1:0";
  ro.store_fsync = false;
  auto t_start = Clock::now();
  auto started = region::RegionServer::Start(ro);
  if (!started.ok()) {
    std::fprintf(stderr, "invoke_bench: region start: %s\n", started.status().ToString().c_str());
    std::error_code ec;
    if (!o.keep) fs::remove_all(o.work_dir, ec);
    return 1;
  }
  std::unique_ptr<region::RegionServer> server = std::move(*started);
  double start_ms = Ms(Clock::now() - t_start);
  int exit_code = 0;
  double stop_ms = -1;
  int alive_peak = -1;
  size_t alive_distinct = 0;
  Stats alive_init, cold_wall, cold_init, warm_wall;
  int conc_errors = -1;
  double conc_wall = -1;

  // Everything after Start runs in this block so that the region is stopped on every path.
  try {
    do {
      std::string creds_text;
      {
        std::ifstream in(server->credentials_file());
        std::stringstream ss;
        ss << in.rdbuf();
        creds_text = ss.str();
      }
      auto profiles = s3::ParseCredentialsFile(creds_text, server->credentials_file());
      if (!profiles.ok() || profiles->empty()) {
        std::fprintf(stderr, "invoke_bench: credentials: %s\n",
                     profiles.ok() ? "no profile" : profiles.status().ToString().c_str());
        exit_code = 1;
        break;
      }
      s3::Credentials creds = profiles->front().credentials;
      std::string endpoint = server->lambda_endpoint();
      int nclients = std::max({1, o.concurrent, o.alive});
      std::vector<std::unique_ptr<Client>> clients;
      for (int i = 0; i < nclients; ++i) clients.push_back(std::make_unique<Client>(endpoint, creds));
      Client& c0 = *clients[0];

      std::printf("invoke_bench: region %s, isolation %s, 1 host (%.1f vCPU, %d MB), lambda %s, work dir %s\n",
                  ro.config.name.c_str(), o.isolation.c_str(), o.vcpus, o.memory_mb, endpoint.c_str(),
                  o.work_dir.c_str());
      std::printf("region start %.1f ms; %u CPUs on this machine\n", start_ms, std::thread::hardware_concurrency());
      if (o.isolation == "none") {
        std::printf("NOTE: --isolation none: plain processes, no netns/veth/cgroup: figures are UNISOLATED\n");
      }

      // The function: its code is a copy of the no-op bootstrap in the work dir.
      std::string code_dir = server->records_path();
      code_dir = fs::path(code_dir).parent_path() / "bench-code";
      std::error_code ec;
      fs::create_directories(code_dir, ec);
      fs::copy_file(o.bootstrap, code_dir + "/bootstrap", fs::copy_options::overwrite_existing, ec);
      if (ec) {
        std::fprintf(stderr, "invoke_bench: copy %s: %s\n", o.bootstrap.c_str(), ec.message().c_str());
        exit_code = 1;
        break;
      }
      json create = {{"FunctionName", kFunction},
                     {"Runtime", "provided.al2023"},
                     {"Role", "arn:aws:iam::000000000000:role/bench"},
                     {"Handler", "noop"},
                     {"MemorySize", 128},
                     {"Timeout", 30},
                     {"Code", {{"faasnetLocalPath", code_dir}}}};
      Reply created = c0.Call("POST", "/2015-03-31/functions", create.dump());
      if (!created.ok()) {
        std::fprintf(stderr, "invoke_bench: CreateFunction: %s\n", created.Describe().c_str());
        exit_code = 1;
        break;
      }
      std::printf("\n");

      // ------------------------------------------------------------ cold
      int generation = 0;
      if (!o.skip.count("cold") && o.cold > 0) {
        std::vector<double> wall, init, update, server_side;
        std::vector<std::string> ids;
        int errors = 0, not_cold = 0;
        std::string first_error;
        for (int i = 0; i < o.cold && !Expired(); ++i) {
          Reply u = c0.Reconfigure(++generation);
          if (!u.ok()) {
            ++errors;
            if (first_error.empty()) first_error = "UpdateFunctionConfiguration: " + u.Describe();
            continue;
          }
          update.push_back(u.ms);
          // The retired sandbox is torn down in the background: let it finish so the
          // figure is the cold start alone.
          WaitForChildrenAtMost(0, std::chrono::milliseconds(2000));
          std::this_thread::sleep_for(std::chrono::milliseconds(o.cold_gap_ms));
          Reply r = c0.Invoke("{}");
          if (!r.ok()) {
            ++errors;
            if (first_error.empty()) first_error = r.Describe();
            continue;
          }
          wall.push_back(r.ms);
          ids.push_back(r.request_id);
        }
        auto records = ReadRecords(server->records_path());
        std::vector<double> cpu;
        for (auto& id : ids) {
          auto it = records.find(id);
          if (it == records.end()) continue;
          if (!it->second.value("cold", false)) ++not_cold;
          init.push_back(it->second.value("init_duration_ms", 0.0));
          server_side.push_back(it->second.value("duration_ms", 0.0));
        }
        cold_wall = Summarise(wall);
        cold_init = Summarise(init);
        PrintFigure("cold invoke", Fmt(cold_wall), "median <= 15 ms", cold_wall.n > 0 && cold_wall.median <= 15.0);
        PrintFigure("  init_duration_ms", Fmt(cold_init), "", std::nullopt);
        Note("records: " + std::to_string(init.size()) + " of " + std::to_string(ids.size()) + " found, " +
             std::to_string(not_cold) + " not cold; function duration " + Fmt(Summarise(server_side)));
        Note("Invoke wall - init_duration (HTTP, signing, placement, response) median " +
             std::to_string(cold_wall.median - cold_init.median).substr(0, 6) + " ms");
        Note("UpdateFunctionConfiguration " + Fmt(Summarise(update)));
        if (errors) Note("ERRORS: " + std::to_string(errors) + " (first: " + first_error + ")");
        if (errors) exit_code = 1;
      }

      // ------------------------------------------------------------ warm
      if (!o.skip.count("warm") && o.warm > 0 && !Expired()) {
        std::vector<double> wall;
        std::vector<std::string> ids;
        int errors = 0;
        std::string first_error;
        for (int i = 0; i < 20; ++i) (void)c0.Invoke("{}");  // warm-up: a warm sandbox, the connection, caches
        auto t0 = Clock::now();
        for (int i = 0; i < o.warm && !Expired(); ++i) {
          Reply r = c0.Invoke("{}");
          if (!r.ok()) {
            ++errors;
            if (first_error.empty()) first_error = r.Describe();
            continue;
          }
          wall.push_back(r.ms);
          ids.push_back(r.request_id);
        }
        double total = Ms(Clock::now() - t0);
        auto records = ReadRecords(server->records_path());
        std::vector<double> fn_ms;
        int cold = 0;
        std::set<std::string> sandboxes;
        for (auto& id : ids) {
          auto it = records.find(id);
          if (it == records.end()) continue;
          if (it->second.value("cold", false)) ++cold;
          fn_ms.push_back(it->second.value("duration_ms", 0.0));
          sandboxes.insert(it->second.value("sandbox_id", ""));
        }
        warm_wall = Summarise(wall);
        PrintFigure("warm invoke", Fmt(warm_wall), "median <= 1 ms", warm_wall.n > 0 && warm_wall.median <= 1.0);
        char buf[200];
        std::snprintf(buf, sizeof(buf), "%.0f invokes/s sequential; %d cold, %zu sandbox(es); ",
                      1000.0 * wall.size() / total, cold, sandboxes.size());
        Note(buf + std::string("region-side duration_ms ") + Fmt(Summarise(fn_ms)));
        if (errors) Note("ERRORS: " + std::to_string(errors) + " (first: " + first_error + ")");
        if (errors) exit_code = 1;
      }

      // ------------------------------------------------------------ concurrent
      if (!o.skip.count("conc") && o.concurrent > 0 && !Expired()) {
        int n = o.concurrent;
        // Warm n sandboxes: n concurrent invokes that overlap (each sleeps), so each needs its own.
        std::vector<Reply> warmup(n);
        uint64_t drops0 = BacklogDrops();
        std::string warm_event = R"({"sleep_ms": )" + std::to_string(o.warm_sleep_ms) + "}";
        double warm_ms = RunTogether(n, [&](int i) { warmup[i] = clients[i]->Invoke(warm_event, 60'000); });
        int warm_errors = 0;
        std::string first_error;
        for (auto& r : warmup) {
          if (!r.ok()) {
            ++warm_errors;
            if (first_error.empty()) first_error = r.Describe();
          }
        }
        auto records = ReadRecords(server->records_path());
        std::set<std::string> warmed;
        std::vector<double> warm_init;
        for (auto& r : warmup) {
          auto it = records.find(r.request_id);
          if (it == records.end()) continue;
          warmed.insert(it->second.value("sandbox_id", ""));
          if (it->second.value("cold", false)) warm_init.push_back(it->second.value("init_duration_ms", 0.0));
        }
        char buf[300];
        std::snprintf(buf, sizeof(buf), "warm-up: %d concurrent %s in %.1f ms, %zu sandboxes, %zu cold, %d errors", n,
                      warm_event.c_str(), warm_ms, warmed.size(), warm_init.size(), warm_errors);
        Note(buf);
        if (!warm_init.empty()) Note("warm-up cold starts init_duration_ms " + Fmt(Summarise(warm_init)));
        if (warm_errors) Note("warm-up first error: " + first_error);

        // The figure: n concurrent invokes released together.
        std::vector<Reply> replies(n);
        conc_wall = RunTogether(n, [&](int i) { replies[i] = clients[i]->Invoke("{}", 30'000); });
        conc_errors = 0;
        first_error.clear();
        std::vector<double> wall;
        for (auto& r : replies) {
          if (!r.ok()) {
            ++conc_errors;
            if (first_error.empty()) first_error = r.Describe();
          } else {
            wall.push_back(r.ms);
          }
        }
        records = ReadRecords(server->records_path());
        int cold = 0;
        for (auto& r : replies) {
          auto it = records.find(r.request_id);
          if (it != records.end() && it->second.value("cold", false)) ++cold;
        }
        std::snprintf(buf, sizeof(buf), "%d errors of %d, total wall %.1f ms (%d cold)", conc_errors, n, conc_wall,
                      cold);
        PrintFigure("concurrent warm", buf, "0 errors", conc_errors == 0);
        Note("per invoke " + Fmt(Summarise(wall)));
        if (conc_errors) Note("first error: " + first_error);
        Note(NetNote(drops0, o.isolation == "full") + " (warm-up included)");
        if (conc_errors) exit_code = 1;
      }

      // ------------------------------------------------------------ alive
      if (!o.skip.count("alive") && o.alive > 0 && !Expired()) {
        int n = o.alive;
        // Retire the warm sandboxes of the earlier phases so that all n are new.
        Reply u = c0.Reconfigure(++generation);
        if (!u.ok()) Note("UpdateFunctionConfiguration: " + u.Describe());
        WaitForChildrenAtMost(0, std::chrono::milliseconds(20'000));
        int before = ChildCount();
        if (o.isolation == "full") {
          // lo + the bridge + one veth end per sandbox whose namespace the kernel has not freed yet.
          std::string host_ns = "faasnet-" + ro.config.name + "-h0";
          int stale = LinksIn(host_ns) - 2;
          auto t0 = Clock::now();
          if (o.settle) {
            while (LinksIn(host_ns) > 2 && Clock::now() - t0 < std::chrono::seconds(30) && !Expired()) {
              std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
          }
          char buf[200];
          std::snprintf(buf, sizeof(buf),
                        "%d veths of retired sandboxes still on the host bridge when the phase began%s", stale,
                        o.settle ? "" : " (their addresses are not reused until they are gone; --settle waits for them)");
          Note(buf);
          if (o.settle) {
            std::snprintf(buf, sizeof(buf), "--settle: %d left after %.1f ms", LinksIn(host_ns) - 2,
                          Ms(Clock::now() - t0));
            Note(buf);
          }
        }
        std::vector<Reply> replies(n);
        uint64_t drops0 = BacklogDrops();
        std::string event = R"({"sleep_ms": )" + std::to_string(o.alive_sleep_ms) + "}";
        PeakSampler sampler;
        double wall = RunTogether(n, [&](int i) { replies[i] = clients[i]->Invoke(event, 120'000); });
        alive_peak = sampler.Stop();
        int errors = 0;
        std::string first_error;
        for (auto& r : replies) {
          if (!r.ok()) {
            ++errors;
            if (first_error.empty()) first_error = r.Describe();
          }
        }
        auto records = ReadRecords(server->records_path());
        std::set<std::string> sandboxes;
        std::vector<double> init, wait;
        int cold = 0;
        for (auto& r : replies) {
          auto it = records.find(r.request_id);
          if (it == records.end()) continue;
          sandboxes.insert(it->second.value("sandbox_id", ""));
          if (it->second.value("cold", false)) {
            ++cold;
            init.push_back(it->second.value("init_duration_ms", 0.0));
          }
          wait.push_back(r.ms - it->second.value("duration_ms", 0.0));  // everything but the function's sleep
        }
        alive_distinct = sandboxes.size();
        int now_alive = ChildCount();
        alive_init = Summarise(init);
        char buf[300];
        std::snprintf(
            buf, sizeof(buf),
            "%zu distinct sandboxes, peak %d runtime processes alive at once (%d alive now, %d before), %d errors",
            alive_distinct, alive_peak, now_alive, before, errors);
        PrintFigure("sandboxes alive", buf, std::to_string(n) + " alive at once",
                    static_cast<int>(alive_distinct) >= n && alive_peak >= n && errors == 0);
        PrintFigure("  creation", "init_duration_ms " + Fmt(alive_init), "", std::nullopt);
        std::snprintf(buf, sizeof(buf),
                      "%d concurrent invokes of %s took %.1f ms (%.2f ms per sandbox beyond the sleep)", n,
                      event.c_str(), wall, (wall - o.alive_sleep_ms) / n);
        Note(buf);
        Note(NetNote(drops0, o.isolation == "full"));
        Note("per invoke, wall minus function duration: " + Fmt(Summarise(wait)));
        if (errors) Note("first error: " + first_error);
        if (errors) exit_code = 1;

        if (o.hold_s > 0) {
          Note("holding the sandboxes for " + std::to_string(o.hold_s) + " s (--hold-s)");
          for (int i = 0; i < o.hold_s * 10 && !g_stop; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        // Teardown with all of them alive: close the client connections first so
        // that the API server's drain does not wait for idle keep-alives.
        for (auto& c : clients) c->Close();
        // Holding the host namespace open shows when the kernel has really freed the
        // sandboxes' namespaces after Stop(): their veths' host ends vanish from it.
        int host_fd = o.isolation == "full"
                          ? ::open(("/run/netns/faasnet-" + ro.config.name + "-h0").c_str(), O_RDONLY | O_CLOEXEC)
                          : -1;
        auto t0 = Clock::now();
        server->Stop();
        stop_ms = Ms(Clock::now() - t0);
        std::snprintf(buf, sizeof(buf),
                      "RegionServer::Stop() %.1f ms with %d sandboxes (%.2f ms per sandbox); %d processes left",
                      stop_ms, now_alive, now_alive > 0 ? stop_ms / now_alive : 0.0, ChildCount());
        PrintFigure("  teardown", buf, "", std::nullopt);
        if (host_fd >= 0) {
          int links = LinksInFd(host_fd);
          while (LinksInFd(host_fd) > 2 && Clock::now() - t0 < std::chrono::seconds(60)) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
          }
          std::snprintf(buf, sizeof(buf),
                        "the kernel freed the sandboxes' namespaces %.1f ms after Stop() began (%d host-side links at "
                        "Stop()'s return, %d now)",
                        Ms(Clock::now() - t0), links, LinksInFd(host_fd));
          Note(buf);
          ::close(host_fd);
        }
      }
    } while (false);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "invoke_bench: %s\n", e.what());
    exit_code = 1;
  }

  if (stop_ms < 0) {
    auto t0 = Clock::now();
    int n = ChildCount();
    server->Stop();
    std::printf("RegionServer::Stop() %.1f ms with %d sandboxes\n", Ms(Clock::now() - t0), n);
  }
  server.reset();
  if (g_stop) {
    std::printf("invoke_bench: interrupted\n");
    exit_code = exit_code ? exit_code : 3;
  } else if (Clock::now() > g_deadline) {
    std::printf("invoke_bench: deadline of %d s reached; later phases skipped\n", o.deadline_s);
  }

  int targets = 0, met = 0;
  for (auto& f : g_figures) {
    if (!f.has_target) continue;
    ++targets;
    if (f.met) ++met;
  }
  std::printf(
      "\nSUMMARY isolation=%s cold_median_ms=%.2f cold_p99_ms=%.2f cold_init_median_ms=%.2f "
      "warm_median_ms=%.3f warm_p99_ms=%.3f concurrent_errors=%d concurrent_wall_ms=%.1f "
      "alive=%zu/%d alive_init_median_ms=%.2f alive_init_p99_ms=%.2f stop_ms=%.1f targets_met=%d/%d\n",
      o.isolation.c_str(), cold_wall.median, cold_wall.p99, cold_init.median, warm_wall.median, warm_wall.p99,
      conc_errors, conc_wall, alive_distinct, o.alive, alive_init.median, alive_init.p99, stop_ms, met, targets);
  std::error_code ec;
  if (!o.keep) fs::remove_all(o.work_dir, ec);
  curl_global_cleanup();
  return exit_code;
}
