// Token buckets keyed by a client address or a sender's key, bounded in
// memory: when the table is full, buckets that have refilled (and so carry no
// state worth keeping) are dropped first.
#ifndef BWOC_CORE_RATE_LIMIT_H_
#define BWOC_CORE_RATE_LIMIT_H_

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace bwoc {

class TokenBuckets {
 public:
  // `rate` tokens a second, at most `burst` saved up; rate 0 means unlimited.
  TokenBuckets(double rate, double burst, std::size_t max_entries = 100'000);

  // Takes one token for `key`. Returns 0 when allowed, otherwise how many
  // seconds to wait before a token is there (for Retry-After).
  double take(std::string_view key, std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  void evict_refilled(std::chrono::steady_clock::time_point now);

  double rate_;
  double burst_;
  std::size_t max_entries_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::chrono::steady_clock::time_point no_eviction_before_{};
};

}  // namespace bwoc

#endif  // BWOC_CORE_RATE_LIMIT_H_
