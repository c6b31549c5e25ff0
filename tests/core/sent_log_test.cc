#include "bwoc/core/sent_log.h"

#include <gtest/gtest.h>

#include "bwoc/core/append_log.h"
#include "test_util.h"

namespace bwoc {
namespace {

class SentLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ws_.emplace(test::make_workspace(dir_.path(), "alpha"));
    auto log = SentLog::open(*ws_);
    ASSERT_TRUE(log.ok());
    log_.emplace(std::move(log).value());
  }

  SentRecord record(std::string id, SentState state, UnixMillis at) {
    SentRecord r;
    r.id = std::move(id);
    r.kind = "message";
    r.from = "agent-a";
    r.to = "beta/agent-b";
    r.via = Via::mqtt;
    r.state = state;
    r.at = at;
    r.detail = "published";
    return r;
  }

  test::TempDir dir_;
  std::optional<Workspace> ws_;
  std::optional<SentLog> log_;
};

TEST_F(SentLogTest, ALaterReceiptUpdatesTheStateOfWhatWasSent) {
  ASSERT_TRUE(log_->record(record("a1", SentState::sent, 1000)).ok());
  ASSERT_TRUE(log_->record(record("b2", SentState::failed, 2000)).ok());
  SentRecord receipt;  // what the MQTT spool writes when the receipt comes
  receipt.id = "a1";
  receipt.state = SentState::receipt_verified;
  receipt.at = 3000;
  receipt.detail = "receipt verified from the MQTT spool";
  ASSERT_TRUE(log_->record(receipt).ok());
  auto all = SentLog::read(*ws_, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "b2");  // newest sent first
  const SentRecord& a = (*all)[1];
  EXPECT_EQ(a.state, SentState::receipt_verified);
  EXPECT_EQ(a.kind, "message");  // what it was, from its first record
  EXPECT_EQ(a.to, "beta/agent-b");
  EXPECT_EQ(a.first_at, 1000);
  EXPECT_EQ(a.at, 3000);
  EXPECT_EQ(sent_record_json(a).find("state")->as_string(), "receipt verified");
  EXPECT_EQ(SentLog::read(*ws_, 1)->size(), 1u);
}

TEST_F(SentLogTest, TheRecordIsBoundedByRotation) {
  SentRecord r = record("", SentState::sent, 1000);
  r.detail = std::string(900, 'd');
  std::size_t n = 2 * SentLog::kRotateBytes / 1000 + 100;
  for (std::size_t i = 0; i < n; ++i) {
    r.id = std::to_string(i);
    ASSERT_TRUE(log_->record(r).ok());
  }
  std::filesystem::path file = SentLog::file_of(*ws_);
  EXPECT_LE(std::filesystem::file_size(file), SentLog::kRotateBytes);
  EXPECT_LE(std::filesystem::file_size(file.string() + ".1"), SentLog::kRotateBytes);
  auto all = SentLog::read(*ws_, n);
  ASSERT_TRUE(all.ok());
  EXPECT_LT(all->size(), n);  // the oldest went with the first rotation
  EXPECT_GT(all->size(), SentLog::kRotateBytes / 1000);
}

TEST_F(SentLogTest, ALongDetailIsCutAndAnUnreadableLineSkipped) {
  SentRecord r = record("c3", SentState::refused, 5);
  r.detail = std::string(5000, 'x');
  ASSERT_TRUE(log_->record(r).ok());
  ASSERT_TRUE(append_records(SentLog::file_of(*ws_), "{not json\n").ok());
  auto all = SentLog::read(*ws_, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_LT((*all)[0].detail.size(), 1100u);
  EXPECT_EQ((*all)[0].state, SentState::refused);
}

}  // namespace
}  // namespace bwoc
