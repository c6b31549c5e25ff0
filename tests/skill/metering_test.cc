// Metering: the statistics read exactly the newest calls asked for, and a
// line that is not in record_call's own form is still read.
#include "bwoc/skill/metering.h"

#include <gtest/gtest.h>

#include "../core/test_util.h"
#include "bwoc/core/files.h"

namespace bwoc::skill {
namespace {

class MeteringTest : public ::testing::Test {
 protected:
  void SetUp() override { ws_.emplace(test::make_workspace(dir_.path(), "alpha")); }
  void record(const std::string& skill, double ms, const std::string& outcome = "ok") {
    CallRecord r;
    r.ts = now_millis();
    r.side = "provider";
    r.peer = "beta";
    r.agent = "agent-a";
    r.skill = skill;
    r.version = "1.0.0";
    r.ms = ms;
    r.outcome = outcome;
    ASSERT_TRUE(record_call(*ws_, r).ok());
  }
  test::TempDir dir_;
  std::optional<Workspace> ws_;
};

TEST_F(MeteringTest, ReadsExactlyTheNewestCallsAskedFor) {
  for (int i = 0; i < 30; ++i) record("old", 1);
  for (int i = 0; i < 10; ++i) record("new", 2, i % 2 ? "ok" : "failed");
  auto stats = call_stats(*ws_, 10);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->records, 10u);
  ASSERT_EQ(stats->by_skill.size(), 1u);
  EXPECT_EQ(stats->by_skill[0].key, "provider:new");
  EXPECT_EQ(stats->by_skill[0].calls, 10u);
  EXPECT_EQ(stats->by_skill[0].errors, 5u);
  EXPECT_EQ(stats->by_skill[0].p50_ms, 2);
  auto all = call_stats(*ws_);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->records, 40u);
}

TEST_F(MeteringTest, LinesInAnotherFormAreReadInFullAndJunkIsSkipped) {
  record("word-count", 4);
  auto file = ws_->state_dir() / "skill-calls.jsonl";
  std::string text = test::read_file(file);
  // Spaces, another order, an escaped name, a nested member: valid JSON all the same.
  text += R"({ "outcome": "ok", "ms": 8, "side": "provider", "peer": "be\u0074a", "skill": "word-count", "x": {"y": 1} })" "\n";
  text += "not json\n";
  text += R"({"side":"provider","skill":"word-count","ms":"fast","outcome":"ok"})" "\n";
  ASSERT_TRUE(write_file_atomic(file, text, 0600).ok());
  auto stats = call_stats(*ws_);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->records, 3u);
  ASSERT_EQ(stats->by_peer.size(), 2u);  // "beta" twice; the last line names no peer
  EXPECT_EQ(stats->by_peer[1].key, "provider:beta");
  EXPECT_EQ(stats->by_peer[1].calls, 2u);
  EXPECT_EQ(stats->by_skill[0].p99_ms, 8);
}

}  // namespace
}  // namespace bwoc::skill
