// Helpers shared by the host implementations (sandbox module internal).
#ifndef FAASNET_SANDBOX_COMMON_H_
#define FAASNET_SANDBOX_COMMON_H_

#include <string>
#include <vector>

#include "base/status.h"
#include "sandbox/sandbox.h"
#include "sys/process.h"

namespace faasnet::sandbox {

// Spawn options common to both hosts: argv, env (+ the host's additions),
// cwd = code dir, output to work_dir/output.log, private /tmp = work_dir/tmp.
Result<sys::SpawnOptions> BaseSpawnOptions(const SandboxSpec& spec, const std::vector<std::string>& extra_env);

// Reaps `process` if it has exited (non-blocking).
Result<std::optional<sys::ExitStatus>> PollProcess(sys::Process& process);

}  // namespace faasnet::sandbox

#endif  // FAASNET_SANDBOX_COMMON_H_
