// faasnet run [SCENARIO...]: the benchmark suite (suite/runner.h) on a
// platform (the embedded local region by default); with no scenario, the
// `paper` scenario at the quick size. Writes a results directory
// (docs/formats/results.md) and, when the analysis module is built in, its
// report; prints where both are.
#include <sys/utsname.h>
#include <unistd.h>

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
#include "suite/local_platform.h"
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
};

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
  if (f.platform != "local")
    return Fail(Status::InvalidArgument("--platform " + f.platform + ": this build runs `local` only"));

  std::string out = !f.resume.empty() ? f.resume : (f.out.empty() ? DefaultOut() : f.out);
  auto writer = suite::ResultsWriter::Open(out, !f.resume.empty());
  if (!writer.ok()) return Fail(writer.status());

  suite::LocalOptions lo;
  if (f.isolation == "none") lo.base.isolation = region::Isolation::kNone;
  else if (f.isolation == "full" || f.isolation.empty()) lo.base.isolation = region::Isolation::kFull;
  else return Fail(Status::InvalidArgument("--isolation " + f.isolation + ": expected full or none"));
  lo.base.name = "suite";
  lo.default_profile = f.profile;
  lo.work_dir = !f.work_dir.empty() ? f.work_dir
                : ::geteuid() == 0 ? "/var/lib/faasnet/suite"
                                   : "/var/tmp/faasnet-suite-" + std::to_string(::geteuid());
  lo.python_bootstrap = SourcePath("runtime/python/bootstrap.py");
  std::error_code ec;
  lo.probe_dir = (fs::read_symlink("/proc/self/exe", ec).parent_path() / "functions/probe").string();
  lo.boto3_dir = SourcePath("runtime/functions/boto3");
  lo.log = [](const std::string& s) { std::cerr << s << "\n"; };
  fs::create_directories(lo.work_dir, ec);

  // Ctrl-C / SIGTERM: finish the invocations in flight, keep what was measured, tear down.
  BlockStopSignals();
  std::thread watcher([] {
    WaitForStopSignal();
    if (g_done) return;
    std::cerr << "faasnet: stopping after the invocations in flight\n";
    g_stop = true;
  });
  suite::LocalPlatform platform(lo);
  suite::RunOptions ro;
  ro.size = *size;
  ro.scenario_refs = refs;
  ro.stop = &g_stop;
  ro.log = lo.log;
  ro.extra_run = {{"faasnet_version", VersionString()}, {"machine", Machine()}};
  std::cerr << "faasnet run: " << scenarios->size() << " scenario(s), " << cells << " cell(s), size "
            << suite::SizeName(*size) << ", results in " << out << "\n";
  auto t0 = std::chrono::steady_clock::now();
  auto sum = suite::Run(*scenarios, platform, **writer, ro);
  (void)platform.Close();
  g_done = true;
  if (!g_stop) ::kill(::getpid(), SIGTERM);  // release the watcher
  watcher.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!sum.ok()) {
    std::cerr << "faasnet run: stopped after " << secs << " s; what was measured is in " << out << "\n";
    return Fail(sum.status());
  }
  std::cout << "faasnet run: " << sum->status << " in " << static_cast<int>(secs) << " s: " << sum->cells_run
            << " cell(s) run, " << sum->cells_skipped << " skipped (resumed), " << sum->invocations
            << " invocation(s), " << sum->errors << " failed\n"
            << "  results: " << out << "  (run.json, invocations.jsonl, cells.jsonl, telemetry.jsonl)\n";
  return sum->status == "complete" ? kExitOk : kExitFailure;
}

}  // namespace

void AddRunCommand(CLI::App& app, Action* action) {
  auto* run = app.add_subcommand("run", "Run scenarios (default: the paper's experiments, quick size) on the "
                                        "embedded local region and write a results directory");
  auto f = std::make_shared<RunFlags>();
  run->add_option("scenario", f->scenarios, "Scenario names (scenarios/<name>.yaml) or files; default: paper");
  run->add_option("--size", f->size, "quick (within 15 min on 2 vCPUs) or full")->capture_default_str();
  run->add_option("--out", f->out, "Results directory (default: results/run-<time>)");
  run->add_option("--resume", f->resume, "Continue the run in this results directory (skips finished cells)");
  run->add_option("--platform", f->platform, "Where functions run: local")->capture_default_str();
  run->add_option("--isolation", f->isolation, "local: full (root: namespaces, cgroups, shaping) or none");
  run->add_option("--profile", f->profile, "local: network profile for cells that set none")->capture_default_str();
  run->add_option("--work-dir", f->work_dir, "local: the region's working directory (data set kept here)");
  run->add_flag("--list", f->list, "Only print the cells the scenarios expand to (checks the files)");
  run->footer("Scenario keys:\n" + suite::ScenarioKeysHelp());
  run->callback([f, action] { *action = [f] { return Run(*f); }; });
}

}  // namespace faasnet::cli
