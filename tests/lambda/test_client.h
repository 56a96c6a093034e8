// A blocking HTTP/1.1 client for the Lambda API tests: one keep-alive
// connection, Content-Length bodies, and SigV4 signing the way botocore signs
// Lambda requests (service "lambda", the path encoded once more, no
// x-amz-content-sha256 header: the body's hash is only in the signature).
//
// Ownership: owns its socket. Thread-safety: one thread per client.
#ifndef FAASNET_TESTS_LAMBDA_TEST_CLIENT_H_
#define FAASNET_TESTS_LAMBDA_TEST_CLIENT_H_

#include <algorithm>
#include <boost/asio.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "s3/checksum.h"
#include "s3/sigv4.h"

namespace faasnet::lambda::testing {

inline constexpr char kAccessKey[] = "AKIAFAASNETLAMBDA001";
inline constexpr char kSecret[] = "faasnet/lambda/test/secret/key/0000000001";

struct HttpReply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::optional<std::string> Header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (EqualsIgnoreCase(n, name)) return v;
    }
    return std::nullopt;
  }
};

struct Signer {
  std::string access_key = kAccessKey;
  std::string secret = kSecret;
  std::string region = "us-east-1";
  std::string service = "lambda";
};

class TestClient {
 public:
  explicit TestClient(const std::string& hostport) : host_(hostport), socket_(ioc_) {
    auto colon = hostport.rfind(':');
    socket_.connect(boost::asio::ip::tcp::endpoint(
        boost::asio::ip::make_address(hostport.substr(0, colon)),
        static_cast<unsigned short>(std::stoi(hostport.substr(colon + 1)))));
    socket_.set_option(boost::asio::ip::tcp::no_delay(true));
  }

  // Sends one request. `target` is path[?query] as on the wire. When `signer`
  // is set, the request is signed (every header given plus host and x-amz-date).
  HttpReply Send(const std::string& method, const std::string& target, const std::string& body = "",
                 std::vector<std::pair<std::string, std::string>> headers = {},
                 const std::optional<Signer>& signer = Signer()) {
    return SendSigned(method, target, body, body, std::move(headers), signer);
  }

  // As Send, but the signature covers `signed_body` while `body` is sent.
  HttpReply SendSigned(const std::string& method, const std::string& target, const std::string& body,
                       const std::string& signed_body, std::vector<std::pair<std::string, std::string>> headers = {},
                       const std::optional<Signer>& signer = Signer()) {
    headers.emplace_back("Host", host_);
    if (signer) Sign(method, target, signed_body, *signer, &headers);
    std::string req = method + " " + target + " HTTP/1.1\r\n";
    for (const auto& [n, v] : headers) req += n + ": " + v + "\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    boost::asio::write(socket_, boost::asio::buffer(req));
    if (!body.empty()) boost::asio::write(socket_, boost::asio::buffer(body));
    return Read();
  }

 private:
  static void Sign(const std::string& method, const std::string& target, const std::string& body, const Signer& s,
                   std::vector<std::pair<std::string, std::string>>* headers) {
    auto now = std::chrono::system_clock::now();
    std::string amz_date = s3::FormatAmzDate(now);
    std::string date8 = amz_date.substr(0, 8);
    headers->emplace_back("X-Amz-Date", amz_date);
    std::vector<std::string> names;
    for (const auto& [n, v] : *headers) names.push_back(ToLower(n));
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    std::vector<s3::HeaderPair> view;
    for (const auto& [n, v] : *headers) view.emplace_back(n, v);
    auto q = target.find('?');
    std::string path = target.substr(0, q);
    std::string query = q == std::string::npos ? "" : target.substr(q + 1);
    s3::RequestView rv{method, path, query, view};
    std::string canonical = s3::CanonicalRequest(rv, names, s3::Sha256Hex(body), true);
    std::string scope = s3::CredentialScope(date8, s.region, s.service);
    std::string sig = s3::SignatureHex(s3::SigningKey(s.secret, date8, s.region, s.service),
                                       s3::StringToSign(amz_date, scope, canonical));
    std::string signed_headers;
    for (const auto& n : names) signed_headers += (signed_headers.empty() ? "" : ";") + n;
    headers->emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + s.access_key + "/" + scope +
                                               ", SignedHeaders=" + signed_headers + ", Signature=" + sig);
  }

  HttpReply Read() {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) Fill();
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    HttpReply r;
    r.status = std::stoi(head.substr(9, 3));
    size_t pos = head.find("\r\n");
    size_t len = 0;
    while (pos != std::string::npos) {
      size_t next = head.find("\r\n", pos + 2);
      std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        std::string value(Trim(std::string_view(line).substr(colon + 1)));
        if (EqualsIgnoreCase(name, "Content-Length")) len = std::stoul(value);
        r.headers.emplace_back(std::move(name), std::move(value));
      }
      pos = next;
    }
    while (buf_.size() < len) Fill();
    r.body = buf_.substr(0, len);
    buf_.erase(0, len);
    return r;
  }

  void Fill() {
    char tmp[65536];
    size_t n = socket_.read_some(boost::asio::buffer(tmp));
    buf_.append(tmp, n);
  }

  std::string host_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
  std::string buf_;
};

}  // namespace faasnet::lambda::testing

#endif  // FAASNET_TESTS_LAMBDA_TEST_CLIENT_H_
