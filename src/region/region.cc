#include "region/region.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/strings.h"
#include "lambda/zip.h"

namespace faasnet::region {

namespace asio = boost::asio;
using asio::awaitable;
using Clock = std::chrono::steady_clock;
using lambda::LambdaError;
using lambda::LambdaResult;

namespace {

int64_t EpochMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

bool IsPython(const std::string& runtime) { return lambda::IsPythonRuntime(runtime); }

// The bytes a log file gained since `offset` (at most the last `max` bytes).
std::string LogSince(const std::string& path, uint64_t offset, size_t max = 4096) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  auto end = static_cast<uint64_t>(in.tellg());
  if (end <= offset) return {};
  uint64_t start = std::max<uint64_t>(offset, end > max ? end - max : 0);
  in.seekg(static_cast<std::streamoff>(start));
  std::string out(end - start, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  return out;
}

uint64_t FileSize(const std::string& path) {
  std::error_code ec;
  auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : n;
}

std::string ErrorBody(const std::string& type, const std::string& message) {
  return nlohmann::json{{"errorType", type}, {"errorMessage", message}}.dump();
}

}  // namespace

struct Region::Function {
  lambda::FunctionConfiguration config;
  std::string code_dir;
  std::vector<std::string> argv;
  int version = 0;  // bumped by updates: warm sandboxes of older versions retire
  int active = 0;
  std::deque<std::shared_ptr<SandboxState>> idle;  // most recently used first
};

// One invocation handed to a sandbox.
struct Region::Pending {
  std::string request_id;
  std::string payload;
  std::string client_context;
  int timeout_s = 3;
  Waiter picked;  // the runtime took it (/next)
  Waiter done;    // response, error, or the runtime died
  // Guarded by the region's mutex:
  bool taken = false;
  Clock::time_point taken_at;
  bool completed = false;
  bool is_error = false;
  std::string body;        // response payload or error document
  std::string error_type;  // for records; "" on success
  std::string error_message;
};

struct Region::SandboxState {
  std::string id;
  std::string function;
  int version = 0;
  size_t host = 0;
  int memory_mb = 0;
  double cpus = 0;
  std::unique_ptr<sandbox::Sandbox> sb;
  enum class Phase { kStarting, kIdle, kBusy, kDead } phase = Phase::kStarting;
  Clock::time_point created;
  Clock::time_point last_used;
  bool initialized = false;
  double init_ms = 0;
  std::shared_ptr<Pending> current;
  std::shared_ptr<Waiter> next_waiter;
  std::optional<lambda::RuntimeError> init_error;
  std::optional<sys::ExitStatus> exit;
  std::string log_path;
};

Region::Region(RegionOptions options, std::vector<std::unique_ptr<sandbox::Host>> hosts)
    : options_(std::move(options)),
      hosts_(std::move(hosts)),
      create_pool_(static_cast<size_t>(std::max(1, options_.create_threads))),
      placer_(options_.config.placement, options_.config.placement_seed) {
  for (size_t i = 0; i < hosts_.size(); ++i) {
    const auto& spec = options_.config.hosts[i];
    loads_.push_back(HostLoad{spec.id, spec.memory_mb, 0, 0});
  }
}

Result<std::unique_ptr<Region>> Region::Create(RegionOptions options, std::vector<std::unique_ptr<sandbox::Host>> hosts) {
  RETURN_IF_ERROR(options.config.Validate());
  if (hosts.size() != options.config.hosts.size()) {
    return Status::InvalidArgument("region: " + std::to_string(hosts.size()) + " hosts given, the config has " +
                                   std::to_string(options.config.hosts.size()));
  }
  std::error_code ec;
  std::filesystem::create_directories(options.work_dir + "/functions", ec);
  std::filesystem::create_directories(options.work_dir + "/sandboxes", ec);
  if (ec) return Status::FromErrno(ec.value(), "create region directory", options.work_dir);
  std::unique_ptr<Region> r(new Region(std::move(options), std::move(hosts)));
  ASSIGN_OR_RETURN(r->records_, RecordWriter::Open(r->options_.work_dir + "/invocations.jsonl"));
  r->work_.emplace(r->ioc_.get_executor());
  asio::co_spawn(r->ioc_, r->IdleReaper(), asio::detached);
  r->thread_ = std::thread([p = r.get()] { p->ioc_.run(); });
  return r;
}

Region::~Region() { Shutdown(); }

void Region::Shutdown() {
  std::vector<std::shared_ptr<SandboxState>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;  // from here no cold start begins
  }
  create_pool_.join();  // those under way finish (and are in sandboxes_)
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, sb] : sandboxes_) {
      sb->phase = SandboxState::Phase::kDead;
      if (sb->next_waiter) sb->next_waiter->Fire();
      if (sb->current && !sb->current->completed) {
        sb->current->completed = true;
        sb->current->is_error = true;
        sb->current->error_type = "Region.Shutdown";
        sb->current->body = ErrorBody("Region.Shutdown", "the region is shutting down");
        sb->current->picked.Fire();
        sb->current->done.Fire();
      }
      all.push_back(sb);
    }
    sandboxes_.clear();
    by_key_.clear();
  }
  for (auto& sb : all) Teardown(*sb);
  work_.reset();
  ioc_.stop();
  if (thread_.joinable()) thread_.join();
  // Teardowns of sandboxes retired just before (posted, not run yet): run
  // them now rather than when the context is destroyed, so that no sandbox
  // (namespace, cgroup) outlives Shutdown. Waits still pending (monitors,
  // the idle reaper) are not ready and do not run.
  ioc_.restart();
  ioc_.poll();
  for (auto& h : hosts_) {
    if (Status st = h->Destroy(); !st.ok()) spdlog::warn("region: host {}: {}", h->id(), st.ToString());
  }
}

size_t Region::sandbox_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sandboxes_.size();
}

// ---------------------------------------------------------------- functions

LambdaResult<lambda::FunctionConfiguration> Region::CreateFunction(const lambda::CreateFunctionInput& in) {
  std::string name = in.function_name;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (functions_.count(name)) return lambda::FunctionAlreadyExists(name);
  }
  auto fn = std::make_unique<Function>();
  if (!in.code.local_path.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(in.code.local_path, ec)) {
      return LambdaError::InvalidParameterValueException("Code directory " + in.code.local_path + " does not exist");
    }
    fn->code_dir = std::filesystem::absolute(in.code.local_path).string();
  } else {
    std::string dir;
    {
      std::lock_guard<std::mutex> lock(mu_);
      dir = options_.work_dir + "/functions/" + name + "-" + std::to_string(++next_code_);
    }
    auto unzipped = lambda::ExtractZip(in.code.zip_file, dir);
    if (!unzipped.ok()) return unzipped.error();
    fn->code_dir = dir;
  }
  fn->config = lambda::NewConfiguration(in, options_.config.aws_region, std::chrono::system_clock::now());
  fn->config.code_dir = fn->code_dir;
  const std::string& runtime = fn->config.runtime;
  if (IsPython(runtime)) {
    fn->argv = {options_.python, options_.python_bootstrap};
  } else {
    std::string bootstrap = fn->code_dir + "/bootstrap";
    if (::access(bootstrap.c_str(), X_OK) != 0) {
      return LambdaError::InvalidParameterValueException("The " + runtime +
                                                         " runtime needs an executable file named bootstrap at the "
                                                         "root of the code");
    }
    fn->argv = {bootstrap};
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (functions_.count(name)) return lambda::FunctionAlreadyExists(name);
  auto config = fn->config;
  functions_[name] = std::move(fn);
  return config;
}

LambdaResult<lambda::FunctionConfiguration> Region::GetFunction(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = functions_.find(name);
  if (it == functions_.end()) return lambda::FunctionNotFound(options_.config.aws_region, name);
  return it->second->config;
}

LambdaResult<lambda::FunctionConfiguration> Region::UpdateFunctionConfiguration(
    const std::string& name, const lambda::UpdateFunctionConfigurationInput& in) {
  std::vector<std::shared_ptr<SandboxState>> stale;
  lambda::FunctionConfiguration out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = functions_.find(name);
    if (it == functions_.end()) return lambda::FunctionNotFound(options_.config.aws_region, name);
    Function& fn = *it->second;
    LambdaError e = lambda::ApplyUpdate(in, std::chrono::system_clock::now(), &fn.config);
    if (!e.ok()) return e;
    if (IsPython(fn.config.runtime)) {
      fn.argv = {options_.python, options_.python_bootstrap};
    } else {
      fn.argv = {fn.code_dir + "/bootstrap"};
    }
    ++fn.version;  // new memory or environment: new sandboxes
    stale.assign(fn.idle.begin(), fn.idle.end());
    fn.idle.clear();
    out = fn.config;
  }
  for (auto& sb : stale) Retire(sb);
  return out;
}

LambdaError Region::DeleteFunction(const std::string& name) {
  std::vector<std::shared_ptr<SandboxState>> stale;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = functions_.find(name);
    if (it == functions_.end()) return lambda::FunctionNotFound(options_.config.aws_region, name);
    for (auto& [id, sb] : sandboxes_) {
      if (sb->function == name && sb->phase != SandboxState::Phase::kBusy) stale.push_back(sb);
    }
    functions_.erase(it);
  }
  for (auto& sb : stale) Retire(sb);
  return {};
}

std::vector<lambda::FunctionConfiguration> Region::ListFunctions() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<lambda::FunctionConfiguration> out;
  for (const auto& [name, fn] : functions_) out.push_back(fn->config);
  return out;
}

std::vector<std::string> Region::EnvFor(const Function& fn, size_t host_index) const {
  const auto& c = fn.config;
  const sandbox::Host& host = *hosts_[host_index];
  // The store is in the region core, through the host's uplink (shaped);
  // without a core, at the host's gateway.
  std::string core = host_index < options_.core_ips.size() && !options_.core_ips[host_index].empty()
                         ? options_.core_ips[host_index]
                         : host.gateway_ip();
  std::string s3 = options_.s3_tls_port ? "https://" + core + ":" + std::to_string(options_.s3_tls_port)
                                        : "http://" + core + ":" + std::to_string(options_.s3_port);
  std::vector<std::string> env = {
      "AWS_LAMBDA_FUNCTION_NAME=" + c.function_name,
      "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + std::to_string(c.memory_mb),
      "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
      "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + c.function_name,
      "AWS_LAMBDA_LOG_STREAM_NAME=faasnet/[$LATEST]" + host.id(),
      "AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
      "_HANDLER=" + c.handler,
      "AWS_REGION=" + options_.config.aws_region,
      "AWS_DEFAULT_REGION=" + options_.config.aws_region,
      "AWS_EXECUTION_ENV=AWS_Lambda_" + c.runtime,
      "LAMBDA_TASK_ROOT=" + fn.code_dir,
      "LAMBDA_RUNTIME_DIR=" + fn.code_dir,
      "TZ=:UTC",
      "LANG=en_US.UTF-8",
      "HOME=/tmp",
      "PATH=/usr/local/bin:/usr/bin:/bin",
      "PYTHONDONTWRITEBYTECODE=1",
      "AWS_ENDPOINT_URL_S3=" + s3,
      "FAASNET_S3_ENDPOINT=" + s3,
  };
  if (options_.s3_tls_port) env.push_back("AWS_CA_BUNDLE=" + options_.s3_ca_file);
  if (!options_.iperf_ports.empty()) {
    std::string ports;
    for (uint16_t p : options_.iperf_ports) ports += (ports.empty() ? "" : ",") + std::to_string(p);
    env.push_back("FAASNET_IPERF_HOST=" + core);
    env.push_back("FAASNET_IPERF_PORTS=" + ports);
  }
  if (!options_.s3_access_key_id.empty()) {
    env.push_back("AWS_ACCESS_KEY_ID=" + options_.s3_access_key_id);
    env.push_back("AWS_SECRET_ACCESS_KEY=" + options_.s3_secret_access_key);
  }
  for (const auto& [k, v] : c.environment) env.push_back(k + "=" + v);
  return env;
}

// ---------------------------------------------------------------- sandboxes

LambdaResult<std::shared_ptr<Region::SandboxState>> Region::StartSandbox(const Function& fn, int version) {
  auto st = std::make_shared<SandboxState>();
  sandbox::SandboxSpec spec;
  size_t host;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return LambdaError::ServiceException("the region is shutting down");
    int mem = fn.config.memory_mb;
    // Experiments pin a function to a host with the FAASNET_PIN_HOST variable.
    std::string pinned;
    if (auto it = fn.config.environment.find("FAASNET_PIN_HOST"); it != fn.config.environment.end()) {
      pinned = it->second;
    }
    std::vector<std::shared_ptr<SandboxState>> evicted;
    auto pick = PickEvictingLocked(mem, pinned, &evicted);
    for (auto& sb : evicted) {
      spdlog::info("region: evicted idle sandbox {} ({} MB of {}) to make room for {}", sb->id, sb->memory_mb,
                   sb->function, fn.config.function_name);
      asio::post(ioc_, [this, sb] { Teardown(*sb); });
    }
    if (!pick) {
      return LambdaError::TooManyRequestsException(
          "ConcurrentInvocationLimitExceeded",
          (pinned.empty() ? "No emulated host" : "Host '" + pinned + "' (FAASNET_PIN_HOST) does not exist or") +
              std::string(pinned.empty() ? " has " : " has not ") + std::to_string(mem) +
              " MB free for a new sandbox; add hosts or memory");
    }
    host = *pick;
    loads_[host].used_mb += mem;
    loads_[host].sandboxes += 1;
    st->id = "s" + std::to_string(++next_sandbox_);
  }
  st->function = fn.config.function_name;
  st->version = version;
  st->host = host;
  st->memory_mb = fn.config.memory_mb;
  st->cpus = options_.config.cpu.CpusFor(st->memory_mb, options_.config.hosts[host].vcpus);
  st->created = Clock::now();
  spec.id = st->id;
  spec.function = fn.config.function_name;
  spec.memory_mb = st->memory_mb;
  spec.cpus = st->cpus;
  spec.cpu_period_us = options_.config.cpu_period_us;
  spec.pids_limit = options_.config.pids_limit;
  spec.code_dir = fn.code_dir;
  spec.work_dir = options_.work_dir + "/sandboxes/" + st->id;
  spec.argv = fn.argv;
  spec.env = EnvFor(fn, host);
  st->log_path = spec.work_dir + "/output.log";
  auto created = hosts_[host]->CreateSandbox(spec);
  auto undo_load = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    loads_[host].used_mb -= st->memory_mb;
    loads_[host].sandboxes -= 1;
  };
  if (!created.ok()) {
    undo_load();
    spdlog::error("region: {}", created.status().ToString());
    return LambdaError::ServiceException("Could not create a sandbox: " + created.status().message());
  }
  st->sb = std::move(*created);
  // Its shaper classes, before its runtime can send a byte.
  if (options_.network && !st->sb->ipv4().empty()) {
    if (Status s = options_.network->AddSandbox(host, st->id, st->sb->ipv4(), st->memory_mb); !s.ok()) {
      (void)st->sb->Destroy();
      undo_load();
      spdlog::error("region: sandbox {}: shaping: {}", st->id, s.ToString());
      return LambdaError::ServiceException("Could not shape the sandbox's network: " + s.message());
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    sandboxes_[st->id] = st;
    by_key_[st->sb->runtime_key()] = st->id;
  }
  if (Status s = st->sb->Start(); !s.ok()) {
    Retire(st);
    return LambdaError::ServiceException("Could not start the runtime: " + s.message());
  }
  asio::co_spawn(ioc_, Monitor(st), asio::detached);
  return st;
}

LambdaResult<std::shared_ptr<Region::SandboxState>> Region::TakeWarm(const std::string& function) {
  std::vector<std::shared_ptr<SandboxState>> stale;
  std::shared_ptr<SandboxState> warm;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = functions_.find(function);
    if (it == functions_.end()) return lambda::FunctionNotFound(options_.config.aws_region, function);
    Function* fn = it->second.get();
    while (!fn->idle.empty()) {
      auto sb = fn->idle.front();
      fn->idle.pop_front();
      if (sb->phase == SandboxState::Phase::kIdle && sb->version == fn->version) {
        sb->phase = SandboxState::Phase::kBusy;
        warm = std::move(sb);
        break;
      }
      stale.push_back(sb);
    }
  }
  for (auto& sb : stale) Retire(sb);
  return warm;
}

LambdaResult<std::shared_ptr<Region::SandboxState>> Region::ColdStart(const std::string& function) {
  // Function objects live until DeleteFunction; an invocation holds `active`, so the
  // region does not delete a function's state while it runs (DeleteFunction retires idle ones only).
  Function copy;
  int version = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = functions_.find(function);
    if (it == functions_.end()) return lambda::FunctionNotFound(options_.config.aws_region, function);
    copy.config = it->second->config;
    copy.code_dir = it->second->code_dir;
    copy.argv = it->second->argv;
    version = it->second->version;
  }
  auto sb = StartSandbox(copy, version);
  if (sb.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    (*sb)->phase = SandboxState::Phase::kBusy;
  }
  return sb;
}

awaitable<std::optional<LambdaResult<std::shared_ptr<Region::SandboxState>>>> Region::ColdStartOnPool(
    std::string function) {
  co_return ColdStart(function);
}

net::SandboxTcCounters Region::NetCounters(const SandboxState& sb) {
  if (!options_.network || !sb.sb || sb.sb->ipv4().empty()) return {};
  auto c = options_.network->ReadCounters(sb.host, sb.id);
  return c.ok() ? *c : net::SandboxTcCounters{};
}

void Region::Teardown(const SandboxState& sb) {
  if (sb.sb) {
    if (Status st = sb.sb->Destroy(); !st.ok()) spdlog::warn("region: sandbox {}: {}", sb.id, st.ToString());
  }
  if (options_.network) {
    if (Status st = options_.network->RemoveSandbox(sb.host, sb.id); !st.ok()) {
      spdlog::warn("region: sandbox {}: shaping: {}", sb.id, st.ToString());
    }
  }
}

void Region::Release(const std::shared_ptr<SandboxState>& sb, bool healthy) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = functions_.find(sb->function);
    bool keep = healthy && !shut_down_ && sb->phase == SandboxState::Phase::kBusy && it != functions_.end() &&
                it->second->version == sb->version && !sb->init_error;
    if (keep) {
      sb->phase = SandboxState::Phase::kIdle;
      sb->last_used = Clock::now();
      sb->current.reset();
      it->second->idle.push_front(sb);
      return;
    }
  }
  Retire(sb);
}

void Region::Retire(const std::shared_ptr<SandboxState>& sb) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!DetachLocked(sb)) return;  // already retired
  }
  // Kernel teardown off the API threads.
  asio::post(ioc_, [this, sb] { Teardown(*sb); });
}

bool Region::DetachLocked(const std::shared_ptr<SandboxState>& sb) {
  if (!sandboxes_.erase(sb->id)) return false;
  if (sb->sb) by_key_.erase(sb->sb->runtime_key());
  loads_[sb->host].used_mb -= sb->memory_mb;
  loads_[sb->host].sandboxes -= 1;
  sb->phase = SandboxState::Phase::kDead;
  if (sb->next_waiter) sb->next_waiter->Fire();
  auto it = functions_.find(sb->function);
  if (it != functions_.end()) {
    auto& idle = it->second->idle;
    idle.erase(std::remove(idle.begin(), idle.end(), sb), idle.end());
  }
  return true;
}

std::optional<size_t> Region::PickEvictingLocked(int memory_mb, const std::string& pinned,
                                                 std::vector<std::shared_ptr<SandboxState>>* evicted) {
  if (auto pick = placer_.Pick(loads_, memory_mb, pinned)) return pick;
  // As a platform under memory pressure: idle sandboxes give their memory back, least recently
  // used first, but only when that makes room (busy ones are never touched).
  std::vector<std::shared_ptr<SandboxState>> idle;
  auto loads = loads_;
  for (auto& [id, sb] : sandboxes_) {
    if (sb->phase != SandboxState::Phase::kIdle) continue;
    if (!pinned.empty() && loads_[sb->host].id != pinned) continue;
    idle.push_back(sb);
    loads[sb->host].used_mb -= sb->memory_mb;
    loads[sb->host].sandboxes -= 1;
  }
  if (idle.empty() || !placer_.Pick(loads, memory_mb, pinned)) return std::nullopt;
  std::sort(idle.begin(), idle.end(), [](const auto& a, const auto& b) { return a->last_used < b->last_used; });
  for (auto& sb : idle) {
    if (DetachLocked(sb)) evicted->push_back(sb);
    if (auto pick = placer_.Pick(loads_, memory_mb, pinned)) return pick;
  }
  return std::nullopt;
}

awaitable<void> Region::Monitor(std::shared_ptr<SandboxState> sb) {
  int fd = ::dup(sb->sb->pidfd());
  if (fd < 0) co_return;
  asio::posix::stream_descriptor pidfd(ioc_, fd);
  boost::system::error_code ec;
  co_await pidfd.async_wait(asio::posix::stream_descriptor::wait_read, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;  // shutting down
  auto polled = sb->sb->PollExit();
  std::shared_ptr<Pending> p;
  bool idle = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (polled.ok() && polled->has_value()) sb->exit = **polled;
    p = sb->current;
    idle = sb->phase == SandboxState::Phase::kIdle || sb->phase == SandboxState::Phase::kStarting;
    if (p && !p->completed) {
      // The runtime died under an invocation: out of memory or a crash.
      sys::ExitStatus es = sb->exit.value_or(sys::ExitStatus{});
      std::string prefix = "RequestId: " + p->request_id + " Error: Runtime exited with error: ";
      p->completed = true;
      p->is_error = true;
      if (es.oom_killed) {
        p->error_type = "Runtime.OutOfMemory";
        p->error_message = prefix + "signal: killed (out of memory at " + std::to_string(sb->memory_mb) + " MB)";
      } else if (sb->init_error) {
        p->error_type = sb->init_error->error_type;
        p->error_message = sb->init_error->error_message;
      } else {
        p->error_type = "Runtime.ExitError";
        p->error_message = prefix + es.ToString();
      }
      p->body = ErrorBody(p->error_type, p->error_message);
    }
  }
  if (p) {
    p->picked.Fire();
    p->done.Fire();
  }
  if (idle) Retire(sb);  // a busy sandbox is retired by its invocation
}

awaitable<void> Region::IdleReaper() {
  asio::steady_timer timer(ioc_);
  for (;;) {
    timer.expires_after(std::chrono::seconds(1));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    std::vector<std::shared_ptr<SandboxState>> old;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (shut_down_) co_return;
      auto cutoff = Clock::now() - options_.config.idle_timeout;
      for (auto& [id, sb] : sandboxes_) {
        if (sb->phase == SandboxState::Phase::kIdle && sb->last_used < cutoff) old.push_back(sb);
      }
    }
    for (auto& sb : old) Retire(sb);
  }
}

// ---------------------------------------------------------------- invocations

awaitable<LambdaResult<lambda::InvokeResult>> Region::Invoke(lambda::InvokeRequest request) {
  if (request.request_id.empty()) request.request_id = lambda::NewRequestId();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!functions_.count(request.function_name)) {
      co_return lambda::FunctionNotFound(options_.config.aws_region, request.function_name);
    }
  }
  using Type = lambda::InvokeRequest::Type;
  if (request.type == Type::kDryRun) {
    lambda::InvokeResult r;
    r.status_code = 204;
    r.request_id = request.request_id;
    co_return r;
  }
  if (request.type == Type::kEvent) {
    lambda::InvokeResult r;
    r.status_code = 202;
    r.request_id = request.request_id;
    asio::co_spawn(
        ioc_,
        [this, request]() -> awaitable<void> {
          auto res = co_await Run(request);
          if (!res.ok()) spdlog::warn("region: event invocation {}: {}", request.request_id, res.error().message);
        },
        asio::detached);
    co_return r;
  }
  co_return co_await Run(std::move(request));
}

awaitable<LambdaResult<lambda::InvokeResult>> Region::Run(lambda::InvokeRequest request) {
  const std::string& name = request.function_name;
  int timeout_s = 3;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = functions_.find(name);
    if (it == functions_.end()) co_return lambda::FunctionNotFound(options_.config.aws_region, name);
    const auto& cfg = options_.config;
    if (active_ >= cfg.region_concurrency) {
      co_return LambdaError::TooManyRequestsException("ConcurrentInvocationLimitExceeded", "Rate Exceeded.");
    }
    if (cfg.function_concurrency > 0 && it->second->active >= cfg.function_concurrency) {
      co_return LambdaError::TooManyRequestsException("ReservedFunctionConcurrentInvocationLimitExceeded",
                                                      "Rate Exceeded.");
    }
    ++active_;
    ++it->second->active;
    timeout_s = it->second->config.timeout_s;
  }
  struct ActiveGuard {
    Region* r;
    std::string name;
    ~ActiveGuard() {
      std::lock_guard<std::mutex> lock(r->mu_);
      --r->active_;
      auto it = r->functions_.find(name);
      if (it != r->functions_.end()) --it->second->active;
    }
  } guard{this, name};

  auto start = Clock::now();
  bool cold = false;
  auto acquired = TakeWarm(name);
  if (!acquired.ok()) co_return acquired.error();
  std::shared_ptr<SandboxState> sb = *acquired;
  if (!sb) {
    // A cold start blocks on the kernel (namespaces, cgroups, spawning): it
    // runs on create_pool_ and this coroutine resumes on its own executor,
    // so the API server's threads keep serving meanwhile.
    cold = true;
    // Named, not a temporary inside the co_await: GCC 12 destroys
    // temporaries of a co_await expression twice.
    auto on_pool = asio::co_spawn(create_pool_, ColdStartOnPool(name), asio::use_awaitable);
    std::optional<LambdaResult<std::shared_ptr<SandboxState>>> started = co_await std::move(on_pool);
    if (!started) co_return LambdaError::ServiceException("the sandbox start was abandoned");
    if (!started->ok()) co_return started->error();
    sb = **started;
  }

  // What the sandbox used before, to report what this invocation used.
  (void)sb->sb->ResetMemoryPeak();
  auto usage_before = sb->sb->ReadUsage();  // one read: each costs cgroup files and a netlink socket
  sandbox::Usage before = usage_before.ok() ? *usage_before : sandbox::Usage{};
  net::SandboxTcCounters net_before = NetCounters(*sb);
  uint64_t log_offset = FileSize(sb->log_path);

  auto p = std::make_shared<Pending>();
  p->request_id = request.request_id;
  p->payload = std::move(request.payload);
  p->client_context = request.client_context;
  p->timeout_s = timeout_s;
  std::shared_ptr<Waiter> next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    sb->current = p;
    next = std::move(sb->next_waiter);
    sb->next_waiter.reset();
    if (sb->phase == SandboxState::Phase::kDead && !p->completed) {
      p->completed = true;
      p->is_error = true;
      p->error_type = "Runtime.ExitError";
      p->error_message = "the runtime exited before the invocation started";
      p->body = ErrorBody(p->error_type, p->error_message);
      p->picked.Fire();
      p->done.Fire();
    }
  }
  if (next) next->Fire();

  // Phase 1: the runtime takes the event (a cold one must first initialise).
  bool timed_out = false;
  bool taken = co_await p->picked.Wait(Clock::now() + options_.init_timeout + std::chrono::seconds(cold ? 0 : 1));
  Clock::time_point taken_at;
  {
    std::lock_guard<std::mutex> lock(mu_);
    taken_at = p->taken ? p->taken_at : Clock::now();
    if (!taken && !p->completed) {
      p->completed = true;
      p->is_error = true;
      p->error_type = "Runtime.InitTimeout";  // never asked for work
      p->error_message = fmt::format("RequestId: {} Error: the runtime did not call /next within {} ms",
                                     p->request_id, options_.init_timeout.count());
      p->body = ErrorBody(p->error_type, p->error_message);
      timed_out = true;
    }
  }
  // Phase 2: the function runs until its deadline.
  if (!timed_out) {
    bool done = co_await p->done.Wait(taken_at + std::chrono::seconds(timeout_s));
    std::lock_guard<std::mutex> lock(mu_);
    if (!done && !p->completed) {
      p->completed = true;
      p->is_error = true;
      p->error_type = "Sandbox.Timedout";
      p->error_message = fmt::format("RequestId: {} Error: Task timed out after {:.2f} seconds", p->request_id,
                                     static_cast<double>(timeout_s));
      p->body = ErrorBody(p->error_type, p->error_message);
      timed_out = true;
    }
  }
  auto end = Clock::now();
  if (timed_out) (void)sb->sb->Kill();  // at the deadline; the sandbox is replaced

  // The record.
  InvocationRecord rec;
  rec.request_id = p->request_id;
  rec.function = name;
  rec.memory_mb = sb->memory_mb;
  rec.cpus = sb->cpus;
  rec.host_id = sb->sb->host_id();
  rec.sandbox_id = sb->id;
  rec.isolation = IsolationName(options_.config.isolation);
  rec.oversubscribed = options_.config.total_vcpus() * options_.config.cpu.cpu_scale >
                       static_cast<double>(std::thread::hardware_concurrency());
  rec.cold = cold;
  rec.init_duration_ms = cold ? sb->init_ms : 0;
  rec.duration_ms = Ms(end - taken_at);
  rec.billed_duration_ms_1ms = BilledMs(rec.duration_ms, 1);
  rec.billed_duration_ms_100ms = BilledMs(rec.duration_ms, 100);
  rec.start_unix_ms = EpochMs() - static_cast<int64_t>(Ms(end - start));
  if (auto after = sb->sb->ReadUsage(); after.ok()) {
    rec.cpu_time_ms = (after->cpu_ns - before.cpu_ns) / 1e6;
    rec.cpu_throttled_ms = (after->cpu_throttled_ns - before.cpu_throttled_ns) / 1e6;
    rec.cpu_nr_throttled = after->cpu_nr_throttled - before.cpu_nr_throttled;
    rec.max_memory_used_bytes = after->memory_peak_bytes.value_or(0);
    rec.net_rx_bytes = after->rx_bytes - before.rx_bytes;
    rec.net_tx_bytes = after->tx_bytes - before.tx_bytes;
    if (after->oom_kills > before.oom_kills && p->error_type == "Runtime.ExitError") {
      p->error_type = "Runtime.OutOfMemory";
      p->body = ErrorBody(p->error_type, p->error_message);
    }
  }
  if (options_.network) {
    rec.net_usage = net::UsageBetween(net_before, NetCounters(*sb));
    rec.network_policy = net::PolicyKindName(options_.network->profile().profile.policy.kind);
    rec.network_profile_json = options_.network->profile_json();
  }
  rec.error_type = p->error_type;
  rec.error_message = p->error_message;
  records_->Write(rec);
  std::string report = rec.ReportLine();

  lambda::InvokeResult result;
  result.request_id = p->request_id;
  result.status_code = 200;
  result.payload = p->body;
  if (p->is_error) result.function_error = "Unhandled";
  if (request.log_tail) {
    std::string tail = LogSince(sb->log_path, log_offset);
    tail = "START RequestId: " + p->request_id + " Version: $LATEST\n" + tail + "END RequestId: " + p->request_id +
           "\n" + report + "\n";
    result.log_tail = tail.size() > 4096 ? tail.substr(tail.size() - 4096) : tail;
  }
  // A handled error (the runtime reported it) leaves a healthy sandbox; a
  // timeout, crash, out-of-memory or init failure replaces it.
  bool healthy = !timed_out && !(p->is_error && (p->error_type.rfind("Runtime.", 0) == 0 ||
                                                  p->error_type.rfind("Sandbox.", 0) == 0));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (sb->exit) healthy = false;
  }
  Release(sb, healthy);
  co_return result;
}

// ---------------------------------------------------------------- Runtime API

LambdaResult<std::string> Region::SandboxFor(const http::Request& request) {
  std::string remote_ip = request.remote.substr(0, request.remote.rfind(':'));
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = by_key_.find(request.local); it != by_key_.end()) return it->second;
  if (auto it = by_key_.find(remote_ip); it != by_key_.end()) return it->second;
  return LambdaError::ResourceNotFoundException("no sandbox answers to " + request.remote + " -> " + request.local);
}

awaitable<LambdaResult<lambda::NextInvocation>> Region::Next(const std::string& sandbox_id) {
  for (;;) {
    std::shared_ptr<Waiter> w;
    std::shared_ptr<Pending> p;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = sandboxes_.find(sandbox_id);
      if (it == sandboxes_.end()) co_return LambdaError::ResourceNotFoundException("sandbox " + sandbox_id + " is gone");
      SandboxState& sb = *it->second;
      if (sb.phase == SandboxState::Phase::kDead) co_return LambdaError::InvalidStateTransition("sandbox is stopping");
      if (!sb.initialized) {
        sb.initialized = true;
        sb.init_ms = Ms(Clock::now() - sb.created);
      }
      if (sb.current && !sb.current->taken && !sb.current->completed) {
        p = sb.current;
        p->taken = true;
        p->taken_at = Clock::now();
      } else {
        sb.next_waiter = std::make_shared<Waiter>();
        w = sb.next_waiter;
      }
    }
    if (p) {
      p->picked.Fire();
      lambda::NextInvocation n;
      n.request_id = p->request_id;
      n.deadline_ms = EpochMs() + p->timeout_s * 1000;
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = sandboxes_.find(sandbox_id);
        if (it != sandboxes_.end()) {
          auto fit = functions_.find(it->second->function);
          if (fit != functions_.end()) n.function_arn = fit->second->config.function_arn;
        }
      }
      n.trace_id = "Root=1-" + p->request_id.substr(0, 8) + "-faasnet;Sampled=0";
      n.client_context = p->client_context;
      n.payload = p->payload;
      co_return n;
    }
    co_await w->Wait();
  }
}

LambdaError Region::PostResponse(const std::string& sandbox_id, const std::string& request_id, std::string body) {
  std::shared_ptr<Pending> p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sandboxes_.find(sandbox_id);
    if (it == sandboxes_.end()) return LambdaError::ResourceNotFoundException("sandbox " + sandbox_id + " is gone");
    p = it->second->current;
    if (!p || p->request_id != request_id || !p->taken || p->completed) {
      return LambdaError::InvalidRequestId("Invalid request ID: " + request_id);
    }
    p->completed = true;
    p->body = std::move(body);
  }
  p->done.Fire();
  return {};
}

LambdaError Region::PostError(const std::string& sandbox_id, const std::string& request_id,
                              lambda::RuntimeError error) {
  std::shared_ptr<Pending> p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sandboxes_.find(sandbox_id);
    if (it == sandboxes_.end()) return LambdaError::ResourceNotFoundException("sandbox " + sandbox_id + " is gone");
    p = it->second->current;
    if (!p || p->request_id != request_id || !p->taken || p->completed) {
      return LambdaError::InvalidRequestId("Invalid request ID: " + request_id);
    }
    p->completed = true;
    p->is_error = true;
    p->error_type = error.error_type.empty() ? "Unhandled" : error.error_type;
    p->error_message = error.error_message;
    p->body = error.body.empty() ? ErrorBody(p->error_type, p->error_message) : error.body;
  }
  p->done.Fire();
  return {};
}

LambdaError Region::PostInitError(const std::string& sandbox_id, lambda::RuntimeError error) {
  std::shared_ptr<Pending> p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sandboxes_.find(sandbox_id);
    if (it == sandboxes_.end()) return LambdaError::ResourceNotFoundException("sandbox " + sandbox_id + " is gone");
    SandboxState& sb = *it->second;
    sb.init_error = error;
    p = sb.current;
    if (p && !p->completed) {
      p->completed = true;
      p->is_error = true;
      p->error_type = error.error_type.empty() ? "Runtime.Unknown" : error.error_type;
      p->error_message = error.error_message;
      p->body = error.body.empty() ? ErrorBody(p->error_type, p->error_message) : error.body;
    } else {
      p.reset();
    }
  }
  if (p) {
    p->picked.Fire();
    p->done.Fire();
  }
  return {};
}

}  // namespace faasnet::region
