#include "lambda/model.h"

#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <regex>
#include <type_traits>

#include "base/strings.h"
#include "s3/checksum.h"
#include "s3/conditional.h"

namespace faasnet::lambda {

namespace {

using Json = nlohmann::json;

constexpr std::string_view kFunctionNamePattern =
    "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)"
    "(:(\\$LATEST|[a-zA-Z0-9-_]+))?";
constexpr std::string_view kRolePattern = "arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+";
constexpr std::string_view kEnvKeyPattern = "[a-zA-Z]([a-zA-Z0-9_])+";

// Variables Lambda sets itself; a function may not define them
// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
constexpr std::string_view kReservedVariables[] = {
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
};

// Collects shape-constraint violations into one ValidationException, worded
// as Lambda's front end words them.
class Violations {
 public:
  // `value` is already rendered: "'99'" or "null".
  void Add(std::string value, std::string_view member, std::string_view constraint) {
    items_.push_back("Value " + std::move(value) + " at '" + std::string(member) +
                     "' failed to satisfy constraint: " + std::string(constraint));
  }
  void Null(std::string_view member) { Add("null", member, "Member must not be null"); }
  bool empty() const { return items_.empty(); }
  LambdaError Error() const {
    std::string m = std::to_string(items_.size()) + (items_.size() == 1 ? " validation error" : " validation errors") +
                    " detected: ";
    for (size_t i = 0; i < items_.size(); ++i) m += (i ? "; " : "") + items_[i];
    return LambdaError::ValidationException(std::move(m));
  }

 private:
  std::vector<std::string> items_;
};

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

LambdaError BadContent(std::string_view member, std::string_view expected) {
  return LambdaError::InvalidRequestContentException("Could not parse request body into json: member " +
                                                     std::string(member) + " must be " + std::string(expected));
}

// Typed member readers: nullopt when absent or null; an error for a wrong type.
LambdaResult<std::optional<std::string>> GetString(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return BadContent(key, "a string");
  return std::optional<std::string>(it->get<std::string>());
}

LambdaResult<std::optional<int64_t>> GetInt(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<int64_t>();
  if (it->is_number_unsigned()) {
    uint64_t v = it->get<uint64_t>();
    return std::optional<int64_t>(v > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(v));
  }
  if (!it->is_number_integer()) return BadContent(key, "an integer");
  return std::optional<int64_t>(it->get<int64_t>());
}

// Range check into an int member; records a violation and returns false when outside.
bool CheckRange(int64_t v, int64_t lo, int64_t hi, std::string_view member, Violations* out) {
  if (v < lo) {
    out->Add(Quoted(std::to_string(v)), member, "Member must have value greater than or equal to " + std::to_string(lo));
    return false;
  }
  if (v > hi) {
    out->Add(Quoted(std::to_string(v)), member, "Member must have value less than or equal to " + std::to_string(hi));
    return false;
  }
  return true;
}

bool FullMatch(std::string_view s, std::string_view pattern) {
  if (s.size() > 2048) return false;  // std::regex recursion grows with the input
  return std::regex_match(s.begin(), s.end(), std::regex(pattern.begin(), pattern.end()));
}

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }

// The members CreateFunction and UpdateFunctionConfiguration share; each is
// validated into `v` (constraints) or returns an error (wrong JSON type,
// semantic problems).
struct CommonMembers {
  std::optional<std::string> runtime, role, handler, description;
  std::optional<int> timeout_s, memory_mb, ephemeral_storage_mb;
  std::optional<std::map<std::string, std::string>> environment;
  std::optional<std::vector<std::string>> architectures;
};

LambdaError ReadCommon(const Json& j, Violations* v, CommonMembers* out) {
  auto runtime = GetString(j, "Runtime");
  if (!runtime.ok()) return runtime.error();
  out->runtime = *runtime;
  auto role = GetString(j, "Role");
  if (!role.ok()) return role.error();
  if (*role && !FullMatch(**role, kRolePattern)) {
    v->Add(Quoted(**role), "role", "Member must satisfy regular expression pattern: " + std::string(kRolePattern));
  }
  out->role = *role;
  auto handler = GetString(j, "Handler");
  if (!handler.ok()) return handler.error();
  if (*handler) {
    const std::string& h = **handler;
    if (h.size() > 128) {
      v->Add(Quoted(h), "handler", "Member must have length less than or equal to 128");
    } else if (h.empty() || std::any_of(h.begin(), h.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); })) {
      v->Add(Quoted(h), "handler", "Member must satisfy regular expression pattern: [^\\s]+");
    }
  }
  out->handler = *handler;
  auto description = GetString(j, "Description");
  if (!description.ok()) return description.error();
  if (*description && (*description)->size() > 256) {
    v->Add(Quoted(**description), "description", "Member must have length less than or equal to 256");
  }
  out->description = *description;

  auto timeout = GetInt(j, "Timeout");
  if (!timeout.ok()) return timeout.error();
  if (*timeout && CheckRange(**timeout, 1, kMaxTimeoutS, "timeout", v)) out->timeout_s = static_cast<int>(**timeout);
  auto memory = GetInt(j, "MemorySize");
  if (!memory.ok()) return memory.error();
  if (*memory && CheckRange(**memory, kMinMemoryMb, kMaxMemoryMb, "memorySize", v)) {
    out->memory_mb = static_cast<int>(**memory);
  }
  if (auto it = j.find("EphemeralStorage"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return BadContent("EphemeralStorage", "an object");
    auto size = GetInt(*it, "Size");
    if (!size.ok()) return BadContent("EphemeralStorage.Size", "an integer");
    if (!*size) {
      v->Null("ephemeralStorage.size");
    } else if (CheckRange(**size, kDefaultEphemeralStorageMb, kMaxEphemeralStorageMb, "ephemeralStorage.size", v)) {
      out->ephemeral_storage_mb = static_cast<int>(**size);
    }
  }
  if (auto it = j.find("Environment"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return BadContent("Environment", "an object");
    std::map<std::string, std::string> vars;
    if (auto vit = it->find("Variables"); vit != it->end() && !vit->is_null()) {
      if (!vit->is_object()) return BadContent("Environment.Variables", "an object");
      for (auto& [k, val] : vit->items()) {
        if (!val.is_string()) return BadContent("Environment.Variables." + k, "a string");
        if (!FullMatch(k, kEnvKeyPattern)) {
          v->Add("'" + k + "'", "environment.variables",
                 "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: " +
                     std::string(kEnvKeyPattern) + "]");
        }
        vars[k] = val.get<std::string>();
      }
      std::vector<std::string> reserved;
      for (const auto& [k, val] : vars) {
        for (auto r : kReservedVariables) {
          if (k == r) reserved.push_back(k);
        }
      }
      if (!reserved.empty()) {
        std::string list;
        for (const auto& r : reserved) list += (list.empty() ? "" : ", ") + r;
        return LambdaError::InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment variables you have "
            "provided contains reserved keys that are currently not supported for modification. Reserved keys used "
            "in this request: " + list);
      }
      std::string measured = vit->dump(-1, ' ', false, Json::error_handler_t::replace);
      if (measured.size() > kMaxEnvironmentBytes) {
        return LambdaError::InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment variables you have "
            "provided exceeded the 4KB limit. String measured: " + measured);
      }
    }
    out->environment = std::move(vars);
  }
  if (auto it = j.find("Architectures"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return BadContent("Architectures", "an array");
    std::vector<std::string> archs;
    for (const auto& a : *it) {
      if (!a.is_string()) return BadContent("Architectures", "an array of strings");
      archs.push_back(a.get<std::string>());
    }
    std::string shown = "[";
    for (size_t i = 0; i < archs.size(); ++i) shown += (i ? ", " : "") + archs[i];
    shown += "]";
    if (archs.size() != 1) {
      v->Add(Quoted(shown), "architectures",
             archs.empty() ? "Member must have length greater than or equal to 1"
                           : "Member must have length less than or equal to 1");
    } else if (archs[0] != "x86_64" && archs[0] != "arm64") {
      v->Add(Quoted(shown), "architectures",
             "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]");
    } else {
      out->architectures = std::move(archs);
    }
  }
  return LambdaError::Ok();
}

LambdaResult<Json> ParseObject(std::string_view body, bool empty_is_object) {
  if (Trim(body).empty() && empty_is_object) return Json::object();
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return LambdaError::InvalidRequestContentException("Could not parse request body into json: the body is not a "
                                                       "JSON object");
  }
  return j;
}

}  // namespace

nlohmann::ordered_json ToJson(const FunctionConfiguration& c) {
  nlohmann::ordered_json j;
  j["FunctionName"] = c.function_name;
  j["FunctionArn"] = c.function_arn;
  j["Runtime"] = c.runtime;
  j["Role"] = c.role;
  j["Handler"] = c.handler;
  j["CodeSize"] = c.code_size;
  j["Description"] = c.description;
  j["Timeout"] = c.timeout_s;
  j["MemorySize"] = c.memory_mb;
  j["LastModified"] = c.last_modified;
  j["CodeSha256"] = c.code_sha256;
  j["Version"] = c.version;
  if (!c.environment.empty()) {
    nlohmann::ordered_json vars = nlohmann::ordered_json::object();
    for (const auto& [k, v] : c.environment) vars[k] = v;
    j["Environment"] = {{"Variables", vars}};
  }
  j["TracingConfig"] = {{"Mode", "PassThrough"}};
  j["RevisionId"] = c.revision_id;
  j["State"] = c.state;
  if (!c.state_reason.empty()) j["StateReason"] = c.state_reason;
  if (!c.state_reason_code.empty()) j["StateReasonCode"] = c.state_reason_code;
  j["LastUpdateStatus"] = c.last_update_status;
  j["PackageType"] = c.package_type;
  j["Architectures"] = c.architectures;
  j["EphemeralStorage"] = {{"Size", c.ephemeral_storage_mb}};
  return j;
}

LambdaResult<FunctionConfiguration> FunctionConfigurationFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return LambdaError::InvalidRequestContentException("a function configuration must be an object");
  FunctionConfiguration c;
  auto str = [&](const char* key, std::string* out) -> LambdaError {
    auto v = GetString(j, key);
    if (!v.ok()) return v.error();
    if (*v) *out = **v;
    return LambdaError::Ok();
  };
  auto num = [&](const char* key, auto* out) -> LambdaError {
    auto v = GetInt(j, key);
    if (!v.ok()) return v.error();
    if (*v) *out = static_cast<std::remove_reference_t<decltype(*out)>>(**v);
    return LambdaError::Ok();
  };
  for (LambdaError e :
       {str("FunctionName", &c.function_name), str("FunctionArn", &c.function_arn), str("Runtime", &c.runtime),
        str("Role", &c.role), str("Handler", &c.handler), num("CodeSize", &c.code_size),
        str("CodeSha256", &c.code_sha256), str("Description", &c.description), num("Timeout", &c.timeout_s),
        num("MemorySize", &c.memory_mb), str("LastModified", &c.last_modified), str("Version", &c.version),
        str("RevisionId", &c.revision_id), str("State", &c.state), str("StateReason", &c.state_reason),
        str("StateReasonCode", &c.state_reason_code), str("LastUpdateStatus", &c.last_update_status),
        str("PackageType", &c.package_type)}) {
    if (!e.ok()) return e;
  }
  if (auto it = j.find("Architectures"); it != j.end() && it->is_array()) {
    c.architectures.clear();
    for (const auto& a : *it) {
      if (a.is_string()) c.architectures.push_back(a.get<std::string>());
    }
  }
  if (auto it = j.find("Environment"); it != j.end() && it->is_object()) {
    if (auto v = it->find("Variables"); v != it->end() && v->is_object()) {
      for (auto& [k, val] : v->items()) {
        if (val.is_string()) c.environment[k] = val.get<std::string>();
      }
    }
  }
  if (auto it = j.find("EphemeralStorage"); it != j.end() && it->is_object()) {
    if (auto s = it->find("Size"); s != it->end() && s->is_number_integer()) c.ephemeral_storage_mb = s->get<int>();
  }
  return c;
}

LambdaResult<CreateFunctionInput> ParseCreateFunctionInput(std::string_view body) {
  auto parsed = ParseObject(body, true);
  if (!parsed.ok()) return parsed.error();
  const Json& j = *parsed;
  Violations v;
  CreateFunctionInput in;

  auto name = GetString(j, "FunctionName");
  if (!name.ok()) return name.error();
  if (!*name) {
    v.Null("functionName");
  } else {
    auto ref = ParseFunctionName(**name);
    if (!ref.ok()) return ref.error();
    if (!ref->qualifier.empty()) {
      return LambdaError::InvalidParameterValueException("CreateFunction takes a function name without a qualifier: " +
                                                         **name);
    }
    in.function_name = ref->name;
  }

  CommonMembers common;
  if (LambdaError e = ReadCommon(j, &v, &common); !e.ok()) return e;
  if (!common.role) v.Null("role");

  // Code: exactly one source.
  auto code_it = j.find("Code");
  if (code_it == j.end() || code_it->is_null()) {
    v.Null("code");
  } else if (!code_it->is_object()) {
    return BadContent("Code", "an object");
  }
  auto package_type = GetString(j, "PackageType");
  if (!package_type.ok()) return package_type.error();
  if (*package_type && **package_type != "Zip") {
    if (**package_type == "Image") {
      return LambdaError::InvalidParameterValueException("faasnet runs Zip functions only (PackageType Image is not "
                                                         "supported).");
    }
    v.Add(Quoted(**package_type), "packageType", "Member must satisfy enum value set: [Image, Zip]");
  }
  if (auto publish = j.find("Publish"); publish != j.end() && !publish->is_null()) {
    if (!publish->is_boolean()) return BadContent("Publish", "a boolean");
    in.publish = publish->get<bool>();
  }
  if (!v.empty()) return v.Error();

  if (!common.runtime) {
    return LambdaError::InvalidParameterValueException(
        "Runtime and Handler are mandatory parameters for functions created with deployment packages.");
  }
  if (LambdaError e = ValidateRuntime(*common.runtime); !e.ok()) return e;
  if (IsPythonRuntime(*common.runtime) && !common.handler) {
    return LambdaError::InvalidParameterValueException(
        "Runtime and Handler are mandatory parameters for functions created with deployment packages.");
  }

  const Json& code = *code_it;
  auto zip = GetString(code, "ZipFile");
  auto local = GetString(code, "faasnetLocalPath");
  auto bucket = GetString(code, "S3Bucket");
  auto key = GetString(code, "S3Key");
  auto image = GetString(code, "ImageUri");
  for (const auto* r : {&zip, &local, &bucket, &key, &image}) {
    if (!r->ok()) return r->error();
  }
  if (*image) {
    return LambdaError::InvalidParameterValueException("faasnet runs Zip functions only (Code.ImageUri is not "
                                                       "supported).");
  }
  std::optional<std::string> local_path = *local;
  if (*bucket || *key) {
    if (*bucket && **bucket == kLocalPathBucket && *key) {
      if (local_path) {
        return LambdaError::InvalidParameterValueException("Please provide only one source for function code.");
      }
      local_path = **key;
    } else {
      return LambdaError::InvalidParameterValueException(
          "faasnet does not fetch code from S3. Send Code.ZipFile, or a local directory as Code.faasnetLocalPath or "
          "as S3Bucket=" + std::string(kLocalPathBucket) + ",S3Key=/absolute/directory.");
    }
  }
  if (*zip && local_path) {
    return LambdaError::InvalidParameterValueException("Please provide only one source for function code.");
  }
  if (!*zip && !local_path) {
    return LambdaError::InvalidParameterValueException("Please provide a source for function code.");
  }
  if (*zip) {
    auto bytes = Base64Decode(**zip);
    if (!bytes) {
      return LambdaError::InvalidRequestContentException("Could not parse request body into json: Code.ZipFile is "
                                                         "not valid base64");
    }
    in.code.zip_file = std::move(*bytes);
  } else {
    if (local_path->empty() || local_path->front() != '/') {
      return LambdaError::InvalidParameterValueException("The local code directory must be an absolute path: '" +
                                                         *local_path + "'");
    }
    in.code.local_path = *local_path;
  }

  if (auto it = j.find("Tags"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return BadContent("Tags", "an object");
    if (it->size() > 50) return LambdaError::InvalidParameterValueException("A function can have at most 50 tags.");
    for (const auto& [k, val] : it->items()) {
      if (!val.is_string()) return BadContent("Tags." + k, "a string");
      in.tags[k] = val.get<std::string>();
    }
  }
  in.runtime = *common.runtime;
  in.role = *common.role;
  if (common.handler) in.handler = *common.handler;
  if (common.description) in.description = *common.description;
  if (common.timeout_s) in.timeout_s = *common.timeout_s;
  if (common.memory_mb) in.memory_mb = *common.memory_mb;
  if (common.environment) in.environment = std::move(*common.environment);
  if (common.architectures) in.architectures = std::move(*common.architectures);
  if (common.ephemeral_storage_mb) in.ephemeral_storage_mb = *common.ephemeral_storage_mb;
  return in;
}

FunctionConfiguration NewConfiguration(const CreateFunctionInput& in, std::string_view region,
                                       std::chrono::system_clock::time_point now) {
  FunctionConfiguration c;
  c.function_name = in.function_name;
  c.function_arn = FunctionArn(region, in.function_name);
  c.runtime = in.runtime;
  c.role = in.role;
  c.handler = in.handler;
  c.description = in.description;
  c.timeout_s = in.timeout_s;
  c.memory_mb = in.memory_mb;
  c.environment = in.environment;
  c.tags = in.tags;
  c.architectures = in.architectures;
  c.ephemeral_storage_mb = in.ephemeral_storage_mb;
  c.last_modified = FormatLastModified(now);
  c.revision_id = NewRevisionId();
  return c;
}

LambdaResult<UpdateFunctionConfigurationInput> ParseUpdateFunctionConfigurationInput(std::string_view body) {
  auto parsed = ParseObject(body, true);
  if (!parsed.ok()) return parsed.error();
  Violations v;
  CommonMembers common;
  if (LambdaError e = ReadCommon(*parsed, &v, &common); !e.ok()) return e;
  if (!v.empty()) return v.Error();
  if (common.runtime) {
    if (LambdaError e = ValidateRuntime(*common.runtime); !e.ok()) return e;
  }
  if (common.architectures) {
    return LambdaError::InvalidParameterValueException(
        "Architectures cannot be changed by UpdateFunctionConfiguration; use UpdateFunctionCode.");
  }
  auto revision = GetString(*parsed, "RevisionId");
  if (!revision.ok()) return revision.error();
  UpdateFunctionConfigurationInput u;
  u.runtime = std::move(common.runtime);
  u.role = std::move(common.role);
  u.handler = std::move(common.handler);
  u.description = std::move(common.description);
  u.timeout_s = common.timeout_s;
  u.memory_mb = common.memory_mb;
  u.environment = std::move(common.environment);
  u.ephemeral_storage_mb = common.ephemeral_storage_mb;
  if (*revision) u.revision_id = **revision;
  return u;
}

LambdaError ApplyUpdate(const UpdateFunctionConfigurationInput& u, std::chrono::system_clock::time_point now,
                        FunctionConfiguration* c) {
  if (!u.revision_id.empty() && u.revision_id != c->revision_id) return LambdaError::PreconditionFailedException();
  if (u.runtime) c->runtime = *u.runtime;
  if (u.role) c->role = *u.role;
  if (u.handler) c->handler = *u.handler;
  if (u.description) c->description = *u.description;
  if (u.timeout_s) c->timeout_s = *u.timeout_s;
  if (u.memory_mb) c->memory_mb = *u.memory_mb;
  if (u.environment) c->environment = *u.environment;
  if (u.ephemeral_storage_mb) c->ephemeral_storage_mb = *u.ephemeral_storage_mb;
  c->last_modified = FormatLastModified(now);
  c->revision_id = NewRevisionId();
  c->last_update_status = "Successful";
  return LambdaError::Ok();
}

LambdaResult<FunctionRef> ParseFunctionName(std::string_view text) {
  auto invalid = [&](std::string_view constraint) {
    Violations v;
    v.Add(Quoted(text), "functionName", constraint);
    return v.Error();
  };
  auto pattern = [&] { return invalid("Member must satisfy regular expression pattern: " + std::string(kFunctionNamePattern)); };
  if (text.empty()) return invalid("Member must have length greater than or equal to 1");
  if (text.size() > 170) return invalid("Member must have length less than or equal to 170");
  std::vector<std::string_view> parts = Split(text, ':');
  size_t i = 0;
  bool qualified_form = false;  // an ARN or partial ARN
  if (parts[0] == "arn") {
    // arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]
    if (parts.size() < 7 || parts.size() > 8 || parts[1].substr(0, 3) != "aws" || parts[2] != "lambda" ||
        parts[3].empty() || parts[4].size() != 12 || parts[5] != "function") {
      return pattern();
    }
    i = 4;
    qualified_form = true;
  } else if (parts.size() >= 3 && parts[1] == "function") {
    i = 0;  // <account>:function:<name>[:<qualifier>]
    if (parts[0].size() != 12 || parts.size() > 4) return pattern();
    qualified_form = true;
  }
  if (qualified_form) {
    if (!std::all_of(parts[i].begin(), parts[i].end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      return pattern();
    }
    i += 2;  // past the account and "function"
  } else if (parts[0] == "function" && parts.size() >= 2) {
    i = 1;
  }
  if (parts.size() - i > 2) return pattern();
  FunctionRef ref;
  ref.name = std::string(parts[i]);
  if (parts.size() - i == 2) ref.qualifier = std::string(parts[i + 1]);
  if (ref.name.empty() || !std::all_of(ref.name.begin(), ref.name.end(), IsNameChar)) return pattern();
  if (!qualified_form && ref.name.size() > 64 && parts.size() == 1) {
    return invalid("Member must have length less than or equal to 64");
  }
  if (ref.name.size() > 64) return pattern();
  if (parts.size() - i == 2) {
    const std::string& q = ref.qualifier;
    bool ok = q == kLatest || (!q.empty() && q.size() <= 128 && std::all_of(q.begin(), q.end(), IsNameChar));
    if (!ok) return pattern();
  }
  return ref;
}

std::string FunctionArn(std::string_view region, std::string_view name) {
  return "arn:aws:lambda:" + std::string(region) + ":" + std::string(kAccountId) + ":function:" + std::string(name);
}

LambdaError FunctionNotFound(std::string_view region, std::string_view name) {
  return LambdaError::ResourceNotFoundException("Function not found: " + FunctionArn(region, name));
}

LambdaError FunctionAlreadyExists(std::string_view name) {
  return LambdaError::ResourceConflictException("Function already exist: " + std::string(name));
}

bool IsPythonRuntime(std::string_view runtime) {
  constexpr std::string_view kPrefix = "python3.";
  if (runtime.size() <= kPrefix.size() || runtime.substr(0, kPrefix.size()) != kPrefix) return false;
  std::string_view minor = runtime.substr(kPrefix.size());
  return std::all_of(minor.begin(), minor.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

bool IsProvidedRuntime(std::string_view runtime) {
  return runtime == "provided" || runtime == "provided.al2" || runtime == "provided.al2023";
}

LambdaError ValidateRuntime(std::string_view runtime) {
  if (IsPythonRuntime(runtime) || IsProvidedRuntime(runtime)) return LambdaError::Ok();
  return LambdaError::InvalidParameterValueException(
      "The runtime parameter of " + std::string(runtime) +
      " is not supported by faasnet. Supported runtimes: provided, provided.al2, provided.al2023, python3.x (any "
      "minor version, e.g. python3.12, run by this machine's python3).");
}

std::string FormatLastModified(std::chrono::system_clock::time_point t) {
  std::string s = s3::FormatIso8601(t);  // "2013-05-24T00:00:00.000Z"
  if (!s.empty() && s.back() == 'Z') s.pop_back();
  return s + "+0000";
}

std::string CodeSha256(std::string_view zip_bytes) { return Base64Encode(s3::Sha256::Of(zip_bytes)); }

std::string NewRequestId() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    // OpenSSL's RNG does not fail on Linux once seeded; never hand out a fixed id anyway.
    static std::atomic<uint64_t> n{0};
    uint64_t v = n.fetch_add(1) ^ static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    for (int i = 0; i < 16; ++i) b[i] = static_cast<unsigned char>(v >> ((i % 8) * 8));
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string hex = HexEncode(std::string_view(reinterpret_cast<const char*>(b), sizeof b));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

}  // namespace faasnet::lambda
