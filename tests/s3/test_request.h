// A request that owns its strings, for building s3::RequestView in tests.
#ifndef FAASNET_TESTS_S3_TEST_REQUEST_H_
#define FAASNET_TESTS_S3_TEST_REQUEST_H_

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "s3/sigv4.h"

namespace faasnet::s3::testing {

inline constexpr char kAccessKey[] = "AKIAIOSFODNN7EXAMPLE";
inline constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

// 2013-05-24T00:00:00Z, the timestamp of every AWS SigV4 example.
inline std::chrono::system_clock::time_point ExampleTime() {
  using namespace std::chrono;
  return sys_days(year(2013) / May / 24);
}

inline SigningParams ExampleParams() {
  SigningParams p;
  p.credentials = {kAccessKey, kSecret, ""};
  p.region = "us-east-1";
  p.service = "s3";
  p.time = ExampleTime();
  return p;
}

// Knows only the example user.
inline std::optional<std::string> ExampleLookup(std::string_view key) {
  if (key == kAccessKey) return std::string(kSecret);
  return std::nullopt;
}

struct TestRequest {
  std::string method = "GET";
  std::string path = "/";
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;

  // The view borrows this object's strings; rebuilt on each call.
  RequestView View() {
    views_.clear();
    for (const auto& [n, v] : headers) views_.emplace_back(n, v);
    return RequestView{method, path, query, views_};
  }
  void Add(std::string name, std::string value) { headers.emplace_back(std::move(name), std::move(value)); }
  void AddAll(const std::vector<std::pair<std::string, std::string>>& more) {
    for (const auto& h : more) headers.push_back(h);
  }

 private:
  std::vector<HeaderPair> views_;
};

}  // namespace faasnet::s3::testing

#endif  // FAASNET_TESTS_S3_TEST_REQUEST_H_
