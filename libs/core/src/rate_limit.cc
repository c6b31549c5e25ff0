#include "bwoc/core/rate_limit.h"

#include <algorithm>

namespace bwoc {

TokenBuckets::TokenBuckets(double rate, double burst, std::size_t max_entries)
    : rate_(rate), burst_(std::max(burst, 1.0)), max_entries_(max_entries) {}

double TokenBuckets::take(std::string_view key, std::chrono::steady_clock::time_point now) {
  if (rate_ <= 0) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_entries_ && now >= no_eviction_before_) evict_refilled(now);
    if (buckets_.size() >= max_entries_) return 1.0;  // under attack from many addresses: shed load
    it = buckets_.emplace(std::string(key), Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  // `now` was read before the lock: another thread may have been later.
  // Time never runs backwards for a bucket, and never takes tokens.
  if (now > b.last) {
    double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.last = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return (1.0 - b.tokens) / rate_;
}

void TokenBuckets::evict_refilled(std::chrono::steady_clock::time_point now) {
  // A scan that frees nothing is not tried again before the first bucket
  // can be full: a flood of new keys against a full table costs one scan
  // per bucket freed, not one per request.
  double soonest = burst_ / rate_;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    double elapsed = std::chrono::duration<double>(now - it->second.last).count();
    double missing = burst_ - (it->second.tokens + std::max(0.0, elapsed) * rate_);
    if (missing <= 0) {
      it = buckets_.erase(it);
    } else {
      soonest = std::min(soonest, missing / rate_);
      ++it;
    }
  }
  if (buckets_.size() >= max_entries_) {
    no_eviction_before_ = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(soonest));
  }
}

}  // namespace bwoc
