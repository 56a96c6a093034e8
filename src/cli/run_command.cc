// faasnet run [SCENARIO...]: the benchmark suite (suite/runner.h) on a
// platform (the embedded local region by default); with no scenario, the
// `paper` scenario at the quick size. Writes a results directory
// (docs/formats/results.md) and, when the analysis module is built in, its
// report; prints where both are.
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "base/log.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "region/config.h"
#include "analysis/prices.h"
#include "analysis/report.h"
#include "base/strings.h"
#include "cloud/aws_platform.h"
#include "cloud/estimate.h"
#include "cloud/package.h"
#include "cloud/http_platform.h"
#include "suite/local_platform.h"
#include "sys/fd.h"
#include "suite/runner.h"
#include "suite/scenario.h"

namespace faasnet::cli {
namespace {

namespace fs = std::filesystem;

struct RunFlags {
  std::vector<std::string> scenarios;
  std::string size = "quick";
  std::string out;
  std::string resume;
  std::string platform = "local";
  std::string isolation;
  std::string work_dir;
  std::string profile = "lambda-2019";
  bool list = false;
  bool no_report = false;
  // aws / http
  std::string aws_profile;
  std::string endpoint_url, s3_endpoint_url, ca_file, role, run_id, arch = "x86_64", python_runtime = "python3.12";
  double max_cost = -1;
  bool keep = false;
  std::vector<std::string> iperf_servers;
  std::vector<std::string> http_urls;
};

std::string AwsRegion(const std::string& profile) {
  for (const char* e : {"AWS_REGION", "AWS_DEFAULT_REGION"})
    if (const char* v = std::getenv(e); v && *v) return v;
  const char* cfg = std::getenv("AWS_CONFIG_FILE");
  const char* home = std::getenv("HOME");
  std::string path = cfg ? cfg : (home ? std::string(home) + "/.aws/config" : "");
  std::ifstream in(path);
  std::string line, section, want = profile.empty() || profile == "default" ? "default" : "profile " + profile;
  while (std::getline(in, line)) {
    std::string_view t = Trim(line);
    if (t.starts_with("[")) section = std::string(Trim(t.substr(1, t.find(']') - 1)));
    else if (section == want && t.starts_with("region")) {
      auto eq = t.find('=');
      if (eq != std::string_view::npos) return std::string(Trim(t.substr(eq + 1)));
    }
  }
  return "us-east-1";
}

std::string NewRunId() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::gmtime(&t));
  return buf;
}

// The native probe's directory. The local region runs the probe as built (functions/probe); a cloud
// gets the bundle that carries its own loader and libraries (functions/probe-bundle).
// FAASNET_PROBE_DIR: another build (tests, an arm64 build).
std::string ProbeDir(bool bundle) {
  const char* env = std::getenv("FAASNET_PROBE_DIR");
  if (env && *env) return env;
  std::error_code ec;
  return (fs::read_symlink("/proc/self/exe", ec).parent_path() / (bundle ? "functions/probe-bundle" : "functions/probe"))
      .string();
}

// The platform the flags ask for.
Result<std::unique_ptr<suite::Platform>> MakePlatform(const RunFlags& f, const std::vector<suite::Cell>& cells,
                                                      std::function<void(const std::string&)> log) {
  std::error_code ec;
  std::string probe_dir = ProbeDir(f.platform == "aws");
  if (f.platform == "local") {
    suite::LocalOptions lo;
    if (f.isolation == "none") lo.base.isolation = region::Isolation::kNone;
    else if (f.isolation == "full" || f.isolation.empty()) lo.base.isolation = region::Isolation::kFull;
    else return Status::InvalidArgument("--isolation " + f.isolation + ": expected full or none");
    lo.base.name = "suite";
    lo.default_profile = f.profile;
    lo.work_dir = !f.work_dir.empty() ? f.work_dir
                  : ::geteuid() == 0 ? "/var/lib/faasnet/suite"
                                     : "/var/tmp/faasnet-suite-" + std::to_string(::geteuid());
    lo.python_bootstrap = SourcePath("runtime/python/bootstrap.py");
    lo.probe_dir = probe_dir;
    lo.boto3_dir = SourcePath("runtime/functions/boto3");
    lo.log = log;
    fs::create_directories(lo.work_dir, ec);
    return std::unique_ptr<suite::Platform>(new suite::LocalPlatform(lo));
  }
  if (f.platform == "aws") {
    cloud::AwsOptions ao;
    ao.region = AwsRegion(f.aws_profile);
    ao.lambda_endpoint = f.endpoint_url;
    ao.s3_endpoint = f.s3_endpoint_url;
    const char* envp = std::getenv("AWS_PROFILE");
    auto creds = ResolveCredentials("", !f.aws_profile.empty() ? f.aws_profile : envp ? envp : "default");
    if (!creds.ok()) return creds.status();
    ao.credentials = *creds;
    ao.role_arn = !f.role.empty() ? f.role : (std::getenv("FAASNET_AWS_ROLE") ? std::getenv("FAASNET_AWS_ROLE") : "");
    ao.run_id = f.run_id.empty() ? NewRunId() : f.run_id;
    if (std::any_of(cells.begin(), cells.end(), [](const suite::Cell& c) { return c.workload == "probe"; }))
      ao.probe_dir = probe_dir;
    ao.boto3_dir = SourcePath("runtime/functions/boto3");
    ao.architecture = f.arch;
    ao.python_runtime = f.python_runtime;
    ao.ca_file = f.ca_file;
    ao.keep = f.keep;
    ao.iperf_servers = f.iperf_servers;
    ao.log = log;
    auto est = cloud::Estimate(cells);
    std::cerr << "faasnet run: estimated AWS cost " << est.ToString() << "\n";
    if (f.max_cost >= 0 && est.total() > f.max_cost)
      return Status::FailedPrecondition("the estimated cost $" + std::to_string(est.total()) + " is above --max-cost $" +
                                        std::to_string(f.max_cost) + "; nothing was created");
    auto p = cloud::AwsPlatform::Create(ao);
    if (!p.ok()) return p.status();
    return std::unique_ptr<suite::Platform>(std::move(*p));
  }
  if (f.platform == "http") {
    cloud::HttpOptions ho;
    for (const auto& u : f.http_urls) {
      auto eq = u.find('=');
      if (eq == std::string::npos) return Status::InvalidArgument("--http-url " + u + ": expected WORKLOAD=URL");
      ho.urls[u.substr(0, eq)] = u.substr(eq + 1);
    }
    if (ho.urls.empty()) return Status::InvalidArgument("--platform http needs --http-url WORKLOAD=URL");
    ho.ca_file = f.ca_file;
    ho.log = log;
    return std::unique_ptr<suite::Platform>(new cloud::HttpPlatform(ho));
  }
  return Status::InvalidArgument("--platform " + f.platform + ": expected local, aws or http");
}

std::string DefaultOut() {
  std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "results/run-%Y%m%d-%H%M%S", std::localtime(&t));
  return buf;
}

nlohmann::json Machine() {
  nlohmann::json m = {{"cpus", std::thread::hardware_concurrency()}};
  utsname u{};
  if (::uname(&u) == 0) m["kernel"] = std::string(u.release);
  std::ifstream cpu("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpu, line))
    if (line.starts_with("model name")) {
      m["cpu_model"] = line.substr(line.find(':') + 2);
      break;
    }
  m["memory_bytes"] = static_cast<uint64_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  return m;
}

std::atomic<bool> g_stop{false};
std::atomic<bool> g_done{false};

int Run(const RunFlags& f) {
  auto size = suite::ParseSize(f.size);
  if (!size.ok()) return Fail(size.status());
  std::vector<std::string> refs = f.scenarios.empty() ? std::vector<std::string>{"paper"} : f.scenarios;
  auto dirs = suite::DefaultScenarioDirs();
  dirs.push_back(SourcePath("scenarios"));
  // Every scenario is checked before anything starts.
  auto scenarios = suite::LoadScenarios(refs, dirs, *size);
  if (!scenarios.ok()) return Fail(scenarios.status());
  size_t cells = 0;
  for (const auto& s : *scenarios) cells += s.Cells()->size();
  if (f.list) {
    for (const auto& s : *scenarios) {
      auto cs = s.Cells();
      for (const auto& c : *cs) std::cout << c.id << "  (x" << c.repetitions << ")\n";
    }
    return kExitOk;
  }
  std::vector<suite::Cell> all_cells;
  for (const auto& s : *scenarios) {
    auto cs = s.Cells();
    all_cells.insert(all_cells.end(), cs->begin(), cs->end());
  }
  auto log = [](const std::string& s) { std::cerr << s << "\n"; };
  auto platform = MakePlatform(f, all_cells, log);
  if (!platform.ok()) return Fail(platform.status());

  std::string out = !f.resume.empty() ? f.resume : (f.out.empty() ? DefaultOut() : f.out);
  auto writer = suite::ResultsWriter::Open(out, !f.resume.empty());
  if (!writer.ok()) return Fail(writer.status());

  // Ctrl-C / SIGTERM: finish the invocations in flight, keep what was measured, tear down.
  BlockStopSignals();
  std::thread watcher([] {
    WaitForStopSignal();
    if (g_done) return;
    std::cerr << "faasnet: stopping after the invocations in flight\n";
    g_stop = true;
  });
  suite::RunOptions ro;
  ro.size = *size;
  ro.scenario_refs = refs;
  ro.stop = &g_stop;
  ro.log = log;
  ro.extra_run = {{"faasnet_version", VersionString()}, {"machine", Machine()}};
  std::cerr << "faasnet run: " << scenarios->size() << " scenario(s), " << cells << " cell(s), size "
            << suite::SizeName(*size) << ", results in " << out << "\n";
  auto t0 = std::chrono::steady_clock::now();
  auto sum = suite::Run(*scenarios, **platform, **writer, ro);
  if (auto st = (*platform)->Close(); !st.ok()) std::cerr << "faasnet run: cleanup: " << st.ToString() << "\n";
  g_done = true;
  if (!g_stop) ::kill(::getpid(), SIGTERM);  // release the watcher
  watcher.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!sum.ok()) {
    std::cerr << "faasnet run: stopped after " << secs << " s; what was measured is in " << out << "\n";
    return Fail(sum.status());
  }
  std::cout << "faasnet run: " << sum->status << " in " << static_cast<int>(secs) << " s: " << sum->cells_run
            << " cell(s) run, " << sum->cells_failed << " failed, " << sum->cells_skipped << " skipped (resumed), " << sum->invocations
            << " invocation(s), " << sum->errors << " failed\n"
            << "  results: " << out << "  (run.json, invocations.jsonl, cells.jsonl, telemetry.jsonl)\n";
  if (!f.no_report && sum->cells_run + sum->cells_skipped > 0) {
    // The report renders from the files just written (also later: faasnet report DIR).
    auto prices = analysis::LoadDefaultPriceSheet();
    if (!prices.ok()) return Fail(prices.status());
    analysis::ReportOptions rep;
    rep.dirs = {out};
    rep.prices = *prices;
    auto r = analysis::WriteReport(rep);
    if (!r.ok()) {
      std::cerr << "faasnet run: the report failed (the results are complete; retry with faasnet report " << out
                << "): " << r.status().ToString() << "\n";
      return ExitCodeFor(r.status());
    }
    int reproduced = 0, total = 0;
    for (const auto& f : r->findings.front()) {
      ++total;
      if (f.verdict == analysis::Verdict::kReproduced) ++reproduced;
    }
    std::cout << "  report:  " << r->index_html << "  (" << r->figures.size() << " figures; findings reproduced "
              << reproduced << " of " << total << ")\n";
  }
  return sum->status == "complete" && sum->cells_failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace

void AddCloudCommand(CLI::App& app, Action* action) {
  auto* cloud = app.add_subcommand("cloud", "Cloud platforms: deployment packages; find and remove what runs left "
                                            "behind");
  cloud->require_subcommand(1);

  struct PackageFlags {
    std::string workload, out, arch = "x86_64";
  };
  auto pf = std::make_shared<PackageFlags>();
  auto* package = cloud->add_subcommand("package", "Write a workload's deployment zip, as --platform aws uploads it "
                                                   "(the probe: provided.al2023, bundled with its libraries)");
  package->add_option("workload", pf->workload, "probe or boto3")->required()->check(CLI::IsMember({"probe", "boto3"}));
  package->add_option("--out", pf->out, "the zip to write")->required();
  package->add_option("--arch", pf->arch, "x86_64 or arm64 (the probe must be built for it)")->capture_default_str();
  package->callback([pf, action] {
    *action = [pf] {
      std::error_code ec;
      const std::string dir = pf->workload == "boto3" ? SourcePath("runtime/functions/boto3") : ProbeDir(true);
      auto zip = cloud::PackageWorkload(pf->workload, dir, pf->arch);
      if (!zip.ok()) return Fail(zip.status());
      const std::string tmp = pf->out + ".tmp";
      if (auto st = sys::CreateFile(tmp, *zip); !st.ok()) return Fail(st);
      fs::rename(tmp, pf->out, ec);
      if (ec) return Fail(Status::IoError("cannot write " + pf->out + ": " + ec.message()));
      std::cout << "faasnet cloud package: " << pf->out << " (" << pf->workload << ", " << pf->arch << ", "
                << zip->size() << " bytes, from " << dir << ")\n";
      return kExitOk;
    };
  });

  auto* cleanup = cloud->add_subcommand("cleanup", "Delete functions tagged `faasnet` and buckets faasnet-<run> "
                                                   "(what an interrupted --platform aws run left)");
  auto f = std::make_shared<RunFlags>();
  cleanup->add_option("--aws-profile", f->aws_profile, "the credentials/config profile");
  cleanup->add_option("--endpoint-url", f->endpoint_url, "Lambda endpoint override");
  cleanup->add_option("--s3-endpoint-url", f->s3_endpoint_url, "S3 endpoint override");
  cleanup->add_option("--ca-file", f->ca_file, "CA bundle for https endpoints");
  cleanup->callback([f, action] {
    *action = [f] {
      cloud::AwsOptions ao;
      ao.region = AwsRegion(f->aws_profile);
      ao.lambda_endpoint = f->endpoint_url;
      ao.s3_endpoint = f->s3_endpoint_url;
      const char* envp = std::getenv("AWS_PROFILE");
      auto creds = ResolveCredentials("", !f->aws_profile.empty() ? f->aws_profile : envp ? envp : "default");
      if (!creds.ok()) return Fail(creds.status());
      ao.credentials = *creds;
      ao.ca_file = f->ca_file;
      auto removed = cloud::AwsPlatform::CleanupLeftovers(ao);
      if (!removed.ok()) return Fail(removed.status());
      for (const auto& r : *removed) std::cout << "removed " << r << "\n";
      std::cout << "faasnet cloud cleanup: " << removed->size() << " leftover(s) removed\n";
      return kExitOk;
    };
  });
}

void AddRunCommand(CLI::App& app, Action* action) {
  auto* run = app.add_subcommand("run", "Run scenarios (default: the paper's experiments, quick size) on the "
                                        "embedded local region and write a results directory");
  auto f = std::make_shared<RunFlags>();
  run->add_option("scenario", f->scenarios, "Scenario names (scenarios/<name>.yaml) or files; default: paper");
  run->add_option("--size", f->size, "quick (within 15 min on 2 vCPUs) or full")->capture_default_str();
  run->add_option("--out", f->out, "Results directory (default: results/run-<time>)");
  run->add_option("--resume", f->resume, "Continue the run in this results directory (skips finished cells)");
  run->add_option("--platform", f->platform, "Where functions run: local, aws or http")->capture_default_str();
  run->add_option("--isolation", f->isolation, "local: full (root: namespaces, cgroups, shaping) or none");
  run->add_option("--profile", f->profile, "local: network profile for cells that set none")->capture_default_str();
  run->add_option("--work-dir", f->work_dir, "local: the region's working directory (data set kept here)");
  run->add_option("--aws-profile", f->aws_profile, "aws: the credentials/config profile (default: AWS_PROFILE or default)");
  run->add_option("--endpoint-url", f->endpoint_url, "aws: Lambda endpoint override (also AWS_ENDPOINT_URL_LAMBDA)");
  run->add_option("--s3-endpoint-url", f->s3_endpoint_url, "aws: S3 endpoint override");
  run->add_option("--ca-file", f->ca_file, "aws/http: CA bundle for https endpoints");
  run->add_option("--role", f->role, "aws: the functions' execution role ARN (or FAASNET_AWS_ROLE)");
  run->add_option("--run-id", f->run_id, "aws: names and tags what the run creates (default: the time)");
  run->add_option("--arch", f->arch, "aws: x86_64 or arm64 (the probe must be built for it)")->capture_default_str();
  run->add_option("--python-runtime", f->python_runtime, "aws: runtime of the boto3 workload")->capture_default_str();
  run->add_option("--max-cost", f->max_cost, "aws: refuse to start when the estimated cost (USD) is above this");
  run->add_flag("--keep", f->keep, "aws: leave the functions and bucket in place");
  run->add_option("--iperf-server", f->iperf_servers,
                  "aws: HOST:PORT of an iperf3 server (iperf3 -s) the functions can reach; repeat it, one per "
                  "concurrent function of iperf cells (without one, iperf cells are refused before invoking)");
  run->add_option("--http-url", f->http_urls, "http: WORKLOAD=URL (repeatable)");
  run->add_flag("--no-report", f->no_report, "Do not render the report at the end (faasnet report DIR does it later)");
  run->add_flag("--list", f->list, "Only print the cells the scenarios expand to (checks the files)");
  run->footer("Scenario keys:\n" + suite::ScenarioKeysHelp());
  run->callback([f, action] { *action = [f] { return Run(*f); }; });
}

}  // namespace faasnet::cli
