#include "region/region_server.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "base/log.h"
#include "http/server.h"
#include "lambda/invoke_api.h"
#include "lambda/model.h"
#include "lambda/runtime_api.h"
#include "region/region.h"
#include "sandbox/sandbox.h"
#include "store/store_server.h"
#include "sys/caps.h"
#include "sys/cgroup.h"
#include "sys/reap.h"

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

}  // namespace

struct RegionServer::Impl {
  RegionServerOptions options;
  std::string s3_endpoint;
  std::string lambda_endpoint;
  std::string records_path;
  s3::CredentialStore credentials;
  std::unique_ptr<sys::CgroupManager> cgroups;
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
    if (region) region->Shutdown();
    if (runtime_server) runtime_server->Stop(std::chrono::milliseconds(200));
    if (store) store->Stop();
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
  s3::CredentialStore store_creds = impl->credentials;
  ASSIGN_OR_RETURN(impl->store, store::StoreServer::Start(so, std::move(store_creds)));
  impl->s3_endpoint = impl->store->endpoint();

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
    ho.services = {{impl->store_registry.get(), ro.s3_port}};
    auto host = cfg.isolation == Isolation::kFull ? sandbox::CreateIsolatedHost(ho, impl->cgroups.get())
                                                  : sandbox::CreateLocalHost(ho);
    if (!host.ok()) return host.status();
    hosts.push_back(std::move(*host));
  }
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
  RETURN_IF_ERROR(impl->invoke_server->Start());
  return std::unique_ptr<RegionServer>(new RegionServer(std::move(impl)));
}

}  // namespace faasnet::region
