// Lambda's data model as the API carries it: a function's configuration, the
// inputs of CreateFunction and UpdateFunctionConfiguration, function names and
// ARNs, runtime identifiers, and their JSON forms with Lambda's validation.
//
// JSON follows Lambda's REST API (member names as in the API reference, e.g.
// "MemorySize"). Validation answers with the messages Lambda's front end uses:
//   shape constraints (ranges, lengths, patterns, required members) ->
//     ValidationException "1 validation error detected: Value '99' at
//     'memorySize' failed to satisfy constraint: Member must have value greater
//     than or equal to 128" (all violations of a request, joined with "; ");
//   semantic checks (runtime, code source, reserved environment variables) ->
//     InvalidParameterValueException;
//   a body that is not a JSON object, or a member of the wrong JSON type ->
//     InvalidRequestContentException.
//
// faasnet extensions (documented, outside Lambda's model):
//   - Code.faasnetLocalPath: an absolute directory used as the function's code
//     in place (no zip). botocore refuses unknown members, so for awscli/boto3
//     the same is spelled Code {S3Bucket: "faasnet-local", S3Key: "/abs/dir"}
//     (`aws lambda create-function --code S3Bucket=faasnet-local,S3Key=/abs/dir`).
//     Other S3 locations are refused (faasnet does not fetch code from S3).
//   - Runtimes: provided, provided.al2, provided.al2023 and python3.<minor> (any
//     minor, run by the machine's python3); nothing else.
//
// Ownership: plain values. Thread-safety: values; the free functions are pure
// (NewRequestId/NewRevisionId read OpenSSL's thread-safe RNG).
#ifndef FAASNET_LAMBDA_MODEL_H_
#define FAASNET_LAMBDA_MODEL_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lambda/errors.h"

namespace faasnet::lambda {

inline constexpr std::string_view kAccountId = "000000000000";  // in every ARN
inline constexpr std::string_view kLatest = "$LATEST";
inline constexpr int kDefaultTimeoutS = 3;
inline constexpr int kMaxTimeoutS = 900;
inline constexpr int kDefaultMemoryMb = 128;
inline constexpr int kMinMemoryMb = 128;
inline constexpr int kMaxMemoryMb = 10240;
inline constexpr int kDefaultEphemeralStorageMb = 512;
inline constexpr int kMaxEphemeralStorageMb = 10240;
inline constexpr size_t kMaxEnvironmentBytes = 4096;  // all keys and values together
// Code {S3Bucket: kLocalPathBucket, S3Key: "/abs/dir"}: a local directory (see above).
inline constexpr std::string_view kLocalPathBucket = "faasnet-local";

// GetFunctionConfiguration's answer (and CreateFunction's, and each element of
// ListFunctions). Defaults are Lambda's for a new function.
struct FunctionConfiguration {
  std::string function_name;
  std::string function_arn;  // FunctionArn(region, function_name)
  std::string runtime;
  std::string role;
  std::string handler;
  int64_t code_size = 0;    // bytes of the zip (0 for a local directory)
  std::string code_sha256;  // CodeSha256(zip): base64 of the SHA-256 of the zip
  std::string description;
  int timeout_s = kDefaultTimeoutS;
  int memory_mb = kDefaultMemoryMb;
  std::string last_modified;  // FormatLastModified(): "2019-07-01T12:00:00.000+0000"
  std::string version = std::string(kLatest);
  std::string revision_id;  // NewRevisionId(), renewed on every change
  std::string state = "Active";  // Pending | Active | Inactive | Failed
  std::string state_reason;       // omitted from JSON when empty
  std::string state_reason_code;  // omitted from JSON when empty
  std::string last_update_status = "Successful";
  std::string package_type = "Zip";
  std::vector<std::string> architectures = {"x86_64"};
  std::map<std::string, std::string> environment;  // Environment.Variables; omitted when empty
  int ephemeral_storage_mb = kDefaultEphemeralStorageMb;
  // CreateFunction's Tags; GetFunction answers them as a top-level "Tags"
  // (as Lambda does). Not part of the configuration JSON.
  std::map<std::string, std::string> tags;
  // faasnet: the directory holding the function's code; GetFunction reports it
  // as Code.Location "file://<code_dir>". Not part of the configuration JSON.
  std::string code_dir;
};

// The Configuration JSON object (member names and spelling as Lambda).
nlohmann::ordered_json ToJson(const FunctionConfiguration& config);
// Client side: reads a configuration object (unknown members ignored).
// Error: InvalidRequestContentException when not an object or a member has the wrong type.
LambdaResult<FunctionConfiguration> FunctionConfigurationFromJson(const nlohmann::json& j);

// Where CreateFunction's code comes from: exactly one of the two is set.
struct FunctionCode {
  std::string zip_file;    // the zip's bytes (Code.ZipFile, base64-decoded)
  std::string local_path;  // an absolute directory (Code.faasnetLocalPath / S3Bucket=faasnet-local)
};

struct CreateFunctionInput {
  std::string function_name;  // the bare name (an ARN in the request is reduced to it)
  std::string runtime;        // validated: provided* or python3.x
  std::string role;
  std::string handler;  // required for python3.x, optional for provided*
  std::string description;
  int timeout_s = kDefaultTimeoutS;
  int memory_mb = kDefaultMemoryMb;
  std::map<std::string, std::string> environment;
  std::vector<std::string> architectures = {"x86_64"};
  int ephemeral_storage_mb = kDefaultEphemeralStorageMb;
  FunctionCode code;
  std::map<std::string, std::string> tags;  // Tags (string values; at most 50)
  bool publish = false;  // accepted and ignored (faasnet has only $LATEST)
};

// Parses and validates a CreateFunction body. Unknown members are ignored.
// Errors as in the header comment; e.g. ValidationException for a missing
// FunctionName/Role/Code or MemorySize 99; InvalidParameterValueException for
// an unknown runtime, a missing handler (python), no or two code sources, an
// S3 location, PackageType Image, a relative local path, reserved or too large
// environment variables; InvalidRequestContentException for bad JSON or base64.
LambdaResult<CreateFunctionInput> ParseCreateFunctionInput(std::string_view body);

// A new function's configuration from its input: name, ARN, settings,
// LastModified = `now`, a fresh RevisionId. Code fields (CodeSize,
// CodeSha256, code_dir) are left for the caller, which has the code.
FunctionConfiguration NewConfiguration(const CreateFunctionInput& input, std::string_view region,
                                       std::chrono::system_clock::time_point now);

// UpdateFunctionConfiguration's body: only the members present are changed.
struct UpdateFunctionConfigurationInput {
  std::optional<std::string> runtime;
  std::optional<std::string> role;
  std::optional<std::string> handler;
  std::optional<std::string> description;
  std::optional<int> timeout_s;
  std::optional<int> memory_mb;
  std::optional<std::map<std::string, std::string>> environment;  // replaces all variables
  std::optional<int> ephemeral_storage_mb;
  std::string revision_id;  // when set, must equal the function's (checked by ApplyUpdate)
};
// Parses and validates the body (same rules and errors as CreateFunction's
// members). An empty body or {} is a valid no-op update.
LambdaResult<UpdateFunctionConfigurationInput> ParseUpdateFunctionConfigurationInput(std::string_view body);
// Applies `update` to `config`: changes the given members, sets LastModified
// = `now` and a new RevisionId. Error (config unchanged):
// PreconditionFailedException (412) when update.revision_id is set and differs.
LambdaError ApplyUpdate(const UpdateFunctionConfigurationInput& update, std::chrono::system_clock::time_point now,
                        FunctionConfiguration* config);

// A function as an API path names it.
struct FunctionRef {
  std::string name;       // the bare name, [a-zA-Z0-9-_]{1,64}
  std::string qualifier;  // "" when none; else "$LATEST", a version or an alias
};
// Accepts "name", "name:qualifier", "123456789012:function:name[:qualifier]"
// and "arn:aws:lambda:<region>:<account>:function:name[:qualifier]".
// Error: ValidationException naming 'functionName' and Lambda's pattern, or
// its length limit (64 for a bare name, 170 for an ARN).
LambdaResult<FunctionRef> ParseFunctionName(std::string_view text);

// "arn:aws:lambda:<region>:000000000000:function:<name>".
std::string FunctionArn(std::string_view region, std::string_view name);
// ResourceNotFoundException "Function not found: <arn>" (Lambda's text).
LambdaError FunctionNotFound(std::string_view region, std::string_view name);
// ResourceConflictException "Function already exist: <name>" (Lambda's text).
LambdaError FunctionAlreadyExists(std::string_view name);

// Runtimes faasnet runs.
bool IsPythonRuntime(std::string_view runtime);    // python3.<digits>
bool IsProvidedRuntime(std::string_view runtime);  // provided, provided.al2, provided.al2023
// OK for an accepted runtime; else InvalidParameterValueException naming the accepted ones.
LambdaError ValidateRuntime(std::string_view runtime);

// "2019-07-01T12:00:00.000+0000" (UTC, milliseconds).
std::string FormatLastModified(std::chrono::system_clock::time_point t);
// Base64 of the SHA-256 of `zip_bytes`, as Lambda's CodeSha256.
std::string CodeSha256(std::string_view zip_bytes);
// A random UUID v4 ("0f5b2c3e-...") for request ids.
std::string NewRequestId();
// A random UUID v4 for RevisionId.
inline std::string NewRevisionId() { return NewRequestId(); }

}  // namespace faasnet::lambda

#endif  // FAASNET_LAMBDA_MODEL_H_
