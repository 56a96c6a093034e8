// Full isolation: per host a network namespace with a bridge (fnbr0 at
// 10.(100+index).0.1/16) and a parent cgroup carrying the host's vCPUs; per
// sandbox a namespace, a veth to the bridge, an address, a default route and
// a cgroup with its CPU quota, memory limit (no swap) and pids limit.
// Everything is made through netlink and cgroupfs, never by running `ip`.
#include <condition_variable>
#include <csignal>
#include <deque>
#include <thread>
#include <functional>
#include <mutex>

#include "base/log.h"
#include "base/strings.h"
#include "sandbox/common.h"
#include "sandbox/sandbox.h"
#include "sys/cgroup.h"
#include "sys/listen.h"
#include "sys/netlink.h"
#include "sys/netns.h"

namespace faasnet::sandbox {

namespace {

constexpr char kBridge[] = "fnbr0";
constexpr int kMaxSandboxesPerHost = 250 * 250;

std::string Subnet(int index) { return "10." + std::to_string(100 + index) + "."; }

class IsolatedSandbox final : public Sandbox {
 public:
  IsolatedSandbox(SandboxSpec spec, std::string host_id, const sys::NetNamespace* host_ns, std::string ip,
                  std::string veth, sys::NetNamespace ns, sys::Cgroup cgroup, std::function<void()> release_ip)
      : spec_(std::move(spec)), host_id_(std::move(host_id)), host_ns_(host_ns), ip_(std::move(ip)),
        veth_(std::move(veth)), ns_(std::move(ns)), cgroup_(std::move(cgroup)), release_ip_(std::move(release_ip)) {
    cgroup_path_ = cgroup_.path();
  }
  ~IsolatedSandbox() override { Destroy(); }

  void set_spawn_options(sys::SpawnOptions o) { opts_ = std::move(o); }
  // A child already waiting in this sandbox's cgroup: Start launches it.
  void set_parked(sys::ParkedChild parked) { parked_ = std::move(parked); }
  Status Start() override {
    if (process_.valid()) return Status::FailedPrecondition("sandbox " + spec_.id + " already started");
    if (parked_.valid()) {
      ASSIGN_OR_RETURN(process_, sys::Process::Launch(std::move(parked_), opts_));
    } else {
      ASSIGN_OR_RETURN(process_, sys::Process::Spawn(opts_));
    }
    return Status::Ok();
  }
  const sys::NetNamespace& netns() const { return ns_; }

  const SandboxSpec& spec() const override { return spec_; }
  const std::string& host_id() const override { return host_id_; }
  const std::string& runtime_key() const override { return ip_; }
  bool keyed_by_remote_ip() const override { return true; }
  std::string ipv4() const override { return ip_; }
  const std::string& cgroup_path() const override { return cgroup_path_; }
  int pidfd() const override { return process_.pidfd(); }
  pid_t pid() const override { return process_.pid(); }

  Result<Usage> ReadUsage() override {
    Usage u;
    ASSIGN_OR_RETURN(auto stats, cgroup_.ReadStats());
    u.cpu_ns = stats.cpu_usage_ns;
    u.cpu_throttled_ns = stats.cpu_throttled_ns;
    u.cpu_nr_throttled = stats.nr_throttled;
    u.memory_peak_bytes = stats.memory_peak_bytes;
    u.oom_kills = stats.oom_kills;
    // The host-side end counts the other way round: its rx is what the sandbox sent.
    ASSIGN_OR_RETURN(auto nl, sys::OpenNetlink(*host_ns_));
    ASSIGN_OR_RETURN(auto link, nl->ReadStats(veth_));
    u.rx_bytes = link.tx_bytes;
    u.tx_bytes = link.rx_bytes;
    return u;
  }
  Status ResetMemoryPeak() override {
    Status st = cgroup_.manager()->ResetMemoryPeak(cgroup_.path());
    return st.code() == Status::Code::kUnimplemented ? Status::Ok() : st;
  }
  Result<std::optional<sys::ExitStatus>> PollExit() override { return PollProcess(process_); }
  Result<sys::ExitStatus> Kill() override {
    (void)cgroup_.KillAll();
    return process_.KillAndWait();
  }
  Status Destroy() override {
    if (destroyed_) return Status::Ok();
    destroyed_ = true;
    Status first;
    if (cgroup_.valid()) (void)cgroup_.KillAll();
    if (process_.valid()) (void)process_.KillAndWait();
    parked_.Kill();
    if (Status st = cgroup_.Destroy(); !st.ok() && first.ok()) first = st;
    // Deleting the namespace takes the veth with it (cheaper than deleting the veth).
    if (Status st = ns_.Destroy(); !st.ok() && first.ok()) first = st;
    if (release_ip_) release_ip_();
    if (!first.ok()) spdlog::warn("sandbox {}: teardown: {}", spec_.id, first.ToString());
    return first;
  }

 private:
  SandboxSpec spec_;
  std::string host_id_;
  const sys::NetNamespace* host_ns_;
  std::string ip_;
  std::string veth_;
  sys::NetNamespace ns_;
  sys::Cgroup cgroup_;
  std::string cgroup_path_;
  std::function<void()> release_ip_;
  sys::SpawnOptions opts_;
  sys::ParkedChild parked_;
  sys::Process process_;
  bool destroyed_ = false;
};

class IsolatedHost final : public Host {
 public:
  IsolatedHost(HostOptions o, sys::CgroupManager* cgroups) : o_(std::move(o)), cgroups_(cgroups) {
    gateway_ = Subnet(o_.index) + "0.1";
  }
  ~IsolatedHost() override { Destroy(); }

  Status Init() {
    ASSIGN_OR_RETURN(ns_, sys::NetNamespace::Create("faasnet-" + o_.region + "-" + o_.id));
    // No IPv6 on the bridge: its multicast and neighbour discovery would be
    // traffic of no sandbox in the shaper's counters.
    RETURN_IF_ERROR(sys::DisableIpv6(ns_));
    {
      ASSIGN_OR_RETURN(auto nl, sys::OpenNetlink(ns_));
      RETURN_IF_ERROR(nl->SetUp("lo", true));
      RETURN_IF_ERROR(nl->CreateBridge(kBridge).status());
      RETURN_IF_ERROR(nl->AddAddress(kBridge, gateway_ + "/16"));
      if (o_.uplink.core) RETURN_IF_ERROR(CreateUplink(*nl));
    }
    cgroup_path_ = "faasnet/" + o_.region + "/" + o_.id;
    ASSIGN_OR_RETURN(cgroup_, sys::Cgroup::Create(*cgroups_, cgroup_path_));
    auto quota = static_cast<int64_t>(o_.vcpus * o_.cpu_period_us);
    RETURN_IF_ERROR(cgroup_.SetCpu(std::max<int64_t>(1000, quota), o_.cpu_period_us));
    // The region's services, reachable at the bridge address.
    RETURN_IF_ERROR(Expose(o_.runtime_api, o_.runtime_api_port));
    for (auto& [registry, port] : o_.services) RETURN_IF_ERROR(Expose(registry, port));
    if (o_.parked_pool > 0 && cgroups_->version() == sys::CgroupVersion::kV1) {
      pool_thread_ = std::thread([this] { PoolLoop(); });
    }
    return Status::Ok();
  }

  const std::string& id() const override { return o_.id; }
  const std::string& gateway_ip() const override { return gateway_; }
  const std::string& cgroup_path() const override { return cgroup_path_; }
  const sys::NetNamespace* netns() const override { return &ns_; }

  Result<std::unique_ptr<Sandbox>> CreateSandbox(const SandboxSpec& spec) override {
    ASSIGN_OR_RETURN(int slot, TakeSlot());
    std::string ip = Subnet(o_.index) + std::to_string(slot / 250) + "." + std::to_string(slot % 250 + 2);
    std::string veth = "v" + spec.id;
    auto release = [this, slot, veth] { ReleaseSlot(slot, veth); };
    auto ns = sys::NetNamespace::Create("faasnet-" + o_.region + "-" + spec.id);
    if (!ns.ok()) {
      release();
      return ns.status().WithContext("sandbox " + spec.id);
    }
    sys::ParkedChild parked;
    // Before eth0 exists, so that it never gets an IPv6 address (see Init).
    if (Status st = sys::DisableIpv6(*ns); !st.ok()) {
      (void)ns->Destroy();
      release();
      return st.WithContext("sandbox " + spec.id);
    }
    auto cg = ClaimCgroup(cgroup_path_ + "/" + spec.id, &parked);
    if (!cg.ok()) {
      (void)ns->Destroy();
      release();
      return cg.status().WithContext("sandbox " + spec.id);
    }
    auto sb = std::make_unique<IsolatedSandbox>(spec, o_.id, &ns_, ip, veth, std::move(*ns), std::move(*cg), release);
    if (parked.valid()) sb->set_parked(std::move(parked));
    Status st = Wire(spec, ip, veth, *sb);
    if (!st.ok()) return st.WithContext("sandbox " + spec.id);  // sb's destructor undoes it all
    return std::unique_ptr<Sandbox>(std::move(sb));
  }

  Status Destroy() override {
    if (destroyed_) return Status::Ok();
    destroyed_ = true;
    {
      std::lock_guard<std::mutex> lock(pool_mu_);
      pool_stop_ = true;
    }
    pool_cv_.notify_all();
    if (pool_thread_.joinable()) pool_thread_.join();
    pool_.clear();  // kills the parked children; their groups go with the host's
    for (auto& [registry, addr] : exposed_) registry->Remove(addr);
    exposed_.clear();
    Status a = cgroup_.valid() ? cgroup_.Destroy() : Status::Ok();
    Status b = ns_.valid() ? ns_.Destroy() : Status::Ok();
    return a.ok() ? b : a;
  }

 private:
  // The host's NIC: up0 on the bridge, its peer in the core with an address
  // on this host's subnet (layer 2: no forwarding or routes needed).
  Status CreateUplink(sys::NetlinkOps& host_nl) {
    const UplinkOptions& u = o_.uplink;
    sys::VethSpec v;
    v.name = kUplinkHostDev;
    v.peer_name = u.core_dev;
    v.peer_netns_fd = u.core->fd();
    v.master = kBridge;
    RETURN_IF_ERROR(host_nl.CreateVeth(v).status().WithContext("uplink"));
    ASSIGN_OR_RETURN(auto core_nl, sys::OpenNetlink(*u.core));
    RETURN_IF_ERROR(core_nl->AddAddress(u.core_dev, u.core_cidr).WithContext("uplink"));
    RETURN_IF_ERROR(core_nl->SetUp(u.core_dev, true).WithContext("uplink"));
    return Status::Ok();
  }

  Status Expose(ListenerRegistry* registry, uint16_t port) {
    if (!registry) return Status::Ok();
    ASSIGN_OR_RETURN(sys::UniqueFd fd, sys::ListenTcp(&ns_, gateway_, port));
    ASSIGN_OR_RETURN(std::string bound, registry->Adopt(std::move(fd)));
    exposed_.emplace_back(registry, bound);
    return Status::Ok();
  }

  // veth to the bridge, address and route inside, cgroup limits, and how to start the process.
  static std::vector<uint8_t> MacFor(const std::string& ip) {
    std::vector<uint8_t> mac = {0x02, 0xfa, 0, 0, 0, 0};
    auto parts = Split(ip, '.');
    for (size_t i = 0; i < 4 && i < parts.size(); ++i) mac[2 + i] = static_cast<uint8_t>(std::atoi(std::string(parts[i]).c_str()));
    return mac;
  }

  Status Wire(const SandboxSpec& spec, const std::string& ip, const std::string& veth, IsolatedSandbox& sb) {
    {
      ASSIGN_OR_RETURN(auto host_nl, sys::OpenNetlink(ns_));
      sys::VethSpec v;
      v.name = veth;
      v.peer_name = "eth0";
      v.peer_netns_fd = sb.netns().fd();
      v.master = kBridge;
      // One MAC per address (locally administered, from the IP): a reused
      // address keeps its MAC, so the host's neighbour cache (the Runtime API's
      // and the uplink's replies) never points at a dead sandbox's interface.
      v.peer_mac = MacFor(ip);
      RETURN_IF_ERROR(host_nl->CreateVeth(v).status());
    }
    {
      ASSIGN_OR_RETURN(auto nl, sys::OpenNetlink(sb.netns()));
      RETURN_IF_ERROR(nl->SetUp("lo", true));
      RETURN_IF_ERROR(nl->AddAddress("eth0", ip + "/16"));
      RETURN_IF_ERROR(nl->SetUp("eth0", true));
      RETURN_IF_ERROR(nl->AddRoute(sys::RouteSpec{"default", gateway_, "eth0"}));
    }
    const std::string& path = sb.cgroup_path();
    auto quota = static_cast<int64_t>(spec.cpus * spec.cpu_period_us);
    RETURN_IF_ERROR(cgroups_->SetCpu(path, std::max<int64_t>(1000, quota), spec.cpu_period_us));
    RETURN_IF_ERROR(cgroups_->SetMemoryLimit(path, static_cast<uint64_t>(spec.memory_mb) << 20));
    RETURN_IF_ERROR(cgroups_->SetPidsLimit(path, spec.pids_limit));
    ASSIGN_OR_RETURN(auto opts,
                     BaseSpawnOptions(spec, {"AWS_LAMBDA_RUNTIME_API=" + gateway_ + ":" +
                                                 std::to_string(o_.runtime_api_port),
                                             "FAASNET_GATEWAY=" + gateway_, "FAASNET_HOST_ID=" + o_.id,
                                             "FAASNET_SANDBOX_ID=" + spec.id}));
    opts.cgroups = cgroups_;
    opts.cgroup = path;
    opts.netns = &sb.netns();
    opts.private_tmp = true;
    opts.private_tmp_dir = spec.work_dir + "/tmp";
    sb.set_spawn_options(std::move(opts));
    return Status::Ok();
  }

  // The sandbox's cgroup `path`: a parked child's group renamed (the child
  // goes to *parked), or a new group when the pool is empty or off.
  Result<sys::Cgroup> ClaimCgroup(const std::string& path, sys::ParkedChild* parked) {
    std::optional<Parked> p;
    {
      std::lock_guard<std::mutex> lock(pool_mu_);
      if (!pool_.empty()) {
        p = std::move(pool_.front());
        pool_.pop_front();
      }
    }
    pool_cv_.notify_one();  // refill
    if (p) {
      Status st = cgroups_->Rename(p->cgroup, path);
      if (st.ok()) {
        *parked = std::move(p->child);
        return sys::Cgroup::Adopt(*cgroups_, path);
      }
      spdlog::warn("host {}: parked sandbox pool off: {}", o_.id, st.ToString());
      p->child.Kill();
      (void)cgroups_->Destroy(p->cgroup);
      std::lock_guard<std::mutex> lock(pool_mu_);
      pool_broken_ = true;
    }
    return sys::Cgroup::Create(*cgroups_, path);
  }

  // Keeps o_.parked_pool children parked, each in a group of its own.
  void PoolLoop() {
    std::unique_lock<std::mutex> lock(pool_mu_);
    while (!pool_stop_) {
      if (pool_broken_ || pool_.size() >= static_cast<size_t>(o_.parked_pool)) {
        pool_cv_.wait(lock);
        continue;
      }
      std::string path = cgroup_path_ + "/p" + std::to_string(next_pool_++);
      lock.unlock();
      Status st = cgroups_->Create(path);
      Result<sys::ParkedChild> child = st.ok() ? sys::ParkedChild::Park(cgroups_, path) : Result<sys::ParkedChild>(st);
      if (!child.ok()) (void)cgroups_->Destroy(path);
      lock.lock();
      if (child.ok()) {
        pool_.push_back(Parked{path, std::move(*child)});
      } else {
        spdlog::warn("host {}: parked sandbox pool off: {}", o_.id, child.status().ToString());
        pool_broken_ = true;
      }
    }
  }

  struct Parked {
    std::string cgroup;
    sys::ParkedChild child;
  };

  // Addresses are reused first in, first out, and only once the old
  // sandbox's host-side veth is gone: the kernel removes a namespace (and its
  // veth) asynchronously, and a process may keep it alive, so a slot reused
  // at once could put two live interfaces on one address.
  Result<int> TakeSlot() {
    std::optional<Released> oldest;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!released_.empty()) {
        oldest = std::move(released_.front());
        released_.pop_front();
      }
    }
    if (oldest && VethGone(oldest->veth)) return oldest->slot;
    std::lock_guard<std::mutex> lock(mu_);
    if (oldest) released_.push_front(std::move(*oldest));  // still in quarantine: keep its turn
    if (next_slot_ >= kMaxSandboxesPerHost) {
      return Status::ResourceExhausted("host " + o_.id + " has no free sandbox address (" +
                                       std::to_string(released_.size()) + " waiting for their old veth to go)");
    }
    return next_slot_++;
  }
  void ReleaseSlot(int slot, const std::string& veth) {
    std::lock_guard<std::mutex> lock(mu_);
    released_.push_back(Released{slot, veth});
  }
  bool VethGone(const std::string& veth) {
    auto nl = sys::OpenNetlink(ns_);
    if (!nl.ok()) return false;
    auto link = (*nl)->GetLink(veth);
    return !link.ok() && link.status().code() == Status::Code::kNotFound;
  }

  struct Released {
    int slot;
    std::string veth;  // its old host-side veth: the slot is free once this is gone
  };

  HostOptions o_;
  sys::CgroupManager* cgroups_;
  std::string gateway_;
  std::string cgroup_path_;
  sys::NetNamespace ns_;
  sys::Cgroup cgroup_;
  std::vector<std::pair<ListenerRegistry*, std::string>> exposed_;
  std::mutex mu_;
  int next_slot_ = 0;
  std::deque<Released> released_;  // oldest first
  std::mutex pool_mu_;  // pool_, pool_stop_, pool_broken_, next_pool_
  std::condition_variable pool_cv_;
  std::deque<Parked> pool_;
  bool pool_stop_ = false;
  bool pool_broken_ = false;
  int next_pool_ = 0;
  std::thread pool_thread_;
  bool destroyed_ = false;
};

}  // namespace

Result<std::unique_ptr<Host>> CreateIsolatedHost(const HostOptions& options, sys::CgroupManager* cgroups) {
  if (!options.runtime_api) return Status::InvalidArgument("host " + options.id + ": no Runtime API to register with");
  if (!cgroups) return Status::InvalidArgument("host " + options.id + ": no cgroup manager");
  auto host = std::make_unique<IsolatedHost>(options, cgroups);
  Status st = host->Init();
  if (!st.ok()) return st.WithContext("host " + options.id);  // the destructor removes what Init made
  return std::unique_ptr<Host>(std::move(host));
}

}  // namespace faasnet::sandbox
