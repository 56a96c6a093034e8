// A one-shot event that one coroutine awaits and any thread fires: how an
// invocation waits for its runtime's response (which arrives on another
// server's thread), and how a runtime's long-polling /next waits for work.
//
// Wait() suspends on the caller's own executor (a connection's strand) with
// an optional deadline; Fire() posts the wake-up onto that executor, so the
// waiter is never resumed on a foreign thread. Firing before the wait starts
// is remembered.
//
// Thread-safety: Fire() from any thread; Wait() by one coroutine at a time.
#ifndef FAASNET_REGION_WAITER_H_
#define FAASNET_REGION_WAITER_H_

#include <utility>  // before Asio: its awaitable.hpp uses std::exchange

#include <boost/asio.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

namespace faasnet::region {

class Waiter {
 public:
  using Clock = std::chrono::steady_clock;

  // True when fired, false when `deadline` passed first.
  boost::asio::awaitable<bool> Wait(Clock::time_point deadline = Clock::time_point::max()) {
    auto ex = co_await boost::asio::this_coro::executor;
    std::shared_ptr<boost::asio::steady_timer> timer;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (fired_) co_return true;
      timer = std::make_shared<boost::asio::steady_timer>(ex, deadline);
      timer_ = timer;
    }
    boost::system::error_code ec;
    co_await timer->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    std::lock_guard<std::mutex> lock(mu_);
    timer_.reset();
    co_return fired_;
  }

  void Fire() {
    std::shared_ptr<boost::asio::steady_timer> timer;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (fired_) return;
      fired_ = true;
      timer = timer_;
    }
    if (timer) boost::asio::post(timer->get_executor(), [timer] { timer->cancel(); });
  }

  bool fired() const {
    std::lock_guard<std::mutex> lock(mu_);
    return fired_;
  }

 private:
  mutable std::mutex mu_;
  bool fired_ = false;
  std::shared_ptr<boost::asio::steady_timer> timer_;
};

}  // namespace faasnet::region

#endif  // FAASNET_REGION_WAITER_H_
