#include "bwoc/core/replay_guard.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

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

TEST(SeenIndex, PruneDropsEntriesBeforeTheHorizonAndShrinks) {
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

TEST(SeenIndex, NeverDropsAnEntryAtOrAfterTheHorizon) {
  SeenIndex index;
  const PublicKey& k = test::vector_sender().public_key();
  const UnixMillis horizon = 1'800'000'000'000 + 12'345;  // mid-minute
  index.insert(k, id_of(1), horizon, 0, 0);
  index.insert(k, id_of(2), horizon - 1, 0, 0);       // the same minute: kept (the index counts minutes)
  index.insert(k, id_of(3), horizon - 60'000 - 12'346, 0, 0);  // a whole minute before: dropped
  index.prune(horizon);
  EXPECT_TRUE(index.find(k, id_of(1)).has_value());
  EXPECT_TRUE(index.find(k, id_of(2)).has_value());
  EXPECT_FALSE(index.find(k, id_of(3)).has_value());
}

TEST(SeenLog, SharesEntriesBetweenInstancesAndCompactsToTheHorizon) {
  test::TempDir dir;
  auto a = SeenLog::open(dir.path());
  auto b = SeenLog::open(dir.path());
  ASSERT_TRUE(a.ok() && b.ok());
  const PublicKey& k = test::vector_sender().public_key();
  const UnixMillis now = 1'800'000'000'000;
  const UnixMillis horizon = now - 3'600'000;
  std::vector<SeenEntry> entries;
  for (int i = 0; i < 12000; ++i) {
    entries.push_back(SeenEntry{k, id_of(i), i < 11000 ? now - 7'200'000 : now, now, 7, "agent-b"});
  }
  std::map<std::string, InboxMark> marks{{"agent-b", InboxMark{1, 2, 12345}}};
  ASSERT_TRUE(a->append(entries, marks, 0).ok());

  SeenIndex index;
  std::map<std::string, InboxMark> seen_marks;
  UnixMillis b_horizon = horizon;
  ASSERT_TRUE(b->catch_up(index, seen_marks, b_horizon).ok());
  EXPECT_EQ(index.size(), 1000u);  // entries before the horizon are not loaded
  EXPECT_EQ(seen_marks["agent-b"].offset, 12345u);

  struct stat st {};
  ASSERT_EQ(::stat(a->file().c_str(), &st), 0);
  auto before = st.st_size;
  ASSERT_TRUE(b->compact_if_due(horizon).ok());
  ASSERT_TRUE(b->compact_if_due(horizon).ok());
  ASSERT_EQ(::stat(a->file().c_str(), &st), 0);
  EXPECT_LT(st.st_size, before / 5);

  // The other instance notices the rewrite, still sees every live entry, and
  // learns the horizon the rewrite forgot below.
  SeenIndex again;
  std::map<std::string, InboxMark> again_marks;
  UnixMillis a_horizon = 0;
  ASSERT_TRUE(a->catch_up(again, again_marks, a_horizon).ok());
  EXPECT_EQ(again.size(), 1000u);
  EXPECT_EQ(again_marks["agent-b"].offset, 12345u);
  EXPECT_EQ(a_horizon, horizon);
}

TEST(SeenLog, TheHorizonTravelsInTheLogAndOnlyMovesForward) {
  test::TempDir dir;
  auto a = SeenLog::open(dir.path());
  ASSERT_TRUE(a.ok());
  const UnixMillis horizon = 1'800'000'000'000;
  ASSERT_TRUE(a->append({}, {}, horizon).ok());
  ASSERT_TRUE(a->append({}, {}, horizon - 5).ok());  // not written: the log already vouches for less
  auto b = SeenLog::open(dir.path());
  SeenIndex index;
  std::map<std::string, InboxMark> marks;
  UnixMillis b_horizon = horizon - 1'000'000;
  ASSERT_TRUE(b->catch_up(index, marks, b_horizon).ok());
  EXPECT_EQ(b_horizon, horizon);
  EXPECT_EQ(test::count_lines(a->file()), 1u);
}

TEST(SeenLog, EntriesWrittenBeforeHorizonsStandInWithTheirExpiry) {
  test::TempDir dir;
  const PublicKey& k = test::vector_sender().public_key();
  const UnixMillis now = 1'800'000'000'000;
  {
    std::ofstream out(dir.path() / "seen.log");
    // "+ <expires s> ...": the envelope's ts is at most its expiry.
    out << "+ " << (now / 1000 + 60) << " " << now << " " << k.to_text() << " " << id_of(1) << " 00000007 agent-b\n";
    out << "+ " << (now / 1000 - 60) << " " << now << " " << k.to_text() << " " << id_of(2) << " 00000007 agent-b\n";
  }
  auto log = SeenLog::open(dir.path());
  SeenIndex index;
  std::map<std::string, InboxMark> marks;
  UnixMillis horizon = now;
  ASSERT_TRUE(log->catch_up(index, marks, horizon).ok());
  EXPECT_TRUE(index.find(k, id_of(1)).has_value());
  EXPECT_FALSE(index.find(k, id_of(2)).has_value());
}

TEST(SeenLog, AMarkAfterALineItCannotReadIsNotTrusted) {
  // A log damaged before torn tails were repaired: an entry glued onto a
  // fragment, and the mark of its batch after it.
  test::TempDir dir;
  const PublicKey& k = test::vector_sender().public_key();
  const UnixMillis now = 1'800'000'000'000;
  {
    std::ofstream out(dir.path() / "seen.log");
    out << "s " << now << " " << now << " " << k.to_text() << " " << id_of(1) << " 00000007 agent-b\n";
    out << "@ agent-b 1 2 100\n";
    out << "s 17s " << now << " " << now << " " << k.to_text() << " " << id_of(2) << " 00000007 agent-b\n";
    out << "@ agent-b 1 2 200\n";
  }
  auto log = SeenLog::open(dir.path());
  SeenIndex index;
  std::map<std::string, InboxMark> marks;
  UnixMillis horizon = 0;
  ASSERT_TRUE(log->catch_up(index, marks, horizon).ok());
  EXPECT_TRUE(index.find(k, id_of(1)).has_value());
  EXPECT_EQ(marks["agent-b"].offset, 100u);  // the inbox is indexed again from there
}

TEST(SeenLog, EveryCutOfTheLastLineIsRepairedBeforeTheNextAppend) {
  const PublicKey& k = test::vector_sender().public_key();
  const UnixMillis now = 1'800'000'000'000;
  std::string whole;
  {
    test::TempDir dir;
    auto log = SeenLog::open(dir.path());
    ASSERT_TRUE(
        log->append({SeenEntry{k, id_of(1), now, now, 7, "agent-b"}, SeenEntry{k, id_of(2), now, now, 7, "agent-b"}},
                    {}, 0)
            .ok());
    whole = test::read_file(log->file());
  }
  std::size_t last_start = whole.rfind('\n', whole.size() - 2) + 1;
  for (std::size_t cut = last_start; cut < whole.size(); ++cut) {
    test::TempDir dir;
    {
      std::ofstream out(dir.path() / "seen.log", std::ios::binary);
      out << whole.substr(0, cut);
    }
    auto writer = SeenLog::open(dir.path());
    SeenIndex scratch;
    std::map<std::string, InboxMark> marks;
    UnixMillis horizon = 0;
    ASSERT_TRUE(writer->catch_up(scratch, marks, horizon).ok());
    ASSERT_TRUE(
        writer->append({SeenEntry{k, id_of(3), now, now, 7, "agent-b"}}, {{"agent-b", InboxMark{1, 2, 300}}}, 0).ok());
    auto reader = SeenLog::open(dir.path());
    SeenIndex index;
    std::map<std::string, InboxMark> read_marks;
    UnixMillis read_horizon = 0;
    ASSERT_TRUE(reader->catch_up(index, read_marks, read_horizon).ok());
    EXPECT_TRUE(index.find(k, id_of(1)).has_value()) << cut;
    // Torn, even when only its newline is missing: never acknowledged, cut and kept aside.
    EXPECT_FALSE(index.find(k, id_of(2)).has_value()) << cut;
    EXPECT_EQ(std::filesystem::exists(dir.path() / "torn"), cut > last_start) << cut;
    EXPECT_TRUE(index.find(k, id_of(3)).has_value()) << cut;
    EXPECT_EQ(read_marks["agent-b"].offset, 300u) << cut;
  }
}

}  // namespace
}  // namespace bwoc
