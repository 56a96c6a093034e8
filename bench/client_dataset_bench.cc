// Speed of the synthetic reviews data set (dataset/reviews.h): generating a
// chunk (target >= 500 MB/s on one core) and describing it (CRC-32C and
// SHA-256 for the manifest). bytes_per_second is in bytes (MB = 10^6).
#include <benchmark/benchmark.h>

#include <span>
#include <string>

#include "dataset/manifest.h"
#include "dataset/reviews.h"

namespace faasnet::dataset {
namespace {

void BM_GenerateChunk(benchmark::State& state) {
  std::string buf(static_cast<size_t>(state.range(0)), '\0');
  uint64_t index = 0;
  for (auto _ : state) {
    GenerateChunk(/*seed=*/1, index++, std::span<char>(buf.data(), buf.size()));
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_GenerateChunk)->Arg(10'000'000)->Arg(100'000'000)->Unit(benchmark::kMillisecond);

void BM_DescribeChunk(benchmark::State& state) {
  const std::string chunk = GenerateChunk(1, 0, static_cast<uint64_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(DescribeChunk(0, "k", chunk));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_DescribeChunk)->Arg(10'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace faasnet::dataset

BENCHMARK_MAIN();
