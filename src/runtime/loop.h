// RunLoop: the whole life of a native `provided` function, in one call from its main().
//
//   int main() {
//     return faasnet::runtime::RunLoop([](const faasnet::runtime::Invocation& inv) {
//       return faasnet::runtime::HandlerResult::Success(R"({"ok":true})");
//     });
//   }
//
// The loop reads $AWS_LAMBDA_RUNTIME_API, long-polls /invocation/next, calls the handler and posts its
// result to /response or /error, forever. A handler that throws is reported as a function error whose
// errorType is the exception's C++ class name (e.g. "std::runtime_error"), and the loop goes on; a
// handler that crashes or exits ends the process, which the platform reports (Runtime.ExitError).
// Before each post, stdout and stderr are flushed so the platform has the invocation's whole log.
//
// The loop ends only when the Runtime API has been unreachable (or answering /next with errors) for
// `api_gone_after`: the platform is gone, and a function left behind must not linger.
//
// Thread-safety: RunLoop blocks its calling thread; the handler runs on it.
#ifndef FAASNET_RUNTIME_LOOP_H_
#define FAASNET_RUNTIME_LOOP_H_

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "runtime/invocation.h"

namespace faasnet::runtime {

using Handler = std::function<HandlerResult(const Invocation&)>;

struct LoopOptions {
  std::string runtime_api;                         // "host:port"; empty: $AWS_LAMBDA_RUNTIME_API
  std::chrono::milliseconds api_gone_after{2000};  // unreachable this long -> return kExitApiGone
  std::chrono::milliseconds retry_interval{10};    // between attempts while unreachable
};

// RunLoop's return values (a main() returns them as its exit code).
inline constexpr int kExitMisconfigured = 2;  // AWS_LAMBDA_RUNTIME_API missing or malformed
inline constexpr int kExitApiGone = 3;        // the Runtime API went away

// Serves invocations until the Runtime API goes away; returns kExitMisconfigured or kExitApiGone.
// Diagnostics go to stderr, prefixed "faasnet-runtime:".
int RunLoop(const Handler& handler, const LoopOptions& options = {});

// Reports a failed initialisation (POST /init/error) for a function that cannot start, e.g.
// ReportInitError("Runtime.ConfigInvalid", "missing MODEL_PATH"); the caller then exits non-zero.
// Returns the error when the address is bad or the post fails.
Status ReportInitError(std::string_view error_type, std::string_view error_message, const LoopOptions& options = {});

}  // namespace faasnet::runtime

#endif  // FAASNET_RUNTIME_LOOP_H_
