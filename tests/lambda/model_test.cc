#include "lambda/model.h"

#include <gtest/gtest.h>

#include <regex>

#include "base/strings.h"

namespace faasnet::lambda {
namespace {

using Json = nlohmann::json;
using namespace std::chrono;

constexpr char kRole[] = "arn:aws:iam::000000000000:role/lambda-role";

// A valid CreateFunction body with `patch` merged in (null members removed).
std::string CreateBody(const Json& patch = Json::object()) {
  Json j = {{"FunctionName", "hello"},
            {"Runtime", "provided.al2023"},
            {"Role", kRole},
            {"Handler", "bootstrap"},
            {"Code", {{"ZipFile", Base64Encode("PK-not-really")}}}};
  j.merge_patch(patch);
  return j.dump();
}

TEST(CreateFunctionInputTest, MinimalGetsLambdaDefaults) {
  auto in = ParseCreateFunctionInput(CreateBody());
  ASSERT_TRUE(in.ok()) << in.error().message;
  EXPECT_EQ(in->function_name, "hello");
  EXPECT_EQ(in->runtime, "provided.al2023");
  EXPECT_EQ(in->role, kRole);
  EXPECT_EQ(in->handler, "bootstrap");
  EXPECT_EQ(in->timeout_s, 3);
  EXPECT_EQ(in->memory_mb, 128);
  EXPECT_EQ(in->ephemeral_storage_mb, 512);
  EXPECT_EQ(in->architectures, std::vector<std::string>{"x86_64"});
  EXPECT_EQ(in->code.zip_file, "PK-not-really");
  EXPECT_TRUE(in->code.local_path.empty());
  EXPECT_FALSE(in->publish);
}

TEST(CreateFunctionInputTest, AllMembers) {
  auto in = ParseCreateFunctionInput(CreateBody({{"FunctionName", "arn:aws:lambda:us-east-1:000000000000:function:f"},
                                                 {"Runtime", "python3.12"},
                                                 {"Handler", "app.handler"},
                                                 {"Timeout", 900},
                                                 {"MemorySize", 10240},
                                                 {"Description", "d"},
                                                 {"Environment", {{"Variables", {{"A_1", "x"}, {"bb", ""}}}}},
                                                 {"Architectures", Json::array({"arm64"})},
                                                 {"EphemeralStorage", {{"Size", 1024}}},
                                                 {"Publish", true},
                                                 {"Tags", {{"k", "v"}}},
                                                 {"PackageType", "Zip"}}));
  ASSERT_TRUE(in.ok()) << in.error().message;
  EXPECT_EQ(in->function_name, "f");
  EXPECT_EQ(in->timeout_s, 900);
  EXPECT_EQ(in->memory_mb, 10240);
  EXPECT_EQ(in->environment.at("A_1"), "x");
  EXPECT_EQ(in->environment.at("bb"), "");
  EXPECT_EQ(in->architectures, std::vector<std::string>{"arm64"});
  EXPECT_EQ(in->ephemeral_storage_mb, 1024);
  EXPECT_TRUE(in->publish);
}

TEST(CreateFunctionInputTest, ConstraintViolationsAreValidationExceptions) {
  auto in = ParseCreateFunctionInput(CreateBody({{"MemorySize", 99}}));
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.error().type, "ValidationException");
  EXPECT_EQ(in.error().http_status, 400);
  EXPECT_EQ(in.error().message,
            "1 validation error detected: Value '99' at 'memorySize' failed to satisfy constraint: Member must have "
            "value greater than or equal to 128");

  in = ParseCreateFunctionInput(CreateBody({{"MemorySize", 10241}, {"Timeout", 0}}));
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.error().message,
            "2 validation errors detected: Value '0' at 'timeout' failed to satisfy constraint: Member must have "
            "value greater than or equal to 1; Value '10241' at 'memorySize' failed to satisfy constraint: Member "
            "must have value less than or equal to 10240");

  in = ParseCreateFunctionInput(CreateBody({{"Timeout", 901}}));
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.error().message.find("Member must have value less than or equal to 900"), std::string::npos);

  in = ParseCreateFunctionInput(CreateBody({{"Role", nullptr}}));
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.error().message,
            "1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null");
  in = ParseCreateFunctionInput(CreateBody({{"Role", "not-a-role"}}));
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.error().message.find("at 'role' failed to satisfy constraint: Member must satisfy regular expression"),
            std::string::npos);
  in = ParseCreateFunctionInput(CreateBody({{"Code", nullptr}}));
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.error().message.find("Value null at 'code'"), std::string::npos);
  in = ParseCreateFunctionInput(CreateBody({{"FunctionName", nullptr}}));
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.error().message.find("Value null at 'functionName'"), std::string::npos);
  in = ParseCreateFunctionInput(CreateBody({{"Description", std::string(257, 'd')}}));
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.error().message.find("at 'description'"), std::string::npos);
  in = ParseCreateFunctionInput(CreateBody({{"Handler", "has space"}}));
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.error().message.find("at 'handler'"), std::string::npos);
  in = ParseCreateFunctionInput(CreateBody({{"EphemeralStorage", {{"Size", 100}}}}));
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.error().message.find("at 'ephemeralStorage.size'"), std::string::npos);
  in = ParseCreateFunctionInput(CreateBody({{"Architectures", Json::array({"x86_64", "arm64"})}}));
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.error().message.find("at 'architectures'"), std::string::npos);
  in = ParseCreateFunctionInput(CreateBody({{"Architectures", Json::array({"riscv"})}}));
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.error().message.find("enum value set: [x86_64, arm64]"), std::string::npos);
  in = ParseCreateFunctionInput(CreateBody({{"Environment", {{"Variables", {{"A", "x"}}}}}}));
  ASSERT_FALSE(in.ok()) << "Lambda's pattern wants two characters at least";
  in = ParseCreateFunctionInput(CreateBody({{"Environment", {{"Variables", {{"1bad", "x"}}}}}}));
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.error().type, "ValidationException");
  EXPECT_NE(in.error().message.find("at 'environment.variables'"), std::string::npos);
}

TEST(CreateFunctionInputTest, RuntimesAsUsersWriteThem) {
  for (const char* ok : {"provided", "provided.al2", "provided.al2023", "python3.8", "python3.9", "python3.12",
                         "python3.13", "python3.14"}) {
    auto in = ParseCreateFunctionInput(CreateBody({{"Runtime", ok}, {"Handler", "app.handler"}}));
    EXPECT_TRUE(in.ok()) << ok << ": " << in.error().message;
  }
  for (const char* bad : {"nodejs18.x", "python2.7", "python3.", "python3.x", "python3", "java21", "provided.al3",
                          "Python3.12"}) {
    auto in = ParseCreateFunctionInput(CreateBody({{"Runtime", bad}}));
    ASSERT_FALSE(in.ok()) << bad;
    EXPECT_EQ(in.error().type, "InvalidParameterValueException") << bad;
    EXPECT_NE(in.error().message.find("provided.al2023"), std::string::npos);
    EXPECT_NE(in.error().message.find("python3.x"), std::string::npos);
  }
  auto missing = ParseCreateFunctionInput(CreateBody({{"Runtime", nullptr}}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().type, "InvalidParameterValueException");
  // Python needs a handler; provided does not.
  auto py = ParseCreateFunctionInput(CreateBody({{"Runtime", "python3.11"}, {"Handler", nullptr}}));
  ASSERT_FALSE(py.ok());
  EXPECT_EQ(py.error().message,
            "Runtime and Handler are mandatory parameters for functions created with deployment packages.");
  EXPECT_TRUE(ParseCreateFunctionInput(CreateBody({{"Handler", nullptr}})).ok());
}

TEST(CreateFunctionInputTest, CodeSources) {
  auto local = ParseCreateFunctionInput(CreateBody({{"Code", {{"ZipFile", nullptr}, {"faasnetLocalPath", "/srv/fn"}}}}));
  ASSERT_TRUE(local.ok()) << local.error().message;
  EXPECT_EQ(local->code.local_path, "/srv/fn");
  EXPECT_TRUE(local->code.zip_file.empty());

  auto cli = ParseCreateFunctionInput(
      CreateBody({{"Code", {{"ZipFile", nullptr}, {"S3Bucket", "faasnet-local"}, {"S3Key", "/srv/fn2"}}}}));
  ASSERT_TRUE(cli.ok()) << cli.error().message;
  EXPECT_EQ(cli->code.local_path, "/srv/fn2");

  struct Bad {
    Json code;
    const char* type;
    const char* text;
  } bad[] = {
      {{{"ZipFile", nullptr}}, "InvalidParameterValueException", "Please provide a source for function code."},
      {{{"ZipFile", nullptr}, {"S3Bucket", "b"}, {"S3Key", "k.zip"}}, "InvalidParameterValueException",
       "faasnet does not fetch code from S3"},
      {{{"ZipFile", nullptr}, {"ImageUri", "x"}}, "InvalidParameterValueException", "Zip functions only"},
      {{{"faasnetLocalPath", "/srv"}}, "InvalidParameterValueException", "only one source"},
      {{{"ZipFile", nullptr}, {"faasnetLocalPath", "relative/dir"}}, "InvalidParameterValueException",
       "absolute path"},
      {{{"ZipFile", "!!!not base64"}}, "InvalidRequestContentException", "base64"},
  };
  for (const auto& b : bad) {
    auto in = ParseCreateFunctionInput(CreateBody({{"Code", b.code}}));
    ASSERT_FALSE(in.ok()) << b.code.dump();
    EXPECT_EQ(in.error().type, b.type) << b.code.dump();
    EXPECT_NE(in.error().message.find(b.text), std::string::npos) << in.error().message;
  }
  auto image = ParseCreateFunctionInput(CreateBody({{"PackageType", "Image"}}));
  ASSERT_FALSE(image.ok());
  EXPECT_EQ(image.error().type, "InvalidParameterValueException");
}

TEST(CreateFunctionInputTest, EnvironmentRules) {
  auto reserved =
      ParseCreateFunctionInput(CreateBody({{"Environment", {{"Variables", {{"AWS_REGION", "x"}, {"OK", "y"}}}}}}));
  ASSERT_FALSE(reserved.ok());
  EXPECT_EQ(reserved.error().type, "InvalidParameterValueException");
  EXPECT_NE(reserved.error().message.find("Reserved keys used in this request: AWS_REGION"), std::string::npos);
  auto big = ParseCreateFunctionInput(CreateBody({{"Environment", {{"Variables", {{"BIG", std::string(5000, 'x')}}}}}}));
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message.find("exceeded the 4KB limit"), std::string::npos);
  auto number = ParseCreateFunctionInput(CreateBody({{"Environment", {{"Variables", {{"NN", 5}}}}}}));
  ASSERT_FALSE(number.ok());
  EXPECT_EQ(number.error().type, "InvalidRequestContentException");
}

TEST(CreateFunctionInputTest, BadJson) {
  for (std::string body : std::vector<std::string>{"not json", "[1,2]", "\"s\"", "{\"FunctionName\":"}) {
    auto in = ParseCreateFunctionInput(body);
    ASSERT_FALSE(in.ok()) << body;
    EXPECT_EQ(in.error().type, "InvalidRequestContentException") << body;
  }
  auto wrong_type = ParseCreateFunctionInput(CreateBody({{"MemorySize", "256"}}));
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_EQ(wrong_type.error().type, "InvalidRequestContentException");
  auto fraction = ParseCreateFunctionInput(CreateBody({{"Timeout", 1.5}}));
  ASSERT_FALSE(fraction.ok());
  EXPECT_EQ(fraction.error().type, "InvalidRequestContentException");
  auto qualifier = ParseCreateFunctionInput(CreateBody({{"FunctionName", "f:1"}}));
  ASSERT_FALSE(qualifier.ok());
  EXPECT_EQ(qualifier.error().type, "InvalidParameterValueException");
}

TEST(FunctionNameTest, Forms) {
  struct Case {
    const char* text;
    const char* name;
    const char* qualifier;
  } cases[] = {
      {"my-function_1", "my-function_1", ""},
      {"f:$LATEST", "f", "$LATEST"},
      {"f:prod", "f", "prod"},
      {"123456789012:function:f", "f", ""},
      {"123456789012:function:f:7", "f", "7"},
      {"arn:aws:lambda:us-west-2:123456789012:function:my-function", "my-function", ""},
      {"arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST", "f", "$LATEST"},
      {"function:f", "f", ""},
  };
  for (const auto& c : cases) {
    auto ref = ParseFunctionName(c.text);
    ASSERT_TRUE(ref.ok()) << c.text << ": " << ref.error().message;
    EXPECT_EQ(ref->name, c.name) << c.text;
    EXPECT_EQ(ref->qualifier, c.qualifier) << c.text;
  }
  for (std::string bad : std::vector<std::string>{"", "a b", "f.x", "a:b:c", "arn:aws:s3:::bucket", "arn:aws:lambda:us-east-1:12:function:f",
                          "12345678901x:function:f", "f:", "f:$NOPE", std::string(65, 'a'),
                          "arn:aws:lambda:us-east-1:000000000000:function:" + std::string(65, 'a'),
                          std::string(171, 'a')}) {
    auto ref = ParseFunctionName(bad);
    ASSERT_FALSE(ref.ok()) << bad;
    EXPECT_EQ(ref.error().type, "ValidationException") << bad;
    EXPECT_NE(ref.error().message.find("at 'functionName'"), std::string::npos);
  }
  EXPECT_NE(ParseFunctionName(std::string(65, 'a')).error().message.find("less than or equal to 64"),
            std::string::npos);
  EXPECT_NE(ParseFunctionName("a b").error().message.find("regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?"),
            std::string::npos);
}

TEST(ModelTest, ArnsAndStandardErrors) {
  EXPECT_EQ(FunctionArn("us-east-1", "f"), "arn:aws:lambda:us-east-1:000000000000:function:f");
  LambdaError nf = FunctionNotFound("eu-west-1", "g");
  EXPECT_EQ(nf.type, "ResourceNotFoundException");
  EXPECT_EQ(nf.message, "Function not found: arn:aws:lambda:eu-west-1:000000000000:function:g");
  LambdaError ex = FunctionAlreadyExists("g");
  EXPECT_EQ(ex.http_status, 409);
  EXPECT_EQ(ex.message, "Function already exist: g");
}

TEST(ModelTest, FormatsAndIds) {
  auto t = sys_days(year(2019) / July / 1) + hours(12) + milliseconds(345);
  EXPECT_EQ(FormatLastModified(t), "2019-07-01T12:00:00.345+0000");
  EXPECT_EQ(CodeSha256(""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  std::string id = NewRequestId();
  EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << id;
  EXPECT_NE(NewRequestId(), id);
}

TEST(ModelTest, ConfigurationJsonRoundTrip) {
  auto in = ParseCreateFunctionInput(CreateBody({{"Environment", {{"Variables", {{"AA", "1"}, {"BB", "2"}}}}}}));
  ASSERT_TRUE(in.ok());
  auto now = sys_days(year(2024) / January / 2);
  FunctionConfiguration c = NewConfiguration(*in, "us-east-1", now);
  c.code_size = 42;
  c.code_sha256 = CodeSha256("zip");
  c.code_dir = "/tmp/x";
  EXPECT_EQ(c.function_arn, "arn:aws:lambda:us-east-1:000000000000:function:hello");
  EXPECT_EQ(c.last_modified, "2024-01-02T00:00:00.000+0000");
  EXPECT_FALSE(c.revision_id.empty());
  auto j = ToJson(c);
  EXPECT_EQ(j["FunctionName"], "hello");
  EXPECT_EQ(j["Runtime"], "provided.al2023");
  EXPECT_EQ(j["CodeSize"], 42);
  EXPECT_EQ(j["Timeout"], 3);
  EXPECT_EQ(j["MemorySize"], 128);
  EXPECT_EQ(j["Version"], "$LATEST");
  EXPECT_EQ(j["State"], "Active");
  EXPECT_EQ(j["LastUpdateStatus"], "Successful");
  EXPECT_EQ(j["PackageType"], "Zip");
  EXPECT_EQ(j["Architectures"], Json::array({"x86_64"}));
  EXPECT_EQ(j["EphemeralStorage"]["Size"], 512);
  EXPECT_EQ(j["Environment"]["Variables"]["BB"], "2");
  EXPECT_FALSE(j.contains("StateReason"));
  EXPECT_FALSE(j.contains("code_dir"));
  auto back = FunctionConfigurationFromJson(Json::parse(j.dump()));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->function_name, c.function_name);
  EXPECT_EQ(back->code_size, 42);
  EXPECT_EQ(back->environment, c.environment);
  EXPECT_EQ(back->revision_id, c.revision_id);
  EXPECT_EQ(back->last_modified, c.last_modified);
  EXPECT_FALSE(FunctionConfigurationFromJson(Json::array()).ok());
  EXPECT_FALSE(FunctionConfigurationFromJson(Json{{"MemorySize", "x"}}).ok());
  // No environment: no Environment member (as Lambda).
  c.environment.clear();
  EXPECT_FALSE(ToJson(c).contains("Environment"));
}

TEST(UpdateConfigurationTest, ParseAndApply) {
  auto u = ParseUpdateFunctionConfigurationInput(
      R"({"MemorySize":512,"Timeout":30,"Environment":{"Variables":{"XX":"1"}},"Handler":"h2","Description":"new"})");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->memory_mb, 512);
  EXPECT_FALSE(u->runtime.has_value());
  auto in = ParseCreateFunctionInput(CreateBody());
  FunctionConfiguration c = NewConfiguration(*in, "us-east-1", system_clock::now());
  std::string old_revision = c.revision_id;
  ASSERT_TRUE(ApplyUpdate(*u, sys_days(year(2030) / 1 / 1), &c).ok());
  EXPECT_EQ(c.memory_mb, 512);
  EXPECT_EQ(c.timeout_s, 30);
  EXPECT_EQ(c.environment.at("XX"), "1");
  EXPECT_EQ(c.handler, "h2");
  EXPECT_EQ(c.description, "new");
  EXPECT_EQ(c.runtime, "provided.al2023");
  EXPECT_EQ(c.last_modified, "2030-01-01T00:00:00.000+0000");
  EXPECT_NE(c.revision_id, old_revision);

  // Environment {} clears the variables; absent leaves them.
  auto clear = ParseUpdateFunctionConfigurationInput(R"({"Environment":{}})");
  ASSERT_TRUE(clear.ok());
  ASSERT_TRUE(ApplyUpdate(*clear, system_clock::now(), &c).ok());
  EXPECT_TRUE(c.environment.empty());

  auto stale = ParseUpdateFunctionConfigurationInput(R"({"RevisionId":"nope","MemorySize":1024})");
  ASSERT_TRUE(stale.ok());
  LambdaError e = ApplyUpdate(*stale, system_clock::now(), &c);
  EXPECT_EQ(e.type, "PreconditionFailedException");
  EXPECT_EQ(c.memory_mb, 512);

  EXPECT_TRUE(ParseUpdateFunctionConfigurationInput("").ok());
  EXPECT_TRUE(ParseUpdateFunctionConfigurationInput("{}").ok());
  auto bad = ParseUpdateFunctionConfigurationInput(R"({"MemorySize":64})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().type, "ValidationException");
  auto runtime = ParseUpdateFunctionConfigurationInput(R"({"Runtime":"nodejs20.x"})");
  ASSERT_FALSE(runtime.ok());
  EXPECT_EQ(runtime.error().type, "InvalidParameterValueException");
  EXPECT_FALSE(ParseUpdateFunctionConfigurationInput("[]").ok());
}

}  // namespace
}  // namespace faasnet::lambda
