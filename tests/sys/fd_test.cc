#include "sys/fd.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>

namespace faasnet::sys {
namespace {

class FdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = MakeTempDir("faasnet-fd-test-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_ = *dir;
  }
  void TearDown() override { ASSERT_TRUE(RemoveTree(dir_).ok()); }
  std::string dir_;
};

TEST_F(FdTest, UniqueFdClosesAndMoves) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    UniqueFd a(raw);
    UniqueFd b(std::move(a));
    EXPECT_FALSE(a.valid());
    EXPECT_EQ(b.get(), raw);
    UniqueFd c;
    c = std::move(b);
    EXPECT_EQ(c.get(), raw);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);  // closed exactly once
  UniqueFd d(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  int released = d.Release();
  EXPECT_FALSE(d.valid());
  EXPECT_EQ(::close(released), 0);
}

TEST_F(FdTest, CreateReadWriteRoundTrip) {
  std::string f = dir_ + "/a";
  ASSERT_TRUE(CreateFile(f, "hello\n").ok());
  auto text = ReadFile(f);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "hello\n");
  ASSERT_TRUE(WriteFile(f, "42").ok());  // truncates
  auto v = ReadUint64File(f);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 42u);
  ASSERT_TRUE(WriteFile(f, "max\n").ok());
  EXPECT_EQ(*ReadUint64File(f), UINT64_MAX);
}

TEST_F(FdTest, WriteFileNeverCreates) {
  std::string f = dir_ + "/missing";
  Status st = WriteFile(f, "1");
  EXPECT_EQ(st.code(), Status::Code::kNotFound);
  EXPECT_NE(st.message().find(f), std::string::npos) << st.message();
  EXPECT_FALSE(PathExists(f));
}

TEST_F(FdTest, ErrorsNameOperationAndPath) {
  auto r = ReadFile(dir_ + "/nope");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(r.status().message(), "open " + dir_ + "/nope: No such file or directory");
  ASSERT_TRUE(CreateFile(dir_ + "/bad", "12x").ok());
  auto v = ReadUint64File(dir_ + "/bad");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("12x"), std::string::npos);
  ASSERT_TRUE(CreateFile(dir_ + "/big", std::string(5000, 'x')).ok());
  EXPECT_FALSE(ReadFile(dir_ + "/big", 4096).ok());
}

TEST_F(FdTest, DirectoriesAndTrees) {
  ASSERT_TRUE(MakeDirs(dir_ + "/x/y/z").ok());
  ASSERT_TRUE(MakeDirs(dir_ + "/x/y/z").ok());  // idempotent
  ASSERT_TRUE(CreateFile(dir_ + "/x/y/f", "").ok());
  ASSERT_EQ(::symlink("/dev/null", (dir_ + "/x/link").c_str()), 0);
  auto names = ListDir(dir_ + "/x/y");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->size(), 2u);
  EXPECT_FALSE(MakeDir(dir_ + "/x", 0755, /*exist_ok=*/false).ok());
  ASSERT_TRUE(RemoveTree(dir_ + "/x").ok());
  EXPECT_FALSE(PathExists(dir_ + "/x"));
  EXPECT_TRUE(RemoveTree(dir_ + "/x").ok());  // absent is fine
  EXPECT_EQ(ListDir(dir_ + "/x").status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace faasnet::sys
