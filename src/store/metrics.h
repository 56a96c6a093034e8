// Prometheus text metrics for the store: requests by operation and status,
// bytes in and out, and a latency histogram per operation. Rendered at
// GET /metrics (unauthenticated requests only; a signed GET /metrics is the
// bucket "metrics").
//
// Thread-safety: Record() and Render() may be called concurrently.
#ifndef FAASNET_STORE_METRICS_H_
#define FAASNET_STORE_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace faasnet::store {

class Metrics {
 public:
  // One finished request.
  void Record(const std::string& operation, int status, uint64_t bytes_in, uint64_t bytes_out, double seconds);
  // The exposition text (text/plain; version=0.0.4).
  std::string Render() const;

  static constexpr std::array<double, 14> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,    0.25,  0.5,    1,     2.5,   5,     10};

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;  // (op, status)
  std::map<std::string, Histogram> latency_;
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
};

}  // namespace faasnet::store

#endif  // FAASNET_STORE_METRICS_H_
