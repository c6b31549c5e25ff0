// What the inbound layer tells a transport that follows work it runs later
// (Progress): queued, started, done, and a cancel that keeps work from
// running. The action waits on a gate the test opens: no sleeps.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <stop_token>

#include "bwoc/core/inbound.h"
#include "test_util.h"

namespace bwoc {
namespace {

constexpr std::string_view kWorkKind = "test.work";

// A latch the test opens; every wait is bounded.
class Gate {
 public:
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool wait() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// What one delivery went through, as the transport saw it.
struct Seen {
  std::mutex mu;
  std::condition_variable cv;
  bool queued = false;
  bool started = false;
  std::optional<InboundResult> done;
  std::stop_source stop{std::nostopstate};

  bool wait_done() {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return done.has_value(); });
  }
  bool wait_started() {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return started; });
  }
  bool wait_queued() {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return queued || done.has_value(); });
  }
};

class InboundProgress : public test::TwoWorkspaces {
 protected:
  void SetUp() override {
    TwoWorkspaces::SetUp();
    InboundOptions options;
    options.workers = 1;
    options.max_queued = 1;
    auto inbound = Inbound::open(*beta_, options);
    ASSERT_TRUE(inbound.ok()) << inbound.error().message();
    node_ = std::move(inbound).value();
    KindHandler work;
    work.blocking = true;
    Inbound* node = node_.get();
    work.act = [this, node](const InboundRequest& r) -> Result<std::optional<std::string>> {
      {
        std::lock_guard lock(mu_);
        ++runs_;
      }
      if (!gate_.wait()) return Error(Errc::timeout, "the test never opened the gate");
      saw_stop_ = r.stop.stop_requested();
      BWOC_ASSIGN_OR_RETURN(std::string answer, node->sign_answer(r.envelope, "test.work.result",
                                                                  json::Value::object({{"ok", true}})));
      return std::optional<std::string>(std::move(answer));
    };
    node_->add_kind(std::string(kWorkKind), std::move(work));
  }

  void TearDown() override {
    gate_.open();
    if (node_) node_->flush();
  }

  void send(Seen& seen, int n) {
    std::string text = envelope([n](EnvelopeDraft& d) {
      d.kind = std::string(kWorkKind);
      d.payload = json::Value::object({{"n", n}});
    });
    Progress progress;
    progress.queued = [&seen](const Delivery&, std::stop_source stop) {
      std::lock_guard lock(seen.mu);
      seen.queued = true;
      seen.stop = std::move(stop);
      seen.cv.notify_all();
    };
    progress.started = [&seen] {
      std::lock_guard lock(seen.mu);
      seen.started = true;
      seen.cv.notify_all();
    };
    node_->receive(text, Via::a2a, "test", [&seen](InboundResult r) {
      std::lock_guard lock(seen.mu);
      seen.done = std::move(r);
      seen.cv.notify_all();
    }, std::move(progress));
  }

  int runs() {
    std::lock_guard lock(mu_);
    return runs_;
  }

  // Members, so that they outlive the actions TearDown() waits for.
  Seen first_, second_, third_;
  std::unique_ptr<Inbound> node_;
  Gate gate_;
  std::mutex mu_;
  int runs_ = 0;
  std::atomic<bool> saw_stop_{false};
};

TEST_F(InboundProgress, QueuedWorkIsToldThenStartedThenDoneWithItsAnswer) {
  Seen& seen = first_;
  send(seen, 1);
  ASSERT_TRUE(seen.wait_queued());
  {
    std::lock_guard lock(seen.mu);
    EXPECT_TRUE(seen.queued);
    EXPECT_FALSE(seen.done.has_value());  // it waits at the gate
    EXPECT_TRUE(seen.stop.stop_possible());
  }
  gate_.open();
  ASSERT_TRUE(seen.wait_done());
  std::lock_guard lock(seen.mu);
  EXPECT_TRUE(seen.started);
  EXPECT_EQ(seen.done->disposition, InboundResult::Disposition::answered);
  EXPECT_FALSE(seen.done->answer.empty());
}

TEST_F(InboundProgress, WorkCanceledBeforeItStartsNeverRuns) {
  Seen &first = first_, &second = second_;
  send(first, 1);  // takes the one worker, waits at the gate
  ASSERT_TRUE(first.wait_queued());
  ASSERT_TRUE(first.wait_started());  // out of the queue of one: room for the next
  send(second, 2);  // waits for the worker
  ASSERT_TRUE(second.wait_queued());
  second.stop.request_stop();
  gate_.open();
  ASSERT_TRUE(second.wait_done());
  ASSERT_TRUE(first.wait_done());
  node_->flush();
  EXPECT_EQ(second.done->disposition, InboundResult::Disposition::cancelled);
  EXPECT_FALSE(second.started);
  EXPECT_TRUE(second.done->stored);  // in the inbox all the same: it was accepted
  EXPECT_EQ(runs(), 1);
}

TEST_F(InboundProgress, ARunningActionSeesTheCancel) {
  Seen& seen = first_;
  send(seen, 1);
  ASSERT_TRUE(seen.wait_queued());
  ASSERT_TRUE(seen.wait_started());
  seen.stop.request_stop();
  gate_.open();
  ASSERT_TRUE(seen.wait_done());
  // It may stop early; what it answers, the transport drops.
  EXPECT_TRUE(saw_stop_.load());
}

TEST_F(InboundProgress, WhenNoWorkerCanTakeItTheSenderIsToldBusyNotQueued) {
  Seen &first = first_, &second = second_, &third = third_;
  send(first, 1);  // runs
  ASSERT_TRUE(first.wait_queued());
  ASSERT_TRUE(first.wait_started());
  send(second, 2);  // fills the queue of one
  ASSERT_TRUE(second.wait_queued());
  send(third, 3);  // finds no room
  ASSERT_TRUE(third.wait_done());
  EXPECT_FALSE(third.queued);
  EXPECT_EQ(third.done->disposition, InboundResult::Disposition::busy);
  ASSERT_NE(third.done->delivery.envelope, nullptr);  // the transport still learns what was refused
  gate_.open();
}

TEST_F(InboundProgress, WithoutProgressNothingChanges) {
  std::string text = envelope([](EnvelopeDraft& d) { d.kind = std::string(kWorkKind); });
  gate_.open();
  InboundResult r = node_->receive_sync(text, Via::a2a, "test");
  EXPECT_EQ(r.disposition, InboundResult::Disposition::answered);
}

}  // namespace
}  // namespace bwoc
