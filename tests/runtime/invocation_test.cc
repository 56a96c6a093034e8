// Unit tests of the Runtime API client's pure parts (runtime/invocation.h): the RUNTIME_API address,
// building an Invocation from /next headers (deadline carried to the steady clock), error documents.
// The client and loop against a server are tested by test_runtimes.py with the real noop bootstrap.
#include "runtime/invocation.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

namespace faasnet::runtime {
namespace {

using std::chrono::milliseconds;

TEST(RuntimeParseApiAddress, HostAndPort) {
  auto a = ParseApiAddress("127.0.0.1:9001");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9001);
  auto b = ParseApiAddress("[::1]:80");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 80);
  EXPECT_EQ(ParseApiAddress("localhost:9001")->host, "localhost");
}

TEST(RuntimeParseApiAddress, RejectsMalformedValuesAndNamesThem) {
  for (const char* bad : {"", "127.0.0.1", ":9001", "host:", "host:0", "host:65536", "host:12x", "::1:80"}) {
    auto r = ParseApiAddress(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find("AWS_LAMBDA_RUNTIME_API"), std::string::npos);
  }
}

NextHeaders Headers() {
  NextHeaders h;
  h.request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";
  h.deadline_ms = "1700000005000";
  h.function_arn = "arn:aws:lambda:us-east-1:000000000000:function:f";
  h.trace_id = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1";
  return h;
}

TEST(RuntimeParseInvocation, CarriesTheEpochDeadlineToTheSteadyClock) {
  auto system_now = std::chrono::system_clock::time_point(milliseconds(1700000000000));
  auto steady_now = std::chrono::steady_clock::now();
  FunctionEnv env;
  env.function_name = "f";
  env.memory_mb = 512;
  auto inv = ParseInvocation(Headers(), R"({"a":1})", env, system_now, steady_now);
  ASSERT_TRUE(inv.ok()) << inv.status().ToString();
  EXPECT_EQ(inv->request_id, "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
  EXPECT_EQ(inv->deadline_epoch_ms, 1700000005000);
  EXPECT_EQ(inv->RemainingTime(steady_now), milliseconds(5000));
  EXPECT_EQ(inv->RemainingTime(steady_now + milliseconds(1200)), milliseconds(3800));
  EXPECT_EQ(inv->RemainingTime(steady_now + milliseconds(9000)), milliseconds(0));  // never negative
  EXPECT_EQ(inv->payload, R"({"a":1})");
  EXPECT_EQ(inv->content_type, "application/json");  // the default when the header is absent
  EXPECT_EQ(inv->function.function_name, "f");
  EXPECT_EQ(inv->function.memory_mb, 512);
  EXPECT_EQ(inv->trace_id, Headers().trace_id);
}

TEST(RuntimeParseInvocation, NoDeadlineHeaderMeansNoDeadline) {
  NextHeaders h = Headers();
  h.deadline_ms.clear();
  auto inv = ParseInvocation(h, "{}", {}, std::chrono::system_clock::now(), std::chrono::steady_clock::now());
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(inv->deadline_epoch_ms, 0);
  EXPECT_EQ(inv->RemainingTime(), milliseconds::max());
}

TEST(RuntimeParseInvocation, RejectsIdsThatCannotGoIntoAPathAndBadDeadlines) {
  for (const char* id : {"", "a/b", "a b", "a?b", "../x"}) {
    NextHeaders h = Headers();
    h.request_id = id;
    auto r = ParseInvocation(h, "", {}, std::chrono::system_clock::now(), std::chrono::steady_clock::now());
    EXPECT_FALSE(r.ok()) << id;
  }
  for (const char* deadline : {"soon", "-5", "12.5", "0"}) {
    NextHeaders h = Headers();
    h.deadline_ms = deadline;
    auto r = ParseInvocation(h, "", {}, std::chrono::system_clock::now(), std::chrono::steady_clock::now());
    EXPECT_FALSE(r.ok()) << deadline;
    EXPECT_NE(r.status().message().find("Lambda-Runtime-Deadline-Ms"), std::string::npos);
  }
}

TEST(RuntimeErrorDocument, LambdaShapeWithEscapingAndInvalidUtf8Replaced) {
  auto doc = nlohmann::json::parse(ErrorDocument("FunctionError", "quote \" newline \n bad \xff end"));
  EXPECT_EQ(doc["errorType"], "FunctionError");
  EXPECT_EQ(doc["errorMessage"], "quote \" newline \n bad \xEF\xBF\xBD end");
  EXPECT_TRUE(doc["stackTrace"].is_array());
}

TEST(RuntimeHandlerResult, SuccessAndFailure) {
  auto ok = HandlerResult::Success("{}");
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.content_type, "application/json");
  auto failed = HandlerResult::Failure("", "no type given");
  EXPECT_FALSE(failed.ok());  // an empty type must not read as success
  EXPECT_EQ(failed.error_type, "Error");
}

TEST(RuntimeFunctionEnvFromEnvironment, ReadsLambdaVariables) {
  setenv("AWS_LAMBDA_FUNCTION_NAME", "fn-a", 1);
  setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1769", 1);
  setenv("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST", 1);
  FunctionEnv env = FunctionEnvFromEnvironment();
  EXPECT_EQ(env.function_name, "fn-a");
  EXPECT_EQ(env.memory_mb, 1769);
  EXPECT_EQ(env.function_version, "$LATEST");
  setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "lots", 1);
  EXPECT_EQ(FunctionEnvFromEnvironment().memory_mb, 0);
}

}  // namespace
}  // namespace faasnet::runtime
