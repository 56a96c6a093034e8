// Cloud-like behaviour of the store, off by default: a time-to-first-byte
// delay (fixed or drawn from a distribution), a per-connection bandwidth cap
// (S3 gives ~85-90 MB/s per connection) and a request-rate limit answered with
// 503 SlowDown. Set for the whole store and overridden per bucket, from a
// commented YAML file (docs/formats/store-behavior.md):
//
//   default:
//     first_byte_latency: lognormal:median=15ms,sigma=0.4
//     connection_rate: 90MB/s
//   buckets:
//     slow-data:
//       first_byte_latency: 50ms
//       request_rate: 100/s
//
// Thread-safety: BehaviorConfig is immutable after parsing; RateLimiter and
// LatencySampler lock internally.
#ifndef FAASNET_STORE_BEHAVIOR_H_
#define FAASNET_STORE_BEHAVIOR_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>

#include "base/status.h"

namespace faasnet::store {

// "20ms" (fixed), "uniform:10ms,30ms", "lognormal:median=20ms,sigma=0.5", "none".
struct LatencySpec {
  enum class Kind { kNone, kFixed, kUniform, kLognormal } kind = Kind::kNone;
  std::chrono::nanoseconds a{0};  // fixed value, uniform low, lognormal median
  std::chrono::nanoseconds b{0};  // uniform high
  double sigma = 0;               // lognormal shape

  static Result<LatencySpec> Parse(std::string_view text);
  std::string ToString() const;
  // A delay drawn with `rng`.
  std::chrono::nanoseconds Sample(std::mt19937_64& rng) const;
};

struct Behavior {
  LatencySpec first_byte_latency;
  uint64_t connection_rate_bytes_per_s = 0;  // 0: no cap
  double request_rate_per_s = 0;             // 0: no limit
  double request_burst = 0;                  // bucket size; default = one second of rate

  bool active() const {
    return first_byte_latency.kind != LatencySpec::Kind::kNone || connection_rate_bytes_per_s || request_rate_per_s;
  }
};

struct BehaviorConfig {
  Behavior store_default;
  std::map<std::string, Behavior> buckets;

  // Parses the YAML text; errors name the line and the field.
  static Result<BehaviorConfig> FromYaml(std::string_view text, std::string_view source_name = "behavior");
  static Result<BehaviorConfig> FromFile(const std::string& path);
  const Behavior& For(const std::string& bucket) const;
};

// Token bucket for request rates (SlowDown). Lock-protected; cheap.
class RateLimiter {
 public:
  RateLimiter(double rate_per_s, double burst);
  // True when a request may proceed now.
  bool TryAcquire();

 private:
  std::mutex mu_;
  double rate_;
  double burst_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace faasnet::store

#endif  // FAASNET_STORE_BEHAVIOR_H_
