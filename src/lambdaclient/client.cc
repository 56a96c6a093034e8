#include "lambdaclient/client.h"

#include <curl/curl.h>

#include <random>
#include <regex>
#include <thread>
#include <vector>

#include "base/strings.h"
#include "s3/checksum.h"

namespace faasnet::lambdaclient {
namespace {

constexpr std::string_view kApi = "/2015-03-31/functions";

size_t Collect(char* p, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

struct Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  double ms = 0;
};

std::map<std::string, std::string> ParseHeaders(const std::string& head) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string::npos) end = head.size();
    std::string_view line(head.data() + pos, end - pos);
    if (line.starts_with("HTTP/")) out.clear();  // a new response (after 100 Continue)
    if (auto colon = line.find(':'); colon != std::string_view::npos) {
      std::string name = ToLower(line.substr(0, colon));
      out[name] = std::string(Trim(line.substr(colon + 1)));
    }
    pos = end + 2;
  }
  return out;
}

Status ErrorFor(std::string_view op, std::string_view name, const Response& r) {
  std::string type, message;
  if (auto it = r.headers.find("x-amzn-errortype"); it != r.headers.end()) type = it->second.substr(0, it->second.find(':'));
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object()) {
    if (type.empty() && j.contains("__type")) type = j["__type"].get<std::string>();
    for (const char* k : {"message", "Message", "errorMessage"})
      if (j.contains(k) && j[k].is_string()) message = j[k].get<std::string>();
  }
  if (message.empty()) message = r.body.substr(0, 200);
  std::string text = std::string(op) + " " + std::string(name) + ": " + std::to_string(r.status) + " " + type +
                     (message.empty() ? "" : ": " + message);
  if (type == "ResourceNotFoundException" || r.status == 404) return Status::NotFound(text);
  if (type == "ResourceConflictException" || r.status == 409) return Status::AlreadyExists(text);
  if (type == "TooManyRequestsException" || r.status == 429) return Status::ResourceExhausted(text);
  if (r.status == 401 || r.status == 403) return Status::PermissionDenied(text);
  if (r.status >= 500) return Status::Unavailable(text);
  return Status::InvalidArgument(text);
}

bool Retryable(const Result<Response>& r) {
  if (!r.ok()) return r.status().code() == Status::Code::kUnavailable;
  return r->status == 429 || r->status >= 500;
}

}  // namespace

std::optional<ReportLine> ParseReportLine(std::string_view log) {
  size_t at = log.rfind("REPORT RequestId:");
  if (at == std::string_view::npos) return std::nullopt;
  std::string line(log.substr(at, log.find('\n', at) == std::string_view::npos ? std::string_view::npos
                                                                                  : log.find('\n', at) - at));
  ReportLine r;
  std::smatch m;
  if (std::regex_search(line, m, std::regex(R"(RequestId:\s*(\S+))"))) r.request_id = m[1];
  auto num = [&](const char* label) -> std::optional<double> {
    std::smatch mm;
    if (std::regex_search(line, mm, std::regex(std::string(label) + R"(:\s*([0-9.]+))"))) return std::stod(mm[1]);
    return std::nullopt;
  };
  r.duration_ms = num("\tDuration");
  if (!r.duration_ms) r.duration_ms = num(" Duration");
  r.billed_duration_ms = num("Billed Duration");
  r.init_duration_ms = num("Init Duration");
  if (auto v = num("Memory Size")) r.memory_size_mb = static_cast<int>(*v);
  if (auto v = num("Max Memory Used")) r.max_memory_used_mb = static_cast<int>(*v);
  return r;
}

class Client::Impl {
 public:
  explicit Impl(Options o) : o_(std::move(o)), curl_(curl_easy_init()) {}
  ~Impl() {
    if (curl_) curl_easy_cleanup(curl_);
  }
  const Options& options() const { return o_; }

  Result<Response> Call(std::string_view method, const std::string& path, const std::string& query,
                        const std::string& body, std::vector<std::pair<std::string, std::string>> extra = {}) {
    Result<Response> r = Status::Internal("not attempted");
    for (int attempt = 0; attempt <= o_.max_retries; ++attempt) {
      if (attempt > 0) {
        std::uniform_int_distribution<int> jitter(50, 100);
        std::this_thread::sleep_for(std::chrono::milliseconds(jitter(rng_) * (1 << std::min(attempt, 6))));
      }
      r = Once(method, path, query, body, extra);
      if (!Retryable(r)) break;
    }
    return r;
  }

 private:
  Result<Response> Once(std::string_view method, const std::string& path, const std::string& query,
                        const std::string& body, const std::vector<std::pair<std::string, std::string>>& extra) {
    std::string hostport = o_.endpoint.substr(o_.endpoint.find("://") + 3);
    if (auto slash = hostport.find('/'); slash != std::string::npos) hostport.resize(slash);
    std::vector<std::pair<std::string, std::string>> headers = {{"Host", hostport}};
    if (!body.empty() || method == "POST" || method == "PUT") headers.emplace_back("Content-Type", "application/json");
    for (auto& h : extra) headers.push_back(h);
    std::vector<s3::HeaderPair> view;
    for (auto& [k, v] : headers) view.emplace_back(k, v);
    s3::SigningParams sp;
    sp.credentials = o_.credentials;
    sp.region = o_.region;
    sp.service = "lambda";
    sp.double_encode_path = true;
    auto sig = s3::SignRequest(s3::RequestView{method, path, query, view}, sp, s3::Sha256Hex(body));
    if (!sig.ok()) return sig.status();
    curl_easy_reset(curl_);
    curl_slist* list = nullptr;
    for (auto& [k, v] : headers)
      if (k != "Host") list = curl_slist_append(list, (k + ": " + v).c_str());
    for (auto& [k, v] : sig->headers_to_add) list = curl_slist_append(list, (k + ": " + v).c_str());
    list = curl_slist_append(list, "Expect:");
    std::string url = o_.endpoint + path + (query.empty() ? "" : "?" + query);
    Response resp;
    std::string head;
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, std::string(method).c_str());
    if (method == "POST" || method == "PUT") {
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    } else if (method == "HEAD") {
      curl_easy_setopt(curl_, CURLOPT_NOBODY, 1L);
    }
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &resp.body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, Collect);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &head);
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o_.connect_timeout.count()));
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(o_.request_timeout.count()));
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    if (!o_.ca_file.empty()) curl_easy_setopt(curl_, CURLOPT_CAINFO, o_.ca_file.c_str());
    if (!o_.verify_tls) {
      curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    auto t0 = std::chrono::steady_clock::now();
    CURLcode rc = curl_easy_perform(curl_);
    resp.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    curl_slist_free_all(list);
    if (rc != CURLE_OK)
      return Status::Unavailable(std::string(method) + " " + url + ": " + curl_easy_strerror(rc));
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &resp.status);
    resp.headers = ParseHeaders(head);
    return resp;
  }

  Options o_;
  CURL* curl_;
  std::mt19937 rng_{std::random_device{}()};
};

Result<Client> Client::Create(Options options) {
  if (!options.endpoint.starts_with("http://") && !options.endpoint.starts_with("https://"))
    return Status::InvalidArgument("lambda endpoint '" + options.endpoint + "': must start with http:// or https://");
  while (options.endpoint.ends_with('/')) options.endpoint.pop_back();
  auto impl = std::make_unique<Impl>(std::move(options));
  return Client(std::move(impl));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

namespace {
std::string FnPath(std::string_view name, std::string_view suffix = {}) {
  return std::string(kApi) + "/" + UriEncode(name, false) + std::string(suffix);
}
Result<nlohmann::json> JsonOf(std::string_view op, std::string_view name, const Result<Response>& r, int ok_status) {
  if (!r.ok()) return r.status().WithContext(std::string(op) + " " + std::string(name));
  if (r->status != ok_status && !(r->status >= 200 && r->status < 300)) return ErrorFor(op, name, *r);
  if (r->body.empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded()) return Status::Internal(std::string(op) + " " + std::string(name) + ": response is not JSON");
  return j;
}
}  // namespace

Result<nlohmann::json> Client::CreateFunction(const FunctionSpec& s) {
  nlohmann::json req = {{"FunctionName", s.name}, {"Runtime", s.runtime}, {"Handler", s.handler},
                        {"Role", s.role},         {"MemorySize", s.memory_mb}, {"Timeout", s.timeout_s}};
  if (!s.architecture.empty()) req["Architectures"] = {s.architecture};
  if (!s.environment.empty()) req["Environment"] = {{"Variables", s.environment}};
  if (!s.tags.empty()) req["Tags"] = s.tags;
  if (!s.zip_file.empty())
    req["Code"] = {{"ZipFile", Base64Encode(s.zip_file)}};
  else if (!s.local_path.empty())
    req["Code"] = {{"faasnetLocalPath", s.local_path}};
  else
    return Status::InvalidArgument("CreateFunction " + s.name + ": no code (zip_file or local_path)");
  return JsonOf("CreateFunction", s.name, impl_->Call("POST", std::string(kApi), "", req.dump()), 201);
}

Result<nlohmann::json> Client::GetFunctionConfiguration(std::string_view name) {
  return JsonOf("GetFunctionConfiguration", name, impl_->Call("GET", FnPath(name, "/configuration"), "", ""), 200);
}

Result<nlohmann::json> Client::GetFunction(std::string_view name) {
  return JsonOf("GetFunction", name, impl_->Call("GET", FnPath(name), "", ""), 200);
}

Status Client::WaitActive(std::string_view name, std::chrono::seconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    auto c = GetFunctionConfiguration(name);
    if (!c.ok()) return c.status();
    std::string state = c->value("State", "Active");
    std::string update = c->value("LastUpdateStatus", "Successful");
    if (state == "Failed" || update == "Failed")
      return Status::FailedPrecondition("function " + std::string(name) + ": " + c->value("StateReason", "") +
                                        c->value("LastUpdateStatusReason", ""));
    if (state == "Active" && update != "InProgress") return Status::Ok();
    if (std::chrono::steady_clock::now() > deadline)
      return Status::Timeout("function " + std::string(name) + " not active after " + std::to_string(wait.count()) + " s");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

Result<nlohmann::json> Client::UpdateFunctionConfiguration(std::string_view name, int memory_mb, int timeout_s,
                                                           std::chrono::seconds wait,
                                                           const std::map<std::string, std::string>* environment) {
  nlohmann::json req = {{"MemorySize", memory_mb}};
  if (timeout_s > 0) req["Timeout"] = timeout_s;
  if (environment) req["Environment"] = {{"Variables", *environment}};
  auto r = JsonOf("UpdateFunctionConfiguration", name,
                  impl_->Call("PUT", FnPath(name, "/configuration"), "", req.dump()), 200);
  if (!r.ok()) return r;
  if (auto st = WaitActive(name, wait); !st.ok()) return st;
  return GetFunctionConfiguration(name);
}

Status Client::DeleteFunction(std::string_view name) {
  auto r = JsonOf("DeleteFunction", name, impl_->Call("DELETE", FnPath(name), "", ""), 204);
  return r.status();
}

Result<nlohmann::json> Client::ListFunctions() {
  nlohmann::json all = nlohmann::json::array();
  std::string marker;
  for (int page = 0; page < 1000; ++page) {
    auto r = JsonOf("ListFunctions", "", impl_->Call("GET", std::string(kApi) + "/", marker.empty() ? "" : "Marker=" + UriEncode(marker, false), ""), 200);
    if (!r.ok()) return r;
    for (auto& f : (*r)["Functions"]) all.push_back(f);
    if (!r->contains("NextMarker") || (*r)["NextMarker"].is_null()) break;
    marker = (*r)["NextMarker"].get<std::string>();
    if (marker.empty()) break;
  }
  return all;
}

Result<InvokeOutput> Client::Invoke(std::string_view name, std::string_view payload, bool log_tail) {
  std::vector<std::pair<std::string, std::string>> extra;
  if (log_tail) extra.emplace_back("X-Amz-Log-Type", "Tail");
  auto r = impl_->Call("POST", FnPath(name, "/invocations"), "", std::string(payload), extra);
  if (!r.ok()) return r.status().WithContext("Invoke " + std::string(name));
  if (r->status >= 300) return ErrorFor("Invoke", name, *r);
  InvokeOutput out;
  out.status_code = static_cast<int>(r->status);
  out.payload = std::move(r->body);
  out.client_ms = r->ms;
  auto h = [&](const char* k) { auto it = r->headers.find(k); return it == r->headers.end() ? std::string() : it->second; };
  out.function_error = h("x-amz-function-error");
  out.request_id = h("x-amzn-requestid");
  if (auto tail = h("x-amz-log-result"); !tail.empty()) out.log_tail = Base64Decode(tail).value_or("");
  return out;
}

}  // namespace faasnet::lambdaclient
