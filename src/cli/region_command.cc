// faasnet region up|down, faasnet invoke, faasnet cleanup: the local region.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "base/log.h"
#include "base/strings.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "lambdaclient/client.h"
#include "region/network.h"
#include "region/region_server.h"
#include "sys/cgroup.h"
#include "sys/reap.h"

namespace faasnet::cli {

namespace {

namespace fs = std::filesystem;

// Where a running region says where it is: /run/faasnet when writable, else /tmp.
std::string StateFile(const std::string& region) {
  std::string dir = ::geteuid() == 0 ? "/run/faasnet" : "/tmp/faasnet-" + std::to_string(::geteuid());
  std::error_code ec;
  fs::create_directories(dir, ec);
  return dir + "/region-" + region + ".json";
}

struct UpFlags {
  std::string config;
  std::string credentials;
  std::string s3_listen = "127.0.0.1:9000";
  std::string lambda_listen = "127.0.0.1:9001";
  std::string isolation;
  std::string work_dir;
};

int Up(const UpFlags& f) {
  region::RegionConfig cfg;
  if (!f.config.empty()) {
    auto c = region::RegionConfig::FromFile(f.config);
    if (!c.ok()) return Fail(c.status());
    cfg = *c;
  }
  if (f.isolation == "none") cfg.isolation = region::Isolation::kNone;
  if (f.isolation == "full") cfg.isolation = region::Isolation::kFull;
  region::RegionServerOptions o;
  o.config = cfg;
  if (f.work_dir.empty()) {
    // Sandboxes replace /tmp: the default lives elsewhere when they are isolated.
    o.work_dir = (cfg.isolation == region::Isolation::kFull ? "/var/lib/faasnet/region-" : "/tmp/faasnet-region-") +
                 cfg.name;
  } else {
    o.work_dir = f.work_dir;
  }
  o.credentials_file = f.credentials;
  o.s3_listen = f.s3_listen;
  o.lambda_listen = f.lambda_listen;
  o.python_bootstrap = SourcePath("runtime/python/bootstrap.py");
  BlockStopSignals();
  auto server = region::RegionServer::Start(o);
  if (!server.ok()) return Fail(server.status());
  std::string state = StateFile(cfg.name);
  {
    std::ofstream out(state);
    out << nlohmann::json{{"pid", ::getpid()},
                          {"s3_endpoint", (*server)->s3_endpoint()},
                          {"lambda_endpoint", (*server)->lambda_endpoint()},
                          {"credentials", fs::absolute((*server)->credentials_file()).string()},
                          {"work_dir", fs::absolute(o.work_dir).string()}}
               .dump()
        << "\n";
  }
  std::cerr << "faasnet: region '" << cfg.name << "' up: " << cfg.hosts.size() << " host(s), isolation "
            << region::IsolationName(cfg.isolation) << ", cpu policy " << region::CpuPolicy::KindName(cfg.cpu.kind)
            << "\n  Lambda API " << (*server)->lambda_endpoint() << "\n  S3 store   " << (*server)->s3_endpoint()
            << "\n  credentials " << (*server)->credentials_file() << "\n  records    " << (*server)->records_path();
  if (region::RegionNetwork* net = (*server)->network()) {
    const net::NetworkProfile& p = net->profile().profile;
    std::cerr << "\n  network    profile " << p.name << " (policy " << net::PolicyKindName(p.policy.kind)
              << "), store at " << (*server)->core_ip(0) << " for host " << cfg.hosts[0].id << "'s sandboxes"
              << "\n  telemetry  " << (*server)->telemetry_path();
  }
  std::cerr << "\nStop with Ctrl-C or `faasnet region down`.\n";
  if (cfg.isolation == region::Isolation::kNone) {
    std::cerr << "faasnet: isolation none: no CPU quota, memory limit or network namespace; every record says "
                 "\"isolation\": \"none\"\n";
  }
  double physical = static_cast<double>(std::thread::hardware_concurrency());
  if (cfg.total_vcpus() > physical) {
    std::cerr << "faasnet: the hosts have " << cfg.total_vcpus() << " vCPUs on " << physical
              << " physical CPUs: oversubscribed\n";
  }
  int sig = WaitForStopSignal();
  std::cerr << "faasnet: " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ", tearing the region down\n";
  (*server)->Stop();
  std::error_code ec;
  fs::remove(state, ec);
  return kExitOk;
}

Result<nlohmann::json> ReadState(const std::string& region) {
  std::ifstream in(StateFile(region));
  if (!in) return Status::NotFound("no region '" + region + "' is running (no " + StateFile(region) + ")");
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return Status::IoError(StateFile(region) + " is not valid JSON");
  return j;
}

int Down(const std::string& region) {
  auto st = ReadState(region);
  if (!st.ok()) return Fail(st.status());
  pid_t pid = (*st)["pid"].get<pid_t>();
  if (::kill(pid, SIGTERM) != 0) return Fail(Status::FromErrno(errno, "signal region process", std::to_string(pid)));
  for (int i = 0; i < 300 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::cerr << "faasnet: region '" << region << "' (pid " << pid << ") stopped\n";
  return kExitOk;
}

int Cleanup() {
  auto cg = sys::CgroupFs::OpenSystem();
  auto report = sys::ReapLeftovers(cg.ok() ? cg->get() : nullptr);
  if (!report.ok()) return Fail(report.status());
  std::cout << "faasnet cleanup: " << report->ToString() << "\n";
  if (!cg.ok()) std::cout << "(cgroups not checked: " << cg.status().message() << ")\n";
  return report->ok() ? kExitOk : kExitFailure;
}

struct InvokeFlags {
  std::string name;
  std::string payload = "{}";
  std::string region = "local";
  std::string endpoint;
  std::string credentials;
  std::string profile = "default";
  bool tail = false;
};

int Invoke(const InvokeFlags& f) {
  std::string endpoint = f.endpoint;
  std::string creds_file = f.credentials;
  if (endpoint.empty() || creds_file.empty()) {
    auto st = ReadState(f.region);
    if (!st.ok()) return Fail(st.status().WithContext("give --endpoint and --credentials, or start the region"));
    if (endpoint.empty()) endpoint = (*st)["lambda_endpoint"].get<std::string>();
    if (creds_file.empty()) creds_file = (*st)["credentials"].get<std::string>();
  }
  auto creds = ResolveCredentials(creds_file, f.profile);
  if (!creds.ok()) return Fail(creds.status());
  lambdaclient::Options lo;
  lo.endpoint = endpoint;
  lo.credentials = *creds;
  lo.max_retries = 0;  // an invocation runs the function: never twice behind the user's back
  auto client = lambdaclient::Client::Create(lo);
  if (!client.ok()) return Fail(client.status());
  auto out = client->Invoke(f.name, f.payload, f.tail);
  if (!out.ok()) {
    // Lambda's error (ResourceNotFoundException, InvalidRequestContentException, ...) is the user's to fix.
    std::cerr << "faasnet: " << out.status().message() << "\n";
    auto code = out.status().code();
    return code == Status::Code::kNotFound || code == Status::Code::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  if (f.tail) std::cerr << out->log_tail;
  std::cout << out->payload << "\n";
  if (!out->function_error.empty()) {
    std::cerr << "faasnet: the function failed (" << out->function_error << ")\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void AddRegionCommand(CLI::App& app, Action* action) {
  auto* region = app.add_subcommand("region", "The local FaaS region (sandboxes, Lambda and S3 APIs)");
  region->require_subcommand(1);
  auto* up = region->add_subcommand("up", "Start the region in the foreground; Ctrl-C tears everything down");
  auto uf = std::make_shared<UpFlags>();
  up->add_option("--config", uf->config, "Region file (YAML, docs/formats/region.md); default: the paper's host");
  up->add_option("--credentials", uf->credentials, "AWS shared-credentials file of the users (generated when missing)");
  up->add_option("--s3-listen", uf->s3_listen, "S3 store address")->capture_default_str();
  up->add_option("--lambda-listen", uf->lambda_listen, "Lambda Invoke API address")->capture_default_str();
  up->add_option("--isolation", uf->isolation, "full (root: netns, veth, cgroups) or none (plain processes)")
      ->check(CLI::IsMember({"full", "none"}));
  up->add_option("--workdir", uf->work_dir, "Working directory (default /var/lib/faasnet/region-<name>; /tmp/... with --isolation none)");
  up->callback([uf, action] { *action = [uf] { return Up(*uf); }; });
  auto* down = region->add_subcommand("down", "Stop a region started with `region up`");
  auto name = std::make_shared<std::string>("local");
  down->add_option("--name", *name, "Region name")->capture_default_str();
  down->callback([name, action] { *action = [name] { return Down(*name); }; });

  auto* invoke = app.add_subcommand("invoke", "Invoke a function of a running region (RequestResponse)");
  auto f = std::make_shared<InvokeFlags>();
  invoke->add_option("name", f->name, "Function name")->required();
  invoke->add_option("--payload", f->payload, "Event JSON")->capture_default_str();
  invoke->add_option("--region", f->region, "Region name (finds endpoint and credentials)")->capture_default_str();
  invoke->add_option("--endpoint", f->endpoint, "Lambda API URL (default: the running region's)");
  invoke->add_option("--credentials", f->credentials, "Credentials file (default: the running region's)");
  invoke->add_option("--profile", f->profile, "Profile")->capture_default_str();
  invoke->add_flag("--log-tail", f->tail, "Print the log tail (START/END/REPORT lines) on stderr");
  invoke->callback([f, action] { *action = [f] { return Invoke(*f); }; });

  auto* cleanup = app.add_subcommand("cleanup", "Remove every namespace and cgroup a crashed faasnet run left");
  cleanup->callback([action] { *action = [] { return Cleanup(); }; });
}

}  // namespace faasnet::cli
