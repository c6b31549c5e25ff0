#include "bwoc/core/backoff.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace bwoc {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DoublesFromTheFirstDelayUpToTheMost) {
  Backoff b(milliseconds(10), milliseconds(1000));
  std::vector<long> delays;
  for (int i = 0; i < 10; ++i) delays.push_back(static_cast<long>(b.next().count()));
  EXPECT_EQ(delays, (std::vector<long>{10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000}));
}

TEST(Backoff, StartsAgainAfterASuccess) {
  Backoff b(milliseconds(5), milliseconds(100));
  for (int i = 0; i < 5; ++i) b.next();
  b.reset();
  EXPECT_EQ(b.next(), milliseconds(5));
}

TEST(Backoff, NeverOverflowsHoweverLongFailuresLast) {
  Backoff b(milliseconds(1), milliseconds(60'000));
  for (int i = 0; i < 1'000; ++i) {
    auto d = b.next();
    ASSERT_GT(d.count(), 0);
    ASSERT_LE(d, milliseconds(60'000));
  }
}

TEST(ResourceExhaustion, NamesTheErrorsThatOnlyTimeGivesBack) {
  for (int e : {EMFILE, ENFILE, ENOBUFS, ENOMEM}) EXPECT_TRUE(is_resource_exhaustion(e)) << e;
  for (int e : {0, EINTR, EAGAIN, ECONNABORTED, EINVAL, EACCES}) EXPECT_FALSE(is_resource_exhaustion(e)) << e;
}

}  // namespace
}  // namespace bwoc
