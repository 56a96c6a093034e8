#include "lambda/invoke_api.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "base/log.h"
#include "base/strings.h"
#include "lambda/wire.h"
#include "s3/checksum.h"
#include "s3/conditional.h"

namespace faasnet::lambda {

using boost::asio::awaitable;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kFunctionsPath = "/2015-03-31/functions";
constexpr std::string_view kJsonType = "application/json";

enum class Op { kUnknown, kCreate, kList, kGet, kGetConfiguration, kUpdateConfiguration, kDelete, kInvoke };

const char* OpName(Op op) {
  switch (op) {
    case Op::kCreate: return "CreateFunction";
    case Op::kList: return "ListFunctions";
    case Op::kGet: return "GetFunction";
    case Op::kGetConfiguration: return "GetFunctionConfiguration";
    case Op::kUpdateConfiguration: return "UpdateFunctionConfiguration";
    case Op::kDelete: return "DeleteFunction";
    case Op::kInvoke: return "Invoke";
    case Op::kUnknown: break;
  }
  return "Unknown";
}

// The operation a method and path name, and the raw (still encoded) function
// name segment when there is one.
Op Route(std::string_view method, std::string_view path, std::string_view* name) {
  if (path == kFunctionsPath || (path.size() == kFunctionsPath.size() + 1 && path.starts_with(kFunctionsPath) &&
                                 path.back() == '/')) {
    if (method == "POST") return Op::kCreate;
    if (method == "GET") return Op::kList;
    return Op::kUnknown;
  }
  if (!path.starts_with(kFunctionsPath) || path.size() <= kFunctionsPath.size() + 1 ||
      path[kFunctionsPath.size()] != '/') {
    return Op::kUnknown;
  }
  std::string_view rest = path.substr(kFunctionsPath.size() + 1);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);  // tolerate one trailing slash
  size_t slash = rest.find('/');
  *name = rest.substr(0, slash);
  if (name->empty()) return Op::kUnknown;
  if (slash == std::string_view::npos) {
    if (method == "GET") return Op::kGet;
    if (method == "DELETE") return Op::kDelete;
    return Op::kUnknown;
  }
  std::string_view sub = rest.substr(slash + 1);
  if (sub == "configuration") {
    if (method == "GET") return Op::kGetConfiguration;
    if (method == "PUT") return Op::kUpdateConfiguration;
  } else if (sub == "invocations" && method == "POST") {
    return Op::kInvoke;
  }
  return Op::kUnknown;
}

// Lambda's answer to a failed signature check, from the S3 verifier's error.
LambdaError AuthError(const s3::S3Error& e) {
  if (e.code == "InvalidAccessKeyId") return LambdaError::UnrecognizedClientException();
  if (e.code == "SignatureDoesNotMatch") return LambdaError::InvalidSignatureException();
  if (e.code == "RequestTimeTooSkewed") {
    return LambdaError::InvalidSignatureException("Signature expired: the request time is more than 15 minutes "
                                                  "from the server's time.");
  }
  if (e.code == "AccessDenied" || e.code == "XAmzContentSHA256Mismatch") {
    return LambdaError::InvalidSignatureException(e.message);
  }
  return LambdaError::IncompleteSignatureException(e.message);
}

std::string Enum(std::string_view value, std::string_view member, std::string_view set) {
  return "1 validation error detected: Value '" + std::string(value) + "' at '" + std::string(member) +
         "' failed to satisfy constraint: Member must satisfy enum value set: [" + std::string(set) + "]";
}

// "" when `payload` is empty or JSON; else the parser's complaint.
std::string JsonProblem(const std::string& payload) {
  if (Trim(payload).empty()) return "";
  try {
    nlohmann::json::parse(payload).is_null();
  } catch (const nlohmann::json::parse_error& e) {
    return e.what();
  }
  return "";
}

std::string Dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

// One request's state.
struct InvokeApi::Call {
  http::Exchange& ex;
  const http::Request& req;
  std::string request_id = NewRequestId();
  Clock::time_point start = Clock::now();
  Op op = Op::kUnknown;
  std::string_view raw_name;  // into req.target
  FunctionRef function;
  std::map<std::string, std::string> query;  // decoded
  std::string body;
  std::string access_key_id;
  int status = 0;
  std::string error_type;

  explicit Call(http::Exchange& e) : ex(e), req(e.request()) {}
  std::optional<std::string> Q(const std::string& name) const {
    auto it = query.find(name);
    if (it == query.end()) return std::nullopt;
    return it->second;
  }
  http::Response Base(int code) const {
    http::Response r;
    r.status = code;
    r.Set("x-amzn-RequestId", request_id);
    r.Set("Date", HttpDateNow());
    return r;
  }
};

InvokeApi::InvokeApi(Platform* platform, s3::SecretLookup secrets, InvokeApiOptions options)
    : platform_(platform), secrets_(std::move(secrets)), options_(std::move(options)) {}

awaitable<void> InvokeApi::Handle(http::Exchange& ex) {
  Call c(ex);
  bool failed = false;
  try {
    co_await Dispatch(c);
  } catch (const std::exception& e) {
    spdlog::error("lambda: {} {}: {}", c.req.method, c.req.target, e.what());
    failed = true;
  }
  if (failed && !ex.responded()) co_await SendError(c, LambdaError::ServiceException());
  if (options_.access_log) {
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - c.start).count();
    std::string line = fmt::format("{} {} {} {} {} {} {} {} in={} out={} {:.3f}ms\n",
                                   s3::FormatIso8601(std::chrono::system_clock::now()), c.req.remote, c.request_id,
                                   c.access_key_id.empty() ? "-" : c.access_key_id, OpName(c.op),
                                   c.function.name.empty() ? "-" : c.function.name, c.status,
                                   c.error_type.empty() ? "-" : c.error_type, ex.body_bytes_received(), ex.bytes_sent(),
                                   ms);
    std::lock_guard<std::mutex> lock(log_mu_);
    std::fputs(line.c_str(), options_.access_log);
    std::fflush(options_.access_log);
  }
}

awaitable<void> InvokeApi::SendError(Call& c, const LambdaError& e) {
  c.status = e.http_status;
  c.error_type = e.type;
  http::Response r = c.Base(e.http_status);
  r.Set("x-amzn-ErrorType", e.type);
  r.Set("Content-Type", std::string(kJsonType));
  if (e.retry_after_s > 0) r.Set("Retry-After", std::to_string(e.retry_after_s));
  r.body = ErrorJson(e);
  co_await c.ex.Respond(std::move(r));
}

awaitable<void> InvokeApi::SendJson(Call& c, int status, std::string json) {
  c.status = status;
  http::Response r = c.Base(status);
  r.Set("Content-Type", std::string(kJsonType));
  r.body = std::move(json);
  co_await c.ex.Respond(std::move(r));
}

awaitable<void> InvokeApi::Dispatch(Call& c) {
  const http::Request& req = c.req;
  c.op = Route(req.method, req.RawPath(), &c.raw_name);

  // The body first: the signature covers its hash.
  size_t cap = options_.max_other_body_bytes;
  LambdaError too_large = LambdaError::RequestTooLargeException(
      "Request must be smaller than " + std::to_string(cap) + " bytes for the " + OpName(c.op) + " operation");
  if (c.op == Op::kCreate) {
    cap = options_.max_create_body_bytes;
    too_large = LambdaError::RequestTooLargeException("Request must be smaller than " + std::to_string(cap) +
                                                      " bytes for the CreateFunction operation");
  } else if (c.op == Op::kInvoke) {
    bool event = Trim(req.Header("X-Amz-Invocation-Type").value_or("")) == "Event";
    cap = event ? options_.max_event_payload_bytes : options_.max_sync_payload_bytes;
    too_large = LambdaError::RequestTooLargeException("Request must be smaller than " + std::to_string(cap) +
                                                      " bytes for the InvokeFunction operation");
  }
  auto body = co_await ReadWholeBody(c.ex, cap, std::max(cap, options_.max_drain_bytes), too_large);
  if (!body.ok()) co_return co_await SendError(c, body.error());
  c.body = std::move(*body);

  // Authentication.
  std::vector<s3::HeaderPair> headers;
  headers.reserve(req.headers.size());
  for (const auto& [n, v] : req.headers) headers.emplace_back(n, v);
  s3::RequestView view{req.method, req.RawPath(), req.RawQuery(), headers};
  s3::VerifyOptions verify;
  verify.region = options_.region;
  verify.service = "lambda";
  verify.double_encode_path = true;
  verify.body_sha256_hex = s3::Sha256Hex(c.body);
  auto verified = s3::VerifyRequest(view, secrets_, std::chrono::system_clock::now(), verify);
  if (!verified.ok()) co_return co_await SendError(c, AuthError(verified.error()));
  if (s3::S3Error e = s3::CheckPayloadHash(*verified, verify.body_sha256_hex); !e.ok()) {
    co_return co_await SendError(c, AuthError(e));
  }
  if (verified->kind == s3::AuthKind::kAnonymous && !options_.allow_anonymous) {
    co_return co_await SendError(c, LambdaError::MissingAuthenticationTokenException());
  }
  c.access_key_id = verified->access_key_id;

  if (c.op == Op::kUnknown) {
    co_return co_await SendError(c, LambdaError::UnknownOperationException(
                                        "faasnet does not implement " + req.method + " " +
                                        std::string(req.RawPath())));
  }
  for (auto [n, v] : http::SplitQuery(req.RawQuery())) {
    auto dn = UriDecode(n, true);
    auto dv = UriDecode(v, true);
    if (!dn || !dv) {
      co_return co_await SendError(c, LambdaError::InvalidParameterValueException("Malformed query string"));
    }
    c.query[*dn] = *dv;
  }
  if (!c.raw_name.empty()) {
    auto decoded = UriDecode(c.raw_name);
    auto ref = ParseFunctionName(decoded ? *decoded : std::string(c.raw_name));
    if (!ref.ok()) co_return co_await SendError(c, ref.error());
    c.function = std::move(*ref);
    if (auto q = c.Q("Qualifier")) {
      if (!c.function.qualifier.empty() && c.function.qualifier != *q) {
        co_return co_await SendError(c, LambdaError::InvalidParameterValueException(
                                            "The derived qualifier from the function name does not match the "
                                            "specified qualifier."));
      }
      c.function.qualifier = *q;
    }
    if (!c.function.qualifier.empty() && c.function.qualifier != kLatest) {
      co_return co_await SendError(
          c, LambdaError::ResourceNotFoundException("Function not found: " + FunctionArn(options_.region, c.function.name) +
                                                    ":" + c.function.qualifier +
                                                    " (faasnet has only $LATEST: no versions or aliases)"));
    }
  }

  switch (c.op) {
    case Op::kCreate: co_return co_await CreateFunction(c);
    case Op::kList: co_return co_await ListFunctions(c);
    case Op::kGet: co_return co_await GetFunction(c, false);
    case Op::kGetConfiguration: co_return co_await GetFunction(c, true);
    case Op::kUpdateConfiguration: co_return co_await UpdateFunctionConfiguration(c);
    case Op::kDelete: co_return co_await DeleteFunction(c);
    case Op::kInvoke: co_return co_await Invoke(c);
    case Op::kUnknown: break;
  }
  co_await SendError(c, LambdaError::UnknownOperationException());
}

awaitable<void> InvokeApi::CreateFunction(Call& c) {
  auto input = ParseCreateFunctionInput(c.body);
  if (!input.ok()) co_return co_await SendError(c, input.error());
  c.function.name = input->function_name;
  c.body.clear();
  c.body.shrink_to_fit();  // the zip is in `input` now; do not hold it twice
  auto config = platform_->CreateFunction(*input);
  if (!config.ok()) co_return co_await SendError(c, config.error());
  co_await SendJson(c, 201, Dump(ToJson(*config)));
}

awaitable<void> InvokeApi::ListFunctions(Call& c) {
  int max_items = options_.max_list_items;
  if (auto m = c.Q("MaxItems")) {
    char* end = nullptr;
    long v = std::strtol(m->c_str(), &end, 10);
    if (m->empty() || *end != '\0' || v < 1 || v > 10000) {
      std::string constraint = v > 10000 ? "Member must have value less than or equal to 10000"
                                         : "Member must have value greater than or equal to 1";
      co_return co_await SendError(c, LambdaError::ValidationException("1 validation error detected: Value '" + *m +
                                                                       "' at 'maxItems' failed to satisfy "
                                                                       "constraint: " + constraint));
    }
    max_items = std::min<int>(max_items, static_cast<int>(v));
  }
  std::string after;  // the marker: the last name of the previous page, base64
  if (auto m = c.Q("Marker"); m && !m->empty()) {
    auto decoded = Base64Decode(*m);
    if (!decoded) co_return co_await SendError(c, LambdaError::InvalidParameterValueException("Invalid Marker: " + *m));
    after = *decoded;
  }
  std::vector<FunctionConfiguration> all = platform_->ListFunctions();
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a.function_name < b.function_name; });
  nlohmann::ordered_json functions = nlohmann::ordered_json::array();
  std::string last;
  bool more = false;
  for (const auto& f : all) {
    if (!after.empty() && f.function_name <= after) continue;
    if (static_cast<int>(functions.size()) == max_items) {
      more = true;
      break;
    }
    functions.push_back(ToJson(f));
    last = f.function_name;
  }
  nlohmann::ordered_json out;
  if (more) out["NextMarker"] = Base64Encode(last);
  out["Functions"] = std::move(functions);
  co_await SendJson(c, 200, Dump(out));
}

awaitable<void> InvokeApi::GetFunction(Call& c, bool configuration_only) {
  auto config = platform_->GetFunction(c.function.name);
  if (!config.ok()) co_return co_await SendError(c, config.error());
  if (configuration_only) co_return co_await SendJson(c, 200, Dump(ToJson(*config)));
  nlohmann::ordered_json out;
  out["Configuration"] = ToJson(*config);
  nlohmann::ordered_json code;
  code["RepositoryType"] = "faasnet";
  if (!config->code_dir.empty()) code["Location"] = "file://" + config->code_dir;
  out["Code"] = std::move(code);
  if (!config->tags.empty()) out["Tags"] = config->tags;
  co_await SendJson(c, 200, Dump(out));
}

awaitable<void> InvokeApi::UpdateFunctionConfiguration(Call& c) {
  auto update = ParseUpdateFunctionConfigurationInput(c.body);
  if (!update.ok()) co_return co_await SendError(c, update.error());
  auto config = platform_->UpdateFunctionConfiguration(c.function.name, *update);
  if (!config.ok()) co_return co_await SendError(c, config.error());
  co_await SendJson(c, 200, Dump(ToJson(*config)));
}

awaitable<void> InvokeApi::DeleteFunction(Call& c) {
  LambdaError e = platform_->DeleteFunction(c.function.name);
  if (!e.ok()) co_return co_await SendError(c, e);
  c.status = 204;
  co_await c.ex.Respond(c.Base(204));
}

awaitable<void> InvokeApi::Invoke(Call& c) {
  InvokeRequest r;
  r.function_name = c.function.name;
  r.qualifier = c.function.qualifier;
  r.request_id = c.request_id;
  std::string type(Trim(c.req.Header("X-Amz-Invocation-Type").value_or("RequestResponse")));
  if (type == "RequestResponse") {
    r.type = InvokeRequest::Type::kRequestResponse;
  } else if (type == "Event") {
    r.type = InvokeRequest::Type::kEvent;
  } else if (type == "DryRun") {
    r.type = InvokeRequest::Type::kDryRun;
  } else {
    co_return co_await SendError(
        c, LambdaError::ValidationException(Enum(type, "invocationType", "Event, RequestResponse, DryRun")));
  }
  std::string log_type(Trim(c.req.Header("X-Amz-Log-Type").value_or("None")));
  if (log_type != "None" && log_type != "Tail") {
    co_return co_await SendError(c, LambdaError::ValidationException(Enum(log_type, "logType", "None, Tail")));
  }
  r.log_tail = log_type == "Tail" && r.type == InvokeRequest::Type::kRequestResponse;
  if (auto cc = c.req.Header("X-Amz-Client-Context")) {
    auto decoded = Base64Decode(Trim(*cc));
    if (!decoded || !nlohmann::json::accept(*decoded)) {
      co_return co_await SendError(c, LambdaError::InvalidRequestContentException(
                                          "Client context must be a valid Base64-encoded JSON object."));
    }
    r.client_context = std::move(*decoded);
  }
  if (auto trace = c.req.Header("X-Amzn-Trace-Id")) r.trace_id = std::string(Trim(*trace));
  if (std::string why = JsonProblem(c.body); !why.empty()) {
    co_return co_await SendError(c, LambdaError::InvalidRequestContentException(
                                        "Could not parse request body into json: Could not parse payload into json: " +
                                        why));
  }
  r.payload = std::move(c.body);
  InvokeRequest::Type kind = r.type;
  bool tail = r.log_tail;
  auto result = co_await platform_->Invoke(std::move(r));
  if (!result.ok()) co_return co_await SendError(c, result.error());
  InvokeResult& out = *result;
  if (!out.request_id.empty()) c.request_id = out.request_id;
  if (kind == InvokeRequest::Type::kEvent || kind == InvokeRequest::Type::kDryRun) {
    c.status = kind == InvokeRequest::Type::kEvent ? 202 : 204;
    co_await c.ex.Respond(c.Base(c.status));
    co_return;
  }
  c.status = out.status_code;
  http::Response resp = c.Base(out.status_code);
  resp.Set("Content-Type", std::string(kJsonType));
  resp.Set("X-Amz-Executed-Version", out.executed_version.empty() ? std::string(kLatest) : out.executed_version);
  if (!out.function_error.empty()) {
    resp.Set("X-Amz-Function-Error", out.function_error);
    c.error_type = out.function_error;
  }
  if (tail) {
    std::string_view log = out.log_tail;
    if (log.size() > options_.log_tail_bytes) log = log.substr(log.size() - options_.log_tail_bytes);
    resp.Set("X-Amz-Log-Result", Base64Encode(log));
  }
  resp.body = std::move(out.payload);
  co_await c.ex.Respond(std::move(resp));
}

}  // namespace faasnet::lambda
