#include "base/status.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace faasnet {
namespace {

TEST(StatusTest, FromErrnoNamesOperationAndObject) {
  Status s = Status::FromErrno(EACCES, "mkdir", "/sys/fs/cgroup/cpu/faasnet");
  EXPECT_EQ(s.code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(s.message(), "mkdir /sys/fs/cgroup/cpu/faasnet: Permission denied");
  EXPECT_EQ(Status::FromErrno(ENOENT, "open", "x").code(), Status::Code::kNotFound);
  EXPECT_EQ(Status::FromErrno(ENOSPC, "write", "x").code(), Status::Code::kResourceExhausted);
}

TEST(StatusTest, WithContextKeepsCode) {
  Status s = Status::NotFound("no such bucket").WithContext("GetObject b/k");
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_EQ(s.ToString(), "NotFound: GetObject b/k: no such bucket");
  EXPECT_TRUE(Status::Ok().WithContext("x").ok());
}

Result<int> Half(int x) {
  if (x % 2) return Status::InvalidArgument("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

TEST(ResultTest, PropagatesErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_FALSE(Quarter(6).ok());
  EXPECT_EQ(Quarter(6).status().message(), "odd");
  EXPECT_TRUE(Quarter(8).status().ok());
}

}  // namespace
}  // namespace faasnet
