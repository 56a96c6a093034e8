#include "runtime/invocation.h"

#include <charconv>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <utility>

namespace faasnet::runtime {

namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

template <typename Int>
bool ParseInt(std::string_view text, Int& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// Request ids go into a URL path unescaped: Lambda's are UUIDs; allow that and a little more.
bool IsSafeRequestId(std::string_view id) {
  if (id.empty() || id.size() > 256) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

FunctionEnv FunctionEnvFromEnvironment() {
  FunctionEnv env;
  env.function_name = Env("AWS_LAMBDA_FUNCTION_NAME");
  env.function_version = Env("AWS_LAMBDA_FUNCTION_VERSION");
  if (!ParseInt(Env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), env.memory_mb)) env.memory_mb = 0;
  env.log_group_name = Env("AWS_LAMBDA_LOG_GROUP_NAME");
  env.log_stream_name = Env("AWS_LAMBDA_LOG_STREAM_NAME");
  return env;
}

std::chrono::milliseconds Invocation::RemainingTime(std::chrono::steady_clock::time_point now) const {
  using std::chrono::milliseconds;
  if (deadline == std::chrono::steady_clock::time_point::max()) return milliseconds::max();
  if (now >= deadline) return milliseconds(0);
  return std::chrono::duration_cast<milliseconds>(deadline - now);
}

HandlerResult HandlerResult::Success(std::string payload, std::string content_type) {
  HandlerResult r;
  r.payload = std::move(payload);
  r.content_type = std::move(content_type);
  return r;
}

HandlerResult HandlerResult::Failure(std::string error_type, std::string error_message) {
  HandlerResult r;
  r.error_type = error_type.empty() ? "Error" : std::move(error_type);  // empty would read as success
  r.error_message = std::move(error_message);
  return r;
}

Result<ApiAddress> ParseApiAddress(std::string_view value) {
  auto bad = [&](const char* why) {
    return Status::InvalidArgument("AWS_LAMBDA_RUNTIME_API \"" + std::string(value) + "\": " + why);
  };
  size_t colon = value.rfind(':');
  if (colon == std::string_view::npos) return bad("expected host:port");
  std::string_view host = value.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad("an IPv6 address needs brackets, [addr]:port");
  }
  if (host.empty()) return bad("empty host");
  ApiAddress address;
  address.host = std::string(host);
  if (!ParseInt(value.substr(colon + 1), address.port) || address.port == 0) return bad("bad port");
  return address;
}

Result<Invocation> ParseInvocation(const NextHeaders& headers, std::string payload, FunctionEnv function,
                                   std::chrono::system_clock::time_point system_now,
                                   std::chrono::steady_clock::time_point steady_now) {
  if (!IsSafeRequestId(headers.request_id)) {
    return Status::InvalidArgument("invocation/next: bad Lambda-Runtime-Aws-Request-Id \"" + headers.request_id + "\"");
  }
  Invocation inv;
  inv.request_id = headers.request_id;
  if (!headers.deadline_ms.empty()) {
    if (!ParseInt(headers.deadline_ms, inv.deadline_epoch_ms) || inv.deadline_epoch_ms <= 0) {
      return Status::InvalidArgument("invocation/next " + headers.request_id + ": bad Lambda-Runtime-Deadline-Ms \"" +
                                     headers.deadline_ms + "\"");
    }
    auto epoch_now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(system_now.time_since_epoch()).count();
    inv.deadline = steady_now + std::chrono::milliseconds(inv.deadline_epoch_ms - epoch_now_ms);
  }
  inv.function_arn = headers.function_arn;
  inv.trace_id = headers.trace_id;
  inv.client_context = headers.client_context;
  inv.cognito_identity = headers.cognito_identity;
  inv.content_type = headers.content_type.empty() ? "application/json" : headers.content_type;
  inv.payload = std::move(payload);
  inv.function = std::move(function);
  return inv;
}

std::string ErrorDocument(std::string_view error_type, std::string_view error_message) {
  nlohmann::json doc = {
      {"errorMessage", error_message}, {"errorType", error_type}, {"stackTrace", nlohmann::json::array()}};
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace faasnet::runtime
