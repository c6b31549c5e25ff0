#include "bwoc/mqtt/spool.h"

#include <chrono>
#include <fstream>

#include <gtest/gtest.h>

#include "../core/test_util.h"
#include "bwoc/core/envelope.h"
#include "bwoc/core/files.h"

namespace bwoc::mqtt {
namespace {

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ws_.emplace(test::make_workspace(dir_.path(), "alpha"));
    auto spool = Spool::open(*ws_);
    ASSERT_TRUE(spool.ok()) << spool.error().message();
    spool_.emplace(std::move(spool).value());
  }

  SpoolEntry entry(UnixMillis created) {
    auto text = sign_envelope(test::draft_to(test::vector_audience().public_key()), test::vector_sender());
    SpoolEntry e;
    e.envelope = *text;
    e.id = parse_envelope(*text).value().id;
    e.from = "agent-a";
    e.to = "beta/agent-b";
    e.broker = "mqtt://127.0.0.1:1883";
    e.topic = "bwoc/beta/agent-b/inbox";
    e.reply_topic = "bwoc/alpha/agent-a/receipts";
    e.peer_key = test::vector_audience().public_key();
    e.created = created;
    return e;
  }

  test::TempDir dir_;
  std::optional<Workspace> ws_;
  std::optional<Spool> spool_;
};

TEST_F(SpoolTest, KeepsEnvelopesVerbatimUntilRemoved) {
  SpoolEntry a = entry(2000), b = entry(1000);
  ASSERT_TRUE(spool_->put(a).ok());
  ASSERT_TRUE(spool_->put(b).ok());
  EXPECT_EQ(spool_->size(), 2u);
  auto got = spool_->get(a.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->envelope, a.envelope);  // byte for byte: it is resent as signed
  EXPECT_EQ(got->peer_key, a.peer_key);
  EXPECT_EQ(got->reply_topic, a.reply_topic);
  auto all = spool_->list();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, b.id);  // oldest first
  ASSERT_TRUE(spool_->remove(b.id).ok());
  ASSERT_TRUE(spool_->remove(b.id).ok());  // gone already: fine
  EXPECT_EQ(spool_->size(), 1u);
  EXPECT_FALSE(spool_->get(b.id));
}

TEST_F(SpoolTest, TheLogIsPrivateAndIdsCannotNameOtherFiles) {
  SpoolEntry a = entry(1);
  ASSERT_TRUE(spool_->put(a).ok());
  struct stat st {};
  ASSERT_EQ(::stat(spool_->file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  a.id = "../../identity";
  EXPECT_FALSE(spool_->put(a).ok());
  EXPECT_TRUE(spool_->remove("../x").ok());
  EXPECT_FALSE(spool_->get("../x"));
}

TEST_F(SpoolTest, ABatchIsWrittenTogetherAndEachEntryOnce) {
  std::vector<SpoolEntry> batch;
  for (int i = 0; i < 50; ++i) batch.push_back(entry(1000 + i));
  ASSERT_TRUE(spool_->put_all(batch).ok());
  ASSERT_TRUE(spool_->put_all({batch[0], batch[1]}).ok());  // durable already: not written again
  EXPECT_EQ(spool_->size(), 50u);
  EXPECT_EQ(test::count_lines(spool_->file()), 50u);
  auto newest = spool_->newest(3);
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->size(), 3u);
  EXPECT_EQ((*newest)[0].id, batch[49].id);
  EXPECT_EQ((*newest)[2].id, batch[47].id);
}

TEST_F(SpoolTest, OtherProcessesSeeWhatIsPutAndRemoved) {
  auto other = Spool::open(*ws_);  // another process's view of the same file
  ASSERT_TRUE(other.ok());
  SpoolEntry a = entry(1), b = entry(2);
  ASSERT_TRUE(spool_->put(a).ok());
  ASSERT_TRUE(other->put(b).ok());
  EXPECT_EQ(other->size(), 2u);
  ASSERT_TRUE(other->remove(a.id).ok());
  EXPECT_FALSE(spool_->get(a.id));
  auto all = spool_->list();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].envelope, b.envelope);
}

TEST_F(SpoolTest, ALogOfMostlyConfirmedEntriesIsCompacted) {
  auto other = Spool::open(*ws_);
  ASSERT_TRUE(other.ok());
  std::vector<SpoolEntry> batch;
  for (int i = 0; i < 1200; ++i) batch.push_back(entry(i));
  SpoolEntry kept = entry(5000);
  batch.push_back(kept);
  ASSERT_TRUE(spool_->put_all(batch).ok());
  EXPECT_EQ(other->size(), 1201u);
  for (int i = 0; i < 1200; ++i) ASSERT_TRUE(spool_->remove(batch[static_cast<std::size_t>(i)].id).ok());
  // 1,201 puts and 1,200 done records would be 2,401 lines; once most
  // were done the log was rewritten with the live ones alone.
  EXPECT_LT(test::count_lines(spool_->file()), 600u);
  EXPECT_EQ(spool_->size(), 1u);
  EXPECT_EQ(other->size(), 1u);  // follows the rewritten file
  ASSERT_TRUE(other->get(kept.id));
  SpoolEntry later = entry(6000);
  ASSERT_TRUE(other->put(later).ok());
  EXPECT_TRUE(spool_->get(later.id));
}

TEST_F(SpoolTest, AnUnreadableRecordIsReportedKeptAndNeverResent) {
  SpoolEntry a = entry(1);
  ASSERT_TRUE(spool_->put(a).ok());
  std::ofstream(spool_->file(), std::ios::app) << "{not json\n";
  SpoolEntry b = entry(2);
  ASSERT_TRUE(spool_->put(b).ok());
  auto all = spool_->list();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  EXPECT_EQ(spool_->unreadable(), 1u);
  EXPECT_NE(test::read_file(spool_->file()).find("{not json\n"), std::string::npos);
}

TEST_F(SpoolTest, EntriesOfTheOneFileAnEntryFormatAreTakenIn) {
  // What a previous version left: .bwoc/state/mqtt-spool/<id>.json.
  SpoolEntry a = entry(7);
  std::string text = test::read_file(spool_->file());
  ASSERT_TRUE(spool_->put(a).ok());
  std::string line = test::read_file(spool_->file()).substr(text.size());
  ASSERT_TRUE(write_file_atomic(spool_->file(), text).ok());
  ASSERT_TRUE(write_file_atomic(spool_->dir() / (a.id + ".json"), line, 0600).ok());
  auto reopened = Spool::open(*ws_);
  ASSERT_TRUE(reopened.ok());
  auto got = reopened->get(a.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->envelope, a.envelope);
  EXPECT_FALSE(std::filesystem::exists(spool_->dir() / (a.id + ".json")));
}

}  // namespace
}  // namespace bwoc::mqtt
