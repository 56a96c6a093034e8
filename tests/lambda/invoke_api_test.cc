// The Invoke/control API over real loopback HTTP: http::Server on 127.0.0.1:0,
// InvokeApi over a FakePlatform, requests signed as botocore signs them.
// Checks the wire format: status codes, headers, JSON bodies, errors.
#include "lambda/invoke_api.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/strings.h"
#include "fake_platform.h"
#include "test_client.h"
#include "zip_builder.h"

namespace faasnet::lambda {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::FakePlatform;
using testing::HttpReply;
using testing::Signer;
using testing::TestClient;

constexpr char kRole[] = "arn:aws:iam::000000000000:role/lambda-role";

std::optional<std::string> Lookup(std::string_view key) {
  if (key == testing::kAccessKey) return std::string(testing::kSecret);
  return std::nullopt;
}

class InvokeApiTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }
  void TearDown() override {
    server_->Stop(std::chrono::milliseconds(100));
    server_.reset();
    api_.reset();
    platform_.reset();
    fs::remove_all(root_);
  }

  void Start(InvokeApiOptions options) {
    if (server_) TearDown();
    root_ = fs::temp_directory_path() / ("faasnet-invoke-api-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    platform_ = std::make_unique<FakePlatform>(root_.string());
    api_ = std::make_unique<InvokeApi>(platform_.get(), Lookup, options);
    server_ = std::make_unique<http::Server>(http::ServerOptions{}, api_->AsHandler());
    auto bound = server_->Listen("127.0.0.1:0");
    ASSERT_TRUE(bound.ok()) << bound.status().ToString();
    address_ = *bound;
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<TestClient>(address_);
  }

  static std::string Zip() {
    return testing::BuildZip({testing::File("bootstrap", "#!/bin/sh\n", true)});
  }

  HttpReply Create(const std::string& name, const std::string& handler = "echo", Json extra = Json::object()) {
    Json body = {{"FunctionName", name},
                 {"Runtime", "provided.al2023"},
                 {"Role", kRole},
                 {"Handler", handler},
                 {"Code", {{"ZipFile", Base64Encode(Zip())}}}};
    body.merge_patch(extra);
    return client_->Send("POST", "/2015-03-31/functions", body.dump());
  }

  HttpReply Invoke(const std::string& name, const std::string& payload,
                   std::vector<std::pair<std::string, std::string>> headers = {}) {
    return client_->Send("POST", "/2015-03-31/functions/" + name + "/invocations", payload, std::move(headers));
  }

  static void ExpectError(const HttpReply& r, int status, const std::string& type) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.Header("x-amzn-ErrorType").value_or(""), type) << r.body;
    EXPECT_EQ(r.Header("Content-Type").value_or(""), "application/json");
    EXPECT_TRUE(r.Header("x-amzn-RequestId").has_value());
    Json j = Json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_EQ(j["Type"], status >= 500 ? "Service" : "User");
    EXPECT_TRUE(j.contains("message") || j.contains("Message")) << r.body;
  }

  fs::path root_;
  std::unique_ptr<FakePlatform> platform_;
  std::unique_ptr<InvokeApi> api_;
  std::unique_ptr<http::Server> server_;
  std::string address_;
  std::unique_ptr<TestClient> client_;
};

TEST_F(InvokeApiTest, FunctionLifecycle) {
  HttpReply created = Create("hello", "echo", {{"MemorySize", 256}, {"Environment", {{"Variables", {{"AA", "1"}}}}}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.Header("Content-Type").value_or(""), "application/json");
  Json c = Json::parse(created.body);
  EXPECT_EQ(c["FunctionName"], "hello");
  EXPECT_EQ(c["FunctionArn"], "arn:aws:lambda:us-east-1:000000000000:function:hello");
  EXPECT_EQ(c["MemorySize"], 256);
  EXPECT_EQ(c["CodeSha256"], CodeSha256(Zip()));
  EXPECT_EQ(c["CodeSize"], Zip().size());
  EXPECT_EQ(c["State"], "Active");
  EXPECT_EQ(c["Environment"]["Variables"]["AA"], "1");

  HttpReply got = client_->Send("GET", "/2015-03-31/functions/hello");
  ASSERT_EQ(got.status, 200) << got.body;
  Json g = Json::parse(got.body);
  EXPECT_EQ(g["Configuration"]["FunctionName"], "hello");
  EXPECT_EQ(g["Code"]["RepositoryType"], "faasnet");
  std::string location = g["Code"]["Location"];
  ASSERT_EQ(location.rfind("file://", 0), 0u);
  EXPECT_TRUE(fs::exists(location.substr(7) + "/bootstrap"));

  HttpReply conf = client_->Send("GET", "/2015-03-31/functions/hello/configuration");
  ASSERT_EQ(conf.status, 200);
  EXPECT_EQ(Json::parse(conf.body)["MemorySize"], 256);

  HttpReply updated = client_->Send("PUT", "/2015-03-31/functions/hello/configuration",
                                    R"({"MemorySize":1024,"Timeout":60,"Environment":{"Variables":{"BB":"2"}}})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  Json u = Json::parse(updated.body);
  EXPECT_EQ(u["MemorySize"], 1024);
  EXPECT_EQ(u["Timeout"], 60);
  EXPECT_EQ(u["Environment"]["Variables"], (Json{{"BB", "2"}}));
  EXPECT_NE(u["RevisionId"], c["RevisionId"]);

  HttpReply listed = client_->Send("GET", "/2015-03-31/functions/");
  ASSERT_EQ(listed.status, 200);
  Json l = Json::parse(listed.body);
  ASSERT_EQ(l["Functions"].size(), 1u);
  EXPECT_EQ(l["Functions"][0]["MemorySize"], 1024);
  EXPECT_FALSE(l.contains("NextMarker"));

  HttpReply deleted = client_->Send("DELETE", "/2015-03-31/functions/hello");
  EXPECT_EQ(deleted.status, 204);
  EXPECT_TRUE(deleted.body.empty());
  HttpReply gone = client_->Send("GET", "/2015-03-31/functions/hello");
  ExpectError(gone, 404, "ResourceNotFoundException");
  EXPECT_EQ(Json::parse(gone.body)["Message"], "Function not found: arn:aws:lambda:us-east-1:000000000000:function:hello");
  ExpectError(client_->Send("DELETE", "/2015-03-31/functions/hello"), 404, "ResourceNotFoundException");
}

TEST_F(InvokeApiTest, CreateErrors) {
  ASSERT_EQ(Create("dup").status, 201);
  HttpReply dup = Create("dup");
  ExpectError(dup, 409, "ResourceConflictException");
  EXPECT_EQ(Json::parse(dup.body)["message"], "Function already exist: dup");
  HttpReply small = Create("small", "echo", {{"MemorySize", 99}});
  ExpectError(small, 400, "ValidationException");
  EXPECT_EQ(Json::parse(small.body)["message"],
            "1 validation error detected: Value '99' at 'memorySize' failed to satisfy constraint: Member must have "
            "value greater than or equal to 128");
  ExpectError(Create("node", "echo", {{"Runtime", "nodejs20.x"}}), 400, "InvalidParameterValueException");
  HttpReply badzip = Create("badzip", "echo", {{"Code", {{"ZipFile", Base64Encode("not a zip")}}}});
  ExpectError(badzip, 400, "InvalidParameterValueException");
  EXPECT_NE(Json::parse(badzip.body)["message"].get<std::string>().find("Could not unzip uploaded file"),
            std::string::npos);
  ExpectError(client_->Send("POST", "/2015-03-31/functions", "{not json"), 400, "InvalidRequestContentException");
  // A local directory as the code.
  fs::create_directories(root_ / "local");
  HttpReply local = Create("local", "echo", {{"Code", {{"ZipFile", nullptr}, {"faasnetLocalPath", (root_ / "local").string()}}}});
  ASSERT_EQ(local.status, 201) << local.body;
}

TEST_F(InvokeApiTest, InvokeRequestResponse) {
  ASSERT_EQ(Create("echo").status, 201);
  HttpReply r = Invoke("echo", R"({"hello":"world"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"hello":"world"})");
  EXPECT_EQ(r.Header("X-Amz-Executed-Version").value_or(""), "$LATEST");
  EXPECT_FALSE(r.Header("X-Amz-Function-Error").has_value());
  EXPECT_FALSE(r.Header("X-Amz-Log-Result").has_value());
  EXPECT_EQ(r.Header("Content-Type").value_or(""), "application/json");
  std::string request_id = r.Header("x-amzn-RequestId").value_or("");
  EXPECT_EQ(request_id.size(), 36u);

  HttpReply tail = Invoke("echo", "{}", {{"X-Amz-Log-Type", "Tail"}});
  ASSERT_EQ(tail.status, 200);
  auto log = Base64Decode(tail.Header("X-Amz-Log-Result").value_or("!"));
  ASSERT_TRUE(log.has_value());
  EXPECT_NE(log->find("START RequestId: " + tail.Header("x-amzn-RequestId").value_or("?")), std::string::npos);
  EXPECT_NE(log->find("REPORT RequestId:"), std::string::npos);

  HttpReply empty = Invoke("echo", "");
  EXPECT_EQ(empty.status, 200);
  EXPECT_EQ(empty.body, "{}");
  EXPECT_EQ(platform_->invocations("echo"), 3);
}

TEST_F(InvokeApiTest, LogTailIsTheLast4KB) {
  ASSERT_EQ(Create("big", "biglog").status, 201);
  HttpReply r = Invoke("big", "{}", {{"X-Amz-Log-Type", "Tail"}});
  ASSERT_EQ(r.status, 200);
  auto log = Base64Decode(r.Header("X-Amz-Log-Result").value_or(""));
  ASSERT_TRUE(log.has_value());
  EXPECT_EQ(log->size(), 4096u);
  EXPECT_NE(log->find("line 9999\n"), std::string::npos);
  EXPECT_EQ(log->find("line 0\n"), std::string::npos);
  EXPECT_NE(log->find("END RequestId"), std::string::npos);
}

TEST_F(InvokeApiTest, InvokeFunctionError) {
  ASSERT_EQ(Create("boom", "fail").status, 201);
  HttpReply r = Invoke("boom", "{}");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("X-Amz-Function-Error").value_or(""), "Unhandled");
  Json j = Json::parse(r.body);
  EXPECT_EQ(j["errorMessage"], "boom");
  EXPECT_EQ(j["errorType"], "Exception");
}

TEST_F(InvokeApiTest, InvokeEventAndDryRun) {
  ASSERT_EQ(Create("ev").status, 201);
  HttpReply event = Invoke("ev", R"({"a":1})", {{"X-Amz-Invocation-Type", "Event"}});
  EXPECT_EQ(event.status, 202);
  EXPECT_TRUE(event.body.empty());
  EXPECT_TRUE(event.Header("x-amzn-RequestId").has_value());
  for (int i = 0; i < 200 && platform_->events_completed() < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(platform_->events_completed(), 1);
  HttpReply dry = Invoke("ev", "{}", {{"X-Amz-Invocation-Type", "DryRun"}});
  EXPECT_EQ(dry.status, 204);
  EXPECT_TRUE(dry.body.empty());
  ExpectError(Invoke("ev", "{}", {{"X-Amz-Invocation-Type", "Sometimes"}}), 400, "ValidationException");
  ExpectError(Invoke("ev", "{}", {{"X-Amz-Log-Type", "All"}}), 400, "ValidationException");
  ExpectError(Invoke("missing", "{}", {{"X-Amz-Invocation-Type", "DryRun"}}), 404, "ResourceNotFoundException");
}

TEST_F(InvokeApiTest, FunctionNamesAndQualifiers) {
  ASSERT_EQ(Create("named").status, 201);
  // An ARN in the path is percent-encoded by clients; the signature covers the
  // path encoded once more.
  EXPECT_EQ(Invoke("arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Anamed", "1").status, 200);
  EXPECT_EQ(Invoke("000000000000%3Afunction%3Anamed", "1").status, 200);
  EXPECT_EQ(Invoke("named%3A%24LATEST", "1").status, 200);
  EXPECT_EQ(client_->Send("POST", "/2015-03-31/functions/named/invocations?Qualifier=%24LATEST", "1").status, 200);
  ExpectError(client_->Send("POST", "/2015-03-31/functions/named/invocations?Qualifier=1", "1"), 404,
              "ResourceNotFoundException");
  ExpectError(Invoke("named%3Aprod", "1"), 404, "ResourceNotFoundException");
  ExpectError(client_->Send("POST", "/2015-03-31/functions/named%3A%24LATEST/invocations?Qualifier=2", "1"), 400,
              "InvalidParameterValueException");
  ExpectError(Invoke("bad%20name", "1"), 400, "ValidationException");
  ExpectError(Invoke("nobody", "1"), 404, "ResourceNotFoundException");
}

TEST_F(InvokeApiTest, PayloadChecks) {
  ASSERT_EQ(Create("p").status, 201);
  HttpReply bad = Invoke("p", "{not json");
  ExpectError(bad, 400, "InvalidRequestContentException");
  EXPECT_NE(Json::parse(bad.body)["message"].get<std::string>().find("Could not parse request body into json"),
            std::string::npos);
  HttpReply big = Invoke("p", "\"" + std::string(6 * 1024 * 1024, 'x') + "\"");
  ExpectError(big, 413, "RequestTooLargeException");
  EXPECT_EQ(Json::parse(big.body)["message"],
            "Request must be smaller than 6291456 bytes for the InvokeFunction operation");
  // The connection survives (the body was drained) and the next call works.
  EXPECT_EQ(Invoke("p", "2").status, 200);
  std::string event(300 * 1024, ' ');
  ExpectError(Invoke("p", event, {{"X-Amz-Invocation-Type", "Event"}}), 413, "RequestTooLargeException");
  // Exactly at the sync limit is fine.
  std::string limit = "\"" + std::string(6 * 1024 * 1024 - 2, 'y') + "\"";
  HttpReply at = Invoke("p", limit);
  EXPECT_EQ(at.status, 200);
  EXPECT_EQ(at.body.size(), limit.size());
}

TEST_F(InvokeApiTest, ClientContextAndTrace) {
  ASSERT_EQ(Create("ctx", "context").status, 201);
  std::string cc = R"({"custom":{"k":"v"}})";
  HttpReply r = Invoke("ctx", "{}", {{"X-Amz-Client-Context", Base64Encode(cc)}, {"X-Amzn-Trace-Id", "Root=1-abc"}});
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = Json::parse(r.body);
  EXPECT_EQ(j["client_context"], cc);
  EXPECT_EQ(j["trace_id"], "Root=1-abc");
  EXPECT_EQ(j["request_id"], r.Header("x-amzn-RequestId").value_or(""));
  ExpectError(Invoke("ctx", "{}", {{"X-Amz-Client-Context", "%%%"}}), 400, "InvalidRequestContentException");
}

TEST_F(InvokeApiTest, Throttling) {
  ASSERT_EQ(Create("slow", "sleep").status, 201);
  platform_->SetReservedConcurrency("slow", 1);
  std::string address = address_;
  auto first = std::async(std::launch::async, [address] {
    TestClient c(address);
    return c.Send("POST", "/2015-03-31/functions/slow/invocations", R"({"ms":600})");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  HttpReply second = Invoke("slow", R"({"ms":0})");
  ExpectError(second, 429, "TooManyRequestsException");
  EXPECT_EQ(Json::parse(second.body)["Reason"], "ReservedFunctionConcurrentInvocationLimitExceeded");
  HttpReply done = first.get();
  EXPECT_EQ(done.status, 200);
  EXPECT_EQ(Json::parse(done.body)["slept_ms"], 600);
}

TEST_F(InvokeApiTest, ConcurrentInvokes) {
  ASSERT_EQ(Create("par", "sleep").status, 201);
  std::vector<std::future<int>> calls;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 16; ++i) {
    calls.push_back(std::async(std::launch::async, [this] {
      TestClient c(address_);
      return c.Send("POST", "/2015-03-31/functions/par/invocations", R"({"ms":300})").status;
    }));
  }
  for (auto& f : calls) EXPECT_EQ(f.get(), 200);
  // They waited together, not one after another.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(16 * 300 / 2));
}

TEST_F(InvokeApiTest, ListPagination) {
  for (const char* n : {"c", "a", "b"}) ASSERT_EQ(Create(n).status, 201);
  HttpReply p1 = client_->Send("GET", "/2015-03-31/functions/?MaxItems=2");
  ASSERT_EQ(p1.status, 200);
  Json j1 = Json::parse(p1.body);
  ASSERT_EQ(j1["Functions"].size(), 2u);
  EXPECT_EQ(j1["Functions"][0]["FunctionName"], "a");
  EXPECT_EQ(j1["Functions"][1]["FunctionName"], "b");
  ASSERT_TRUE(j1.contains("NextMarker"));
  std::string marker = UriEncode(j1["NextMarker"].get<std::string>(), false);
  HttpReply p2 = client_->Send("GET", "/2015-03-31/functions/?Marker=" + marker + "&MaxItems=2");
  ASSERT_EQ(p2.status, 200);
  Json j2 = Json::parse(p2.body);
  ASSERT_EQ(j2["Functions"].size(), 1u);
  EXPECT_EQ(j2["Functions"][0]["FunctionName"], "c");
  EXPECT_FALSE(j2.contains("NextMarker"));
  ExpectError(client_->Send("GET", "/2015-03-31/functions/?MaxItems=0"), 400, "ValidationException");
  ExpectError(client_->Send("GET", "/2015-03-31/functions/?MaxItems=abc"), 400, "ValidationException");
  ExpectError(client_->Send("GET", "/2015-03-31/functions/?Marker=%25%25"), 400, "InvalidParameterValueException");
}

TEST_F(InvokeApiTest, Authentication) {
  Signer wrong_secret;
  wrong_secret.secret = "not-the-secret";
  ExpectError(client_->Send("GET", "/2015-03-31/functions/", "", {}, wrong_secret), 403, "InvalidSignatureException");
  Signer unknown;
  unknown.access_key = "AKIAUNKNOWN000000000";
  ExpectError(client_->Send("GET", "/2015-03-31/functions/", "", {}, unknown), 403, "UnrecognizedClientException");
  Signer other_region;
  other_region.region = "eu-west-1";
  ExpectError(client_->Send("GET", "/2015-03-31/functions/", "", {}, other_region), 403,
              "IncompleteSignatureException");
  Signer s3;
  s3.service = "s3";
  ExpectError(client_->Send("GET", "/2015-03-31/functions/", "", {}, s3), 403, "IncompleteSignatureException");
  ExpectError(client_->Send("GET", "/2015-03-31/functions/", "", {}, std::nullopt), 403,
              "MissingAuthenticationTokenException");
  // The body is covered by the signature even without x-amz-content-sha256: a
  // body changed after signing fails.
  ASSERT_EQ(Create("auth").status, 201);
  EXPECT_EQ(client_->SendSigned("POST", "/2015-03-31/functions/auth/invocations", "{}", "{}").status, 200);
  ExpectError(client_->SendSigned("POST", "/2015-03-31/functions/auth/invocations", R"({"a":2})", R"({"a":1})"), 403,
              "InvalidSignatureException");
  EXPECT_EQ(platform_->invocations("auth"), 1);
}

TEST_F(InvokeApiTest, AnonymousWhenAllowed) {
  InvokeApiOptions options;
  options.allow_anonymous = true;
  Start(options);
  HttpReply r = client_->Send("GET", "/2015-03-31/functions/", "", {}, std::nullopt);
  EXPECT_EQ(r.status, 200) << r.body;
  // A wrong signature is still refused.
  Signer wrong;
  wrong.secret = "x";
  ExpectError(client_->Send("GET", "/2015-03-31/functions/", "", {}, wrong), 403, "InvalidSignatureException");
}

TEST_F(InvokeApiTest, UnknownOperations) {
  ExpectError(client_->Send("GET", "/"), 404, "UnknownOperationException");
  ExpectError(client_->Send("PUT", "/2017-10-31/functions/f/concurrency", "{}"), 404, "UnknownOperationException");
  ExpectError(client_->Send("POST", "/2015-03-31/functions/f/versions", "{}"), 404, "UnknownOperationException");
  ExpectError(client_->Send("PATCH", "/2015-03-31/functions/f"), 404, "UnknownOperationException");
  // Unknown operations are still authenticated first.
  ExpectError(client_->Send("GET", "/nowhere", "", {}, std::nullopt), 403, "MissingAuthenticationTokenException");
}

TEST_F(InvokeApiTest, UpdateErrors) {
  ASSERT_EQ(Create("u").status, 201);
  ExpectError(client_->Send("PUT", "/2015-03-31/functions/u/configuration", R"({"MemorySize":20000})"), 400,
              "ValidationException");
  ExpectError(client_->Send("PUT", "/2015-03-31/functions/nope/configuration", R"({"MemorySize":256})"), 404,
              "ResourceNotFoundException");
  ExpectError(client_->Send("PUT", "/2015-03-31/functions/u/configuration", R"({"RevisionId":"old"})"), 412,
              "PreconditionFailedException");
  ExpectError(client_->Send("PUT", "/2015-03-31/functions/u/configuration",
                            R"({"Environment":{"Variables":{"AWS_LAMBDA_RUNTIME_API":"x"}}})"),
              400, "InvalidParameterValueException");
}

}  // namespace
}  // namespace faasnet::lambda
