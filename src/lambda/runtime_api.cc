#include "lambda/runtime_api.h"

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/strings.h"
#include "lambda/wire.h"

namespace faasnet::lambda {

using boost::asio::awaitable;

namespace {

constexpr std::string_view kInvocationPrefix = "/2018-06-01/runtime/invocation/";
constexpr std::string_view kNextPath = "/2018-06-01/runtime/invocation/next";
constexpr std::string_view kInitErrorPath = "/2018-06-01/runtime/init/error";
constexpr std::string_view kErrorTypeHeader = "Lambda-Runtime-Function-Error-Type";

awaitable<void> Send(http::Exchange& ex, int status, std::string body) {
  http::Response r;
  r.status = status;
  r.Set("Content-Type", "application/json");
  r.Set("Date", HttpDateNow());
  r.body = std::move(body);
  co_await ex.Respond(std::move(r));
}

awaitable<void> SendError(http::Exchange& ex, const LambdaError& e) {
  co_await Send(ex, e.http_status, RuntimeErrorJson(e));
}

awaitable<void> SendAccepted(http::Exchange& ex) { co_await Send(ex, 202, R"({"status":"OK"})"); }

RuntimeError ReadRuntimeError(const http::Request& req, std::string body) {
  RuntimeError e;
  e.error_type = std::string(Trim(req.Header(kErrorTypeHeader).value_or("")));
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object()) {
    if (auto it = j.find("errorType"); e.error_type.empty() && it != j.end() && it->is_string()) {
      e.error_type = it->get<std::string>();
    }
    if (auto it = j.find("errorMessage"); it != j.end() && it->is_string()) e.error_message = it->get<std::string>();
  }
  e.body = std::move(body);
  return e;
}

}  // namespace

std::string InvokeErrorPayload(const RuntimeError& error) {
  nlohmann::json j = nlohmann::json::parse(error.body, nullptr, false);
  if (j.is_object()) return error.body;
  nlohmann::ordered_json out;
  out["errorMessage"] = error.error_message;
  out["errorType"] = error.error_type;
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

RuntimeApi::RuntimeApi(RuntimeBroker* broker, RuntimeApiOptions options) : broker_(broker), options_(options) {}

awaitable<void> RuntimeApi::Handle(http::Exchange& ex) {
  bool failed = false;
  try {
    co_await Dispatch(ex);
  } catch (const std::exception& e) {
    spdlog::error("lambda runtime api: {} {}: {}", ex.request().method, ex.request().target, e.what());
    failed = true;
  }
  if (failed && !ex.responded()) {
    co_await SendError(ex, LambdaError::Make(500, "InternalServerError", "Internal Server Error"));
  }
}

awaitable<void> RuntimeApi::Dispatch(http::Exchange& ex) {
  const http::Request& req = ex.request();
  std::string_view path = req.RawPath();

  // Which operation: next, response, error, init error.
  enum class Op { kNext, kResponse, kError, kInitError } op;
  std::string request_id;
  std::string_view method = "POST";
  if (path == kNextPath) {
    op = Op::kNext;
    method = "GET";
  } else if (path == kInitErrorPath) {
    op = Op::kInitError;
  } else if (path.starts_with(kInvocationPrefix)) {
    std::string_view rest = path.substr(kInvocationPrefix.size());
    size_t slash = rest.find('/');
    std::string_view what = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    if (slash == 0 || (what != "response" && what != "error")) {
      co_return co_await SendError(ex, LambdaError::Make(404, "NotFound", "Unknown Runtime API path " +
                                                                               std::string(path)));
    }
    auto id = UriDecode(rest.substr(0, slash));
    if (!id) co_return co_await SendError(ex, LambdaError::InvalidRequestId());
    request_id = std::move(*id);
    op = what == "response" ? Op::kResponse : Op::kError;
  } else {
    co_return co_await SendError(ex, LambdaError::Make(404, "NotFound", "Unknown Runtime API path " +
                                                                             std::string(path)));
  }
  if (req.method != method) {
    co_return co_await SendError(ex, LambdaError::Make(405, "MethodNotAllowed",
                                                       req.method + " is not allowed on " + std::string(path)));
  }

  auto sandbox = broker_->SandboxFor(req);
  if (!sandbox.ok()) co_return co_await SendError(ex, sandbox.error());

  if (op == Op::kNext) {
    // A GET body is not expected; drop whatever came so the connection stays usable.
    auto ignored = co_await ReadWholeBody(ex, 0, options_.max_drain_bytes, LambdaError::RequestEntityTooLarge());
    (void)ignored;
    auto next = co_await broker_->Next(*sandbox);
    if (!next.ok()) co_return co_await SendError(ex, next.error());
    http::Response r;
    r.status = 200;
    r.Set("Content-Type", "application/json");
    r.Set("Lambda-Runtime-Aws-Request-Id", next->request_id);
    r.Set("Lambda-Runtime-Deadline-Ms", std::to_string(next->deadline_ms));
    r.Set("Lambda-Runtime-Invoked-Function-Arn", next->function_arn);
    if (!next->trace_id.empty()) r.Set("Lambda-Runtime-Trace-Id", next->trace_id);
    if (!next->client_context.empty()) r.Set("Lambda-Runtime-Client-Context", next->client_context);
    r.Set("Date", HttpDateNow());
    r.body = std::move(next->payload);
    co_await ex.Respond(std::move(r));
    co_return;
  }

  if (op == Op::kResponse) {
    auto too_large = LambdaError::RequestEntityTooLarge("Exceeded maximum allowed payload size (" +
                                                        std::to_string(options_.max_response_bytes) + " bytes).");
    auto body = co_await ReadWholeBody(ex, options_.max_response_bytes,
                                       std::max(options_.max_response_bytes, options_.max_drain_bytes), too_large);
    if (!body.ok()) {
      if (body.error().type != too_large.type) co_return co_await SendError(ex, body.error());
      // Lambda fails the invocation and tells the runtime.
      RuntimeError failure;
      failure.error_type = "Function.ResponseSizeTooLarge";
      failure.error_message = "Response payload size exceeded maximum allowed payload size (" +
                              std::to_string(options_.max_response_bytes) + " bytes).";
      failure.body = InvokeErrorPayload(failure);
      LambdaError e = broker_->PostError(*sandbox, request_id, std::move(failure));
      co_return co_await SendError(ex, e.ok() ? too_large : e);
    }
    LambdaError e = broker_->PostResponse(*sandbox, request_id, std::move(*body));
    if (!e.ok()) co_return co_await SendError(ex, e);
    co_return co_await SendAccepted(ex);
  }

  auto body = co_await ReadWholeBody(
      ex, options_.max_error_bytes, std::max(options_.max_error_bytes, options_.max_drain_bytes),
      LambdaError::RequestEntityTooLarge("Exceeded maximum allowed payload size (" +
                                         std::to_string(options_.max_error_bytes) + " bytes)."));
  if (!body.ok()) co_return co_await SendError(ex, body.error());
  RuntimeError error = ReadRuntimeError(req, std::move(*body));
  LambdaError e = op == Op::kError ? broker_->PostError(*sandbox, request_id, std::move(error))
                                   : broker_->PostInitError(*sandbox, std::move(error));
  if (!e.ok()) co_return co_await SendError(ex, e);
  co_await SendAccepted(ex);
}

}  // namespace faasnet::lambda
