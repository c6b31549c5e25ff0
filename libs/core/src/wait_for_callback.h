// Turning an asynchronous call into a synchronous one, for the *_sync
// conveniences: `start` is given the callback to pass on, and this returns
// what that callback was called with (it must be called exactly once).
#ifndef BWOC_CORE_SRC_WAIT_FOR_CALLBACK_H_
#define BWOC_CORE_SRC_WAIT_FOR_CALLBACK_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>

namespace bwoc {

template <class T>
T wait_for_callback(const std::function<void(std::function<void(T)>)>& start) {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<T> result;
  start([&](T value) {
    std::lock_guard lock(mu);
    result = std::move(value);
    cv.notify_one();
  });
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return result.has_value(); });
  return std::move(*result);
}

}  // namespace bwoc

#endif  // BWOC_CORE_SRC_WAIT_FOR_CALLBACK_H_
