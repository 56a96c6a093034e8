// Logging: spdlog, set up once by the CLI. Modules call spdlog::info(...) etc.
// directly; this header only holds the set-up and the version string.
#ifndef FAASNET_BASE_LOG_H_
#define FAASNET_BASE_LOG_H_

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace faasnet {

// Log to stderr at `level` ("trace", "debug", "info", "warn", "error", "off").
// Unknown names fall back to "info".
void InitLogging(std::string_view level);

// "0.1.0 (git abc1234)".
std::string VersionString();

}  // namespace faasnet

#endif  // FAASNET_BASE_LOG_H_
