#include "runtime/loop.h"

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <thread>
#include <typeinfo>

#include "runtime/client.h"

namespace faasnet::runtime {

namespace {

// Deliberately plain stderr writes, not spdlog: a bootstrap should load no more libraries than it needs.
void Log(const std::string& message) { std::fprintf(stderr, "faasnet-runtime: %s\n", message.c_str()); }

Result<ApiAddress> AddressFrom(const LoopOptions& options) {
  std::string value = options.runtime_api;
  if (value.empty()) {
    const char* env = std::getenv("AWS_LAMBDA_RUNTIME_API");
    if (!env || !*env) return Status::InvalidArgument("AWS_LAMBDA_RUNTIME_API is not set");
    value = env;
  }
  return ParseApiAddress(value);
}

std::string ClassName(const std::type_info& type) {
  int status = 0;
  char* name = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string out = (status == 0 && name) ? name : type.name();
  std::free(name);
  return out;
}

HandlerResult Call(const Handler& handler, const Invocation& invocation) {
  try {
    return handler(invocation);
  } catch (const std::exception& e) {
    return HandlerResult::Failure(ClassName(typeid(e)), e.what());
  } catch (...) {
    return HandlerResult::Failure("Runtime.UnknownException", "the handler threw a non-standard exception");
  }
}

}  // namespace

int RunLoop(const Handler& handler, const LoopOptions& options) {
  Result<ApiAddress> address = AddressFrom(options);
  if (!address.ok()) {
    Log(address.status().message());
    return kExitMisconfigured;
  }
  // Line-buffered output: a function's log lines reach the platform even if it is killed mid-invocation.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  FunctionEnv function = FunctionEnvFromEnvironment();
  RuntimeClient client(*address);
  std::optional<std::chrono::steady_clock::time_point> failing_since;
  for (;;) {
    Result<Invocation> next = client.Next(function);
    if (!next.ok()) {
      auto now = std::chrono::steady_clock::now();
      if (!failing_since) failing_since = now;
      if (now - *failing_since >= options.api_gone_after) {
        Log(next.status().message() + "; the Runtime API has been unavailable for " +
            std::to_string(options.api_gone_after.count()) + " ms, exiting");
        return kExitApiGone;
      }
      std::this_thread::sleep_for(options.retry_interval);
      continue;
    }
    failing_since.reset();
    const Invocation& invocation = *next;
    // The X-Ray trace id, where AWS SDKs look for it.
    if (invocation.trace_id.empty()) {
      unsetenv("_X_AMZN_TRACE_ID");
    } else {
      setenv("_X_AMZN_TRACE_ID", invocation.trace_id.c_str(), 1);
    }
    HandlerResult result = Call(handler, invocation);
    std::cout.flush();
    std::fflush(nullptr);
    Status posted = result.ok() ? client.PostResponse(invocation.request_id, result.payload, result.content_type)
                                : client.PostError(invocation.request_id, result.error_type, result.error_message);
    if (!posted.ok()) Log(posted.message());  // the next /next tells whether the platform is still there
  }
}

Status ReportInitError(std::string_view error_type, std::string_view error_message, const LoopOptions& options) {
  ASSIGN_OR_RETURN(ApiAddress address, AddressFrom(options));
  RuntimeClient client(std::move(address));
  return client.PostInitError(error_type, error_message);
}

}  // namespace faasnet::runtime
