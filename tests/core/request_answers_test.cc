// Answers to this workspace's requests, as the one inbound layer takes them
// in (request_kinds.h): the store judges each before it is stored, so that
// an answer it refuses never reaches the agent's inbox, whatever transport
// brought it. Beta asked; alpha answers.
#include <gtest/gtest.h>

#include "bwoc/core/inbound.h"
#include "bwoc/core/request_kinds.h"
#include "bwoc/core/requests.h"
#include "test_util.h"

namespace bwoc {
namespace {

class RequestAnswers : public test::TwoWorkspaces {
 protected:
  void SetUp() override {
    TwoWorkspaces::SetUp();
    auto store = RequestStore::open(*beta_);
    ASSERT_TRUE(store.ok()) << store.error().message();
    store_ = std::move(store).value();
    auto inbound = Inbound::open(*beta_);
    ASSERT_TRUE(inbound.ok()) << inbound.error().message();
    node_ = std::move(inbound).value();
    add_request_kinds(*node_);
  }

  // A request of beta's to alpha, sent as the attempts given, each addressed to `aud`.
  std::string request(std::vector<std::string_view> attempts, const PublicKey& aud, UnixMillis deadline) {
    UnixMillis now = std::min(now_millis(), deadline - 1000);
    auto ids = store_->enqueue({test::count_request("alpha", "agent-a", "agent-b", deadline)}, now);
    EXPECT_TRUE(ids.ok());
    std::vector<RequestStore::Attempt> sent;
    for (std::string_view a : attempts) sent.push_back({ids->front(), std::string(a), aud, "path"});
    EXPECT_TRUE(store_->record_attempts(sent, now).ok());
    return ids->front();
  }

  // Alpha's answer to the attempt `re`.
  std::string answer(std::string_view re, std::string kind = "skill.result",
                     json::Value payload = json::Value::object({{"output", json::Value::object({{"n", 1}})}})) {
    return envelope([&](EnvelopeDraft& d) {
      d.from = "agent-a";
      d.to = "agent-b";
      d.kind = std::move(kind);
      d.re = std::string(re);
      d.payload = std::move(payload);
    });
  }

  InboundResult receive(const std::string& text) { return node_->receive_sync(text, Via::path, "test"); }

  std::size_t inbox_lines() { return test::count_lines(beta_->inbox_file("agent-b")); }

  RequestState state_of(const std::string& id) {
    EXPECT_TRUE(store_->refresh().ok());
    return store_->find(id)->state;
  }

  PublicKey alpha_pub() { return *alpha_->public_key(); }

  // The envelope ids of two attempts of one request.
  static constexpr std::string_view kAttempt = "aaaa0000aaaa0000aaaa0000aaaa0000";
  static constexpr std::string_view kOtherAttempt = "bbbb0000bbbb0000bbbb0000bbbb0000";

  std::unique_ptr<RequestStore> store_;
  std::unique_ptr<Inbound> node_;
};

TEST_F(RequestAnswers, TheAnswerToOurAttemptIsStoredAndSettlesTheRequest) {
  std::string id = request({kAttempt}, alpha_pub(), now_millis() + 60'000);
  InboundResult r = receive(answer(kAttempt));
  EXPECT_EQ(r.delivery.outcome, Delivery::Outcome::accepted);
  EXPECT_EQ(r.disposition, InboundResult::Disposition::silent);  // answers are never answered
  EXPECT_EQ(inbox_lines(), 1u);
  EXPECT_EQ(state_of(id), RequestState::done);
}

TEST_F(RequestAnswers, ASecondAnswerToASettledRequestIsRefusedAndNeverStored) {
  std::string id = request({kAttempt, kOtherAttempt}, alpha_pub(), now_millis() + 60'000);
  ASSERT_EQ(receive(answer(kAttempt)).delivery.outcome, Delivery::Outcome::accepted);
  InboundResult second = receive(answer(kOtherAttempt, "error", json::Value::object({{"error", "Skill failed"}})));
  EXPECT_EQ(second.delivery.outcome, Delivery::Outcome::denied);
  EXPECT_EQ(second.disposition, InboundResult::Disposition::not_accepted);
  EXPECT_TRUE(second.answer.empty());
  EXPECT_EQ(inbox_lines(), 1u);
  EXPECT_EQ(state_of(id), RequestState::done);
}

TEST_F(RequestAnswers, TwoAnswersTakenInTogetherKeepOnlyTheFirst) {
  std::string id = request({kAttempt, kOtherAttempt}, alpha_pub(), now_millis() + 60'000);
  std::mutex mu;
  std::vector<InboundResult> results;
  for (std::string_view re : {kAttempt, kOtherAttempt}) {
    node_->receive(answer(re), Via::path, "test", [&](InboundResult r) {
      std::lock_guard lock(mu);
      results.push_back(std::move(r));
    });
  }
  node_->flush();
  ASSERT_EQ(results.size(), 2u);
  int accepted = 0, denied = 0;
  for (const InboundResult& r : results) {
    accepted += r.delivery.outcome == Delivery::Outcome::accepted;
    denied += r.delivery.outcome == Delivery::Outcome::denied;
  }
  EXPECT_EQ(accepted, 1);
  EXPECT_EQ(denied, 1);
  EXPECT_EQ(inbox_lines(), 1u);
  EXPECT_EQ(state_of(id), RequestState::done);
}

TEST_F(RequestAnswers, AnAnswerFromAKeyTheAttemptWasNotAddressedToIsRefused) {
  // The attempt went to another key; alpha (a declared peer) answers it anyway.
  std::string id = request({kAttempt}, test::vector_sender().public_key(), now_millis() + 60'000);
  InboundResult r = receive(answer(kAttempt));
  EXPECT_EQ(r.delivery.outcome, Delivery::Outcome::denied);
  EXPECT_EQ(r.disposition, InboundResult::Disposition::not_accepted);
  EXPECT_EQ(inbox_lines(), 0u);
  EXPECT_EQ(state_of(id), RequestState::queued);
}

TEST_F(RequestAnswers, AnAnswerAfterTheDeadlineIsRefused) {
  std::string id = request({kAttempt}, alpha_pub(), now_millis() - 1);
  InboundResult r = receive(answer(kAttempt));
  EXPECT_EQ(r.delivery.outcome, Delivery::Outcome::denied);
  EXPECT_EQ(inbox_lines(), 0u);
  EXPECT_EQ(state_of(id), RequestState::expired);  // as the deadline says, not as the answer said
  EXPECT_TRUE(store_->find(id)->answer.empty());
}

TEST_F(RequestAnswers, AnAnswerThatNamesARequestWeNeverMadeIsRefused) {
  json::Value claims = json::Value::object({{"error", "Working"}, {"state", "working"}, {"idem", "nope"}});
  InboundResult r = receive(answer("cccc0000cccc0000cccc0000cccc0000", "error", claims));
  EXPECT_EQ(r.delivery.outcome, Delivery::Outcome::denied);
  EXPECT_EQ(inbox_lines(), 0u);
}

TEST_F(RequestAnswers, AnswersToAnythingElseAreStoredAsBefore) {
  // A call made outside the store (its asker looks for the answer in the
  // inbox), and an error to a read: none of the store's business.
  EXPECT_EQ(receive(answer("dddd0000dddd0000dddd0000dddd0000")).delivery.outcome, Delivery::Outcome::accepted);
  EXPECT_EQ(receive(answer("eeee0000eeee0000eeee0000eeee0000", "error",
                           json::Value::object({{"error", std::string(kNotPermitted)}})))
                .delivery.outcome,
            Delivery::Outcome::accepted);
  EXPECT_EQ(inbox_lines(), 2u);
}

}  // namespace
}  // namespace bwoc
