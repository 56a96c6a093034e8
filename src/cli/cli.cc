#include "cli/cli.h"

#include <iostream>

#include "base/log.h"
#include "cli/commands.h"

namespace faasnet::cli {

int ExitCodeFor(const Status& st) {
  switch (st.code()) {
    case Status::Code::kOk: return kExitOk;
    case Status::Code::kInvalidArgument: return kExitUsage;
    case Status::Code::kPermissionDenied:
    case Status::Code::kFailedPrecondition:
    case Status::Code::kUnimplemented:
      return kExitEnvironment;
    case Status::Code::kUnavailable:
      return st.message().find("listen on") != std::string::npos ? kExitEnvironment : kExitFailure;
    default: return kExitFailure;
  }
}

int Fail(const Status& st) {
  std::cerr << "faasnet: " << st.message() << "\n";
  return ExitCodeFor(st);
}

int Main(int argc, char** argv) {
  CLI::App app{"faasnet: the network behaviour of serverless functions, visible, reproducible and predictable."};
  app.footer(
      "Exit codes: 0 success (servers: stopped by SIGINT/SIGTERM), 1 the work failed, 2 invalid usage or input,\n"
      "3 the environment is not ready (address in use, directory not writable, missing privilege or tool).\n"
      "Run 'faasnet COMMAND --help' for a command's options.");
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")->capture_default_str();
  app.set_version_flag("--version", VersionString());
  Action action;
  AddRunCommand(app, &action);
  AddQuickstartCommand(app, &action);
  AddCloudCommand(app, &action);
  AddRegionCommand(app, &action);
  AddStoreCommand(app, &action);
  AddDatasetCommand(app, &action);
  AddReportCommand(app, &action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  InitLogging(log_level);
  if (!action) return kExitUsage;
  return action();
}

}  // namespace faasnet::cli
