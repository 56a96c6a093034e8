#include "cloud/http_platform.h"

#include <curl/curl.h>

#include "dataset/make.h"

namespace faasnet::cloud {
namespace {

size_t Collect(char* p, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

class HttpInvoker : public suite::Invoker {
 public:
  HttpInvoker(const HttpOptions& o) : o_(o), curl_(curl_easy_init()) {}
  ~HttpInvoker() override { curl_easy_cleanup(curl_); }
  Result<lambdaclient::InvokeOutput> Invoke(const std::string& url, const std::string& payload) override {
    curl_easy_reset(curl_);
    std::string body;
    curl_slist* h = curl_slist_append(nullptr, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, payload.data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT, static_cast<long>(o_.timeout.count()));
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    if (!o_.ca_file.empty()) curl_easy_setopt(curl_, CURLOPT_CAINFO, o_.ca_file.c_str());
    if (!o_.verify_tls) {
      curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    auto t0 = std::chrono::steady_clock::now();
    CURLcode rc = curl_easy_perform(curl_);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    curl_slist_free_all(h);
    if (rc != CURLE_OK) return Status::Unavailable("POST " + url + ": " + curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    lambdaclient::InvokeOutput out;
    out.status_code = static_cast<int>(status);
    out.payload = std::move(body);
    out.client_ms = ms;
    if (status >= 300) out.function_error = "HTTP " + std::to_string(status);
    return out;
  }

 private:
  const HttpOptions& o_;
  CURL* curl_;
};

}  // namespace

nlohmann::json HttpPlatform::Describe() const {
  nlohmann::json urls = o_.urls;
  return {{"kind", "http"}, {"endpoint", urls}, {"isolation", "cloud"}, {"hosts", nullptr},
          {"oversubscribed", nullptr}, {"network_profile", nullptr}};
}

Result<std::vector<std::string>> HttpPlatform::EnsureData(uint64_t chunk_bytes, int count) {
  std::string prefix = dataset::DefaultPrefix(chunk_bytes);
  std::vector<std::string> keys;
  for (int i = 0; i < count; ++i) keys.push_back(dataset::ChunkKey(prefix, static_cast<uint64_t>(i)));
  return keys;
}

Result<std::string> HttpPlatform::EnsureFunction(const suite::FunctionNeed& need) {
  auto it = o_.urls.find(need.workload);
  if (it == o_.urls.end())
    return Status::InvalidArgument("http: no URL for workload '" + need.workload + "' (give --http-url " +
                                   need.workload + "=URL)");
  if (!warned_ && o_.log) {
    o_.log("  http: memory, placement and billing are the platform's; rows record the scenario's memory as asked");
    warned_ = true;
  }
  return it->second;
}

Result<std::unique_ptr<suite::Invoker>> HttpPlatform::NewInvoker() {
  return std::unique_ptr<suite::Invoker>(new HttpInvoker(o_));
}

}  // namespace faasnet::cloud
