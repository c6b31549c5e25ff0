#include "bwoc/mqtt/resend_policy.h"

#include <gtest/gtest.h>

#include "../core/test_util.h"
#include "bwoc/core/envelope.h"
#include "bwoc/core/files.h"

namespace bwoc::mqtt {
namespace {

class ResendPolicyTest : public test::TwoWorkspaces {
 protected:
  void SetUp() override {
    TwoWorkspaces::SetUp();
    auto spool = Spool::open(*alpha_);
    ASSERT_TRUE(spool.ok());
    spool_.emplace(std::move(spool).value());
  }

  SpoolEntry spooled(const std::function<void(EnvelopeDraft&)>& edit = {}) {
    std::string text = envelope(edit);
    SpoolEntry e;
    e.envelope = text;
    e.id = parse_envelope(text).value().id;
    e.from = "agent-a";
    e.to = "beta/agent-b";
    e.broker = "mqtt://127.0.0.1:1883";
    e.topic = "bwoc/beta/agent-b/inbox";
    e.reply_topic = "bwoc/alpha/agent-a/receipts";
    e.peer_key = *beta_->public_key();
    e.created = now_millis();
    EXPECT_TRUE(spool_->put(e).ok());
    return e;
  }

  // What a resend pass keeps of `e`, and whether the spool still holds it.
  std::pair<bool, bool> resend(const SpoolEntry& e) {
    std::size_t given_up = 0;
    auto kept = still_worth_resending(*alpha_, *spool_, {e}, &given_up);
    EXPECT_EQ(given_up + kept.size(), 1u);
    return {kept.size() == 1, spool_->get(e.id).has_value()};
  }

  std::optional<Spool> spool_;
};

TEST_F(ResendPolicyTest, KeepsWhatADeclaredPeerWillStillAccept) {
  SpoolEntry e = spooled();
  EXPECT_EQ(resend(e), std::make_pair(true, true));
}

TEST_F(ResendPolicyTest, GivesUpOnAPeerRemovedFromRoutes) {
  SpoolEntry e = spooled();
  ASSERT_TRUE(write_file_atomic(alpha_->routes_file(), "").ok());
  auto policy = ResendPolicy::load(*alpha_);
  ASSERT_TRUE(policy.ok());
  EXPECT_EQ(policy->give_up(e, now_millis()), "its peer was removed from routes.toml, or declared again from a new invite under another key");
  EXPECT_EQ(resend(e), std::make_pair(false, false));
}

TEST_F(ResendPolicyTest, GivesUpOnAPeerLoweredToUntrusted) {
  SpoolEntry e = spooled();
  auto routes = std::make_shared<const Routes>(*Routes::load(alpha_->routes_file(), alpha_->root()));
  ASSERT_TRUE(TrustStore(*alpha_, routes, false).set("beta", kUntrusted).ok());
  auto policy = ResendPolicy::load(*alpha_);
  ASSERT_TRUE(policy.ok());
  EXPECT_EQ(policy->give_up(e, now_millis()), "its peer was lowered to UNTRUSTED");
  EXPECT_EQ(resend(e), std::make_pair(false, false));
}

TEST_F(ResendPolicyTest, GivesUpOnAnEnvelopeOlderThanThePeerAccepts) {
  SpoolEntry e = spooled([](EnvelopeDraft& d) { d.ts = now_millis() - default_max_age_ms(Via::mqtt) - 60'000; });
  EXPECT_EQ(resend(e), std::make_pair(false, false));
  SpoolEntry young = spooled([](EnvelopeDraft& d) { d.ts = now_millis() - 60'000; });
  EXPECT_EQ(resend(young), std::make_pair(true, true));
}

TEST_F(ResendPolicyTest, GivesUpOnceItsDeadlinePassed) {
  SpoolEntry late = spooled([](EnvelopeDraft& d) {
    d.extra.push_back({"deadline", json::Value::string(format_timestamp(now_millis() - 1000))});
  });
  auto policy = ResendPolicy::load(*alpha_);
  ASSERT_TRUE(policy.ok());
  EXPECT_NE(policy->give_up(late, now_millis())->find("deadline"), std::string::npos);
  EXPECT_EQ(resend(late), std::make_pair(false, false));
  SpoolEntry on_time = spooled([](EnvelopeDraft& d) {
    d.extra.push_back({"deadline", json::Value::string(format_timestamp(now_millis() + 3'600'000))});
  });
  EXPECT_EQ(resend(on_time), std::make_pair(true, true));
}

}  // namespace
}  // namespace bwoc::mqtt
