// The Runtime API over real loopback HTTP: http::Server on 127.0.0.1:0,
// RuntimeApi over a FakeBroker, driven the way a bootstrap drives it.
#include "lambda/runtime_api.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <deque>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "test_client.h"

namespace faasnet::lambda {
namespace {

namespace asio = boost::asio;
using Json = nlohmann::json;
using testing::HttpReply;
using testing::TestClient;

// Hands out queued invocations to one sandbox, recognised by the address its
// connections come in on, and records what the runtime posts.
class FakeBroker : public RuntimeBroker {
 public:
  void Accept(std::string local_address) {
    std::lock_guard<std::mutex> lock(mu_);
    local_ = std::move(local_address);
  }
  void Push(NextInvocation n) {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(n));
  }
  void EndInit() {
    std::lock_guard<std::mutex> lock(mu_);
    init_done_ = true;
  }

  LambdaResult<std::string> SandboxFor(const http::Request& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (request.local != local_) return LambdaError::AccessDeniedException("no sandbox listens on " + request.local);
    return std::string("sb-1");
  }

  asio::awaitable<LambdaResult<NextInvocation>> Next(const std::string& sandbox_id) override {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (int i = 0; i < 5000; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        EXPECT_EQ(sandbox_id, "sb-1");
        if (!queue_.empty()) {
          NextInvocation n = std::move(queue_.front());
          queue_.pop_front();
          open_.insert(n.request_id);
          init_done_ = true;
          co_return n;
        }
      }
      timer.expires_after(std::chrono::milliseconds(2));
      co_await timer.async_wait(asio::use_awaitable);
    }
    co_return LambdaError::Make(500, "Shutdown", "no invocation came");
  }

  LambdaError PostResponse(const std::string&, const std::string& request_id, std::string body) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!open_.erase(request_id)) return LambdaError::InvalidRequestId();
    responses_.emplace_back(request_id, std::move(body));
    return LambdaError::Ok();
  }
  LambdaError PostError(const std::string&, const std::string& request_id, RuntimeError error) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!open_.erase(request_id)) return LambdaError::InvalidRequestId();
    errors_.emplace_back(request_id, std::move(error));
    return LambdaError::Ok();
  }
  LambdaError PostInitError(const std::string&, RuntimeError error) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (init_done_) return LambdaError::InvalidStateTransition();
    init_errors_.push_back(std::move(error));
    return LambdaError::Ok();
  }

  std::vector<std::pair<std::string, std::string>> responses() {
    std::lock_guard<std::mutex> lock(mu_);
    return responses_;
  }
  std::vector<std::pair<std::string, RuntimeError>> errors() {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_;
  }
  std::vector<RuntimeError> init_errors() {
    std::lock_guard<std::mutex> lock(mu_);
    return init_errors_;
  }

 private:
  std::mutex mu_;
  std::string local_;
  std::deque<NextInvocation> queue_;
  std::set<std::string> open_;
  bool init_done_ = false;
  std::vector<std::pair<std::string, std::string>> responses_;
  std::vector<std::pair<std::string, RuntimeError>> errors_;
  std::vector<RuntimeError> init_errors_;
};

class RuntimeApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_ = std::make_unique<RuntimeApi>(&broker_);
    server_ = std::make_unique<http::Server>(http::ServerOptions{}, api_->AsHandler());
    auto bound = server_->Listen("127.0.0.1:0");
    ASSERT_TRUE(bound.ok());
    address_ = *bound;
    broker_.Accept(address_);
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<TestClient>(address_);
  }
  void TearDown() override { server_->Stop(std::chrono::milliseconds(100)); }

  HttpReply Get(const std::string& path) { return client_->Send("GET", path, "", {}, std::nullopt); }
  HttpReply Post(const std::string& path, const std::string& body,
                 std::vector<std::pair<std::string, std::string>> headers = {}) {
    return client_->Send("POST", path, body, std::move(headers), std::nullopt);
  }
  static NextInvocation Event(std::string id, std::string payload = R"({"k":"v"})") {
    NextInvocation n;
    n.request_id = std::move(id);
    n.deadline_ms = 1700000000123;
    n.function_arn = "arn:aws:lambda:us-east-1:000000000000:function:f";
    n.trace_id = "Root=1-5e1b4151-5ac6c58f5b5daa6532e4f5ad;Parent=1;Sampled=0";
    n.payload = std::move(payload);
    return n;
  }
  static void ExpectRuntimeError(const HttpReply& r, int status, const std::string& type) {
    EXPECT_EQ(r.status, status) << r.body;
    Json j = Json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_EQ(j["errorType"], type) << r.body;
    EXPECT_TRUE(j["errorMessage"].is_string());
  }

  FakeBroker broker_;
  std::unique_ptr<RuntimeApi> api_;
  std::unique_ptr<http::Server> server_;
  std::string address_;
  std::unique_ptr<TestClient> client_;
};

constexpr char kNext[] = "/2018-06-01/runtime/invocation/next";

TEST_F(RuntimeApiTest, NextThenResponse) {
  NextInvocation ev = Event("req-1");
  ev.client_context = R"({"custom":{}})";
  broker_.Push(ev);
  HttpReply next = Get(kNext);
  ASSERT_EQ(next.status, 200) << next.body;
  EXPECT_EQ(next.body, R"({"k":"v"})");
  EXPECT_EQ(next.Header("Lambda-Runtime-Aws-Request-Id").value_or(""), "req-1");
  EXPECT_EQ(next.Header("Lambda-Runtime-Deadline-Ms").value_or(""), "1700000000123");
  EXPECT_EQ(next.Header("Lambda-Runtime-Invoked-Function-Arn").value_or(""),
            "arn:aws:lambda:us-east-1:000000000000:function:f");
  EXPECT_EQ(next.Header("Lambda-Runtime-Trace-Id").value_or(""), ev.trace_id);
  EXPECT_EQ(next.Header("Lambda-Runtime-Client-Context").value_or(""), ev.client_context);
  EXPECT_EQ(next.Header("Content-Type").value_or(""), "application/json");

  HttpReply done = Post("/2018-06-01/runtime/invocation/req-1/response", R"({"ok":true})");
  EXPECT_EQ(done.status, 202);
  EXPECT_EQ(Json::parse(done.body), (Json{{"status", "OK"}}));
  auto responses = broker_.responses();
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].first, "req-1");
  EXPECT_EQ(responses[0].second, R"({"ok":true})");

  // Answering twice, or an id that never was: InvalidRequestID.
  ExpectRuntimeError(Post("/2018-06-01/runtime/invocation/req-1/response", "{}"), 400, "InvalidRequestID");
  HttpReply unknown = Post("/2018-06-01/runtime/invocation/nope/response", "{}");
  ExpectRuntimeError(unknown, 400, "InvalidRequestID");
  EXPECT_EQ(Json::parse(unknown.body)["errorMessage"], "Invalid request ID");
}

TEST_F(RuntimeApiTest, NextWithoutOptionalHeaders) {
  NextInvocation ev = Event("req-2", "");
  ev.trace_id.clear();
  broker_.Push(ev);
  HttpReply next = Get(kNext);
  ASSERT_EQ(next.status, 200);
  EXPECT_TRUE(next.body.empty());
  EXPECT_FALSE(next.Header("Lambda-Runtime-Trace-Id").has_value());
  EXPECT_FALSE(next.Header("Lambda-Runtime-Client-Context").has_value());
}

TEST_F(RuntimeApiTest, NextLongPolls) {
  std::string address = address_;
  auto waiting = std::async(std::launch::async, [address] {
    TestClient c(address);
    return c.Send("GET", kNext, "", {}, std::nullopt);
  });
  EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  broker_.Push(Event("late"));
  HttpReply next = waiting.get();
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.Header("Lambda-Runtime-Aws-Request-Id").value_or(""), "late");
}

TEST_F(RuntimeApiTest, InvocationError) {
  broker_.Push(Event("e1"));
  broker_.Push(Event("e2"));
  ASSERT_EQ(Get(kNext).status, 200);
  std::string body = R"({"errorMessage":"division by zero","errorType":"ZeroDivisionError","stackTrace":["x"]})";
  HttpReply r = Post("/2018-06-01/runtime/invocation/e1/error", body,
                     {{"Lambda-Runtime-Function-Error-Type", "Runtime.Custom"}});
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(Json::parse(r.body), (Json{{"status", "OK"}}));
  ASSERT_EQ(Get(kNext).status, 200);
  EXPECT_EQ(Post("/2018-06-01/runtime/invocation/e2/error", body).status, 202);
  auto errors = broker_.errors();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].first, "e1");
  EXPECT_EQ(errors[0].second.error_type, "Runtime.Custom");  // the header wins
  EXPECT_EQ(errors[0].second.error_message, "division by zero");
  EXPECT_EQ(errors[0].second.body, body);
  EXPECT_EQ(errors[1].second.error_type, "ZeroDivisionError");  // else the body's
  EXPECT_EQ(InvokeErrorPayload(errors[1].second), body);
  ExpectRuntimeError(Post("/2018-06-01/runtime/invocation/e2/error", body), 400, "InvalidRequestID");
}

TEST_F(RuntimeApiTest, InitError) {
  HttpReply r = Post("/2018-06-01/runtime/init/error", R"({"errorMessage":"no handler","errorType":"Runtime.X"})",
                     {{"Lambda-Runtime-Function-Error-Type", "Runtime.NoSuchHandler"}});
  EXPECT_EQ(r.status, 202) << r.body;
  auto init = broker_.init_errors();
  ASSERT_EQ(init.size(), 1u);
  EXPECT_EQ(init[0].error_type, "Runtime.NoSuchHandler");
  EXPECT_EQ(init[0].error_message, "no handler");
  broker_.EndInit();
  ExpectRuntimeError(Post("/2018-06-01/runtime/init/error", "{}"), 403, "InvalidStateTransition");
}

TEST_F(RuntimeApiTest, ResponseTooLarge) {
  broker_.Push(Event("big"));
  ASSERT_EQ(Get(kNext).status, 200);
  HttpReply r = Post("/2018-06-01/runtime/invocation/big/response", std::string(6'291'557, 'x'));
  ExpectRuntimeError(r, 413, "RequestEntityTooLarge");
  auto errors = broker_.errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].second.error_type, "Function.ResponseSizeTooLarge");
  EXPECT_EQ(Json::parse(InvokeErrorPayload(errors[0].second))["errorMessage"],
            "Response payload size exceeded maximum allowed payload size (6291556 bytes).");
  EXPECT_TRUE(broker_.responses().empty());
  // The connection stays usable.
  broker_.Push(Event("small"));
  ASSERT_EQ(Get(kNext).status, 200);
  EXPECT_EQ(Post("/2018-06-01/runtime/invocation/small/response", std::string(6'291'556, 'y')).status, 202);
  ASSERT_EQ(broker_.responses().size(), 1u);
  EXPECT_EQ(broker_.responses()[0].second.size(), 6'291'556u);
}

TEST_F(RuntimeApiTest, RoutingErrors) {
  ExpectRuntimeError(Get("/2018-06-01/runtime/nothing"), 404, "NotFound");
  ExpectRuntimeError(Get("/"), 404, "NotFound");
  ExpectRuntimeError(Post("/2018-06-01/runtime/invocation/x/other", ""), 404, "NotFound");
  ExpectRuntimeError(Post(kNext, ""), 405, "MethodNotAllowed");
  ExpectRuntimeError(Get("/2018-06-01/runtime/invocation/x/response"), 405, "MethodNotAllowed");
}

TEST_F(RuntimeApiTest, UnknownSandboxIsRefused) {
  broker_.Accept("10.0.0.1:9001");
  ExpectRuntimeError(Get(kNext), 403, "AccessDeniedException");
}

TEST(InvokeErrorPayloadTest, BuildsOneWhenTheBodyIsNotJson) {
  RuntimeError e{"Runtime.ExitError", "exit status 1", "not json"};
  EXPECT_EQ(Json::parse(InvokeErrorPayload(e)),
            (Json{{"errorMessage", "exit status 1"}, {"errorType", "Runtime.ExitError"}}));
  RuntimeError j{"T", "m", R"({"errorMessage":"m2"})"};
  EXPECT_EQ(InvokeErrorPayload(j), R"({"errorMessage":"m2"})");
}

}  // namespace
}  // namespace faasnet::lambda
