#include "bwoc/core/replay_guard.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "test_util.h"

namespace bwoc {
namespace {

std::string id_of(int i) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%032x", i);
  return buf;
}

TEST(SeenIndex, FindsWhatWasInsertedAndForgetsErased) {
  SeenIndex index;
  const PublicKey& k = test::vector_sender().public_key();
  for (int i = 0; i < 5000; ++i) index.insert(k, id_of(i), 1'000'000'000'000 + i, i, static_cast<std::uint32_t>(i));
  EXPECT_EQ(index.size(), 5000u);
  for (int i = 0; i < 5000; ++i) {
    auto hit = index.find(k, id_of(i));
    ASSERT_TRUE(hit.has_value()) << i;
    EXPECT_EQ(hit->accepted_at, i);
  }
  EXPECT_FALSE(index.find(k, id_of(5000)).has_value());
  EXPECT_FALSE(index.find(test::vector_audience().public_key(), id_of(1)).has_value());
  for (int i = 0; i < 5000; i += 2) index.erase(k, id_of(i));
  for (int i = 0; i < 5000; ++i) EXPECT_EQ(index.find(k, id_of(i)).has_value(), i % 2 == 1) << i;
  EXPECT_LE(index.memory_bytes(), 24u * 8192u);
}

TEST(SeenIndex, PruneDropsExpiredEntriesAndShrinks) {
  SeenIndex index;
  const PublicKey& k = test::vector_sender().public_key();
  const UnixMillis now = 1'800'000'000'000;
  for (int i = 0; i < 10000; ++i) index.insert(k, id_of(i), i < 9000 ? now - 120'000 : now + 3'600'000, 0, 0);
  std::size_t before = index.memory_bytes();
  index.prune(now);
  EXPECT_EQ(index.size(), 1000u);
  EXPECT_LT(index.memory_bytes(), before);
  EXPECT_FALSE(index.find(k, id_of(1)).has_value());
  EXPECT_TRUE(index.find(k, id_of(9500)).has_value());
}

TEST(SeenLog, SharesEntriesBetweenInstancesAndCompactsToTheWindow) {
  test::TempDir dir;
  auto a = SeenLog::open(dir.path());
  auto b = SeenLog::open(dir.path());
  ASSERT_TRUE(a.ok() && b.ok());
  const PublicKey& k = test::vector_sender().public_key();
  const UnixMillis now = 1'800'000'000'000;
  std::vector<SeenEntry> entries;
  for (int i = 0; i < 12000; ++i) {
    entries.push_back(SeenEntry{k, id_of(i), i < 11000 ? now - 3'600'000 : now + 3'600'000, now, 7, "agent-b"});
  }
  std::map<std::string, InboxMark> marks{{"agent-b", InboxMark{1, 2, 12345}}};
  ASSERT_TRUE(a->append(entries, marks).ok());

  SeenIndex index;
  std::map<std::string, InboxMark> seen_marks;
  ASSERT_TRUE(b->catch_up(index, seen_marks, now).ok());
  EXPECT_EQ(index.size(), 1000u);  // expired entries are not loaded
  EXPECT_EQ(seen_marks["agent-b"].offset, 12345u);

  struct stat st {};
  ASSERT_EQ(::stat(a->file().c_str(), &st), 0);
  auto before = st.st_size;
  ASSERT_TRUE(b->compact_if_due(now).ok());
  ASSERT_TRUE(b->compact_if_due(now).ok());
  ASSERT_EQ(::stat(a->file().c_str(), &st), 0);
  EXPECT_LT(st.st_size, before / 5);

  // The other instance notices the rewrite and still sees every live entry.
  SeenIndex again;
  std::map<std::string, InboxMark> again_marks;
  ASSERT_TRUE(a->catch_up(again, again_marks, now).ok());
  EXPECT_EQ(again.size(), 1000u);
  EXPECT_EQ(again_marks["agent-b"].offset, 12345u);
}

}  // namespace
}  // namespace bwoc
