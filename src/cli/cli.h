// The `faasnet` command line: one binary, one subcommand per capability,
// `--help` on every command. main() (apps/faasnet.cc) only calls Main().
//
// Exit codes (also printed by `faasnet --help`):
//   0  success (for servers: stopped by SIGINT/SIGTERM)
//   1  the work failed (an error while running; the message says what)
//   2  invalid usage or input (unknown flag, malformed file or value)
//   3  the environment is not ready (address in use, directory not writable,
//      missing privilege or tool; the message says how to fix it)
#ifndef FAASNET_CLI_CLI_H_
#define FAASNET_CLI_CLI_H_

namespace faasnet::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitEnvironment = 3;

int Main(int argc, char** argv);

}  // namespace faasnet::cli

#endif  // FAASNET_CLI_CLI_H_
