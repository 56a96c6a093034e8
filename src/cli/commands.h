// Registration of the subcommands and what they share: the exit code of a
// Status, credentials files, and waiting for SIGINT/SIGTERM.
#ifndef FAASNET_CLI_COMMANDS_H_
#define FAASNET_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "base/status.h"
#include "s3/credentials.h"

namespace faasnet::cli {

// A subcommand stores its action here; Main runs it after parsing.
using Action = std::function<int()>;

void AddStoreCommand(CLI::App& app, Action* action);
void AddDatasetCommand(CLI::App& app, Action* action);
void AddRunCommand(CLI::App& app, Action* action);
void AddRegionCommand(CLI::App& app, Action* action);
void AddQuickstartCommand(CLI::App& app, Action* action);
void AddCloudCommand(CLI::App& app, Action* action);

// A file of the source tree (runtime/..., scenarios/...): next to the binary's
// build directory when run from build/, else where it was built from.
std::string SourcePath(const std::string& relative);
void AddReportCommand(CLI::App& app, Action* action);  // report and plan

// Prints "faasnet: <message>" to stderr and returns the exit code for `st`.
int Fail(const Status& st);
int ExitCodeFor(const Status& st);

// Reads an AWS shared-credentials file. When `path` is empty, creates (once)
// `default_path` with a fresh random profile "default" (mode 0600) and says
// so on stderr. Returns the parsed profiles.
Result<std::vector<s3::Profile>> LoadOrCreateCredentials(const std::string& path, const std::string& default_path);
// The profile `name` of `profiles`, with a clear error when missing.
Result<s3::Credentials> PickProfile(const std::vector<s3::Profile>& profiles, const std::string& name,
                                    const std::string& path);

// Credentials for a client: --credentials FILE's `profile`; without a file,
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, then AWS_SHARED_CREDENTIALS_FILE or
// ~/.aws/credentials, as the AWS tools look them up.
Result<s3::Credentials> ResolveCredentials(const std::string& file, const std::string& profile);

// Blocks SIGINT and SIGTERM in this thread and the threads it starts later;
// call before starting servers. WaitForStopSignal() then returns the signal.
void BlockStopSignals();
int WaitForStopSignal();

}  // namespace faasnet::cli

#endif  // FAASNET_CLI_COMMANDS_H_
