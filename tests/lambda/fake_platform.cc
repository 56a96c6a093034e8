#include "fake_platform.h"

#include <boost/asio.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "lambda/zip.h"

namespace faasnet::lambda::testing {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using asio::awaitable;

namespace {

awaitable<InvokeResult> Echo(const InvokeRequest& r, const FunctionConfiguration&, std::string* log) {
  *log += "echo: " + std::to_string(r.payload.size()) + " bytes\n";
  InvokeResult out;
  out.payload = r.payload.empty() ? "{}" : r.payload;
  co_return out;
}

awaitable<InvokeResult> Fail(const InvokeRequest&, const FunctionConfiguration&, std::string* log) {
  *log += "[ERROR] Exception: boom\n";
  InvokeResult out;
  out.function_error = "Unhandled";
  out.payload = R"({"errorMessage":"boom","errorType":"Exception","stackTrace":[]})";
  co_return out;
}

awaitable<InvokeResult> Sleep(const InvokeRequest& r, const FunctionConfiguration&, std::string* log) {
  int ms = 0;
  auto j = nlohmann::json::parse(r.payload, nullptr, false);
  if (j.is_object() && j.contains("ms") && j["ms"].is_number_integer()) ms = j["ms"].get<int>();
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(std::chrono::milliseconds(ms));
  co_await t.async_wait(asio::use_awaitable);
  *log += "slept " + std::to_string(ms) + " ms\n";
  InvokeResult out;
  out.payload = nlohmann::json{{"slept_ms", ms}}.dump();
  co_return out;
}

awaitable<InvokeResult> Env(const InvokeRequest&, const FunctionConfiguration& c, std::string*) {
  InvokeResult out;
  out.payload = nlohmann::json(c.environment).dump();
  co_return out;
}

awaitable<InvokeResult> Context(const InvokeRequest& r, const FunctionConfiguration& c, std::string*) {
  InvokeResult out;
  out.payload = nlohmann::json{{"request_id", r.request_id},
                               {"client_context", r.client_context},
                               {"function_name", c.function_name},
                               {"memory_mb", c.memory_mb},
                               {"trace_id", r.trace_id}}
                    .dump();
  co_return out;
}

awaitable<InvokeResult> BigLog(const InvokeRequest& r, const FunctionConfiguration& c, std::string* log) {
  for (int i = 0; i < 10000; ++i) *log += "line " + std::to_string(i) + "\n";
  InvokeResult out;
  out.payload = r.payload.empty() ? "{}" : r.payload;
  co_return out;
}

}  // namespace

FakePlatform::FakePlatform(std::string root, std::string region) : root_(std::move(root)), region_(std::move(region)) {
  fs::create_directories(root_);
  handlers_["echo"] = Echo;
  handlers_["fail"] = Fail;
  handlers_["sleep"] = Sleep;
  handlers_["env"] = Env;
  handlers_["context"] = Context;
  handlers_["biglog"] = BigLog;
}

FakePlatform::~FakePlatform() {
  std::error_code ec;
  for (auto& [name, f] : functions_) {
    if (f.owns_dir) fs::remove_all(f.config.code_dir, ec);
  }
}

void FakePlatform::SetHandler(const std::string& handler, FakeFunction fn) {
  std::lock_guard<std::mutex> lock(mu_);
  handlers_[handler] = std::move(fn);
}

void FakePlatform::SetReservedConcurrency(const std::string& function, int limit) {
  std::lock_guard<std::mutex> lock(mu_);
  reserved_[function] = limit;
}

int FakePlatform::invocations(const std::string& function) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = functions_.find(function);
  return it == functions_.end() ? 0 : it->second.invocations;
}

LambdaResult<FunctionConfiguration> FakePlatform::CreateFunction(const CreateFunctionInput& input) {
  std::string dir;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (functions_.count(input.function_name)) return FunctionAlreadyExists(input.function_name);
    dir = root_ + "/" + input.function_name + "-" + std::to_string(next_dir_++);
  }
  FunctionConfiguration config = NewConfiguration(input, region_, std::chrono::system_clock::now());
  bool owns = false;
  if (!input.code.zip_file.empty()) {
    auto extracted = ExtractZip(input.code.zip_file, dir);
    if (!extracted.ok()) return extracted.error();
    config.code_size = static_cast<int64_t>(input.code.zip_file.size());
    config.code_sha256 = CodeSha256(input.code.zip_file);
    config.code_dir = dir;
    owns = true;
  } else {
    std::error_code ec;
    if (!fs::is_directory(input.code.local_path, ec)) {
      return LambdaError::InvalidParameterValueException("The code directory does not exist: " +
                                                         input.code.local_path);
    }
    config.code_dir = input.code.local_path;
    config.code_sha256 = CodeSha256("");
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = functions_.emplace(input.function_name, Function{config, owns, 0, 0});
  if (!inserted) {
    std::error_code ec;
    if (owns) fs::remove_all(dir, ec);
    return FunctionAlreadyExists(input.function_name);
  }
  return config;
}

LambdaResult<FunctionConfiguration> FakePlatform::GetFunction(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = functions_.find(name);
  if (it == functions_.end()) return FunctionNotFound(region_, name);
  return it->second.config;
}

LambdaResult<FunctionConfiguration> FakePlatform::UpdateFunctionConfiguration(
    const std::string& name, const UpdateFunctionConfigurationInput& update) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = functions_.find(name);
  if (it == functions_.end()) return FunctionNotFound(region_, name);
  FunctionConfiguration next = it->second.config;
  LambdaError e = ApplyUpdate(update, std::chrono::system_clock::now(), &next);
  if (!e.ok()) return e;
  it->second.config = next;
  return next;
}

LambdaError FakePlatform::DeleteFunction(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = functions_.find(name);
  if (it == functions_.end()) return FunctionNotFound(region_, name);
  std::error_code ec;
  if (it->second.owns_dir) fs::remove_all(it->second.config.code_dir, ec);
  functions_.erase(it);
  return LambdaError::Ok();
}

std::vector<FunctionConfiguration> FakePlatform::ListFunctions() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<FunctionConfiguration> out;
  for (const auto& [name, f] : functions_) out.push_back(f.config);
  return out;
}

awaitable<InvokeResult> FakePlatform::Run(InvokeRequest request, FunctionConfiguration config) {
  FakeFunction fn;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = handlers_.find(config.handler);
    fn = it == handlers_.end() ? handlers_["echo"] : it->second;
  }
  std::string log = "START RequestId: " + request.request_id + " Version: $LATEST\n";
  auto start = std::chrono::steady_clock::now();
  InvokeResult result = co_await fn(request, config, &log);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  log += "END RequestId: " + request.request_id + "\n";
  log += "REPORT RequestId: " + request.request_id + "\tDuration: " + std::to_string(ms) + " ms\tMemory Size: " +
         std::to_string(config.memory_mb) + " MB\n";
  result.log_tail = std::move(log);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = functions_.find(config.function_name);
    if (it != functions_.end()) --it->second.running;
  }
  co_return result;
}

awaitable<LambdaResult<InvokeResult>> FakePlatform::Invoke(InvokeRequest request) {
  FunctionConfiguration config;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = functions_.find(request.function_name);
    if (it == functions_.end()) co_return FunctionNotFound(region_, request.function_name);
    config = it->second.config;
    if (request.type == InvokeRequest::Type::kDryRun) co_return InvokeResult{};
    int limit = 0;
    if (auto r = reserved_.find(request.function_name); r != reserved_.end()) limit = r->second;
    if (auto e = config.environment.find("FAASNET_FAKE_CONCURRENCY"); e != config.environment.end()) {
      limit = std::atoi(e->second.c_str());
    }
    if (limit > 0 && it->second.running >= limit) {
      co_return LambdaError::TooManyRequestsException("ReservedFunctionConcurrentInvocationLimitExceeded",
                                                      "Rate Exceeded.");
    }
    ++it->second.running;
    ++it->second.invocations;
  }
  if (request.type == InvokeRequest::Type::kEvent) {
    auto executor = co_await asio::this_coro::executor;
    asio::co_spawn(
        executor,
        [this, request, config]() -> awaitable<void> {
          co_await Run(request, config);
          events_completed_.fetch_add(1);
        },
        asio::detached);
    InvokeResult queued;
    queued.status_code = 202;
    co_return queued;
  }
  co_return co_await Run(std::move(request), std::move(config));
}

}  // namespace faasnet::lambda::testing
