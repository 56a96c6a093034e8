// CPU cost of the S3 client per GB moved: GET and PUT against an in-process
// loopback HTTP server (tests/s3client/loopback_server.h) that answers GETs
// from a fixed pattern and discards PUT bodies, so the server does no S3 work.
//
// The figure that matters is the counter `cpu_s_per_GB`: CPU seconds (user +
// system, getrusage(RUSAGE_THREAD)) of the client thread per 10^9 bytes of
// object data. The kernel's socket copies count (they run on the client
// thread); the server's threads do not. For reference, curl(1) itself needs
// ~0.27 CPU-s/GB on the development machine; the target is <= 0.3.
//
//   client_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <memory>
#include <string>

#include "s3client/client.h"
#include "tests/s3client/loopback_server.h"

namespace faasnet::s3client {
namespace {

using testing::HttpRequest;
using testing::HttpResponse;
using testing::LoopbackServer;

double ThreadCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// One server for the whole run: GET answers with `size` pattern bytes taken
// from the key ("obj-<size>"), PUT bodies are read and dropped.
LoopbackServer& Server() {
  static std::unique_ptr<LoopbackServer> server = [] {
    testing::LoopbackServerOptions o;
    o.keep_bodies = false;
    auto handler = [](const HttpRequest& r) {
      HttpResponse resp;
      resp.headers = {{"ETag", "\"0123456789abcdef0123456789abcdef\""}};
      if (r.method == "GET") {
        const size_t dash = r.path.rfind('-');
        resp.fill_bytes = std::stoull(r.path.substr(dash + 1));
      }
      return resp;
    };
    return std::move(LoopbackServer::Start(handler, o)).value();
  }();
  return *server;
}

Client MakeClient(bool unsigned_payload) {
  Options o;
  o.endpoint = Server().endpoint();
  o.credentials = {"AKIDBENCH", "benchsecret", ""};
  o.unsigned_payload = unsigned_payload;
  return std::move(Client::Create(o)).value();
}

void Report(benchmark::State& state, double cpu_seconds, uint64_t bytes) {
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["cpu_s_per_GB"] = cpu_seconds / (static_cast<double>(bytes) / 1e9);
}

// GET into a sink that only counts: the benchmark workload's way.
void BM_GetToSink(benchmark::State& state) {
  const uint64_t size = static_cast<uint64_t>(state.range(0));
  Client client = MakeClient(true);
  const std::string key = "obj-" + std::to_string(size);
  uint64_t bytes = 0;
  const BodySink sink = [&bytes](std::string_view chunk) {
    bytes += chunk.size();
    return true;
  };
  (void)client.GetObject("bench", key, sink);  // connect outside the measurement
  bytes = 0;
  const double cpu0 = ThreadCpuSeconds();
  for (auto _ : state) {
    Result<GetObjectResult> r = client.GetObject("bench", key, sink);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
  }
  Report(state, ThreadCpuSeconds() - cpu0, bytes);
}

// GET into a std::string (one copy of every byte, reserved up front).
void BM_GetToString(benchmark::State& state) {
  const uint64_t size = static_cast<uint64_t>(state.range(0));
  Client client = MakeClient(true);
  const std::string key = "obj-" + std::to_string(size);
  uint64_t bytes = 0;
  (void)client.GetObject("bench", key);
  const double cpu0 = ThreadCpuSeconds();
  for (auto _ : state) {
    Result<GetObjectResult> r = client.GetObject("bench", key);
    if (!r.ok())
      state.SkipWithError(r.status().ToString().c_str());
    else
      bytes += r->body.size();
  }
  Report(state, ThreadCpuSeconds() - cpu0, bytes);
}

// PUT from memory; range(1) = 1 signs the body's SHA-256 instead of
// UNSIGNED-PAYLOAD (one more pass over the bytes).
void BM_Put(benchmark::State& state) {
  const uint64_t size = static_cast<uint64_t>(state.range(0));
  const bool signed_body = state.range(1) != 0;
  Client client = MakeClient(!signed_body);
  const std::string body(size, 'p');
  (void)client.PutObject("bench", "put", body);
  uint64_t bytes = 0;
  const double cpu0 = ThreadCpuSeconds();
  for (auto _ : state) {
    Result<PutObjectResult> r = client.PutObject("bench", "put", body);
    if (!r.ok())
      state.SkipWithError(r.status().ToString().c_str());
    else
      bytes += r->info.timings.bytes_sent;
  }
  Report(state, ThreadCpuSeconds() - cpu0, bytes);
}

// Small-object latency: one round trip on a kept-alive connection.
void BM_GetSmall(benchmark::State& state) {
  Client client = MakeClient(true);
  (void)client.GetObject("bench", "obj-1024");
  for (auto _ : state) {
    Result<GetObjectResult> r = client.GetObject("bench", "obj-1024");
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
  }
}

constexpr int64_t k10MB = 10'000'000, k100MB = 100'000'000;

BENCHMARK(BM_GetToSink)->Arg(k10MB)->Arg(k100MB)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_GetToString)->Arg(k10MB)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_Put)->Args({k10MB, 0})->Args({k100MB, 0})->Args({k10MB, 1})->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_GetSmall)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace faasnet::s3client

BENCHMARK_MAIN();
