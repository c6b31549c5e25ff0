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
    if (buckets_.size() >= max_entries_) evict_refilled(now);
    if (buckets_.size() >= max_entries_) return 1.0;  // under attack from many addresses: shed load
    it = buckets_.emplace(std::string(key), Bucket{burst_, now}).first;
  }
  Bucket& b = it->second;
  double elapsed = std::chrono::duration<double>(now - b.last).count();
  b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
  b.last = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return (1.0 - b.tokens) / rate_;
}

void TokenBuckets::evict_refilled(std::chrono::steady_clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    double elapsed = std::chrono::duration<double>(now - it->second.last).count();
    if (it->second.tokens + elapsed * rate_ >= burst_) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace bwoc
