// `--isolation none`: sandboxes are plain processes on loopback. No quota, no
// memory limit, no namespace: every record made from them says "isolation":
// "none". Usage comes from /proc (CPU time, VmHWM); bytes are not counted.
#include <csignal>

#include "base/log.h"
#include "base/strings.h"
#include "sandbox/common.h"
#include "sandbox/sandbox.h"
#include "sys/fd.h"
#include "sys/listen.h"

namespace faasnet::sandbox {

namespace {

class LocalSandbox final : public Sandbox {
 public:
  LocalSandbox(SandboxSpec spec, std::string host_id, ListenerRegistry* api, std::string key, sys::SpawnOptions opts)
      : spec_(std::move(spec)), host_id_(std::move(host_id)), api_(api), key_(std::move(key)),
        opts_(std::move(opts)) {}
  ~LocalSandbox() override { Destroy(); }

  const SandboxSpec& spec() const override { return spec_; }
  const std::string& host_id() const override { return host_id_; }
  const std::string& runtime_key() const override { return key_; }
  bool keyed_by_remote_ip() const override { return false; }
  const std::string& cgroup_path() const override { return empty_; }
  int pidfd() const override { return process_.pidfd(); }
  pid_t pid() const override { return process_.pid(); }

  Result<Usage> ReadUsage() override {
    Usage u;
    if (!process_.running()) return u;
    std::string pid = std::to_string(process_.pid());
    if (auto stat = sys::ReadFile("/proc/" + pid + "/stat"); stat.ok()) {
      // Fields after the ")" of the command name: utime is the 12th, stime the 13th.
      auto rest = Split(std::string_view(*stat).substr(stat->rfind(')') + 2), ' ');
      if (rest.size() > 13) {
        long ticks = ::sysconf(_SC_CLK_TCK);
        uint64_t t = std::stoull(std::string(rest[11])) + std::stoull(std::string(rest[12]));
        u.cpu_ns = t * 1'000'000'000ull / static_cast<uint64_t>(ticks);
      }
    }
    if (auto status = sys::ReadFile("/proc/" + pid + "/status"); status.ok()) {
      size_t p = status->find("VmHWM:");
      if (p != std::string::npos) u.memory_peak_bytes = std::stoull(status->substr(p + 6)) * 1024;
    }
    return u;
  }
  Status ResetMemoryPeak() override { return Status::Ok(); }  // VmHWM cannot be reset: the peak is cumulative
  Result<std::optional<sys::ExitStatus>> PollExit() override { return PollProcess(process_); }
  Status Start() override {
    if (process_.valid()) return Status::FailedPrecondition("sandbox " + spec_.id + " already started");
    ASSIGN_OR_RETURN(process_, sys::Process::Spawn(opts_));
    return Status::Ok();
  }
  Result<sys::ExitStatus> Kill() override { return process_.KillAndWait(); }
  Status Destroy() override {
    if (destroyed_) return Status::Ok();
    destroyed_ = true;
    if (process_.valid()) (void)process_.KillAndWait();
    if (api_) api_->Remove(key_);
    return Status::Ok();
  }

 private:
  SandboxSpec spec_;
  std::string host_id_;
  ListenerRegistry* api_;
  std::string key_;
  sys::SpawnOptions opts_;
  sys::Process process_;
  std::string empty_;
  bool destroyed_ = false;
};

class LocalHost final : public Host {
 public:
  explicit LocalHost(HostOptions o) : o_(std::move(o)) {}
  const std::string& id() const override { return o_.id; }
  const std::string& gateway_ip() const override { return gateway_; }
  const std::string& cgroup_path() const override { return empty_; }

  Result<std::unique_ptr<Sandbox>> CreateSandbox(const SandboxSpec& spec) override {
    // Its own Runtime API listener: all sandboxes come from 127.0.0.1.
    ASSIGN_OR_RETURN(sys::UniqueFd fd, sys::ListenTcp(nullptr, "127.0.0.1", 0));
    ASSIGN_OR_RETURN(std::string bound, o_.runtime_api->Adopt(std::move(fd)));
    auto opts = BaseSpawnOptions(spec, {"AWS_LAMBDA_RUNTIME_API=" + bound, "FAASNET_GATEWAY=127.0.0.1",
                                        "FAASNET_HOST_ID=" + o_.id, "FAASNET_SANDBOX_ID=" + spec.id});
    if (!opts.ok()) {
      o_.runtime_api->Remove(bound);
      return opts.status();
    }
    return std::unique_ptr<Sandbox>(std::make_unique<LocalSandbox>(spec, o_.id, o_.runtime_api, bound, std::move(*opts)));
  }
  Status Destroy() override { return Status::Ok(); }

 private:
  HostOptions o_;
  std::string gateway_ = "127.0.0.1";
  std::string empty_;
};

}  // namespace

Result<std::unique_ptr<Host>> CreateLocalHost(const HostOptions& options) {
  if (!options.runtime_api) return Status::InvalidArgument("host " + options.id + ": no Runtime API to register with");
  return std::unique_ptr<Host>(std::make_unique<LocalHost>(options));
}

}  // namespace faasnet::sandbox
