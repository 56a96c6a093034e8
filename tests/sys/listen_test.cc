#include "sys/listen.h"

#include <gtest/gtest.h>

namespace faasnet::sys {
namespace {

TEST(Listen, LoopbackPortZeroAndBoundAddress) {
  auto fd = ListenTcp(nullptr, "127.0.0.1", 0);
  ASSERT_TRUE(fd.ok()) << fd.status().ToString();
  auto addr = BoundAddress(fd->get());
  ASSERT_TRUE(addr.ok());
  EXPECT_EQ(addr->rfind("127.0.0.1:", 0), 0u) << *addr;
  EXPECT_NE(*addr, "127.0.0.1:0");
}

TEST(Listen, BadAddressNamesIt) {
  auto fd = ListenTcp(nullptr, "not-an-ip", 0);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(fd.status().message().find("not-an-ip:0"), std::string::npos);
}

}  // namespace
}  // namespace faasnet::sys
