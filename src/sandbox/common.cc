#include "sandbox/common.h"

#include "sys/fd.h"

namespace faasnet::sandbox {

Result<sys::SpawnOptions> BaseSpawnOptions(const SandboxSpec& spec, const std::vector<std::string>& extra_env) {
  if (spec.argv.empty()) return Status::InvalidArgument("sandbox " + spec.id + ": no runtime command");
  RETURN_IF_ERROR(sys::MakeDir(spec.work_dir, 0755, true));
  RETURN_IF_ERROR(sys::MakeDir(spec.work_dir + "/tmp", 01777, true));
  sys::SpawnOptions o;
  o.argv = spec.argv;
  o.env = spec.env;
  o.env.insert(o.env.end(), extra_env.begin(), extra_env.end());
  o.cwd = spec.code_dir;
  o.stdout_path = spec.work_dir + "/output.log";
  o.stderr_path = o.stdout_path;
  o.append_output = true;
  return o;
}

Result<std::optional<sys::ExitStatus>> PollProcess(sys::Process& process) {
  return process.Wait(std::chrono::milliseconds(0));
}

}  // namespace faasnet::sandbox
