// The one-time-burst controller of the token-bucket policy.
//
// What for: Firecracker's rate limiter gives each device a one-time burst
// that is used once and never replenished; HTB buckets always refill. So the
// policy starts every sandbox's class with its ceil at the burst rate, and
// this controller reads the class byte counters and, once
// `one_time_burst_bytes` have passed a class, calls Shaper::MarkBurstSpent,
// which changes the class to the sustained rate for good. It records when
// (BurstEvent), for the results.
//
// Polling: a class is read again after the time its remaining burst needs
// at the class's ceil (it cannot run out sooner), clamped to
// [min_interval, max_interval] while bytes flow and to [poll_interval,
// max_interval] while the class is idle. A flow at the burst rate is thus
// caught within ~min_interval of its threshold (1 ms: 1.25 MB at 10 Gbit/s,
// 0.4 % of a 300 MB burst), and idle sandboxes cost one read per
// poll_interval (10 ms) or less. Only classes still in their burst are read.
//
// Ownership: borrows the Shaper (it must outlive the controller); owns its
// thread, which Stop (also the destructor) joins.
// Thread-safety: PollOnce, events and Stop may be called from any thread;
// PollOnce must not run concurrently with the controller's own thread (use
// one or the other: tests step PollOnce with a fake clock).
#ifndef FAASNET_NET_TOKEN_BUCKET_H_
#define FAASNET_NET_TOKEN_BUCKET_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "net/policy.h"
#include "net/shaper.h"

namespace faasnet::net {

// One one-time burst that ended.
struct BurstEvent {
  std::string sandbox_id;
  Direction direction = Direction::kUpload;
  uint64_t configured_bytes = 0;             // one_time_burst_bytes
  uint64_t bytes_at_switch = 0;              // the class counter when the class was changed
  std::chrono::steady_clock::time_point at;  // when the class was changed
  // From the controller's first sight of the class (within one poll of its
  // creation) to the switch.
  std::chrono::nanoseconds after{0};
};
nlohmann::json ToJson(const BurstEvent& e);

class TokenBucketController {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::chrono::microseconds poll_interval{10'000};  // idle classes are read this often (or less)
    std::chrono::microseconds min_interval{1'000};    // shortest wait near a threshold
    std::chrono::microseconds max_interval{100'000};  // longest wait while a burst is watched
    // The clock PollOnce reads; tests pass a fake one. The thread always
    // sleeps on the steady clock.
    std::function<Clock::time_point()> now;
    // Called (on the polling thread) after each switch.
    std::function<void(const BurstEvent&)> on_switch;
  };

  TokenBucketController(Shaper* shaper, Options options);
  explicit TokenBucketController(Shaper* shaper) : TokenBucketController(shaper, Options{}) {}
  TokenBucketController(const TokenBucketController&) = delete;
  TokenBucketController& operator=(const TokenBucketController&) = delete;
  ~TokenBucketController();

  // One round: reads every watched class that is due, ends the bursts that
  // reached their threshold, and returns when the next round is due
  // (now + poll_interval when nothing is watched). Errors of single classes
  // (e.g. a sandbox removed meanwhile) are skipped and retried; the Status
  // is the first error of a switch that failed, if any.
  Result<Clock::time_point> PollOnce();

  // Starts the polling thread (FailedPrecondition when running).
  Status Start();
  // Stops and joins it. Idempotent.
  void Stop();

  std::vector<BurstEvent> events() const;

 private:
  struct Watch {
    uint64_t last_bytes = 0;
    Clock::time_point last_time{};
    bool seen = false;
    Clock::time_point first_seen{};
    Clock::time_point due{};
  };
  using Key = std::pair<std::string, int>;

  Shaper* shaper_;
  Options options_;
  std::map<Key, Watch> watches_;  // only PollOnce's caller touches it
  mutable std::mutex mu_;         // events_, stop_
  std::condition_variable cv_;
  std::vector<BurstEvent> events_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace faasnet::net

#endif  // FAASNET_NET_TOKEN_BUCKET_H_
