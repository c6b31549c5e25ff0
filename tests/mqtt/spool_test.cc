#include "bwoc/mqtt/spool.h"

#include <chrono>
#include <fstream>

#include <gtest/gtest.h>

#include "../core/test_util.h"
#include "bwoc/core/envelope.h"

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

TEST_F(SpoolTest, FilesArePrivateAndIdsCannotNameOtherFiles) {
  SpoolEntry a = entry(1);
  ASSERT_TRUE(spool_->put(a).ok());
  struct stat st {};
  ASSERT_EQ(::stat((spool_->dir() / (a.id + ".json")).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  a.id = "../../identity";
  EXPECT_FALSE(spool_->put(a).ok());
  EXPECT_TRUE(spool_->remove("../x").ok());
  EXPECT_FALSE(spool_->get("../x"));
}

TEST_F(SpoolTest, ACorruptEntryIsReportedNotDropped) {
  std::ofstream(spool_->dir() / "00112233445566778899aabbccddeeff.json") << "{not json";
  auto all = spool_->list();
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.error().code(), Errc::corrupt);
  EXPECT_TRUE(std::filesystem::exists(spool_->dir() / "00112233445566778899aabbccddeeff.json"));
}

TEST_F(SpoolTest, ATemporaryLeftByACrashIsRemovedOnceItIsOld) {
  // A put cut between write and rename leaves its temporary, never an entry.
  const std::filesystem::path old_tmp = spool_->dir() / ".00112233445566778899aabbccddeeff.json.tmp-0123456789ab";
  const std::filesystem::path new_tmp = spool_->dir() / ".ffeeddccbbaa99887766554433221100.json.tmp-0123456789ab";
  std::ofstream(old_tmp) << "{\"id\":";
  std::ofstream(new_tmp) << "{\"id\":";
  std::filesystem::last_write_time(old_tmp, std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
  auto reopened = Spool::open(*ws_);
  ASSERT_TRUE(reopened.ok());
  EXPECT_FALSE(std::filesystem::exists(old_tmp));
  EXPECT_TRUE(std::filesystem::exists(new_tmp));  // may be a put in progress
  auto all = reopened->list();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

}  // namespace
}  // namespace bwoc::mqtt
