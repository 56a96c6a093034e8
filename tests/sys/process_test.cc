// Process spawning without privileges: argv/env/cwd, redirection, exit
// status, timeouts, kill, rlimits, reaping.
#include "sys/process.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "sys/fd.h"

namespace faasnet::sys {
namespace {

class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = MakeTempDir("faasnet-process-test-");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
  }
  void TearDown() override { ASSERT_TRUE(RemoveTree(dir_).ok()); }

  // Runs `script` under /bin/sh and returns (status, stdout).
  std::pair<ExitStatus, std::string> Sh(const std::string& script, SpawnOptions o = {}) {
    o.argv = {"/bin/sh", "-c", script};
    o.stdout_path = dir_ + "/out";
    auto p = Process::Spawn(o);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (!p.ok()) return {};
    auto st = p->Wait();
    EXPECT_TRUE(st.ok());
    return {*st, ReadFile(dir_ + "/out").value()};
  }

  std::string dir_;
};

TEST_F(ProcessTest, RunsWithArgvAndCapturesStdout) {
  SpawnOptions o;
  o.argv = {"echo", "hello", "world"};  // found in PATH
  o.stdout_path = dir_ + "/out";
  auto p = Process::Spawn(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_GT(p->pid(), 0);
  EXPECT_GE(p->pidfd(), 0);
  auto st = p->Wait();
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->success());
  EXPECT_EQ(st->ToString(), "exited with code 0");
  EXPECT_FALSE(p->running());
  EXPECT_EQ(*ReadFile(dir_ + "/out"), "hello world\n");
  auto again = p->Wait(std::chrono::milliseconds(0));  // same status after reaping
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(again->has_value());
  EXPECT_TRUE((*again)->success());
}

TEST_F(ProcessTest, ExitCodeAndSeparateOrSharedStderr) {
  auto [st, out] = Sh("echo out; echo err >&2; exit 3", [&] {
    SpawnOptions o;
    o.stderr_path = dir_ + "/err";
    return o;
  }());
  EXPECT_TRUE(st.exited);
  EXPECT_EQ(st.code, 3);
  EXPECT_EQ(out, "out\n");
  EXPECT_EQ(*ReadFile(dir_ + "/err"), "err\n");

  SpawnOptions both;
  both.argv = {"/bin/sh", "-c", "echo one; echo two >&2"};
  both.stdout_path = dir_ + "/both";
  both.stderr_path = dir_ + "/both";
  auto p = Process::Spawn(both);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->Wait().ok());
  EXPECT_EQ(*ReadFile(dir_ + "/both"), "one\ntwo\n");
}

TEST_F(ProcessTest, EnvironmentIsExactUnlessInherited) {
  ::setenv("FAASNET_PARENT_VAR", "from-parent", 1);
  SpawnOptions o;
  o.env = {"FOO=bar", "PATH=/usr/bin:/bin"};
  auto [st, out] = Sh("echo \"$FOO:$FAASNET_PARENT_VAR\"", o);
  EXPECT_EQ(out, "bar:\n");
  o.inherit_env = true;
  o.env = {"FOO=baz"};
  auto [st2, out2] = Sh("echo \"$FOO:$FAASNET_PARENT_VAR\"", o);
  EXPECT_EQ(out2, "baz:from-parent\n");
  ::unsetenv("FAASNET_PARENT_VAR");
}

TEST_F(ProcessTest, WorkingDirectoryAndAppend) {
  ASSERT_TRUE(MakeDirs(dir_ + "/work").ok());
  SpawnOptions o;
  o.cwd = dir_ + "/work";
  auto [st, out] = Sh("pwd", o);
  EXPECT_EQ(out, dir_ + "/work\n");
  o.append_output = true;
  auto [st2, out2] = Sh("echo more", o);
  EXPECT_EQ(out2, dir_ + "/work\nmore\n");
}

TEST_F(ProcessTest, FailuresNameTheStep) {
  SpawnOptions o;
  o.argv = {"faasnet-no-such-program"};
  auto p = Process::Spawn(o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Status::Code::kNotFound);

  o.argv = {"/bin/true"};
  o.cwd = dir_ + "/missing";
  p = Process::Spawn(o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "spawn /bin/true: chdir " + dir_ + "/missing: No such file or directory");

  o.cwd.clear();
  o.argv = {dir_ + "/not-executable"};
  ASSERT_TRUE(CreateFile(dir_ + "/not-executable", "#!/bin/sh\n", 0644).ok());
  p = Process::Spawn(o);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("execve"), std::string::npos) << p.status().message();
  EXPECT_EQ(p.status().code(), Status::Code::kPermissionDenied);
}

TEST_F(ProcessTest, WaitTimesOutThenKill) {
  SpawnOptions o;
  o.argv = {"sleep", "30"};
  auto p = Process::Spawn(o);
  ASSERT_TRUE(p.ok());
  auto t0 = std::chrono::steady_clock::now();
  auto w = p->Wait(std::chrono::milliseconds(50));
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE(w->has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(45));
  EXPECT_TRUE(p->running());
  ASSERT_TRUE(p->Kill(SIGTERM).ok());
  auto st = p->Wait();
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st->signaled);
  EXPECT_EQ(st->signal, SIGTERM);
  EXPECT_EQ(st->ToString(), "killed by signal 15 (SIGTERM)");
  EXPECT_TRUE(p->Kill(SIGKILL).ok());  // no-op after reaping
}

TEST_F(ProcessTest, SignalMaskAndIgnoredSignalsAreReset) {
  // Block SIGTERM and ignore SIGPIPE in this thread; the child must start clean.
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  auto old_pipe = ::signal(SIGPIPE, SIG_IGN);
  SpawnOptions o;
  o.argv = {"sleep", "30"};
  auto p = Process::Spawn(o);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ::signal(SIGPIPE, old_pipe);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->Kill(SIGTERM).ok());
  auto st = p->Wait(std::chrono::milliseconds(5000));
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(st->has_value()) << "SIGTERM stayed blocked in the child";
  EXPECT_EQ((*st)->signal, SIGTERM);
}

TEST_F(ProcessTest, DestructorKillsAndReaps) {
  pid_t pid;
  {
    SpawnOptions o;
    o.argv = {"sleep", "30"};
    auto p = Process::Spawn(o);
    ASSERT_TRUE(p.ok());
    pid = p->pid();
    Process moved = std::move(*p);
    EXPECT_FALSE(p->valid());
    EXPECT_TRUE(moved.running());
  }
  // Reaped: not even a zombie is left.
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST_F(ProcessTest, RlimitsAndNewSession) {
  SpawnOptions o;
  o.rlimits = {{RlimitResource::kNofile, 64, 128}};
  auto [st, out] = Sh("ulimit -n; ps -o sid= -p $$ | tr -d ' '; echo $$", o);
  auto lines = out;
  EXPECT_EQ(lines.substr(0, lines.find('\n')), "64");
  // setsid(): the child is its own session leader (sid == pid) when ps exists.
  std::string rest = lines.substr(lines.find('\n') + 1);
  auto nl = rest.find('\n');
  if (nl != std::string::npos && nl > 0) {
    std::string sid = rest.substr(0, nl);
    std::string pid = rest.substr(nl + 1);
    if (!pid.empty() && pid.back() == '\n') pid.pop_back();
    EXPECT_EQ(sid, pid);
  }
}

}  // namespace
}  // namespace faasnet::sys
