#include "bwoc/core/rate_limit.h"

#include <string>

#include <gtest/gtest.h>

namespace bwoc {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Every test passes its own clock: nothing here depends on how fast it runs.
const Clock::time_point t0{std::chrono::hours(1)};

int allowed(TokenBuckets& b, std::string_view key, Clock::time_point at, int tries) {
  int n = 0;
  for (int i = 0; i < tries; ++i) n += b.take(key, at) == 0 ? 1 : 0;
  return n;
}

TEST(TokenBuckets, AllowsTheBurstThenSaysHowLongToWait) {
  TokenBuckets b(10, 5);
  EXPECT_EQ(allowed(b, "a", t0, 5), 5);
  EXPECT_NEAR(b.take("a", t0), 0.1, 1e-9);  // one token comes back in 1/10 s
}

TEST(TokenBuckets, RefillsAtTheRate) {
  // Times and rates whose products are exact in binary.
  TokenBuckets b(4, 5);
  EXPECT_EQ(allowed(b, "a", t0, 5), 5);
  EXPECT_EQ(allowed(b, "a", t0 + milliseconds(750), 10), 3);
  EXPECT_EQ(allowed(b, "a", t0 + milliseconds(875), 10), 0);
  EXPECT_EQ(allowed(b, "a", t0 + milliseconds(1000), 10), 1);
}

TEST(TokenBuckets, NeverSavesMoreThanTheBurst) {
  TokenBuckets b(10, 5);
  EXPECT_EQ(allowed(b, "a", t0 + std::chrono::hours(5), 100), 5);
}

TEST(TokenBuckets, ZeroRateMeansNoLimit) {
  TokenBuckets b(0, 0);
  EXPECT_EQ(allowed(b, "a", t0, 100'000), 100'000);
}

TEST(TokenBuckets, ABurstBelowOneStillLetsOneThrough) {
  TokenBuckets b(1, 0.2);
  EXPECT_EQ(allowed(b, "a", t0, 3), 1);
}

TEST(TokenBuckets, KeysHaveBucketsOfTheirOwn) {
  TokenBuckets b(1, 2);
  EXPECT_EQ(allowed(b, "a", t0, 10), 2);
  EXPECT_EQ(allowed(b, "b", t0, 10), 2);
  EXPECT_EQ(allowed(b, std::string("a\0x", 3), t0, 10), 2);
}

TEST(TokenBuckets, AClockReadEarlierByAnotherThreadTakesNoExtraTokens) {
  // Threads read the clock before they take the lock: the one that gets the
  // lock second may hold the earlier time.
  TokenBuckets b(10, 5);
  Clock::time_point t1 = t0 + std::chrono::seconds(10);
  EXPECT_EQ(b.take("a", t1), 0);
  EXPECT_EQ(b.take("a", t1 - milliseconds(500)), 0);
  EXPECT_EQ(allowed(b, "a", t1, 10), 3);
  // And the later reading still refills from the latest one.
  EXPECT_EQ(allowed(b, "a", t1 + milliseconds(100), 10), 1);
}

TEST(TokenBuckets, AFullTableShedsNewKeysUntilBucketsHaveRefilled) {
  TokenBuckets b(10, 2, 3);
  for (const char* k : {"a", "b", "c"}) EXPECT_EQ(b.take(k, t0), 0);
  EXPECT_GT(b.take("d", t0), 0);
  EXPECT_GT(b.take("e", t0 + milliseconds(10)), 0);
  // Known keys are still served meanwhile.
  EXPECT_EQ(b.take("a", t0 + milliseconds(10)), 0);
  // 1/10 s after their last take the others are full again and carry
  // nothing worth keeping: they make room.
  EXPECT_EQ(b.take("d", t0 + milliseconds(100)), 0);
  EXPECT_EQ(b.take("e", t0 + milliseconds(100)), 0);
  EXPECT_GT(b.take("f", t0 + milliseconds(100)), 0) << "a, d and e are not full yet";
  // At +200 ms all three are.
  for (const char* k : {"f", "g", "h"}) EXPECT_EQ(b.take(k, t0 + milliseconds(200)), 0) << k;
  EXPECT_GT(b.take("i", t0 + milliseconds(200)), 0);
}

TEST(TokenBuckets, ABucketStillDrainingIsNotEvicted) {
  // Evicting it would hand its owner a full burst again.
  TokenBuckets b(1, 5, 2);
  EXPECT_EQ(allowed(b, "heavy", t0, 5), 5);
  EXPECT_EQ(allowed(b, "other", t0, 5), 5);
  for (int i = 1; i <= 3; ++i) EXPECT_GT(b.take("new" + std::to_string(i), t0 + std::chrono::seconds(i)), 0);
  EXPECT_GT(b.take("heavy", t0 + std::chrono::seconds(3)) + b.take("heavy", t0 + std::chrono::seconds(3)) +
                b.take("heavy", t0 + std::chrono::seconds(3)) + b.take("heavy", t0 + std::chrono::seconds(3)),
            0);
}

}  // namespace
}  // namespace bwoc
