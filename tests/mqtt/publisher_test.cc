// The publisher against a real mosquitto (no subscriber: no receipt comes).
#include "bwoc/mqtt/publisher.h"

#include <gtest/gtest.h>

#include "../core/test_util.h"
#include "bwoc/core/envelope.h"
#include "bwoc/core/files.h"
#include "bwoc/core/sent_log.h"
#include "bwoc/mqtt/local_broker.h"

namespace bwoc::mqtt {
namespace {

class PublisherTest : public test::TwoWorkspaces {
 protected:
  void SetUp() override {
    if (!LocalBroker::find_mosquitto()) GTEST_SKIP() << "mosquitto is not installed";
    TwoWorkspaces::SetUp();
    auto broker = LocalBroker::start(dir_.path() / "broker");
    ASSERT_TRUE(broker.ok()) << broker.error().message();
    broker_ = std::move(broker).value();
    auto publisher = Publisher::open(*alpha_, broker_->url());
    ASSERT_TRUE(publisher.ok()) << publisher.error().message();
    publisher_ = std::move(publisher).value();
  }

  Outgoing outgoing() {
    std::string text = envelope();
    return Outgoing{text, parse_envelope(text).value().id, "agent-a", "beta/agent-b", "bwoc/beta/agent-b/inbox",
                    *beta_->public_key()};
  }

  std::unique_ptr<LocalBroker> broker_;
  std::unique_ptr<Publisher> publisher_;
};

TEST_F(PublisherTest, EveryQueuedEnvelopeIsInTheSpoolOnceFlushed) {
  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) {
    Outgoing m = outgoing();
    ids.push_back(m.id);
    ASSERT_TRUE(publisher_->publish(m).ok());
  }
  publisher_->flush();
  auto spool = Spool::open(*alpha_);  // what another process sees
  ASSERT_TRUE(spool.ok());
  EXPECT_EQ(spool->size(), 300u);
  for (const std::string& id : ids) ASSERT_TRUE(spool->get(id)) << id;
  // No subscriber: every one is still without its receipt, and stays.
  auto pending = publisher_->wait(std::chrono::milliseconds(0));
  ASSERT_TRUE(pending.ok()) << pending.error().message();
  EXPECT_EQ(pending->size(), 300u);
  EXPECT_EQ(spool->size(), 300u);
}

TEST_F(PublisherTest, ARetryGivesUpWhatIsNoLongerWorthSendingAndRecordsIt) {
  Outgoing kept = outgoing();
  Outgoing dropped = outgoing();
  ASSERT_TRUE(publisher_->publish(kept).ok());
  ASSERT_TRUE(publisher_->publish(dropped).ok());
  publisher_->flush();
  // beta is removed from routes.toml: nothing of its can be confirmed any more.
  ASSERT_TRUE(write_file_atomic(alpha_->routes_file(), "").ok());
  std::size_t given_up = 0;
  auto resent = publisher_->retry("", &given_up);
  ASSERT_TRUE(resent.ok()) << resent.error().message();
  EXPECT_EQ(*resent, 0u);
  EXPECT_EQ(given_up, 2u);
  auto spool = Spool::open(*alpha_);
  ASSERT_TRUE(spool.ok());
  EXPECT_EQ(spool->size(), 0u);
  auto sent = SentLog::read(*alpha_, 10);
  ASSERT_TRUE(sent.ok());
  ASSERT_EQ(sent->size(), 2u);
  EXPECT_EQ((*sent)[0].state, SentState::failed);
  EXPECT_NE((*sent)[0].detail.find("removed from routes.toml"), std::string::npos);
}

}  // namespace
}  // namespace bwoc::mqtt
