// Group commit: items pushed by many threads are handed to one commit thread
// in batches, so that a batch shares one durable step (the receiver: one
// inbox write and one fdatasync for every envelope that arrived together).
//
// A batch is committed once no item has joined it for `lull`, or `max_delay`
// after its first item arrived, or at once when it holds `max_batch`. Under
// light load an item waits one lull; once batches are large (8 or more, a
// sign of load) the next one is committed when it is full or at
// `max_delay`, without looking for lulls.
#ifndef BWOC_CORE_COMMIT_QUEUE_H_
#define BWOC_CORE_COMMIT_QUEUE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace bwoc {

struct CommitQueueOptions {
  std::chrono::microseconds lull{100};
  std::chrono::microseconds max_delay{2000};
  std::size_t max_batch = 256;
};

template <class Item>
class CommitQueue {
 public:
  using Commit = std::function<void(std::vector<Item>& batch)>;

  // `commit` runs on the queue's own thread, one batch at a time.
  CommitQueue(CommitQueueOptions options, Commit commit)
      : options_(options), commit_(std::move(commit)), thread_([this] { run(); }) {}

  // Commits what is pending, then stops the thread.
  ~CommitQueue() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  CommitQueue(const CommitQueue&) = delete;
  CommitQueue& operator=(const CommitQueue&) = delete;

  void push(Item item) {
    bool wake;
    {
      std::lock_guard<std::mutex> lk(mu_);
      queue_.push_back(std::move(item));
      ++pushed_;
      // Wake the commit thread to start a batch, or to end its wait when the
      // batch is full; in between it is left alone, so that it does not take
      // the CPU from the threads still preparing items.
      wake = queue_.size() == 1 || queue_.size() == options_.max_batch;
    }
    if (wake) wake_.notify_one();
  }

  // Returns once everything pushed before the call is committed.
  void flush() {
    std::unique_lock<std::mutex> lk(mu_);
    std::uint64_t target = pushed_;
    flushed_.wait(lk, [&] { return committed_ >= target; });
  }

 private:
  void run() {
    // A batch this large means load: the next one does not look for a lull.
    constexpr std::size_t kBusyBatch = 8;
    std::size_t last_batch = 0;
    for (;;) {
      std::vector<Item> batch;
      {
        std::unique_lock<std::mutex> lk(mu_);
        wake_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, nothing left
        auto full = [&] { return stopping_ || queue_.size() >= options_.max_batch; };
        auto deadline = std::chrono::steady_clock::now() + options_.max_delay;
        if (last_batch >= kBusyBatch) {
          // Under load items keep coming, and waking every lull to look
          // would take the CPU from the threads preparing them (10% of the
          // peak on one core): wait once, for a full batch or the deadline.
          wake_.wait_until(lk, deadline, full);
        } else {
          for (;;) {
            std::size_t seen = queue_.size();
            auto until = std::min(deadline, std::chrono::steady_clock::now() + options_.lull);
            wake_.wait_until(lk, until, full);
            if (full() || queue_.size() == seen || std::chrono::steady_clock::now() >= deadline) break;
          }
        }
        batch.swap(queue_);
        last_batch = batch.size();
      }
      commit_(batch);
      {
        std::lock_guard<std::mutex> lk(mu_);
        committed_ += batch.size();
      }
      flushed_.notify_all();
    }
  }

  CommitQueueOptions options_;
  Commit commit_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable flushed_;
  std::vector<Item> queue_;
  std::uint64_t pushed_ = 0;
  std::uint64_t committed_ = 0;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace bwoc

#endif  // BWOC_CORE_COMMIT_QUEUE_H_
