// The S3 client against an in-test HTTP server on 127.0.0.1 (port 0): SigV4
// on the wire, retries, error XML, ranges, keep-alive, multipart, timings.
#include "s3client/client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "base/strings.h"
#include "fake_s3.h"
#include "loopback_server.h"
#include "s3/checksum.h"
#include "s3/errors.h"

namespace faasnet::s3client {
namespace {

using testing::ErrorResponse;
using testing::FakeS3;
using testing::HttpRequest;
using testing::HttpResponse;
using testing::LoopbackServer;

Options TestOptions(const std::string& endpoint) {
  Options o;
  o.endpoint = endpoint;
  o.credentials = {testing::kTestAccessKey, testing::kTestSecretKey, ""};
  o.retry_base_delay = std::chrono::milliseconds(1);
  o.retry_max_delay = std::chrono::milliseconds(5);
  o.connect_timeout = std::chrono::milliseconds(2000);
  o.request_timeout = std::chrono::milliseconds(20000);
  return o;
}

Client MakeClient(const Options& o) {
  Result<Client> c = Client::Create(o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<LoopbackServer>> s = LoopbackServer::Start(s3_.handler());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
    Result<Client> c = Client::Create(TestOptions(server_->endpoint()));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::make_unique<Client>(std::move(*c));
    ASSERT_TRUE(client_->CreateBucket("b").ok()) << client_->last_request().s3_message;
  }

  Client& client() { return *client_; }

  FakeS3 s3_;
  std::unique_ptr<LoopbackServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(ClientTest, RoundTripsObjectsWithValidSignatures) {
  for (const std::string key :
       {"plain", "my file.txt", "a+b=c", "dir/sub/x y+z", "na\xC3\xAFve/\xE6\x97\xA5.csv", "100%~"}) {
    SCOPED_TRACE(key);
    const std::string body = "hello " + key;
    PutOptions put;
    put.content_type = "text/plain";
    put.metadata = {{"Owner", "faasnet"}, {"empty", ""}};
    Result<PutObjectResult> p = client().PutObject("b", key, body, put);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->etag, HexEncode(s3::Md5::Of(body)));
    EXPECT_EQ(p->info.http_status, 200);
    EXPECT_EQ(s3_.Object("b", key).value_or("<missing>"), body);

    Result<GetObjectResult> g = client().GetObject("b", key);
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    EXPECT_EQ(g->body, body);
    EXPECT_EQ(g->headers.content_length, body.size());
    EXPECT_EQ(g->headers.content_type, "text/plain");
    EXPECT_EQ(g->headers.etag, p->etag);

    Result<HeadObjectResult> h = client().HeadObject("b", key);
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    EXPECT_EQ(h->headers.content_length, body.size());
    EXPECT_EQ(h->headers.metadata, (Metadata{{"owner", "faasnet"}, {"empty", ""}}));
    EXPECT_TRUE(h->info.timings.first_body_byte == Clock::time_point{});

    ASSERT_TRUE(client().DeleteObject("b", key).ok());
    EXPECT_FALSE(s3_.Object("b", key).has_value());
  }
  EXPECT_EQ(s3_.auth_failures(), 0);
}

TEST_F(ClientTest, SignedPayloadCarriesTheBodyHash) {
  Options o = TestOptions(server_->endpoint());
  o.unsigned_payload = false;
  Client c = MakeClient(o);
  const std::string body(100000, 'x');
  ASSERT_TRUE(c.PutObject("b", "signed", body).ok()) << c.last_request().s3_message;
  const HttpRequest last = server_->received().back();
  ASSERT_NE(last.Header("x-amz-content-sha256"), nullptr);
  EXPECT_EQ(*last.Header("x-amz-content-sha256"), s3::Sha256Hex(body));

  ASSERT_TRUE(client().PutObject("b", "unsigned", body).ok());
  EXPECT_EQ(*server_->received().back().Header("x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  EXPECT_EQ(s3_.auth_failures(), 0);
}

TEST_F(ClientTest, WrongSecretIsRejectedWithTheServersCode) {
  Options o = TestOptions(server_->endpoint());
  o.credentials.secret_access_key = "wrong";
  Client c = MakeClient(o);
  Result<GetObjectResult> g = c.GetObject("b", "k");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(c.last_request().s3_code, "SignatureDoesNotMatch");
  EXPECT_EQ(c.last_request().http_status, 403);
  EXPECT_EQ(c.last_request().error_class, ErrorClass::kAuth);
  EXPECT_EQ(c.last_request().timings.retries, 0);
}

TEST_F(ClientTest, ParsesErrorXmlIntoStatusAndInfo) {
  Result<GetObjectResult> g = client().GetObject("b", "missing/key");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(g.status().message(), "GetObject b/missing/key: 404 NoSuchKey: The specified key does not exist.");
  const RequestInfo& info = client().last_request();
  EXPECT_EQ(info.http_status, 404);
  EXPECT_EQ(info.s3_code, "NoSuchKey");
  EXPECT_EQ(info.request_id, "FAKE0001");
  EXPECT_EQ(info.error_class, ErrorClass::kNotFound);
  EXPECT_EQ(info.timings.retries, 0);

  Result<HeadObjectResult> h = client().HeadObject("b", "missing");
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(h.status().message(), "HeadObject b/missing: 404 NotFound: Not Found");

  Result<RequestInfo> cb = client().CreateBucket("b");
  ASSERT_FALSE(cb.ok());
  EXPECT_EQ(cb.status().code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(client().last_request().s3_code, "BucketAlreadyOwnedByYou");

  EXPECT_FALSE(client().HeadBucket("nope").ok());
  EXPECT_TRUE(client().HeadBucket("b").ok());
}

TEST_F(ClientTest, RetriesSlowDownThenSucceeds) {
  ASSERT_TRUE(client().PutObject("b", "k", "payload").ok());
  std::atomic<int> failures{2};
  s3_.set_fault([&](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.method == "GET" && failures.fetch_sub(1) > 0) return ErrorResponse(s3::S3Error::SlowDown());
    return std::nullopt;
  });
  const int before = server_->requests();
  Result<GetObjectResult> g = client().GetObject("b", "k");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->body, "payload");
  EXPECT_EQ(g->info.timings.retries, 2);
  EXPECT_EQ(g->info.timings.requests, 3);
  EXPECT_EQ(g->info.http_status, 200);
  EXPECT_TRUE(g->info.s3_code.empty());
  EXPECT_EQ(server_->requests() - before, 3);
}

TEST_F(ClientTest, GivesUpAfterMaxRetries) {
  s3_.set_fault(
      [](const HttpRequest&) -> std::optional<HttpResponse> { return ErrorResponse(s3::S3Error::SlowDown()); });
  const int before = server_->requests();
  Result<GetObjectResult> g = client().GetObject("b", "k");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(g.status().message(), "GetObject b/k: 503 SlowDown: Please reduce your request rate. (after 3 retries)");
  EXPECT_EQ(server_->requests() - before, 4);  // 1 + max_retries
  const RequestInfo& info = client().last_request();
  EXPECT_EQ(info.http_status, 503);
  EXPECT_EQ(info.s3_code, "SlowDown");
  EXPECT_EQ(info.error_class, ErrorClass::kThrottled);
  EXPECT_EQ(info.timings.retries, 3);
  EXPECT_EQ(info.timings.requests, 4);
}

TEST_F(ClientTest, NoRetriesWhenMaxRetriesIsZero) {
  Options o = TestOptions(server_->endpoint());
  o.max_retries = 0;
  Client c = MakeClient(o);
  s3_.set_fault(
      [](const HttpRequest&) -> std::optional<HttpResponse> { return ErrorResponse(s3::S3Error::InternalError()); });
  const int before = server_->requests();
  Result<PutObjectResult> p = c.PutObject("b", "k", "x");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(server_->requests() - before, 1);
  EXPECT_EQ(p.status().message(),
            "PutObject b/k: 500 InternalError: We encountered an internal error. Please try again.");
}

TEST_F(ClientTest, RetriesDroppedConnections) {
  ASSERT_TRUE(client().PutObject("b", "k", "payload").ok());
  // curl itself retries once when a kept-alive connection dies without a
  // response; the second drop (on a fresh connection) reaches our retry loop.
  std::atomic<int> drops{2};
  const int connections = server_->connections();
  s3_.set_fault([&](const HttpRequest&) -> std::optional<HttpResponse> {
    if (drops.fetch_sub(1) <= 0) return std::nullopt;
    HttpResponse drop;
    drop.drop = true;
    return drop;
  });
  Result<GetObjectResult> g = client().GetObject("b", "k");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->body, "payload");
  EXPECT_EQ(g->info.timings.retries, 1);
  EXPECT_EQ(server_->connections() - connections, 2);  // each dropped one was replaced
  EXPECT_GE(g->info.timings.new_connections, 2);
}

TEST(ClientConnectTest, ConnectionRefusedFailsAfterRetries) {
  // A port that was just free: nothing listens there.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  Options o = TestOptions("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
  o.max_retries = 2;
  Client c = MakeClient(o);
  Result<GetObjectResult> g = c.GetObject("b", "k");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(g.status().message().find("GetObject b/k: Couldn't connect to server"), std::string::npos)
      << g.status().message();
  EXPECT_NE(g.status().message().find("(after 2 retries)"), std::string::npos) << g.status().message();
  EXPECT_EQ(c.last_request().error_class, ErrorClass::kConnection);
  EXPECT_EQ(c.last_request().http_status, 0);
  EXPECT_FALSE(c.last_request().transport_error.empty());
}

TEST_F(ClientTest, SendsRangeHeader) {
  std::string body;
  for (int i = 0; i < 100; ++i) body += static_cast<char>('0' + i % 10);
  ASSERT_TRUE(client().PutObject("b", "r", body).ok());
  GetOptions opt;
  opt.range = ByteRange{10, 19};
  Result<GetObjectResult> g = client().GetObject("b", "r", opt);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(*server_->received().back().Header("range"), "bytes=10-19");
  EXPECT_EQ(g->info.http_status, 206);
  EXPECT_EQ(g->body, body.substr(10, 10));
  EXPECT_EQ(g->headers.content_range, "bytes 10-19/100");
  EXPECT_EQ(g->headers.content_length, 10u);

  opt.range = ByteRange{95, std::nullopt};
  g = client().GetObject("b", "r", opt);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*server_->received().back().Header("range"), "bytes=95-");
  EXPECT_EQ(g->body, body.substr(95));

  opt.range = ByteRange{500, 600};
  g = client().GetObject("b", "r", opt);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(client().last_request().s3_code, "InvalidRange");
}

TEST_F(ClientTest, KeepAliveReusesOneConnection) {
  const int before = server_->connections();
  ASSERT_EQ(before, 1);  // CreateBucket in SetUp
  ASSERT_TRUE(client().PutObject("b", "k1", "one").ok());
  EXPECT_EQ(client().last_request().timings.new_connections, 0);
  ASSERT_TRUE(client().GetObject("b", "k1").ok());
  ASSERT_TRUE(client().HeadObject("b", "k1").ok());
  ASSERT_TRUE(client().ListObjectsV2("b").ok());
  EXPECT_FALSE(client().GetObject("b", "nope").ok());  // an error response keeps the connection
  ASSERT_TRUE(client().PutObject("b", "big", std::string(3 << 20, 'z')).ok());  // with 100-continue
  ASSERT_TRUE(client().DeleteObject("b", "k1").ok());
  EXPECT_EQ(server_->connections(), 1);
  EXPECT_EQ(client().last_request().timings.new_connections, 0);
  for (const HttpRequest& r : server_->received()) EXPECT_EQ(r.connection, 1);
}

TEST_F(ClientTest, ExpectContinueOnlyForLargeBodies) {
  ASSERT_TRUE(client().PutObject("b", "small", std::string(1000, 'a')).ok());
  EXPECT_EQ(server_->received().back().Header("expect"), nullptr);
  ASSERT_TRUE(client().PutObject("b", "large", std::string(2 << 20, 'a')).ok());
  ASSERT_NE(server_->received().back().Header("expect"), nullptr);
  EXPECT_EQ(*server_->received().back().Header("expect"), "100-continue");
  EXPECT_EQ(s3_.Object("b", "large")->size(), 2u << 20);
}

TEST_F(ClientTest, SinkReceivesBodyWithoutCopyAndCanStop) {
  std::string body(5 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 7);
  ASSERT_TRUE(client().PutObject("b", "big", body).ok());
  uint64_t bytes = 0, calls = 0;
  s3::Crc32c crc;
  Result<GetObjectResult> g = client().GetObject("b", "big", [&](std::string_view chunk) {
    bytes += chunk.size();
    ++calls;
    crc.Update(chunk);
    return true;
  });
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_TRUE(g->body.empty());
  EXPECT_EQ(bytes, body.size());
  EXPECT_EQ(crc.value(), [&] {
    s3::Crc32c c;
    c.Update(body);
    return c.value();
  }());
  EXPECT_EQ(g->info.timings.bytes_received, body.size());

  Result<GetObjectResult> stopped = client().GetObject("b", "big", [](std::string_view) { return false; });
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.status().code(), Status::Code::kCancelled);
  EXPECT_EQ(client().last_request().error_class, ErrorClass::kCancelled);
  EXPECT_EQ(client().last_request().timings.retries, 0);
  // The client recovers (a new connection if the old one was cut).
  EXPECT_TRUE(client().HeadObject("b", "big").ok());
}

TEST_F(ClientTest, TimingsAreOrderedAndCounted) {
  const std::string body(1 << 20, 'q');
  Result<PutObjectResult> p = client().PutObject("b", "t", body);
  ASSERT_TRUE(p.ok());
  const TransferTimings& pt = p->info.timings;
  EXPECT_EQ(pt.bytes_sent, body.size());
  EXPECT_LE(pt.start, pt.attempt_start);
  EXPECT_LE(pt.attempt_start, pt.request_sent);
  EXPECT_LE(pt.request_sent, pt.first_byte);
  EXPECT_LE(pt.first_byte, pt.last_byte);
  EXPECT_EQ(pt.http_status, 200);
  EXPECT_EQ(pt.requests, 1);

  Result<GetObjectResult> g = client().GetObject("b", "t");
  ASSERT_TRUE(g.ok());
  const TransferTimings& gt = g->info.timings;
  EXPECT_EQ(gt.bytes_received, body.size());
  EXPECT_EQ(gt.bytes_sent, 0u);
  EXPECT_LE(gt.attempt_start, gt.first_byte);
  EXPECT_LE(gt.first_byte, gt.first_body_byte);
  EXPECT_LE(gt.first_body_byte, gt.last_byte);
  EXPECT_GT(gt.duration().count(), 0);
  EXPECT_GE(gt.total, gt.start_transfer);
}

TEST_F(ClientTest, ListsWithPrefixDelimiterAndContinuation) {
  for (const std::string key : {"d/a b", "d/a+b", "d/c", "d/sub/x", "d/sub/y", "e/z", "d/\xE6\x97\xA5"})
    ASSERT_TRUE(client().PutObject("b", key, key).ok());
  ListOptions o;
  o.prefix = "d/";
  o.delimiter = "/";
  Result<ListObjectsResult> l = client().ListObjectsV2("b", o);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  std::vector<std::string> keys;
  for (const auto& s : l->objects) keys.push_back(s.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"d/a b", "d/a+b", "d/c", "d/\xE6\x97\xA5"}));
  EXPECT_EQ(l->common_prefixes, std::vector<std::string>{"d/sub/"});
  EXPECT_EQ(l->objects[0].size, 5u);
  EXPECT_FALSE(l->is_truncated);

  o = ListOptions();
  o.max_keys = 2;
  l = client().ListObjectsV2("b", o);
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(l->is_truncated);
  EXPECT_EQ(l->objects.size(), 2u);
  o.continuation_token = l->next_continuation_token;
  l = client().ListObjectsV2("b", o);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->objects[0].key, "d/c");

  Result<std::vector<ObjectSummary>> all = client().ListAllObjects("b", "d/");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 6u);
  EXPECT_EQ(s3_.auth_failures(), 0);
}

TEST_F(ClientTest, MultipartUploadAssemblesParts) {
  Options o = TestOptions(server_->endpoint());
  o.part_size = 1 << 20;
  o.multipart_threshold = 1 << 20;
  Client c = MakeClient(o);
  std::string body((5 << 19) + 123, '\0');  // 2.5 MiB + 123: three parts
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i % 251);
  PutOptions put;
  put.metadata = {{"k", "v"}};
  Result<PutObjectResult> p = c.PutObjectAuto("b", "mp", body, put);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(s3_.Object("b", "mp").value_or(""), body);
  EXPECT_NE(p->etag.find("-3"), std::string::npos) << p->etag;
  EXPECT_EQ(p->info.timings.requests, 5);              // create, 3 parts, complete
  EXPECT_GE(p->info.timings.bytes_sent, body.size());  // + the Complete XML
  EXPECT_LT(p->info.timings.bytes_sent, body.size() + 1000);
  Result<HeadObjectResult> h = c.HeadObject("b", "mp");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->headers.content_length, body.size());
  EXPECT_EQ(h->headers.metadata, (Metadata{{"k", "v"}}));

  // Below the threshold: a single PutObject.
  const int puts_before = server_->requests();
  ASSERT_TRUE(c.PutObjectAuto("b", "single", std::string(1000, 'x')).ok());
  EXPECT_EQ(server_->requests() - puts_before, 1);
}

TEST_F(ClientTest, MultipartAbortsOnFailure) {
  Options o = TestOptions(server_->endpoint());
  o.part_size = 1 << 20;
  o.max_retries = 1;
  Client c = MakeClient(o);
  s3_.set_fault([](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.method == "PUT" && r.query.find("partNumber=2") != std::string::npos)
      return ErrorResponse(s3::S3Error::InternalError());
    return std::nullopt;
  });
  Result<PutObjectResult> p = c.PutObjectMultipart("b", "mp", std::string(3 << 20, 'a'));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(),
            "UploadPart b/mp part 2: 500 InternalError: We encountered an internal error. Please try again. "
            "(after 1 retry)");
  EXPECT_EQ(s3_.aborted_uploads(), 1);
  EXPECT_FALSE(s3_.Object("b", "mp").has_value());
  EXPECT_EQ(c.last_request().s3_code, "InternalError");  // the failure, not the abort
}

TEST_F(ClientTest, CompleteWithEmbeddedErrorIsRetried) {
  Options o = TestOptions(server_->endpoint());
  o.part_size = 1 << 20;
  Client c = MakeClient(o);
  std::atomic<int> failures{1};
  s3_.set_fault([&](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (r.method == "POST" && r.query.starts_with("uploadId") && failures.fetch_sub(1) > 0) {
      HttpResponse resp;  // 200 OK whose body is an error, as S3 may send
      resp.body = s3::ErrorXml(s3::S3Error::InternalError(), r.path, "X");
      return resp;
    }
    return std::nullopt;
  });
  const std::string body(2 << 20, 'm');
  Result<PutObjectResult> p = c.PutObjectMultipart("b", "mp", body);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->info.timings.retries, 1);
  EXPECT_EQ(s3_.Object("b", "mp").value_or(""), body);
}

TEST_F(ClientTest, RejectsBadArgumentsWithoutARequest) {
  const int before = server_->requests();
  EXPECT_EQ(client().PutObject("b", "", "x").status().code(), Status::Code::kInvalidArgument);
  PutOptions bad;
  bad.metadata = {{"x", "a\r\nInjected: 1"}};
  EXPECT_EQ(client().PutObject("b", "k", "x", bad).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(client().last_request().error_class, ErrorClass::kInvalid);
  GetOptions range;
  range.range = ByteRange{10, 5};
  EXPECT_FALSE(client().GetObject("b", "k", range).ok());
  EXPECT_FALSE(client().UploadPart("b", "k", "id", 0, "x").ok());
  EXPECT_EQ(server_->requests(), before);
}

TEST(ClientOptionsTest, ValidatesOptions) {
  Options o;
  o.endpoint = "ftp://x";
  EXPECT_EQ(Client::Create(o).status().code(), Status::Code::kInvalidArgument);
  o = Options();
  o.max_retries = -1;
  EXPECT_FALSE(Client::Create(o).ok());
  o = Options();
  o.part_size = 0;
  EXPECT_FALSE(Client::Create(o).ok());
  EXPECT_TRUE(Client::Create(Options()).ok());  // no connection is made
}

}  // namespace
}  // namespace faasnet::s3client
