#include "net/telemetry.h"

#include <nlohmann/json.hpp>

#include "base/log.h"

namespace faasnet::net {

namespace {

uint64_t Delta(uint64_t before, uint64_t after) { return after >= before ? after - before : after; }

}  // namespace

nlohmann::json ToJson(const SandboxNetUsage& u) {
  return {{"per_sandbox_classes", u.per_sandbox},
          {"upload_bytes", u.upload_bytes},
          {"download_bytes", u.download_bytes},
          {"upload_shaper_drops", u.upload_drops},
          {"download_shaper_drops", u.download_drops},
          {"upload_shaper_overlimits", u.upload_overlimits},
          {"download_shaper_overlimits", u.download_overlimits}};
}

Result<SandboxTcCounters> ReadSandboxCounters(Shaper& shaper, const std::string& sandbox_id) {
  SandboxTcCounters c;
  for (Direction d : kDirections) {
    if (!shaper.ClassOf(sandbox_id, d)) continue;
    ASSIGN_OR_RETURN(c.of[Index(d)], shaper.ReadSandboxStats(sandbox_id, d));
    c.per_sandbox = true;
  }
  PolicyKind kind = shaper.options().policy.kind;
  if (!c.per_sandbox && kind != PolicyKind::kNone && kind != PolicyKind::kShared) {
    return Status::NotFound("shaper for host " + shaper.options().host + ": no classes for sandbox " + sandbox_id);
  }
  return c;
}

SandboxNetUsage UsageBetween(const SandboxTcCounters& before, const SandboxTcCounters& after) {
  SandboxNetUsage u;
  u.per_sandbox = after.per_sandbox;
  const auto& bu = before.of[Index(Direction::kUpload)];
  const auto& au = after.of[Index(Direction::kUpload)];
  const auto& bd = before.of[Index(Direction::kDownload)];
  const auto& ad = after.of[Index(Direction::kDownload)];
  u.upload_bytes = Delta(bu.bytes, au.bytes);
  u.download_bytes = Delta(bd.bytes, ad.bytes);
  u.upload_drops = Delta(bu.drops, au.drops);
  u.download_drops = Delta(bd.drops, ad.drops);
  u.upload_overlimits = Delta(bu.overlimits, au.overlimits);
  u.download_overlimits = Delta(bd.overlimits, ad.overlimits);
  return u;
}

nlohmann::json ToJson(const NicSample& s) {
  return {{"t_ms", s.t_ms},   {"host", s.host},         {"direction", DirectionName(s.direction)},
          {"bytes", s.bytes}, {"rate_bps", s.rate_bps}, {"utilisation", s.utilisation}};
}

ByteCounter RootQdiscCounter(Shaper* shaper, Direction direction) {
  return [shaper, direction]() -> Result<uint64_t> {
    ASSIGN_OR_RETURN(sys::TcStats s, shaper->ReadRootStats(direction));
    return s.bytes;
  };
}

ByteCounter LinkCounter(std::shared_ptr<sys::NetlinkOps> nl, std::string dev, bool tx) {
  return [nl = std::move(nl), dev = std::move(dev), tx]() -> Result<uint64_t> {
    ASSIGN_OR_RETURN(sys::LinkStats s, nl->ReadStats(dev));
    return tx ? s.tx_bytes : s.rx_bytes;
  };
}

UtilisationSampler::UtilisationSampler(Options options) : options_(std::move(options)) {
  if (!options_.now) options_.now = [] { return Clock::now(); };
  if (options_.interval <= std::chrono::milliseconds::zero()) options_.interval = std::chrono::milliseconds(100);
}

UtilisationSampler::~UtilisationSampler() { Stop(); }

void UtilisationSampler::AddSource(std::string host, Direction direction, uint64_t nic_bps, ByteCounter counter) {
  std::lock_guard lock(mu_);
  sources_.push_back(Source{std::move(host), direction, nic_bps, std::move(counter)});
}

Status UtilisationSampler::SampleOnce() {
  std::lock_guard one(sample_mu_);
  std::vector<NicSample> emitted;
  Status first;
  {
    std::lock_guard lock(mu_);
    if (!started_) {
      started_ = true;
      start_ = options_.now();
    }
    for (Source& s : sources_) {
      // Each count is timed at the middle of its own read: a counter read
      // (a netlink dump) can take tens of ms on a busy machine, and timing it
      // from before the loop made a late read look like a rate above the NIC's.
      const Clock::time_point before = options_.now();
      auto bytes = s.counter();
      const Clock::time_point now = before + (options_.now() - before) / 2;
      if (!bytes.ok()) {
        if (first.ok()) first = bytes.status().WithContext("sample NIC of host " + s.host);
        continue;
      }
      if (s.has_last && now > s.last_time) {
        NicSample x;
        x.t_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - start_).count();
        x.host = s.host;
        x.direction = s.direction;
        x.bytes = Delta(s.last, *bytes);
        double secs = std::chrono::duration<double>(now - s.last_time).count();
        x.rate_bps = static_cast<uint64_t>(static_cast<double>(x.bytes) * 8.0 / secs);
        x.utilisation = s.nic_bps ? static_cast<double>(x.rate_bps) / static_cast<double>(s.nic_bps) : 0.0;
        emitted.push_back(x);
        if (options_.keep_samples) samples_.push_back(x);
      }
      s.has_last = true;
      s.last = *bytes;
      s.last_time = now;
    }
  }
  if (options_.on_sample) {
    for (const auto& x : emitted) options_.on_sample(x);
  }
  return first;
}

Status UtilisationSampler::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return Status::FailedPrecondition("NIC sampler: already running");
  stop_ = false;
  thread_ = std::thread([this] {
    auto next = Clock::now();
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      Status st = SampleOnce();
      if (!st.ok()) spdlog::debug("NIC sampler: {}", st.ToString());
      next += options_.interval;
      lock.lock();
      cv_.wait_until(lock, next, [this] { return stop_; });
    }
  });
  return Status::Ok();
}

void UtilisationSampler::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<NicSample> UtilisationSampler::samples() const {
  std::lock_guard lock(mu_);
  return samples_;
}

}  // namespace faasnet::net
