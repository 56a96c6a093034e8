// The shipped network profiles (profiles/*.yaml), compiled in: CMake
// generates builtin_profiles.cc from the files (net module internal).
#ifndef FAASNET_NET_BUILTIN_PROFILES_H_
#define FAASNET_NET_BUILTIN_PROFILES_H_

#include <string_view>
#include <vector>

namespace faasnet::net {

struct BuiltinProfile {
  std::string_view name;  // the file's name without .yaml
  std::string_view text;  // its YAML
};

const std::vector<BuiltinProfile>& BuiltinProfiles();

}  // namespace faasnet::net

#endif  // FAASNET_NET_BUILTIN_PROFILES_H_
