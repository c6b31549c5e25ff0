#include "bwoc/core/dir_watch.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "bwoc/core/files.h"
#include "test_util.h"

namespace bwoc {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using test::TempDir;

milliseconds time_to_wait(DirWatch& watch, milliseconds at_most) {
  auto start = steady_clock::now();
  watch.wait(at_most);
  return std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
}

TEST(DirWatch, WakesOnANewFile) {
  TempDir dir;
  DirWatch watch({dir.path()});
  std::ofstream(dir.path() / "envelope.json") << "{}";
  // Well before the bound: the event woke it.
  EXPECT_LT(time_to_wait(watch, milliseconds(60'000)), milliseconds(30'000));
}

// Two services of one workspace each try the other's lock in the folder they
// watch: were a try an event, each would wake itself (and the other) forever.
TEST(DirWatch, ALockTakenOrTriedIsNoNews) {
  TempDir dir;
  auto held = FileLock::try_acquire(dir.path() / "courier.lock");
  ASSERT_TRUE(held.ok());
  DirWatch watch({dir.path()});
  auto tried = FileLock::try_acquire(dir.path() / "courier.lock");
  EXPECT_FALSE(tried.ok());
  { auto other = FileLock::try_acquire(dir.path() / "another.lock"); }
  // poll never returns before its time without an event: all of it passed.
  EXPECT_GE(time_to_wait(watch, milliseconds(300)), milliseconds(290));
  // Lock events and news together: the news counts.
  { auto again = FileLock::try_acquire(dir.path() / "courier.lock"); }
  std::ofstream(dir.path() / "outbox.jsonl", std::ios::app) << "{}\n";
  EXPECT_LT(time_to_wait(watch, milliseconds(60'000)), milliseconds(30'000));
}

}  // namespace
}  // namespace bwoc
