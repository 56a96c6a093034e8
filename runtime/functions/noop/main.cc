// noop: faasnet's native `provided` test function (built as functions/noop/bootstrap).
//
// By default it answers {"ok":true} as fast as it can: it is the function whose cold start measures
// the platform. The event selects extra behaviour for the region's tests; python-echo/app.py does
// the same in Python. Keys, applied in this order, all optional:
//   {"alloc_mb": N}    allocate and touch N MiB, held until the invocation ends (cgroup OOM tests)
//   {"cpu_ms": N}      burn N ms of process CPU time (CPU quota tests)
//   {"sleep_ms": N}    sleep N ms of wall time (timeout tests)
//   {"crash": true}    abort(): the process dies by SIGABRT (Runtime.ExitError)
//   {"exit": N}        exit(N) (Runtime.ExitError)
//   {"error": "msg"}   return a function error: errorType "FunctionError", errorMessage "msg"
//   {"echo": X}        the response carries "echo": X
//   {"hostinfo": true} the response carries /proc/self/cgroup, hostname, pid and the Lambda env vars
//   {"context": true}  the response carries the invocation's context (request id, ARN, remaining ms, ...)
// A payload that is not a JSON object is treated as {}.
// With FAASNET_NOOP_INIT_ERROR=msg in its environment it fails its init instead: it posts /init/error
// (errorType "Runtime.InitError", errorMessage msg) and exits 1, for the region's init-failure tests.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "runtime/loop.h"

namespace {

using faasnet::runtime::HandlerResult;
using faasnet::runtime::Invocation;
using nlohmann::json;

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

json Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? json(value) : json(nullptr);
}

// Process CPU time (all threads), in ms: std::clock() is CLOCK_PROCESS_CPUTIME_ID on Linux.
double CpuMs() { return 1000.0 * static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

HandlerResult Handle(const Invocation& inv) {
  static const std::string kOk = R"({"ok":true})";
  if (inv.payload.empty() || inv.payload == "{}") return HandlerResult::Success(kOk);  // the hot path
  json event = json::parse(inv.payload, nullptr, /*allow_exceptions=*/false);
  if (!event.is_object()) return HandlerResult::Success(kOk);

  json out = {{"ok", true}};
  std::unique_ptr<char[]> block;
  if (auto n = event.value("alloc_mb", 0); n > 0) {
    size_t bytes = static_cast<size_t>(n) << 20;
    block.reset(new char[bytes]);
    for (size_t i = 0; i < bytes; i += 4096) block[i] = 1;  // touch every page: make it resident
    out["allocated_mb"] = n;
  }
  if (auto n = event.value("cpu_ms", 0); n > 0) {
    double start = CpuMs();
    volatile uint64_t spin = 0;
    while (CpuMs() - start < n) {
      for (int i = 0; i < 10000; ++i) spin = spin + i;
    }
    out["cpu_ms"] = CpuMs() - start;
  }
  if (auto n = event.value("sleep_ms", 0); n > 0) std::this_thread::sleep_for(std::chrono::milliseconds(n));
  if (event.value("crash", false)) std::abort();
  if (event.contains("exit") && event["exit"].is_number_integer()) std::exit(event["exit"].get<int>());
  if (event.contains("error")) {
    const json& e = event["error"];
    return HandlerResult::Failure("FunctionError", e.is_string() ? e.get<std::string>() : e.dump());
  }
  if (event.contains("echo")) out["echo"] = event["echo"];
  if (event.value("hostinfo", false)) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    out["hostinfo"] = {{"cgroup", ReadFile("/proc/self/cgroup")},
                       {"hostname", host},
                       {"pid", static_cast<int>(getpid())},
                       {"env",
                        {{"AWS_LAMBDA_FUNCTION_NAME", Env("AWS_LAMBDA_FUNCTION_NAME")},
                         {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")},
                         {"_HANDLER", Env("_HANDLER")},
                         {"AWS_REGION", Env("AWS_REGION")}}}};
  }
  if (event.value("context", false)) {
    out["context"] = {{"aws_request_id", inv.request_id},
                      {"invoked_function_arn", inv.function_arn},
                      {"function_name", inv.function.function_name},
                      {"function_version", inv.function.function_version},
                      {"memory_limit_in_mb", inv.function.memory_mb},
                      {"deadline_ms", inv.deadline_epoch_ms},
                      {"remaining_time_ms", inv.RemainingTime().count()}};
  }
  return HandlerResult::Success(out.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace

int main() {
  if (const char* message = std::getenv("FAASNET_NOOP_INIT_ERROR")) {
    faasnet::Status posted = faasnet::runtime::ReportInitError("Runtime.InitError", message);
    if (!posted.ok()) std::fprintf(stderr, "noop: %s\n", posted.ToString().c_str());
    return 1;
  }
  return faasnet::runtime::RunLoop(Handle);
}
