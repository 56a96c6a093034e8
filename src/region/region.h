// The local FaaS region: functions, their sandboxes on emulated hosts, and
// invocations from the Invoke API to a runtime and back, with a truthful
// record of each. It implements the two interfaces of the lambda module:
// Platform (what the Invoke API calls) and RuntimeBroker (what the Runtime
// API inside each sandbox calls).
//
// An invocation: find or start a sandbox (warm reuse first; a cold start
// places a new sandbox on a host with room and spawns the runtime), hand the
// event to the runtime's waiting /next, wait for /response or /error, the
// runtime's death (crash, out of memory) or the deadline (then kill it),
// measure what the sandbox used meanwhile (cgroup CPU, throttling, memory
// high-water mark, bytes on its veth), write the record, and return the
// sandbox to the warm pool or replace it.
//
// Ownership: the Region owns hosts, sandboxes, function code directories
// under work_dir, and a background thread for monitors (runtime exits, idle
// sandboxes). Thread-safety: every public method may be called concurrently
// from the API servers' threads; state is guarded by one mutex, and kernel
// work (sandbox creation and teardown) happens outside it.
#ifndef FAASNET_REGION_REGION_H_
#define FAASNET_REGION_REGION_H_

#include <utility>  // before Asio

#include <boost/asio.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "lambda/platform.h"
#include "lambda/runtime_api.h"
#include "region/config.h"
#include "region/network.h"
#include "region/placement.h"
#include "region/records.h"
#include "region/waiter.h"
#include "sandbox/sandbox.h"

namespace faasnet::region {

struct RegionOptions {
  RegionConfig config;
  std::string work_dir;  // function code, sandbox directories, invocations.jsonl
  std::string python = "/usr/bin/python3";  // runs python3.x functions (Debian's, with boto3)
  std::string python_bootstrap;              // faasnet's runtime/python/bootstrap.py
  // Given to every function: the store's endpoint port on the host gateway and credentials.
  uint16_t s3_port = 9000;
  std::string s3_access_key_id;
  std::string s3_secret_access_key;
  std::chrono::milliseconds init_timeout{10'000};  // runtime start until its first /next (Lambda: 10 s)
  // Full isolation: the region core's address on each host's subnet (in host
  // order). Functions reach the store (and iperf3) there, through their
  // host's uplink; empty: at the host's gateway (no core, --isolation none).
  std::vector<std::string> core_ips;
  std::vector<uint16_t> iperf_ports;  // iperf3 servers in the core (FAASNET_IPERF_PORTS)
  // The store over https in the core (profile store.tls): its port there and
  // the CA functions verify it with (AWS_CA_BUNDLE); 0 = plain http.
  uint16_t s3_tls_port = 0;
  std::string s3_ca_file;
  // The shapers (borrowed; must outlive the Region). nullptr: no shaping and
  // no per-class counters (records still carry the veth counters).
  RegionNetwork* network = nullptr;
  // Sandbox creation (cold starts) runs on a pool of this many threads, never
  // on the API servers' threads.
  int create_threads = 4;
};

class Region final : public lambda::Platform, public lambda::RuntimeBroker {
 public:
  // Takes the hosts (already created, in config order). Opens the records file.
  static Result<std::unique_ptr<Region>> Create(RegionOptions options,
                                                std::vector<std::unique_ptr<sandbox::Host>> hosts);
  ~Region() override;

  // lambda::Platform
  lambda::LambdaResult<lambda::FunctionConfiguration> CreateFunction(const lambda::CreateFunctionInput& in) override;
  lambda::LambdaResult<lambda::FunctionConfiguration> GetFunction(const std::string& name) override;
  lambda::LambdaResult<lambda::FunctionConfiguration> UpdateFunctionConfiguration(
      const std::string& name, const lambda::UpdateFunctionConfigurationInput& in) override;
  lambda::LambdaError DeleteFunction(const std::string& name) override;
  std::vector<lambda::FunctionConfiguration> ListFunctions() override;
  boost::asio::awaitable<lambda::LambdaResult<lambda::InvokeResult>> Invoke(lambda::InvokeRequest request) override;

  // lambda::RuntimeBroker
  lambda::LambdaResult<std::string> SandboxFor(const http::Request& request) override;
  boost::asio::awaitable<lambda::LambdaResult<lambda::NextInvocation>> Next(const std::string& sandbox_id) override;
  lambda::LambdaError PostResponse(const std::string& sandbox_id, const std::string& request_id,
                                   std::string body) override;
  lambda::LambdaError PostError(const std::string& sandbox_id, const std::string& request_id,
                                lambda::RuntimeError error) override;
  lambda::LambdaError PostInitError(const std::string& sandbox_id, lambda::RuntimeError error) override;

  // Removes every sandbox and host. Idempotent; the destructor calls it.
  void Shutdown();

  const RegionConfig& config() const { return options_.config; }
  const std::string& records_path() const { return records_->path(); }
  // Sandboxes alive now (any state).
  size_t sandbox_count() const;

 private:
  struct Function;
  struct SandboxState;
  struct Pending;
  struct Outcome;

  Region(RegionOptions options, std::vector<std::unique_ptr<sandbox::Host>> hosts);

  boost::asio::awaitable<lambda::LambdaResult<lambda::InvokeResult>> Run(lambda::InvokeRequest request);
  // A warm sandbox of `function` (busy now), or nullptr when there is none.
  lambda::LambdaResult<std::shared_ptr<SandboxState>> TakeWarm(const std::string& function);
  // A new sandbox of `function` (busy now). Blocks for the kernel work: run
  // it on create_pool_.
  lambda::LambdaResult<std::shared_ptr<SandboxState>> ColdStart(const std::string& function);
  // ColdStart as a coroutine to co_spawn on create_pool_ (optional: co_spawn
  // needs a default-constructible result).
  boost::asio::awaitable<std::optional<lambda::LambdaResult<std::shared_ptr<SandboxState>>>> ColdStartOnPool(
      std::string function);
  // The sandbox's shaper counters (zeros without a network).
  net::SandboxTcCounters NetCounters(const SandboxState& sb);
  lambda::LambdaResult<std::shared_ptr<SandboxState>> StartSandbox(const Function& fn, int version);
  void Release(const std::shared_ptr<SandboxState>& sb, bool healthy);
  void Retire(const std::shared_ptr<SandboxState>& sb);
  // Retire's bookkeeping, under mu_; false when `sb` was retired already.
  bool DetachLocked(const std::shared_ptr<SandboxState>& sb);
  // A host for a new sandbox of `memory_mb`; when none has room, evicts idle
  // sandboxes (least recently used first, only if that makes room) into
  // `evicted`, whose teardown the caller posts. Under mu_.
  std::optional<size_t> PickEvictingLocked(int memory_mb, const std::string& pinned,
                                           std::vector<std::shared_ptr<SandboxState>>* evicted);
  boost::asio::awaitable<void> Monitor(std::shared_ptr<SandboxState> sb);
  boost::asio::awaitable<void> IdleReaper();
  std::vector<std::string> EnvFor(const Function& fn, size_t host) const;
  // Destroys the sandbox and removes its shaper classes (kernel work).
  void Teardown(const SandboxState& sb);

  RegionOptions options_;
  std::unique_ptr<RecordWriter> records_;

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<sandbox::Host>> hosts_;
  std::vector<HostLoad> loads_;  // parallel to hosts_
  Placer placer_;
  std::map<std::string, std::unique_ptr<Function>> functions_;
  std::map<std::string, std::shared_ptr<SandboxState>> sandboxes_;  // by id
  std::map<std::string, std::string> by_key_;                      // runtime key -> sandbox id
  int active_ = 0;
  uint64_t next_sandbox_ = 0;
  uint64_t next_code_ = 0;
  bool shut_down_ = false;

  boost::asio::thread_pool create_pool_;  // cold starts
  boost::asio::io_context ioc_;  // monitors, the idle reaper, Event invocations
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
};

}  // namespace faasnet::region

#endif  // FAASNET_REGION_REGION_H_
