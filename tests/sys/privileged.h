// Shared by the privileged sys tests: the root check and unique names.
//
// Outside CI a test without root skips with the reason printed; with CI=true
// it fails loudly, so CI cannot go green by skipping.
#ifndef FAASNET_TESTS_SYS_PRIVILEGED_H_
#define FAASNET_TESTS_SYS_PRIVILEGED_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

namespace faasnet::sys::testing {

inline bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

// "faasnet-t<pid>-<tag>": namespace names of this test process only.
inline std::string TestName(const std::string& tag) { return "faasnet-t" + std::to_string(::getpid()) + "-" + tag; }

// "faasnet/t<pid>": this test process's cgroup subtree.
inline std::string TestCgroupRoot() { return "faasnet/t" + std::to_string(::getpid()); }

}  // namespace faasnet::sys::testing

#define FAASNET_REQUIRE_ROOT()                                                                  \
  do {                                                                                          \
    if (::geteuid() != 0) {                                                                     \
      if (::faasnet::sys::testing::InCi()) {                                                    \
        FAIL() << "privileged test needs root and CI=true: run ctest as root";                  \
      }                                                                                         \
      std::cerr << "[  SKIPPED ] needs root (netns, cgroups, tc); run as root to include it\n"; \
      GTEST_SKIP() << "needs root (netns, cgroups, tc); run as root to include it";             \
    }                                                                                           \
  } while (0)

#endif  // FAASNET_TESTS_SYS_PRIVILEGED_H_
