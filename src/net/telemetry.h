// Network telemetry for results: per-sandbox shaper counters over an
// invocation, and per-host NIC utilisation sampled every 100 ms.
//
// What for: an invocation's record carries the bytes its sandbox moved each
// way through its own classes, and the drops and overlimits of those classes
// (a shaper drop is a packet the class FIFO refused; an overlimit is a
// dequeue the class's rate or ceil deferred). Read the counters before and
// after the invocation and take UsageBetween. Under `none` and `shared` a
// sandbox has no class of its own: the counters say so (per_sandbox =
// false) and the bytes come from the sandbox's veth counters instead.
//
// The sampler reads one cumulative byte counter per host and direction
// (the root qdisc's, or a link's when the direction is not shaped) every
// `interval` and emits NicSample rows {t_ms, host, direction, bytes,
// rate_bps, utilisation} to a callback and/or a vector, for plots.
//
// Ownership: functions borrow the Shaper. The sampler owns its thread and
// its counters (ByteCounter closures, which may own a NetlinkOps).
// Thread-safety: the sampler's methods may be called from any thread;
// counters run on the sampler thread only (or the caller of SampleOnce).
#ifndef FAASNET_NET_TELEMETRY_H_
#define FAASNET_NET_TELEMETRY_H_

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "net/policy.h"
#include "net/shaper.h"
#include "sys/netlink.h"
#include "sys/tc.h"

namespace faasnet::net {

// The counters of a sandbox's classes, both directions (zero when it has none).
struct SandboxTcCounters {
  bool per_sandbox = false;          // false under none/shared: no class of its own
  std::array<sys::TcStats, 2> of{};  // indexed by Index(Direction)
};

// What a sandbox moved between two readings.
struct SandboxNetUsage {
  bool per_sandbox = false;
  uint64_t upload_bytes = 0, download_bytes = 0;
  uint64_t upload_drops = 0, download_drops = 0;
  uint64_t upload_overlimits = 0, download_overlimits = 0;
};
nlohmann::json ToJson(const SandboxNetUsage& u);

// Reads the sandbox's classes in both directions. A direction without a
// per-sandbox class reads as zeros; NotFound only when the policy gives
// sandboxes classes and this one has none (unknown id). Kernel errors as is.
Result<SandboxTcCounters> ReadSandboxCounters(Shaper& shaper, const std::string& sandbox_id);
// after - before, per field (a counter that went backwards, i.e. a class
// recreated in between, counts from zero).
SandboxNetUsage UsageBetween(const SandboxTcCounters& before, const SandboxTcCounters& after);

// One NIC utilisation sample.
struct NicSample {
  int64_t t_ms = 0;  // end of the interval, ms since the sampler started
  std::string host;
  Direction direction = Direction::kUpload;
  uint64_t bytes = 0;      // in this interval
  uint64_t rate_bps = 0;   // bytes x 8 / interval
  double utilisation = 0;  // rate_bps / nic_bps (0 when the NIC is unknown)
};
nlohmann::json ToJson(const NicSample& s);

// A cumulative byte counter.
using ByteCounter = std::function<Result<uint64_t>()>;
// Bytes through the shaper's root qdisc in `direction` (the Shaper must
// outlive the counter).
ByteCounter RootQdiscCounter(Shaper* shaper, Direction direction);
// A link's tx (or rx) bytes, read through `nl` (which the counter keeps and
// uses on the sampler thread only).
ByteCounter LinkCounter(std::shared_ptr<sys::NetlinkOps> nl, std::string dev, bool tx);

class UtilisationSampler {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::chrono::milliseconds interval{100};
    bool keep_samples = true;                         // also append to samples()
    std::function<void(const NicSample&)> on_sample;  // called on the sampling thread
    std::function<Clock::time_point()> now;           // tests pass a fake clock
  };

  explicit UtilisationSampler(Options options);
  UtilisationSampler() : UtilisationSampler(Options{}) {}
  UtilisationSampler(const UtilisationSampler&) = delete;
  UtilisationSampler& operator=(const UtilisationSampler&) = delete;
  ~UtilisationSampler();

  // Adds a host's direction (its first reading is the baseline).
  void AddSource(std::string host, Direction direction, uint64_t nic_bps, ByteCounter counter);
  // One round over all sources. A source whose counter fails is skipped
  // this round (its error is returned: the first one).
  Status SampleOnce();
  // Samples every interval on a thread of its own (FailedPrecondition when running).
  Status Start();
  // Stops and joins. Idempotent.
  void Stop();
  std::vector<NicSample> samples() const;

 private:
  struct Source {
    std::string host;
    Direction direction;
    uint64_t nic_bps;
    ByteCounter counter;
    bool has_last = false;
    uint64_t last = 0;
    Clock::time_point last_time{};
  };

  Options options_;
  mutable std::mutex mu_;  // sources_, samples_, stop_, start_
  std::mutex sample_mu_;   // one SampleOnce at a time
  std::vector<Source> sources_;
  std::vector<NicSample> samples_;
  bool started_ = false;
  Clock::time_point start_{};
  bool stop_ = false;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace faasnet::net

#endif  // FAASNET_NET_TELEMETRY_H_
