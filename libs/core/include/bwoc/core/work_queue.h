// A fixed set of threads working through a bounded queue: for work that may
// block (running a skill) and must not hold up a transport's own threads.
#ifndef BWOC_CORE_WORK_QUEUE_H_
#define BWOC_CORE_WORK_QUEUE_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace bwoc {

// How many CPUs this thread may run on: its affinity mask (taskset, a
// container's cpuset), not every CPU the machine has. At least 1. The
// default for "one thread per core".
std::size_t usable_cores();

class WorkQueue {
 public:
  WorkQueue(std::size_t threads, std::size_t max_queued);
  ~WorkQueue();  // finishes what is queued, then joins
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // False when the queue is full: the caller answers "busy" instead.
  bool try_post(std::function<void()> work);
  // Waits for room in the queue (the caller's backpressure), then queues.
  // Must not be called from one of this queue's own threads.
  void post(std::function<void()> work);

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable room_;
  std::deque<std::function<void()>> queue_;
  std::size_t max_queued_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace bwoc

#endif  // BWOC_CORE_WORK_QUEUE_H_
