#include "net/token_bucket.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/log.h"

namespace faasnet::net {

nlohmann::json ToJson(const BurstEvent& e) {
  return {{"sandbox", e.sandbox_id},
          {"direction", DirectionName(e.direction)},
          {"configured_bytes", e.configured_bytes},
          {"bytes_at_switch", e.bytes_at_switch},
          {"after_ms", std::chrono::duration<double, std::milli>(e.after).count()}};
}

TokenBucketController::TokenBucketController(Shaper* shaper, Options options)
    : shaper_(shaper), options_(std::move(options)) {
  if (!options_.now) options_.now = [] { return Clock::now(); };
  options_.min_interval = std::max(options_.min_interval, std::chrono::microseconds(50));
  options_.poll_interval = std::max(options_.poll_interval, options_.min_interval);
  options_.max_interval = std::max(options_.max_interval, options_.poll_interval);
}

TokenBucketController::~TokenBucketController() { Stop(); }

Result<TokenBucketController::Clock::time_point> TokenBucketController::PollOnce() {
  const Clock::time_point now = options_.now();
  Clock::time_point next = Clock::time_point::max();
  Status first_error;
  std::vector<BurstWatch> list = shaper_->BurstWatches();
  // Forget classes that left their burst or went away.
  std::map<Key, Watch> kept;
  for (const BurstWatch& w : list) {
    Key key{w.sandbox_id, static_cast<int>(w.direction)};
    auto it = watches_.find(key);
    kept[key] = it != watches_.end() ? it->second : Watch{};
  }
  watches_.swap(kept);

  for (const BurstWatch& w : list) {
    Watch& st = watches_[{w.sandbox_id, static_cast<int>(w.direction)}];
    if (!st.seen) {
      st.seen = true;
      st.first_seen = now;
      st.due = now;
    }
    if (now < st.due) {
      next = std::min(next, st.due);
      continue;
    }
    auto stats = shaper_->ReadSandboxStats(w.sandbox_id, w.direction);
    if (!stats.ok()) {
      st.due = now + options_.poll_interval;  // removed meanwhile, or a transient error
      next = std::min(next, st.due);
      continue;
    }
    const uint64_t bytes = stats->bytes;
    if (bytes >= w.one_time_burst_bytes) {
      Status s = shaper_->MarkBurstSpent(w.sandbox_id, w.direction);
      if (!s.ok()) {
        if (first_error.ok()) first_error = s;
        st.due = now + options_.min_interval;
        next = std::min(next, st.due);
        continue;
      }
      BurstEvent e{w.sandbox_id, w.direction, w.one_time_burst_bytes, bytes, now, now - st.first_seen};
      {
        std::lock_guard lock(mu_);
        events_.push_back(e);
      }
      if (options_.on_switch) options_.on_switch(e);
      watches_.erase({w.sandbox_id, static_cast<int>(w.direction)});
      continue;
    }
    // Bytes went backwards: the class was recreated (same id, new sandbox).
    const bool moving = bytes > st.last_bytes && st.last_time != Clock::time_point{};
    st.last_bytes = bytes;
    st.last_time = now;
    // The earliest the rest of the burst can pass: at the class's ceil.
    const double ceil_bytes_per_s = std::max<double>(1.0, static_cast<double>(w.burst_rate_bps) / 8.0);
    auto horizon = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::duration<double>(static_cast<double>(w.one_time_burst_bytes - bytes) / ceil_bytes_per_s));
    auto wait = std::clamp(horizon, moving ? options_.min_interval : options_.poll_interval, options_.max_interval);
    st.due = now + wait;
    next = std::min(next, st.due);
  }
  if (!first_error.ok()) return first_error;
  return next == Clock::time_point::max() ? now + options_.poll_interval : next;
}

Status TokenBucketController::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return Status::FailedPrecondition("token-bucket controller: already running");
  stop_ = false;
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      auto next = PollOnce();
      if (!next.ok()) spdlog::warn("token-bucket controller: {}", next.status().ToString());
      // PollOnce speaks the options' clock; the thread waits the same span on the steady clock.
      auto wait =
          next.ok() ? *next - options_.now() : std::chrono::duration_cast<Clock::duration>(options_.min_interval);
      lock.lock();
      if (wait > Clock::duration::zero()) cv_.wait_for(lock, wait, [this] { return stop_; });
    }
  });
  return Status::Ok();
}

void TokenBucketController::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

std::vector<BurstEvent> TokenBucketController::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

}  // namespace faasnet::net
