#include "region/region_server.h"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "base/log.h"
#include "http/server.h"
#include "lambda/invoke_api.h"
#include "lambda/model.h"
#include "lambda/runtime_api.h"
#include "region/network.h"
#include "region/region.h"
#include "sandbox/sandbox.h"
#include "store/store_server.h"
#include "sys/caps.h"
#include "sys/cgroup.h"
#include "sys/listen.h"
#include "sys/netlink.h"
#include "sys/netns.h"
#include "sys/process.h"
#include "sys/reap.h"
#include "sys/tc.h"

namespace faasnet::region {

namespace {

// Lets a host hand listening sockets (opened in its namespace) to a server.
class ServerRegistry final : public sandbox::ListenerRegistry {
 public:
  explicit ServerRegistry(http::Server* server) : server_(server) {}
  Result<std::string> Adopt(sys::UniqueFd fd) override { return server_->ListenFd(fd.Release()); }
  void Remove(const std::string& bound_address) override { server_->RemoveListener(bound_address); }

 private:
  http::Server* server_;
};

uint16_t PortOf(const std::string& address) {
  return static_cast<uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
}

// The core's address on host i's subnet 10.(100+i).0.0/16 (sandbox addresses
// stop at 10.(100+i).249.251).
std::string CoreIp(size_t host_index) { return "10." + std::to_string(100 + host_index) + ".255.254"; }

// The profile with what this kernel lacks noted (netem: store-side latency).
Result<net::ResolvedProfile> ResolveProfile(const RegionConfig& cfg, const sys::NetNamespace& scratch) {
  net::NetworkProfile profile = cfg.network.profile;
  if (profile.name.empty()) {
    ASSIGN_OR_RETURN(profile, cfg.network.Load());
  }
  ASSIGN_OR_RETURN(sys::TcSupport support, sys::ProbeTcSupport(scratch));
  ASSIGN_OR_RETURN(net::ResolvedProfile resolved, net::Resolve(profile, support));
  for (const auto& note : resolved.notes) spdlog::info("region: network profile {}: {}", profile.name, note);
  return resolved;
}

}  // namespace

struct RegionServer::Impl {
  RegionServerOptions options;
  std::string s3_endpoint;
  std::string lambda_endpoint;
  std::string records_path;
  s3::CredentialStore credentials;
  std::unique_ptr<sys::CgroupManager> cgroups;
  sys::NetNamespace core;  // full isolation: the region core
  std::optional<net::ResolvedProfile> profile;
  std::vector<std::string> core_ips;  // per host
  uint16_t store_tls_port = 0;        // the store over https in the core (profile store.tls); 0 = none
  std::vector<sys::Process> core_processes;  // iperf3 -s and other services in the core
  std::unique_ptr<RegionNetwork> network;
  std::string telemetry_path;
  std::unique_ptr<store::StoreServer> store;
  std::unique_ptr<http::Server> runtime_server;
  std::unique_ptr<ServerRegistry> runtime_registry;
  std::unique_ptr<ServerRegistry> store_registry;
  std::unique_ptr<Region> region;
  std::unique_ptr<lambda::RuntimeApi> runtime_api;
  std::unique_ptr<lambda::InvokeApi> invoke_api;
  std::unique_ptr<http::Server> invoke_server;
  http::Handler runtime_handler;
  bool stopped = false;

  void Stop() {
    if (stopped) return;
    stopped = true;
    if (invoke_server) invoke_server->Stop(std::chrono::milliseconds(500));
    // The core's servers close their connections while the sandboxes at the
    // other end still answer: a connection closed after its peer's namespace
    // is gone lingers, retransmitting its FIN for minutes, and holds the
    // core's namespace (and with it the uplinks) alive all that time.
    for (auto& p : core_processes) (void)p.KillAndWait();
    if (store) store->Stop();
    if (region) region->Shutdown();  // sandboxes (and their classes), then hosts
    if (network) {
      if (Status st = network->Shutdown(); !st.ok()) spdlog::warn("region: network: {}", st.ToString());
      // Its netlink sockets hold the core's and the hosts' namespaces: let them go now.
      network.reset();
    }
    if (runtime_server) runtime_server->Stop(std::chrono::milliseconds(200));
    // The core goes last: the servers' sockets in it are closed by now.
    if (core.valid()) {
      if (Status st = core.Destroy(); !st.ok()) spdlog::warn("region: core namespace: {}", st.ToString());
    }
    // The region's own parent group, once its hosts' groups are gone.
    if (cgroups) {
      if (Status st = cgroups->Destroy("faasnet/" + options.config.name); !st.ok()) {
        spdlog::warn("region: {}", st.ToString());
      }
    }
  }
  ~Impl() { Stop(); }
};

RegionServer::RegionServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RegionServer::~RegionServer() { Stop(); }
void RegionServer::Stop() { impl_->Stop(); }
const std::string& RegionServer::s3_endpoint() const { return impl_->s3_endpoint; }
const std::string& RegionServer::lambda_endpoint() const { return impl_->lambda_endpoint; }
const std::string& RegionServer::credentials_file() const { return impl_->options.credentials_file; }
const std::string& RegionServer::records_path() const { return impl_->records_path; }
const std::string& RegionServer::telemetry_path() const { return impl_->telemetry_path; }
const sys::NetNamespace* RegionServer::core_netns() const {
  return impl_->core.valid() ? &impl_->core : nullptr;
}
std::string RegionServer::core_ip(size_t host_index) const {
  return host_index < impl_->core_ips.size() ? impl_->core_ips[host_index] : "127.0.0.1";
}
std::string RegionServer::store_endpoint_for_host(size_t host_index) const {
  if (impl_->store_tls_port) return "https://" + core_ip(host_index) + ":" + std::to_string(impl_->store_tls_port);
  return "http://" + core_ip(host_index) + ":" + std::to_string(PortOf(impl_->s3_endpoint));
}
const std::vector<uint16_t>& RegionServer::iperf_ports() const { return impl_->options.config.network.iperf_ports; }
RegionNetwork* RegionServer::network() const { return impl_->network.get(); }

Result<int> RegionServer::SpawnInCore(sys::SpawnOptions options) {
  if (!impl_->core.valid()) return Status::FailedPrecondition("the region has no core namespace (isolation none)");
  options.netns = &impl_->core;
  ASSIGN_OR_RETURN(sys::Process p, sys::Process::Spawn(options));
  int pid = p.pid();
  impl_->core_processes.push_back(std::move(p));
  return pid;
}
Region* RegionServer::region() const { return impl_->region.get(); }

namespace {

// The store's https port in the region core (profile store.tls).
constexpr uint16_t kStoreTlsPort = 9443;

// Runs a tool to completion; its output goes to `log`.
Status RunTool(std::vector<std::string> argv, const std::string& log, const char* package) {
  sys::SpawnOptions sp;
  sp.argv = std::move(argv);
  sp.env = {"PATH=/usr/local/bin:/usr/bin:/bin"};
  sp.stdout_path = log;
  sp.stderr_path = log;
  auto p = sys::Process::Spawn(sp);
  if (!p.ok()) return p.status().WithContext(std::string("install Debian's ") + package);
  auto st = p->Wait();
  if (!st.ok()) return st.status();
  if (!st->success()) return Status::Internal(sp.argv[0] + " failed; see " + log);
  return Status::Ok();
}

}  // namespace

// The store over https for functions (profile store.tls), as S3 is: a
// self-signed certificate for the core's addresses (its own CA, given to
// functions as AWS_CA_BUNDLE) and stunnel in the core terminating TLS in
// front of the store. TLS costs the server side nothing the functions pay
// for (stunnel runs in the region's own cgroup); the client side decrypts
// under the sandbox's CPU quota, which is the point. Returns the CA file.
Result<std::string> RegionServer::StartTlsStore(Impl* impl, const std::string& work_dir, uint16_t store_port) {
  std::string dir = work_dir + "/tls";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("create " + dir + ": " + ec.message());
  std::string san = "subjectAltName=";
  for (size_t i = 0; i < impl->core_ips.size(); ++i) san += (i ? ",IP:" : "IP:") + impl->core_ips[i];
  RETURN_IF_ERROR(RunTool({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                           "-nodes", "-days", "30", "-subj", "/CN=faasnet-store", "-addext", san, "-addext",
                           "basicConstraints=critical,CA:TRUE", "-keyout", dir + "/store.key", "-out",
                           dir + "/store.pem"},
                          dir + "/openssl.log", "openssl (apt-get install openssl)"));
  std::string log = dir + "/stunnel.log";
  {
    std::ofstream conf(dir + "/stunnel.conf", std::ios::trunc);
    conf << "; faasnet: https in front of the region's store, inside the region core\n"
         << "foreground = yes\npid =\noutput = " << log << "\n[s3]\naccept = 0.0.0.0:" << kStoreTlsPort
         << "\nconnect = " << impl->core_ips.front() << ":" << store_port << "\ncert = " << dir
         << "/store.pem\nkey = " << dir << "/store.key\n";
    if (!conf) return Status::IoError("write " + dir + "/stunnel.conf");
  }
  std::filesystem::remove(log, ec);
  sys::SpawnOptions sp;
  sp.argv = {"stunnel", dir + "/stunnel.conf"};
  sp.env = {"PATH=/usr/local/bin:/usr/bin:/bin"};
  sp.netns = &impl->core;
  sp.parent_death_signal = SIGKILL;  // never outlive the region (it would keep the core namespace alive)
  sp.stdout_path = dir + "/stunnel.out";
  sp.stderr_path = sp.stdout_path;
  auto proc = sys::Process::Spawn(sp);
  if (!proc.ok()) return proc.status().WithContext("the store's https endpoint (install Debian's stunnel4)");
  impl->core_processes.push_back(std::move(*proc));
  // Listening once stunnel says its configuration is done (bounded: 5 s).
  for (int i = 0; i < 500; ++i) {
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    if (text.str().find("Configuration successful") != std::string::npos) return dir + "/store.pem";
    if (auto done = impl->core_processes.back().Wait(std::chrono::milliseconds(10)); done.ok() && done->has_value())
      return Status::Internal("stunnel exited at start; see " + log);
  }
  return Status::Timeout("stunnel did not start within 5 s; see " + log);
}

Result<std::unique_ptr<RegionServer>> RegionServer::Start(RegionServerOptions options) {
  RETURN_IF_ERROR(options.config.Validate());
  auto impl = std::make_unique<Impl>();
  const RegionConfig& cfg = options.config;
  std::error_code ec;
  std::filesystem::create_directories(options.work_dir, ec);
  if (ec) return Status::FromErrno(ec.value(), "create region directory", options.work_dir);
  options.work_dir = std::filesystem::absolute(options.work_dir).string();

  // Full isolation needs root, cgroup controllers, namespaces: say what is missing.
  if (cfg.isolation == Isolation::kFull) {
    // Sandboxes get a private /tmp: code and sandbox directories under /tmp would vanish inside.
    if (options.work_dir == "/tmp" || options.work_dir.rfind("/tmp/", 0) == 0) {
      return Status::InvalidArgument("region working directory " + options.work_dir +
                                     " is under /tmp, which every sandbox replaces with its own; choose another "
                                     "(default /var/lib/faasnet/region-<name>)");
    }
    sys::Capabilities caps = sys::ProbeCapabilities();
    if (!caps.FullIsolation()) {
      return Status::FailedPrecondition("full isolation is not possible here:\n" + caps.Report() +
                                        "\nRun as root (sudo), or start with --isolation none (results are then "
                                        "labelled unisolated).");
    }
    ASSIGN_OR_RETURN(impl->cgroups, sys::CgroupFs::OpenSystem());
    // What a crashed run of this region left behind.
    auto reaped = sys::ReapLeftovers(impl->cgroups.get(), "faasnet/" + cfg.name, "faasnet-" + cfg.name + "-");
    if (reaped.ok() && (reaped->netns_removed || reaped->cgroups_removed)) {
      spdlog::info("region: removed leftovers of an earlier run: {}", reaped->ToString());
    }
    // The region core: the store, the Invoke API and iperf3 servers, at
    // 10.(100+i).255.254 on the far end of each host's uplink.
    ASSIGN_OR_RETURN(impl->core, sys::NetNamespace::Create("faasnet-" + cfg.name + "-core"));
    ASSIGN_OR_RETURN(impl->profile, ResolveProfile(cfg, impl->core));
    RETURN_IF_ERROR(sys::DisableIpv6(impl->core).WithContext("region core"));
    {
      ASSIGN_OR_RETURN(auto nl, sys::OpenNetlink(impl->core));
      RETURN_IF_ERROR(nl->SetUp("lo", true).WithContext("region core"));
    }
    for (size_t i = 0; i < cfg.hosts.size(); ++i) impl->core_ips.push_back(CoreIp(i));
  }
  s3::Credentials user;
  {
    std::string path = options.credentials_file;
    if (path.empty()) path = options.work_dir + "/credentials";
    options.credentials_file = path;
    // Created with a fresh user when missing (as `store serve` does).
    std::ifstream probe(path);
    if (!probe) {
      std::ofstream out(path);
      std::string key = "FN" + lambda::NewRequestId().substr(0, 8);
      for (auto& c : key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out << "# Generated by faasnet region up: the users of the store and the Lambda API.\n[default]\n"
          << "aws_access_key_id = " << key << "\naws_secret_access_key = " << lambda::NewRequestId() << "\n";
      std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                   ec);
      std::cerr << "faasnet: generated credentials in " << path << " (profile 'default')\n";
    }
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    ASSIGN_OR_RETURN(auto profiles, s3::ParseCredentialsFile(ss.str(), path));
    RETURN_IF_ERROR(impl->credentials.AddProfiles(profiles));
    if (profiles.empty() || profiles.front().credentials.access_key_id.empty()) {
      return Status::InvalidArgument("credentials file " + path + " has no user with keys");
    }
    user = profiles.front().credentials;
  }

  // The store.
  store::StoreServerOptions so;
  so.data_dir = options.work_dir + "/store";
  so.listen = {options.s3_listen};
  so.store.fsync = options.store_fsync;
  if (impl->profile) {
    // The profile's store side (first-byte latency, per-connection cap, SlowDown).
    std::string behavior = impl->profile->store.ToBehaviorYaml();
    if (!behavior.empty()) {
      auto b = store::BehaviorConfig::FromYaml(behavior, "network profile " + impl->profile->profile.name + " store");
      if (!b.ok()) return b.status();
      so.service.behavior = std::move(*b);
    }
  }
  s3::CredentialStore store_creds = impl->credentials;
  ASSIGN_OR_RETURN(impl->store, store::StoreServer::Start(so, std::move(store_creds)));
  impl->s3_endpoint = impl->store->endpoint();
  if (impl->core.valid()) {
    // The same port on every core address: one socket on 0.0.0.0 in the core.
    ASSIGN_OR_RETURN(sys::UniqueFd fd, sys::ListenTcp(&impl->core, "0.0.0.0", PortOf(impl->s3_endpoint)));
    RETURN_IF_ERROR(impl->store->http_server().ListenFd(fd.Release()).status().WithContext("store in the region core"));
  }

  // The Runtime API server: listeners come with hosts and sandboxes, the
  // handler once the region exists (the region needs the hosts, the hosts
  // need the server to hand their listeners to).
  impl->runtime_server = std::make_unique<http::Server>(
      http::ServerOptions{}, [raw = impl.get()](http::Exchange& ex) { return raw->runtime_handler(ex); });

  RegionOptions ro;
  ro.config = cfg;
  ro.work_dir = options.work_dir;
  ro.python = options.python;
  ro.python_bootstrap = options.python_bootstrap;
  ro.s3_port = PortOf(impl->s3_endpoint);
  ro.s3_access_key_id = user.access_key_id;
  ro.s3_secret_access_key = user.secret_access_key;
  impl->options = options;

  // Hosts.
  impl->runtime_registry = std::make_unique<ServerRegistry>(impl->runtime_server.get());
  impl->store_registry = std::make_unique<ServerRegistry>(&impl->store->http_server());
  std::vector<std::unique_ptr<sandbox::Host>> hosts;
  for (size_t i = 0; i < cfg.hosts.size(); ++i) {
    sandbox::HostOptions ho;
    ho.region = cfg.name;
    ho.id = cfg.hosts[i].id;
    ho.index = static_cast<int>(i);
    ho.vcpus = cfg.hosts[i].vcpus * cfg.cpu.cpu_scale;
    ho.cpu_period_us = cfg.cpu_period_us;
    ho.runtime_api = impl->runtime_registry.get();
    if (impl->core.valid()) {
      ho.uplink.core = &impl->core;
      ho.uplink.core_dev = "up" + cfg.hosts[i].id;
      ho.uplink.core_cidr = impl->core_ips[i] + "/16";
    } else {
      ho.services = {{impl->store_registry.get(), ro.s3_port}};
    }
    auto host = cfg.isolation == Isolation::kFull ? sandbox::CreateIsolatedHost(ho, impl->cgroups.get())
                                                  : sandbox::CreateLocalHost(ho);
    if (!host.ok()) return host.status();
    hosts.push_back(std::move(*host));
  }
  if (impl->core.valid()) {
    // Shapers on the uplinks: uploads leave through up0, downloads through the core's end.
    std::vector<HostUplink> uplinks;
    for (size_t i = 0; i < hosts.size(); ++i) {
      HostUplink u;
      u.host = cfg.hosts[i].id;
      u.memory_mb = cfg.hosts[i].memory_mb;
      const sys::NetNamespace& host_ns = *hosts[i]->netns();
      ASSIGN_OR_RETURN(u.upload_tc, sys::OpenTrafficControl(host_ns));
      ASSIGN_OR_RETURN(u.download_tc, sys::OpenTrafficControl(impl->core));
      u.upload_dev = sandbox::kUplinkHostDev;
      u.download_dev = "up" + cfg.hosts[i].id;
      ASSIGN_OR_RETURN(u.upload_nl, sys::OpenNetlink(host_ns));
      ASSIGN_OR_RETURN(u.download_nl, sys::OpenNetlink(impl->core));
      uplinks.push_back(std::move(u));
    }
    RegionNetwork::Options no;
    no.profile = *impl->profile;
    no.telemetry_path = options.work_dir + "/telemetry.jsonl";
    impl->telemetry_path = no.telemetry_path;
    auto network = RegionNetwork::Create(std::move(no), std::move(uplinks));
    if (!network.ok()) {
      for (auto& h : hosts) (void)h->Destroy();
      return network.status();
    }
    impl->network = std::move(*network);
    spdlog::info("region: network profile {} (policy {}), {} host uplink(s)", impl->profile->profile.name,
                 net::PolicyKindName(impl->profile->profile.policy.kind), hosts.size());
    // iperf3 servers in the core, one per port (one test at a time each).
    for (uint16_t port : cfg.network.iperf_ports) {
      sys::SpawnOptions sp;
      sp.argv = {"iperf3", "-s", "-p", std::to_string(port)};
      sp.env = {"PATH=/usr/local/bin:/usr/bin:/bin"};
      sp.netns = &impl->core;
      sp.parent_death_signal = SIGKILL;  // never outlive the region (it would keep the core namespace alive)
      sp.stdout_path = options.work_dir + "/iperf3-" + std::to_string(port) + ".log";
      sp.stderr_path = sp.stdout_path;
      auto proc = sys::Process::Spawn(sp);
      if (!proc.ok()) {
        for (auto& h : hosts) (void)h->Destroy();
        return proc.status().WithContext("iperf3 server on port " + std::to_string(port) +
                                         " (install Debian's iperf3: apt-get install iperf3)");
      }
      impl->core_processes.push_back(std::move(*proc));
    }
  }
  if (impl->core.valid() && impl->profile->profile.store.tls) {
    auto tls = StartTlsStore(impl.get(), options.work_dir, PortOf(impl->s3_endpoint));
    if (!tls.ok()) {
      for (auto& h : hosts) (void)h->Destroy();
      return tls.status();
    }
    ro.s3_tls_port = kStoreTlsPort;
    impl->store_tls_port = kStoreTlsPort;
    ro.s3_ca_file = *tls;
  }
  ro.core_ips = impl->core_ips;
  ro.iperf_ports = cfg.network.iperf_ports;
  ro.network = impl->network.get();
  ASSIGN_OR_RETURN(impl->region, Region::Create(ro, std::move(hosts)));
  impl->records_path = impl->region->records_path();

  impl->runtime_api = std::make_unique<lambda::RuntimeApi>(impl->region.get());
  impl->runtime_handler = impl->runtime_api->AsHandler();
  RETURN_IF_ERROR(impl->runtime_server->Start());

  // The Invoke API, last: from here on users can call.
  lambda::InvokeApiOptions io;
  io.region = cfg.aws_region;
  impl->invoke_api = std::make_unique<lambda::InvokeApi>(impl->region.get(), impl->credentials.AsLookup(), io);
  impl->invoke_server = std::make_unique<http::Server>(http::ServerOptions{}, impl->invoke_api->AsHandler());
  ASSIGN_OR_RETURN(std::string bound, impl->invoke_server->Listen(options.lambda_listen));
  impl->lambda_endpoint = "http://" + bound;
  if (impl->core.valid()) {
    // Functions may call the Lambda API too, at <core ip>:<port>.
    ASSIGN_OR_RETURN(sys::UniqueFd fd, sys::ListenTcp(&impl->core, "0.0.0.0", PortOf(bound)));
    RETURN_IF_ERROR(impl->invoke_server->ListenFd(fd.Release()).status().WithContext("Invoke API in the region core"));
  }
  RETURN_IF_ERROR(impl->invoke_server->Start());
  return std::unique_ptr<RegionServer>(new RegionServer(std::move(impl)));
}

}  // namespace faasnet::region
