// Trust tiers: declared tiers, changes by hand, goals, decay, audit lines.
#include "bwoc/core/trust.h"

#include <gtest/gtest.h>

#include <thread>

#include "../core/test_util.h"
#include "bwoc/core/files.h"

namespace bwoc {
namespace {

class TrustTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alpha_.emplace(test::make_workspace(dir_.path(), "alpha"));
    beta_.emplace(test::make_workspace(dir_.path(), "beta"));
    gamma_.emplace(test::make_workspace(dir_.path(), "gamma"));
    test::declare_peers(*alpha_, {&*beta_});
    auto routes = Routes::load(alpha_->routes_file(), alpha_->root());
    ASSERT_TRUE(routes.ok());
    routes_ = std::make_shared<const Routes>(std::move(routes).value());
  }
  PublicKey key(const Workspace& ws) { return ws.public_key().value(); }
  int tier(TrustStore& t, const Workspace& ws) { return t.tier_of(key(ws)).value().value_or(-1); }

  test::TempDir dir_;
  std::optional<Workspace> alpha_, beta_, gamma_;
  std::shared_ptr<const Routes> routes_;
};

TEST_F(TrustTest, DeclaredPeersStartKnownOthersHaveNoTier) {
  TrustStore t(*alpha_, routes_, false);
  EXPECT_EQ(tier(t, *beta_), kKnown);
  EXPECT_FALSE(t.tier_of(key(*gamma_)).value().has_value());
  EXPECT_EQ(tier(t, *alpha_), kPrivileged);
  EXPECT_FALSE(std::filesystem::exists(t.state_file()));  // reading writes nothing
}

TEST_F(TrustTest, ThreeInARowLowerOneTierASuccessResetsTheRun) {
  TrustStore t(*alpha_, routes_, false);
  ASSERT_TRUE(t.set("beta", kInternal).ok());
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(t.record_outcome(key(*beta_), false, "test").ok());
  ASSERT_TRUE(t.record_outcome(key(*beta_), true, "test").ok());
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(t.record_outcome(key(*beta_), false, "test").ok());
  EXPECT_EQ(tier(t, *beta_), kInternal);
  EXPECT_EQ(t.record_outcome(key(*beta_), false, "test").value(), std::optional<int>(kKnown));
  EXPECT_EQ(tier(t, *beta_), kKnown);
  std::string audit = test::read_file(t.audit_file());
  EXPECT_NE(audit.find("\"from\":2,\"to\":1"), std::string::npos) << audit;
}

TEST_F(TrustTest, TenInAllLowerToUntrusted) {
  TrustStore t(*alpha_, routes_, false);
  ASSERT_TRUE(t.set("beta", kPrivileged).ok());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(t.record_outcome(key(*beta_), false, "test").ok());
    if (i % 2 == 0) {
      ASSERT_TRUE(t.record_outcome(key(*beta_), true, "test").ok());
    }
  }
  EXPECT_EQ(tier(t, *beta_), kUntrusted);
}

TEST_F(TrustTest, GoalsRaiseAndStepDownNeverBelowTheStart) {
  TrustStore t(*alpha_, routes_, false);
  auto g = t.start_goal("beta", "Write the review", kInternal, std::nullopt);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->before, kKnown);
  EXPECT_EQ(tier(t, *beta_), kInternal);
  ASSERT_TRUE(t.finish_goal(g->id).ok());
  EXPECT_EQ(tier(t, *beta_), kKnown);
  EXPECT_FALSE(t.finish_goal(g->id).ok());
  EXPECT_FALSE(t.start_goal("beta", "x", kPrivileged, std::nullopt).ok());
  EXPECT_FALSE(t.start_goal("nobody", "x", kKnown, std::nullopt).ok());
  // Already at the granted tier: done leaves it there.
  ASSERT_TRUE(t.set("beta", kInternal).ok());
  auto same = t.start_goal("beta", "Same", kInternal, std::nullopt);
  ASSERT_TRUE(t.finish_goal(same->id).ok());
  EXPECT_EQ(tier(t, *beta_), kInternal);
}

TEST_F(TrustTest, AnExpiredGoalStepsDownWhenNextRead) {
  TrustStore t(*alpha_, routes_, false);
  auto g = t.start_goal("beta", "Short", kInternal, 60'000);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(t.tier_of(key(*beta_), now_millis()).value(), std::optional<int>(kInternal));
  EXPECT_EQ(t.tier_of(key(*beta_), now_millis() + 61'000).value(), std::optional<int>(kKnown));
  EXPECT_EQ(t.goals().value()[0].state, "expired");
}

// The three ways the review found to have a goal's end raise a tier.
TEST_F(TrustTest, EndingTwoOverlappingGoalsLeavesTheTierTheyFound) {
  TrustStore t(*alpha_, routes_, false);
  auto first = t.start_goal("beta", "First", kInternal, std::nullopt);
  auto second = t.start_goal("beta", "Second", kInternal, std::nullopt);
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE(t.finish_goal(first->id).ok());
  EXPECT_EQ(tier(t, *beta_), kInternal);  // the second still holds it
  ASSERT_TRUE(t.finish_goal(second->id).ok());
  EXPECT_EQ(tier(t, *beta_), kKnown);
}

TEST_F(TrustTest, AGoalThatExpiresAfterTrustSetLeavesTheSetTier) {
  TrustStore t(*alpha_, routes_, false);
  UnixMillis now = 1'800'000'000'000;
  t.set_clock([&] { return now; });
  ASSERT_TRUE(t.start_goal("beta", "Short", kInternal, 60'000).ok());
  ASSERT_TRUE(t.set("beta", kUntrusted).ok());
  EXPECT_EQ(tier(t, *beta_), kUntrusted);
  now += 61'000;
  EXPECT_EQ(tier(t, *beta_), kUntrusted);
  EXPECT_EQ(t.goals().value()[0].state, "expired");
}

TEST_F(TrustTest, DecayDuringAGoalStandsWhenItEnds) {
  TrustStore t(*alpha_, routes_, false);
  auto g = t.start_goal("beta", "Review", kInternal, std::nullopt);
  ASSERT_TRUE(g.ok());
  for (int i = 0; i < kDecayTotal; ++i) {
    ASSERT_TRUE(t.record_outcome(key(*beta_), false, "test").ok());
    ASSERT_TRUE(t.record_outcome(key(*beta_), true, "test").ok());
  }
  EXPECT_EQ(tier(t, *beta_), kUntrusted);
  ASSERT_TRUE(t.finish_goal(g->id).ok());
  EXPECT_EQ(tier(t, *beta_), kUntrusted);
  // One step of decay lowers what a goal grants, for as long as it runs.
  ASSERT_TRUE(t.set("beta", kKnown).ok());
  auto next = t.start_goal("beta", "Again", kInternal, std::nullopt);
  for (int i = 0; i < kDecayRun; ++i) ASSERT_TRUE(t.record_outcome(key(*beta_), false, "test").ok());
  EXPECT_EQ(tier(t, *beta_), kKnown);
  ASSERT_TRUE(t.finish_goal(next->id).ok());
  EXPECT_EQ(tier(t, *beta_), kKnown);
}

TEST_F(TrustTest, AGoalStartedAfterTrustSetLiftsAgain) {
  TrustStore t(*alpha_, routes_, false);
  auto before = t.start_goal("beta", "Before", kInternal, std::nullopt);
  ASSERT_TRUE(t.set("beta", kKnown).ok());
  EXPECT_EQ(tier(t, *beta_), kKnown);
  auto after = t.start_goal("beta", "After", kInternal, std::nullopt);
  EXPECT_EQ(tier(t, *beta_), kInternal);
  ASSERT_TRUE(t.finish_goal(before->id).ok());
  EXPECT_EQ(tier(t, *beta_), kInternal);
  ASSERT_TRUE(t.finish_goal(after->id).ok());
  EXPECT_EQ(tier(t, *beta_), kKnown);
}

// A trust.json written before goals kept their lift (no "version") loads as
// it stood, and its goals can no longer raise anything when they end.
TEST_F(TrustTest, StateWithoutVersionLoadsAndItsGoalsNeverRaiseATier) {
  TrustStore t(*alpha_, routes_, false);
  std::string beta = key(*beta_).to_text();
  auto goal = [&](const char* id, int grant, int before) {
    return std::string("{\"id\":\"") + id + "\",\"peer\":\"beta\",\"key\":\"" + beta +
           "\",\"objective\":\"x\",\"grant\":" + std::to_string(grant) + ",\"before\":" +
           std::to_string(before) + ",\"started\":\"2026-01-01T00:00:00.000Z\",\"state\":\"active\",\"key_results\":[]}";
  };
  // What a bwoc before version 2 wrote: beta's tier as it stood, and its goals.
  auto write_version_1 = [&](int tier, int total_failures, const std::string& goals) {
    std::string keys = "{\"" + beta + "\":{\"peer\":\"beta\",\"tier\":" + std::to_string(tier) +
                       ",\"consecutive_failures\":1,\"total_failures\":" + std::to_string(total_failures) + "}}";
    return write_file_atomic(t.state_file(), "{\"keys\":" + keys + ",\"goals\":[" + goals + "],\"next_goal\":3}\n");
  };
  // Two overlapping goals.
  ASSERT_TRUE(write_version_1(kInternal, 4, goal("g1", 2, 1) + "," + goal("g2", 2, 2)).ok());
  EXPECT_EQ(tier(t, *beta_), kInternal);
  EXPECT_EQ(t.list().value()[0].total_failures, 4);
  ASSERT_TRUE(t.finish_goal("g2").ok());
  EXPECT_EQ(tier(t, *beta_), kInternal);
  ASSERT_TRUE(t.finish_goal("g1").ok());
  EXPECT_EQ(tier(t, *beta_), kKnown);
  EXPECT_EQ(t.start_goal("beta", "Next", kKnown, std::nullopt)->id, "g3");
  EXPECT_NE(test::read_file(t.state_file()).find("\"version\": 2"), std::string::npos);

  // Set to UNTRUSTED by hand while a goal ran: it stays there when the goal ends.
  ASSERT_TRUE(write_version_1(kUntrusted, 0, goal("g1", 2, 1)).ok());
  EXPECT_EQ(tier(t, *beta_), kUntrusted);
  ASSERT_TRUE(t.finish_goal("g1").ok());
  EXPECT_EQ(tier(t, *beta_), kUntrusted);

  // Set to PRIVILEGED by hand while a goal ran: no goal explains it, it stands.
  ASSERT_TRUE(write_version_1(kPrivileged, 0, goal("g1", 2, 1)).ok());
  EXPECT_EQ(tier(t, *beta_), kPrivileged);
  ASSERT_TRUE(t.finish_goal("g1").ok());
  EXPECT_EQ(tier(t, *beta_), kPrivileged);
}

TEST_F(TrustTest, StateFromANewerVersionIsRefusedNotGuessed) {
  TrustStore t(*alpha_, routes_, false);
  ASSERT_TRUE(write_file_atomic(t.state_file(), "{\"version\":3,\"keys\":{},\"goals\":[]}\n").ok());
  auto tier_now = t.tier_of(key(*beta_));
  ASSERT_FALSE(tier_now.ok());
  EXPECT_NE(tier_now.error().message().find("newer bwoc"), std::string::npos);
}

TEST_F(TrustTest, KeyResultsAreKeptAndTicked) {
  TrustStore t(*alpha_, routes_, false);
  auto g = t.start_goal("beta", "Ship", kInternal, std::nullopt);
  ASSERT_TRUE(t.add_key_result(g->id, "Draft").ok());
  ASSERT_TRUE(t.add_key_result(g->id, "Review").ok());
  auto ticked = t.tick_key_result(g->id, 2);
  ASSERT_TRUE(ticked.ok());
  EXPECT_FALSE(ticked->key_results[0].done);
  EXPECT_TRUE(ticked->key_results[1].done);
  EXPECT_FALSE(t.tick_key_result(g->id, 3).ok());
}

TEST_F(TrustTest, ConcurrentProcessesLoseNoFailure) {
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      TrustStore t(*alpha_, routes_, false);
      for (int j = 0; j < 2; ++j) ASSERT_TRUE(t.record_outcome(key(*beta_), false, "test").ok());
    });
  }
  for (auto& th : threads) th.join();
  TrustStore t(*alpha_, routes_, false);
  EXPECT_EQ(t.list().value()[0].total_failures, 8);
}

TEST_F(TrustTest, ParsesTierNames) {
  EXPECT_EQ(parse_tier("2"), std::optional<int>(2));
  EXPECT_EQ(parse_tier("internal"), std::optional<int>(2));
  EXPECT_EQ(parse_tier("PRIVILEGED"), std::optional<int>(3));
  EXPECT_FALSE(parse_tier("4").has_value());
  EXPECT_FALSE(parse_tier("").has_value());
}

}  // namespace
}  // namespace bwoc
