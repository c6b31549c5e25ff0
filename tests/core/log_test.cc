#include "bwoc/core/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

namespace bwoc {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

TEST(LogThrottle, LetsThroughItsLinesPerIntervalThenHoldsBack) {
  log::Throttle throttle(3, milliseconds(1000));
  Clock::time_point t0{std::chrono::seconds(100)};
  int through = 0;
  for (int i = 0; i < 100; ++i) through += throttle.admit(nullptr, t0 + milliseconds(i)) ? 1 : 0;
  EXPECT_EQ(through, 3);
}

TEST(LogThrottle, TheNextLineAfterAHoldSaysHowManyWereHeldBack) {
  log::Throttle throttle(2, milliseconds(1000));
  Clock::time_point t0{std::chrono::seconds(100)};
  std::uint64_t suppressed = 99;
  EXPECT_TRUE(throttle.admit(&suppressed, t0));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_TRUE(throttle.admit(&suppressed, t0));
  for (int i = 0; i < 7; ++i) EXPECT_FALSE(throttle.admit(&suppressed, t0 + milliseconds(10)));
  // The next interval: room again, and the count of what was held back.
  EXPECT_TRUE(throttle.admit(&suppressed, t0 + milliseconds(1000)));
  EXPECT_EQ(suppressed, 7u);
  EXPECT_TRUE(throttle.admit(&suppressed, t0 + milliseconds(1001)));
  EXPECT_EQ(suppressed, 0u);
}

TEST(LogThrottle, AClockGoingBackDoesNotReopenAnInterval) {
  log::Throttle throttle(1, milliseconds(1000));
  Clock::time_point t0{std::chrono::seconds(100)};
  EXPECT_TRUE(throttle.admit(nullptr, t0 + milliseconds(1500)));
  // A thread that read the clock a little earlier arrives late.
  EXPECT_FALSE(throttle.admit(nullptr, t0 + milliseconds(900)));
  EXPECT_FALSE(throttle.admit(nullptr, t0 + milliseconds(1600)));
}

TEST(LogThrottle, ManyThreadsTogetherStayWithinTheBudget) {
  log::Throttle throttle(10, milliseconds(1000));
  Clock::time_point t0{std::chrono::seconds(100)};
  // The interval begins here; within it the count is exact.
  std::atomic<int> through{throttle.admit(nullptr, t0) ? 1 : 0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) through += throttle.admit(nullptr, t0) ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(through.load(), 10);
}

// What a flood of one event writes to stderr, captured in a file.
std::string log_of(const std::function<void()>& write) {
  test::TempDir dir;
  std::string path = (dir.path() / "stderr").string();
  std::fflush(stderr);
  int saved = ::dup(STDERR_FILENO);
  FILE* f = std::fopen(path.c_str(), "w");
  ::dup2(::fileno(f), STDERR_FILENO);
  write();
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::fclose(f);
  return test::read_file(path);
}

TEST(LogLine, APeersControlsAndDirectionOverridesAreEscapedNotWritten) {
  // ESC, a C1 CSI (U+009B), a right-to-left override (U+202E), a byte that is not UTF-8.
  std::string hostile = "a\x1b[2Jb\xc2\x9b" "c\xe2\x80\xae" "d\xff";
  std::string text = log_of([&] { log::warning("test.hostile", {{"why", hostile}}); });
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_EQ(text.find("\xc2\x9b"), std::string::npos) << text;
  EXPECT_EQ(text.find("\xe2\x80\xae"), std::string::npos) << text;
  EXPECT_EQ(text.find('\xff'), std::string::npos) << text;
  EXPECT_NE(text.find("why=\""), std::string::npos) << text;
}

TEST(LogThrottle, AFloodOfOneEventWritesABoundedNumberOfLines) {
  log::Throttle throttle(5, std::chrono::seconds(3600));
  std::string text = log_of([&] {
    for (int i = 0; i < 100'000; ++i) log::warning(throttle, "test.flood", {{"n", std::to_string(i)}});
  });
  std::size_t lines = 0;
  for (char c : text) lines += c == '\n' ? 1 : 0;
  EXPECT_EQ(lines, 5u);
  EXPECT_NE(text.find("event=test.flood n=0"), std::string::npos);
  EXPECT_EQ(text.find("n=5"), std::string::npos);
}

TEST(LogThrottle, ALineBelowTheLevelTakesNothingFromTheBudget) {
  log::Throttle throttle(1, std::chrono::seconds(3600));
  std::string text = log_of([&] {
    for (int i = 0; i < 10; ++i) log::event(throttle, log::Level::debug, "test.debug");
    log::info(throttle, "test.info");
  });
  EXPECT_NE(text.find("event=test.info"), std::string::npos);
  EXPECT_EQ(text.find("suppressed"), std::string::npos);
}

}  // namespace
}  // namespace bwoc
