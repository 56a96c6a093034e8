// A cold start's kernel work runs off the Invoke API's executor: with a host
// whose sandbox creation blocks for a while, the thread that called Invoke
// keeps running other work meanwhile (no root: the host is a fake).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <filesystem>

#include "region/region.h"

namespace faasnet::region {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// A host whose CreateSandbox blocks for `delay` and then fails.
class SlowHost final : public sandbox::Host {
 public:
  explicit SlowHost(std::chrono::milliseconds delay) : delay_(delay) {}
  const std::string& id() const override { return id_; }
  const std::string& gateway_ip() const override { return ip_; }
  const std::string& cgroup_path() const override { return empty_; }
  Result<std::unique_ptr<sandbox::Sandbox>> CreateSandbox(const sandbox::SandboxSpec&) override {
    calls_++;
    std::this_thread::sleep_for(delay_);
    return Status::Unavailable("the test host makes no sandboxes");
  }
  Status Destroy() override { return Status::Ok(); }
  std::atomic<int> calls_{0};

 private:
  std::chrono::milliseconds delay_;
  std::string id_ = "h0", ip_ = "127.0.0.1", empty_;
};

TEST(ColdStartTest, SandboxCreationDoesNotBlockTheCallersExecutor) {
  auto dir = std::filesystem::temp_directory_path() / ("faasnet-cold-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "code");
  RegionOptions o;
  o.work_dir = (dir / "region").string();
  o.python_bootstrap = "/nonexistent/bootstrap.py";
  auto host = std::make_unique<SlowHost>(std::chrono::milliseconds(400));
  SlowHost* raw = host.get();
  std::vector<std::unique_ptr<sandbox::Host>> hosts;
  hosts.push_back(std::move(host));
  auto region = Region::Create(o, std::move(hosts));
  ASSERT_TRUE(region.ok()) << region.status().ToString();
  lambda::CreateFunctionInput in;
  in.function_name = "f";
  in.runtime = "python3.11";
  in.handler = "app.handler";
  in.role = "arn:aws:iam::000000000000:role/x";
  in.code.local_path = (dir / "code").string();
  ASSERT_TRUE((*region)->CreateFunction(in).ok());

  // One thread, as an API server's executor: an invoke (a cold start) and a
  // 50 ms timer share it.
  asio::io_context ioc;
  auto start = Clock::now();
  Clock::time_point timer_fired{}, invoke_done{};
  std::optional<lambda::LambdaResult<lambda::InvokeResult>> result;
  lambda::InvokeRequest req;
  req.function_name = "f";
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        result = co_await (*region)->Invoke(req);
        invoke_done = Clock::now();
      },
      asio::detached);
  asio::steady_timer timer(ioc, std::chrono::milliseconds(50));
  timer.async_wait([&](boost::system::error_code) { timer_fired = Clock::now(); });
  ioc.run();

  EXPECT_EQ(raw->calls_.load(), 1);
  ASSERT_TRUE(result.has_value());
  ASSERT_FALSE(result->ok());
  EXPECT_EQ(result->error().type, "ServiceException");
  EXPECT_GE(invoke_done - start, std::chrono::milliseconds(400));
  // The timer ran while the sandbox was being made, not after.
  EXPECT_LT(timer_fired - start, std::chrono::milliseconds(300));
  (*region)->Shutdown();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace faasnet::region
