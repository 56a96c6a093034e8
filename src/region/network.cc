#include "region/network.h"

#include <nlohmann/json.hpp>

#include "base/log.h"

namespace faasnet::region {

RegionNetwork::RegionNetwork(Options options) : options_(std::move(options)) {
  profile_json_ = options_.profile.ToJson().dump();
}

Result<std::unique_ptr<RegionNetwork>> RegionNetwork::Create(Options options, std::vector<HostUplink> hosts) {
  std::unique_ptr<RegionNetwork> n(new RegionNetwork(std::move(options)));
  const net::NetworkProfile& p = n->options_.profile.profile;
  for (auto& links : hosts) {
    if (!links.upload_tc || !links.download_tc) {
      return Status::InvalidArgument("region network: host " + links.host + " has no traffic control for its uplink");
    }
    net::Shaper::Options so;
    so.host = links.host;
    so.policy = p.policy;
    // The profile names a host's memory (its reference host); the region knows the real one.
    if (so.policy.host_memory_mb > 0 && links.memory_mb > 0) so.policy.host_memory_mb = links.memory_mb;
    so.nic = p.nic;
    so.upload = net::ShapedLink{links.upload_tc.get(), links.upload_dev};
    so.download = net::ShapedLink{links.download_tc.get(), links.download_dev};
    Host h;
    h.links = std::move(links);
    auto shaper = net::Shaper::Create(so);
    if (!shaper.ok()) return shaper.status().WithContext("region network: host " + so.host);  // ~n removes the rest
    h.shaper = std::move(*shaper);
    if (p.policy.kind == net::PolicyKind::kTokenBucket) {
      net::TokenBucketController::Options co = n->options_.controller;
      co.on_switch = [host = so.host](const net::BurstEvent& e) {
        spdlog::debug("region network: {} sandbox {}: one-time {} burst spent after {} bytes", host, e.sandbox_id,
                      net::DirectionName(e.direction), e.bytes_at_switch);
      };
      h.controller = std::make_unique<net::TokenBucketController>(h.shaper.get(), co);
    }
    n->hosts_.push_back(std::move(h));
  }
  if (!n->options_.telemetry_path.empty()) {
    n->telemetry_ = std::fopen(n->options_.telemetry_path.c_str(), "a");
    if (!n->telemetry_) return Status::FromErrno(errno, "open telemetry file", n->options_.telemetry_path);
  }
  net::UtilisationSampler::Options uo;
  uo.interval = n->options_.sample_interval;
  uo.keep_samples = false;
  uo.on_sample = [raw = n.get()](const net::NicSample& s) { raw->WriteSample(s); };
  n->sampler_ = std::make_unique<net::UtilisationSampler>(uo);
  for (auto& h : n->hosts_) {
    const net::Plan plan = h.shaper->plan();
    for (net::Direction d : net::kDirections) {
      net::ByteCounter counter;
      if (plan.of(d).shaped) {
        counter = net::RootQdiscCounter(h.shaper.get(), d);
      } else {
        bool up = d == net::Direction::kUpload;
        auto& nl = up ? h.links.upload_nl : h.links.download_nl;
        if (!nl) continue;
        counter = net::LinkCounter(nl, up ? h.links.upload_dev : h.links.download_dev, /*tx=*/true);
      }
      n->sampler_->AddSource(h.links.host, d, p.nic.of(d), std::move(counter));
    }
  }
  if (n->options_.start_threads) {
    RETURN_IF_ERROR(n->sampler_->Start());
    for (auto& h : n->hosts_) {
      if (h.controller) RETURN_IF_ERROR(h.controller->Start());
    }
  }
  return n;
}

RegionNetwork::~RegionNetwork() {
  if (Status st = Shutdown(); !st.ok()) spdlog::warn("region network: {}", st.ToString());
}

void RegionNetwork::WriteSample(const net::NicSample& s) {
  std::lock_guard<std::mutex> lock(file_mu_);
  if (!telemetry_) return;
  nlohmann::json j = net::ToJson(s);
  // Wall time too, so that a runner can join samples to its cells.
  j["t_unix_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::string line = j.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), telemetry_);
  std::fflush(telemetry_);
}

Status RegionNetwork::AddSandbox(size_t host, const std::string& id, const std::string& ipv4, int memory_mb) {
  if (host >= hosts_.size()) return Status::InvalidArgument("region network: no host #" + std::to_string(host));
  return hosts_[host].shaper->AddSandbox(id, ipv4, memory_mb);
}

Status RegionNetwork::RemoveSandbox(size_t host, const std::string& id) {
  if (host >= hosts_.size()) return Status::InvalidArgument("region network: no host #" + std::to_string(host));
  return hosts_[host].shaper->RemoveSandbox(id);
}

Result<net::SandboxTcCounters> RegionNetwork::ReadCounters(size_t host, const std::string& id) {
  if (host >= hosts_.size()) return Status::InvalidArgument("region network: no host #" + std::to_string(host));
  return net::ReadSandboxCounters(*hosts_[host].shaper, id);
}

Status RegionNetwork::SampleOnce() { return sampler_ ? sampler_->SampleOnce() : Status::Ok(); }

Status RegionNetwork::PollBurstsOnce() {
  Status first;
  for (auto& h : hosts_) {
    if (!h.controller) continue;
    auto r = h.controller->PollOnce();
    if (!r.ok() && first.ok()) first = r.status();
  }
  return first;
}

std::vector<net::BurstEvent> RegionNetwork::burst_events() const {
  std::vector<net::BurstEvent> out;
  for (const auto& h : hosts_) {
    if (!h.controller) continue;
    auto e = h.controller->events();
    out.insert(out.end(), e.begin(), e.end());
  }
  return out;
}

Status RegionNetwork::Shutdown() {
  if (shut_down_) return Status::Ok();
  shut_down_ = true;
  if (sampler_) sampler_->Stop();
  Status first;
  for (auto& h : hosts_) {
    if (h.controller) h.controller->Stop();
    if (h.shaper) {
      Status st = h.shaper->Teardown();
      if (!st.ok() && first.ok()) first = st.WithContext("host " + h.links.host);
    }
  }
  std::lock_guard<std::mutex> lock(file_mu_);
  if (telemetry_) {
    std::fclose(telemetry_);
    telemetry_ = nullptr;
  }
  return first;
}

}  // namespace faasnet::region
