#include "bwoc/core/work_queue.h"

#include <sched.h>

#include <algorithm>

namespace bwoc {

std::size_t usable_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

WorkQueue::WorkQueue(std::size_t threads, std::size_t max_queued) : max_queued_(max_queued) {
  for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) threads_.emplace_back([this] { run(); });
}

WorkQueue::~WorkQueue() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  room_.notify_all();
  for (std::thread& t : threads_) t.join();
}

bool WorkQueue::try_post(std::function<void()> work) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(work));
  }
  cv_.notify_one();
  return true;
}

void WorkQueue::post(std::function<void()> work) {
  {
    std::unique_lock lock(mu_);
    room_.wait(lock, [this] { return stopping_ || queue_.size() < max_queued_; });
    if (stopping_) {
      lock.unlock();
      work();  // shutting down: run it here rather than lose it
      return;
    }
    queue_.push_back(std::move(work));
  }
  cv_.notify_one();
}

void WorkQueue::run() {
  for (;;) {
    std::function<void()> work;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    room_.notify_one();
    work();
  }
}

}  // namespace bwoc
