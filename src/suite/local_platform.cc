#include "suite/local_platform.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>

#include "dataset/make.h"
#include "region/network.h"
#include "region/region_server.h"
#include "sys/cgroup.h"
#include "s3/credentials.h"
#include "s3client/client.h"

namespace faasnet::suite {
LocalPlatform::LocalPlatform(LocalOptions options) : o_(std::move(options)) {}
LocalPlatform::~LocalPlatform() { (void)Close(); }

Result<region::RegionConfig> LocalPlatform::ConfigFor(const Cell& cell) const {
  region::RegionConfig cfg = o_.base;
  // The network profile (profiles/*.yaml); its CPU policy too, unless the cell names one.
  cfg.network.profile_ref = cell.profile.empty() ? o_.default_profile : cell.profile;
  auto profile = cfg.network.Load();
  if (!profile.ok()) return profile.status().WithContext("cell " + cell.id);
  cfg.network.profile = *profile;
  if (cell.cpu_policy.empty() && !profile->cpu_policy.empty()) {
    auto k = region::CpuPolicy::ParseKind(profile->cpu_policy);
    if (!k) return Status::InvalidArgument("profile " + profile->name + ": cpu_policy '" + profile->cpu_policy + "'");
    cfg.cpu.kind = *k;
  }
  // One iperf3 server per worker that may run at once (at least the paper's 26 co-located functions,
  // so that cells of one scenario share a region).
  cfg.network.iperf_ports.clear();
  for (int i = 0; i < std::max(cell.concurrency, 26); ++i)
    cfg.network.iperf_ports.push_back(static_cast<uint16_t>(o_.iperf_base_port + i));
  if (!cell.cpu_policy.empty()) {
    auto k = region::CpuPolicy::ParseKind(cell.cpu_policy);
    if (!k) return Status::InvalidArgument("cpu_policy '" + cell.cpu_policy + "'");
    cfg.cpu.kind = *k;
  }
  if (!cell.placement.empty()) {
    auto p = region::ParsePlacement(cell.placement);
    if (!p) return Status::InvalidArgument("placement '" + cell.placement + "'");
    cfg.placement = *p;
  }
  region::HostSpec proto = cfg.hosts.empty() ? region::HostSpec{} : cfg.hosts.front();
  if (cell.host_vcpus > 0) proto.vcpus = cell.host_vcpus;
  if (cell.host_memory_mb > 0) proto.memory_mb = cell.host_memory_mb;
  int max_mem = *std::max_element(cell.memories.begin(), cell.memories.end());
  int needed = 0;
  if (cell.params.contains("memory_mix")) {
    int sum = 0;
    for (int m : cell.memories) sum += m;
    needed = (sum + proto.memory_mb - 1) / proto.memory_mb;
  } else {
    int per_host = std::max(1, proto.memory_mb / max_mem);
    needed = (cell.concurrency + per_host - 1) / per_host;
  }
  if (max_mem > proto.memory_mb)
    return Status::InvalidArgument("cell " + cell.id + ": memory " + std::to_string(max_mem) +
                                   " MB does not fit an emulated host of " + std::to_string(proto.memory_mb) + " MB");
  if (cell.colocated && needed > 1)
    return Status::InvalidArgument("cell " + cell.id + ": the co-located functions need " +
                                   std::to_string(needed) + " hosts' memory; they must fit one host");
  int hosts = std::max({cell.hosts, needed, 1});
  cfg.hosts.clear();
  for (int i = 0; i < hosts; ++i) {
    region::HostSpec h = proto;
    h.id = "h" + std::to_string(i);
    cfg.hosts.push_back(h);
  }
  if (auto st = cfg.Validate(); !st.ok()) return st.WithContext("cell " + cell.id);
  return cfg;
}

nlohmann::json LocalPlatform::Describe() const {
  nlohmann::json hosts = nlohmann::json::array();
  for (const auto& h : config_.hosts) hosts.push_back({{"id", h.id}, {"vcpus", h.vcpus}, {"memory_mb", h.memory_mb}});
  return {{"kind", "local"},
          {"region", config_.name},
          {"isolation", region::IsolationName(config_.isolation)},
          {"oversubscribed", config_.total_vcpus() > std::thread::hardware_concurrency()},
          {"hosts", hosts},
          {"cpu_policy", region::CpuPolicy::KindName(config_.cpu.kind)},
          {"cpu_scale", config_.cpu.cpu_scale},
          {"placement", region::PlacementName(config_.placement)},
          {"network_profile", network_},
          {"tc", tc_},
          {"placement_seed", config_.placement_seed},
          {"cgroup_version", cgroup_version_},
          {"cpu_period_us", config_.cpu_period_us}};
}

Status LocalPlatform::StopRegion() {
  if (server_) server_->Stop();
  server_.reset();
  functions_.clear();
  key_.clear();
  std::lock_guard lock(rec_mu_);
  rec_offset_ = 0;
  return Status::Ok();
}

Status LocalPlatform::PrepareRegion(const Cell& cell) {
  auto cfg = ConfigFor(cell);
  if (!cfg.ok()) return cfg.status();
  std::string key = cfg->network.profile.name + "|" + region::CpuPolicy::KindName(cfg->cpu.kind) + "|" +
                    region::PlacementName(cfg->placement) + "|" + std::to_string(cfg->hosts.size()) + "|" +
                    std::to_string(cfg->hosts.front().vcpus) + "|" + std::to_string(cfg->hosts.front().memory_mb);
  // iperf3 servers: enough for this cell's workers (a restart when more are needed).
  bool enough_ports = server_ && server_->iperf_ports().size() >= cfg->network.iperf_ports.size();
  if (server_ && key == key_ && enough_ports) return Status::Ok();
  (void)StopRegion();
  region::RegionServerOptions so;
  so.config = *cfg;
  so.work_dir = o_.work_dir;
  so.s3_listen = "127.0.0.1:0";
  so.lambda_listen = "127.0.0.1:0";
  so.python_bootstrap = o_.python_bootstrap;
  so.store_fsync = false;  // the data set is regenerated when lost; fsync costs the CPU the experiments measure
  so.credentials_file = o_.work_dir + "/credentials";
  if (!std::filesystem::exists(so.credentials_file)) so.credentials_file.clear();
  if (o_.log)
    o_.log("  region: network " + cfg->network.profile.name + ", " + std::to_string(cfg->hosts.size()) + " host(s), cpu " +
           region::CpuPolicy::KindName(cfg->cpu.kind) + ", placement " + region::PlacementName(cfg->placement) +
           ", isolation " + region::IsolationName(cfg->isolation));
  auto server = region::RegionServer::Start(so);
  if (!server.ok()) return server.status();
  server_ = std::move(*server);
  config_ = *cfg;
  network_ = cfg->network.profile.ToJson();
  // What the kernel was actually told (the resolved profile: effective rates, notes), null unisolated.
  tc_ = server_->network() ? nlohmann::json::parse(server_->network()->profile_json(), nullptr, false) : nlohmann::json();
  if (auto cg = sys::CgroupFs::OpenSystem(); cg.ok())
    cgroup_version_ = (*cg)->version() == sys::CgroupVersion::kV1 ? "v1" : "v2";
  telemetry_offset_ = 0;
  key_ = key;
  // Keep the generated credentials for the next start, so the store's data stays readable.
  std::error_code ec;
  if (server_->credentials_file() != o_.work_dir + "/credentials")
    std::filesystem::copy_file(server_->credentials_file(), o_.work_dir + "/credentials",
                               std::filesystem::copy_options::overwrite_existing, ec);
  std::ifstream in(server_->credentials_file());
  std::stringstream ss;
  ss << in.rdbuf();
  auto profiles = s3::ParseCredentialsFile(ss.str(), server_->credentials_file());
  if (!profiles.ok()) return profiles.status();
  if (profiles->empty()) return Status::Internal("region credentials file has no profile");
  creds_ = profiles->front().credentials;
  std::lock_guard lock(rec_mu_);
  rec_offset_ = 0;
  if (std::filesystem::exists(server_->records_path())) rec_offset_ = std::filesystem::file_size(server_->records_path(), ec);
  return Status::Ok();
}

Result<std::vector<std::string>> LocalPlatform::EnsureData(uint64_t chunk_bytes, int count) {
  if (!server_) return Status::FailedPrecondition("no region");
  auto& have = data_[chunk_bytes];
  if (static_cast<int>(have.size()) >= count) return have;
  s3client::Options co;
  co.endpoint = server_->s3_endpoint();
  co.credentials = creds_;
  auto client = s3client::Client::Create(co);
  if (!client.ok()) return client.status();
  dataset::MakeOptions mo;
  mo.bucket = bucket();
  mo.chunk_bytes = chunk_bytes;
  mo.total_bytes = chunk_bytes * static_cast<uint64_t>(count);
  if (auto st = dataset::ValidateMakeOptions(mo); !st.ok()) return st;
  auto t0 = std::chrono::steady_clock::now();
  auto manifest = dataset::MakeDataset(mo, *client);
  if (!manifest.ok()) return manifest.status().WithContext("data set");
  have.clear();
  for (const auto& c : manifest->chunks) have.push_back(c.key);
  if (o_.log)
    o_.log("  data: " + std::to_string(count) + " x " + std::to_string(chunk_bytes / 1000000.0) + " MB in " +
           std::to_string(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()) + " s");
  return have;
}

Result<lambdaclient::Client> LocalPlatform::NewLambdaClient() {
  if (!server_) return Status::FailedPrecondition("no region");
  lambdaclient::Options lo;
  lo.endpoint = server_->lambda_endpoint();
  lo.region = config_.aws_region;
  lo.credentials = creds_;
  lo.max_retries = 0;  // an invocation is a measurement: no silent retries
  return lambdaclient::Client::Create(lo);
}

Result<std::unique_ptr<Invoker>> LocalPlatform::NewInvoker() {
  auto c = NewLambdaClient();
  if (!c.ok()) return c.status();
  return std::unique_ptr<Invoker>(new LambdaInvoker(std::move(*c)));
}

Result<std::string> LocalPlatform::EnsureFunction(const FunctionNeed& need) {
  std::string name = "fnet-" + need.workload + (need.pin ? "-pin-" : "-") + std::to_string(need.slot);
  auto client = NewLambdaClient();
  if (!client.ok()) return client.status();
  auto it = functions_.find(name);
  if (it == functions_.end()) {
    lambdaclient::FunctionSpec spec;
    spec.name = name;
    spec.memory_mb = need.memory_mb;
    spec.timeout_s = need.timeout_s;
    if (need.workload == "boto3") {
      spec.runtime = "python3.11";
      spec.handler = "app.handler";
      spec.local_path = o_.boto3_dir;
    } else {
      spec.local_path = o_.probe_dir;
    }
    if (!std::filesystem::exists(spec.local_path))
      return Status::NotFound("workload " + need.workload + ": " + spec.local_path +
                              " does not exist (build it: ninja -C build)");
    if (need.pin && !config_.hosts.empty()) spec.environment["FAASNET_PIN_HOST"] = config_.hosts.front().id;
    auto r = client->CreateFunction(spec);
    if (!r.ok()) return r.status();
    functions_[name] = {need.memory_mb, need.timeout_s};
    return name;
  }
  if (it->second != std::make_pair(need.memory_mb, need.timeout_s)) {
    auto r = client->UpdateFunctionConfiguration(name, need.memory_mb, need.timeout_s);
    if (!r.ok()) return r.status();
    it->second = {need.memory_mb, need.timeout_s};
  }
  return name;
}

Status LocalPlatform::ForceCold(const std::string& name) {
  auto client = NewLambdaClient();
  if (!client.ok()) return client.status();
  auto it = functions_.find(name);
  if (it == functions_.end()) return Status::NotFound("function " + name);
  // Any configuration update retires the warm sandboxes (as on Lambda).
  return client->UpdateFunctionConfiguration(name, it->second.first, it->second.second).status();
}

nlohmann::json LocalPlatform::CellParams() const {
  if (!server_) return nlohmann::json::object();
  return {{"profile", config_.network.profile.name},
          {"policy", net::PolicyKindName(config_.network.profile.policy.kind)},
          {"nic_download_bps", config_.network.profile.nic.download_bps},
          {"cpu_policy", region::CpuPolicy::KindName(config_.cpu.kind)}};
}

Status LocalPlatform::CellDone() {
  // Warm sandboxes of the cell would hold their host's memory against the
  // next cell's placement (a real platform evicts idle sandboxes under
  // pressure; this region keeps them until their idle timeout).
  for (const auto& [name, _] : functions_)
    if (auto st = ForceCold(name); !st.ok()) return st;
  return Status::Ok();
}

nlohmann::json LocalPlatform::EventExtras(const Cell& cell, int worker) {
  if (cell.action != "iperf" || !server_ || server_->iperf_ports().empty()) return nlohmann::json::object();
  // Each concurrent worker has an iperf3 server of its own (a server runs one test at a time).
  const auto& ports = server_->iperf_ports();
  return {{"port", ports[static_cast<size_t>(worker) % ports.size()]}};
}

InvocationFacts LocalPlatform::RecordFor(const std::string& request_id) {
  if (!server_) return {};
  const std::string path = server_->records_path();
  for (int attempt = 0; attempt < 50; ++attempt) {
    {
      std::lock_guard lock(rec_mu_);
      std::ifstream in(path);
      in.seekg(static_cast<std::streamoff>(rec_offset_));
      std::string line;
      while (std::getline(in, line)) {
        if (in.eof()) break;  // a partial last line: read it next time
        rec_offset_ += line.size() + 1;
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_object() && j.contains("request_id") && j["request_id"].is_string()) {
          std::string id = j["request_id"].get<std::string>();
          records_[id] = std::move(j);
        }
      }
      if (auto it = records_.find(request_id); it != records_.end()) {
        InvocationFacts f{std::move(it->second)};
        records_.erase(it);
        return f;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return {};
}

std::vector<nlohmann::json> LocalPlatform::TelemetryBetween(int64_t from_unix_ms, int64_t to_unix_ms) {
  std::vector<nlohmann::json> out;
  if (!server_ || server_->telemetry_path().empty()) return out;
  std::ifstream in(server_->telemetry_path());
  in.seekg(static_cast<std::streamoff>(telemetry_offset_));
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // partial line
    telemetry_offset_ += line.size() + 1;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    int64_t t = j.value("t_unix_ms", int64_t{0});
    if (t >= from_unix_ms && t <= to_unix_ms) out.push_back(std::move(j));
  }
  return out;
}

Status LocalPlatform::Close() { return StopRegion(); }

}  // namespace faasnet::suite
