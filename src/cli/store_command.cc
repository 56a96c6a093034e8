// faasnet store serve: the embedded S3-compatible store on its own.
#include <csignal>
#include <cstdio>
#include <iostream>

#include "base/log.h"
#include "base/units.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "store/store_server.h"

namespace faasnet::cli {

namespace {

struct ServeFlags {
  std::string data_dir;
  std::vector<std::string> listen = {"127.0.0.1:9000"};
  std::string credentials;
  std::string behavior;
  std::string etag = "fast";
  std::string access_log = "-";
  std::string region = "us-east-1";
  std::string spare = "512MiB";
  bool no_fsync = false;
  bool allow_anonymous = false;
  int threads = 4;
};

int Serve(const ServeFlags& f) {
  store::StoreServerOptions o;
  o.data_dir = f.data_dir;
  o.listen = f.listen;
  o.store.fsync = !f.no_fsync;
  auto spare = ParseBytes(f.spare);
  if (!spare.ok()) return Fail(Status::InvalidArgument("--spare: " + spare.status().message()));
  o.store.spare_bytes = *spare;
  o.service.region = f.region;
  o.service.allow_anonymous = f.allow_anonymous;
  o.service.etag_mode = f.etag == "md5" ? store::EtagMode::kMd5 : store::EtagMode::kFast;
  o.http.threads = f.threads;
  if (!f.behavior.empty()) {
    auto b = store::BehaviorConfig::FromFile(f.behavior);
    if (!b.ok()) return Fail(b.status());
    o.service.behavior = *b;
  }
  std::FILE* log = nullptr;
  if (f.access_log == "-") {
    log = stdout;
  } else if (!f.access_log.empty() && f.access_log != "none") {
    log = std::fopen(f.access_log.c_str(), "a");
    if (!log) return Fail(Status::FromErrno(errno, "open access log", f.access_log));
  }
  o.service.access_log = log;
  auto profiles = LoadOrCreateCredentials(f.credentials, f.data_dir + "/.credentials");
  if (!profiles.ok()) return Fail(profiles.status());
  s3::CredentialStore creds;
  if (Status st = creds.AddProfiles(*profiles); !st.ok()) return Fail(st);
  BlockStopSignals();
  auto server = store::StoreServer::Start(o, std::move(creds));
  if (!server.ok()) return Fail(server.status());
  std::cerr << "faasnet: store serving " << f.data_dir << " at";
  for (const auto& e : (*server)->endpoints()) std::cerr << " " << e;
  std::cerr << " (" << (*profiles).size() << " user(s), etag " << f.etag << (f.no_fsync ? ", no fsync" : "")
            << "); metrics at /metrics; stop with Ctrl-C\n";
  int sig = WaitForStopSignal();
  std::cerr << "faasnet: " << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ", stopping the store\n";
  (*server)->Stop();
  if (log && log != stdout) std::fclose(log);
  return kExitOk;
}

}  // namespace

void AddStoreCommand(CLI::App& app, Action* action) {
  auto* store = app.add_subcommand("store", "The embedded S3-compatible object store");
  store->require_subcommand(1);
  auto* serve = store->add_subcommand("serve", "Serve a data directory over the S3 API (SigV4) until SIGINT/SIGTERM");
  auto f = std::make_shared<ServeFlags>();
  serve->add_option("--data", f->data_dir, "Data directory (created if missing)")->required();
  serve->add_option("--listen", f->listen, "Address to listen on, HOST:PORT (repeatable)")->capture_default_str();
  serve->add_option("--credentials", f->credentials,
                    "AWS shared-credentials file; every profile is a user (default: DATA/.credentials, generated)");
  serve->add_option("--behavior", f->behavior,
                    "YAML file with cloud-like behaviour: first-byte latency, per-connection rate, request rate");
  serve->add_option("--etag", f->etag, "ETag of single-part objects: md5 (as S3) or fast (XXH3-128, same shape)")
      ->check(CLI::IsMember({"md5", "fast"}))
      ->capture_default_str();
  serve->add_option("--access-log", f->access_log, "Access log file, '-' for stdout, 'none' to disable")
      ->capture_default_str();
  serve->add_option("--region", f->region, "Region the store reports")->capture_default_str();
  serve->add_option("--spare", f->spare,
                    "Disk space replaced and deleted objects' files may keep, to be overwritten in place by later "
                    "writes (faster than new files); 0 frees it at once")
      ->capture_default_str();
  serve->add_flag("--no-fsync", f->no_fsync, "Skip fsync before acknowledging writes (faster, not crash-safe)");
  serve->add_flag("--allow-anonymous", f->allow_anonymous, "Accept unsigned requests (refused by default)");
  serve->add_option("--threads", f->threads, "Worker threads")->check(CLI::Range(1, 256))->capture_default_str();
  serve->callback([f, action] { *action = [f] { return Serve(*f); }; });
}

}  // namespace faasnet::cli
