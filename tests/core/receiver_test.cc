#include "bwoc/core/receiver.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include "bwoc/core/files.h"
#include "bwoc/core/inbox.h"
#include "bwoc/core/refusal_log.h"
#include "test_util.h"

namespace bwoc {
namespace {

class ReceiverTest : public test::TwoWorkspaces {
 protected:
  std::unique_ptr<Receiver> open_beta(ReceiverOptions options = {}) {
    auto r = Receiver::open(*beta_, std::move(options));
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
    return std::move(r).value();
  }

  std::filesystem::path beta_inbox() const { return beta_->inbox_file("agent-b"); }
};

Reason refused_for(const Delivery& d) {
  EXPECT_EQ(d.outcome, Delivery::Outcome::refused);
  return d.refusal ? d.refusal->reason : Reason::malformed;
}

TEST_F(ReceiverTest, AcceptsAValidEnvelopeIntoTheAgentsInbox) {
  auto rx = open_beta();
  std::string text = envelope();
  Delivery d = rx->receive_sync(text, Via::path, "test");
  ASSERT_EQ(d.outcome, Delivery::Outcome::accepted);
  EXPECT_EQ(d.peer, "alpha");
  std::string inbox = test::read_file(beta_inbox());
  ASSERT_EQ(std::count(inbox.begin(), inbox.end(), '\n'), 1);
  const std::string first_line = inbox.substr(0, inbox.size() - 1);
  auto line = parse_inbox_line(first_line);
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->via, Via::path);
  EXPECT_EQ(line->envelope, text);  // verbatim
}

TEST_F(ReceiverTest, EachCheckRefusesWithItsReasonCodeInSpecOrder) {
  auto rx = open_beta();
  // 4: a key nobody pinned.
  SecretKey stranger = SecretKey::generate();
  EnvelopeDraft d = test::draft_to(*beta_->public_key());
  EXPECT_EQ(refused_for(rx->receive_sync(*sign_envelope(d, stranger), Via::path, "t")), Reason::unknown_sender);
  // 5: signed for another workspace.
  EXPECT_EQ(refused_for(rx->receive_sync(*sign_envelope(test::draft_to(*alpha_->public_key()), *alpha_key_),
                                         Via::path, "t")),
            Reason::wrong_audience);
  // 6: no such agent.
  EXPECT_EQ(refused_for(rx->receive_sync(envelope([](EnvelopeDraft& e) { e.to = "nobody"; }), Via::path, "t")),
            Reason::unknown_recipient);
  // 7: tampered after signing.
  std::string tampered = envelope();
  tampered.replace(tampered.find("hello"), 5, "HELLO");
  EXPECT_EQ(refused_for(rx->receive_sync(tampered, Via::path, "t")), Reason::bad_signature);
  // 8: too old for A2A (300 s) but fine for the path transport (7 d).
  std::string old = envelope([](EnvelopeDraft& e) { e.ts = now_millis() - 600'000; });
  EXPECT_EQ(refused_for(rx->receive_sync(old, Via::a2a, "t")), Reason::stale);
  EXPECT_EQ(rx->receive_sync(old, Via::path, "t").outcome, Delivery::Outcome::accepted);
  EXPECT_EQ(refused_for(rx->receive_sync(envelope([](EnvelopeDraft& e) { e.ts = now_millis() - 8 * 86'400'000LL; }),
                                         Via::path, "t")),
            Reason::stale);
  EXPECT_EQ(refused_for(rx->receive_sync(envelope([](EnvelopeDraft& e) { e.ts = now_millis() + 120'000; }),
                                         Via::path, "t")),
            Reason::future);
  // Within the 60 s tolerance is fine.
  EXPECT_EQ(rx->receive_sync(envelope([](EnvelopeDraft& e) { e.ts = now_millis() + 30'000; }), Via::path, "t").outcome,
            Delivery::Outcome::accepted);
  // 9: the same id again.
  std::string text = envelope();
  ASSERT_EQ(rx->receive_sync(text, Via::path, "t").outcome, Delivery::Outcome::accepted);
  Delivery again = rx->receive_sync(text, Via::a2a, "t");
  EXPECT_EQ(again.outcome, Delivery::Outcome::duplicate);
  EXPECT_EQ(again.refusal->reason, Reason::replayed);
  // Same id, other content (re-signed): refused, not a duplicate.
  auto first = parse_envelope(text);
  std::string other = envelope([&](EnvelopeDraft& e) {
    e.id = first.value().id;
    e.payload.set("text", json::Value::string("changed"));
  });
  EXPECT_EQ(refused_for(rx->receive_sync(other, Via::path, "t")), Reason::replayed);
  EXPECT_EQ(test::count_lines(beta_inbox()), 3u);
}

TEST_F(ReceiverTest, RefusalsAreLoggedWithTheirReasonAndNeverDelivered) {
  auto rx = open_beta();
  rx->receive_sync("{not json", Via::mqtt, "bwoc/beta/agent-b/inbox");
  std::string tampered = envelope();
  tampered.replace(tampered.find("hello"), 5, "HELLO");
  rx->receive_sync(tampered, Via::path, "entry-1");
  auto log = read_refusal_log(beta_->refusal_log_file(), 0);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[0].reason, "malformed");
  EXPECT_EQ((*log)[0].via, Via::mqtt);
  EXPECT_EQ((*log)[1].reason, "bad_signature");
  EXPECT_EQ((*log)[1].peer.value_or(""), "alpha");
  EXPECT_EQ((*log)[1].source, "entry-1");
  EXPECT_EQ(test::count_lines(beta_inbox()), 0u);
}

TEST_F(ReceiverTest, SeenIdsSurviveARestart) {
  std::string text = envelope();
  {
    auto rx = open_beta();
    ASSERT_EQ(rx->receive_sync(text, Via::path, "t").outcome, Delivery::Outcome::accepted);
  }
  auto rx = open_beta();
  EXPECT_EQ(rx->receive_sync(text, Via::mqtt, "t").outcome, Delivery::Outcome::duplicate);
  EXPECT_EQ(test::count_lines(beta_inbox()), 1u);
}

TEST_F(ReceiverTest, ALineLeftByACrashIsIndexedBeforeTheNextAppend) {
  // A process wrote the inbox line and died before recording the seen id.
  std::string text = envelope();
  ASSERT_TRUE(ensure_directory(beta_inbox().parent_path()).ok());
  {
    std::ofstream out(beta_inbox(), std::ios::app);
    out << format_inbox_line(text, now_millis(), Via::mqtt);
  }
  auto rx = open_beta();
  EXPECT_EQ(rx->receive_sync(text, Via::path, "t").outcome, Delivery::Outcome::duplicate);
  EXPECT_EQ(test::count_lines(beta_inbox()), 1u);
}

TEST_F(ReceiverTest, ATornLastLineIsRepairedNotKept) {
  ASSERT_TRUE(ensure_directory(beta_inbox().parent_path()).ok());
  std::string first = envelope();
  std::string torn = format_inbox_line(envelope(), now_millis(), Via::path);
  {
    std::ofstream out(beta_inbox(), std::ios::app);
    out << format_inbox_line(first, now_millis(), Via::path);
    out << torn.substr(0, torn.size() / 2);  // the crash cut this write in half
  }
  auto rx = open_beta();
  ASSERT_EQ(rx->receive_sync(envelope(), Via::path, "t").outcome, Delivery::Outcome::accepted);
  std::string inbox = test::read_file(beta_inbox());
  EXPECT_EQ(std::count(inbox.begin(), inbox.end(), '\n'), 2);
  std::size_t start = 0;
  while (start < inbox.size()) {
    std::size_t nl = inbox.find('\n', start);
    ASSERT_TRUE(parse_inbox_line(std::string_view(inbox).substr(start, nl - start)).ok());
    start = nl + 1;
  }
  auto log = read_refusal_log(beta_->refusal_log_file(), 0);
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].reason, "torn_line");
  EXPECT_FALSE(std::filesystem::is_empty(beta_->state_dir() / "torn"));
}

TEST_F(ReceiverTest, ConcurrentReceivesAreExactlyOnceAndShareFsyncs) {
  auto rx = open_beta();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  std::vector<std::string> texts;
  for (int i = 0; i < kThreads * kPerThread; ++i) texts.push_back(envelope());
  std::atomic<int> accepted{0}, duplicates{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Every thread delivers its own share and then its neighbour's again.
      for (int pass = 0; pass < 2; ++pass) {
        int owner = (t + pass) % kThreads;
        for (int i = 0; i < kPerThread; ++i) {
          Delivery d = rx->receive_sync(texts[owner * kPerThread + i], Via::a2a, "t");
          if (d.outcome == Delivery::Outcome::accepted) ++accepted;
          if (d.outcome == Delivery::Outcome::duplicate) ++duplicates;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(accepted.load(), kThreads * kPerThread);
  EXPECT_EQ(duplicates.load(), kThreads * kPerThread);
  EXPECT_EQ(test::count_lines(beta_inbox()), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_LT(rx->stats().commits, rx->stats().accepted + rx->stats().duplicates);
}

TEST_F(ReceiverTest, SeveralProcessesDeliverEachEnvelopeExactlyOnce) {
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i) texts.push_back(envelope());
  constexpr int kProcesses = 4;
  std::vector<pid_t> children;
  for (int c = 0; c < kProcesses; ++c) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto rx = Receiver::open(*beta_);
      if (!rx.ok()) ::_exit(2);
      // Every process tries every envelope, each in its own order.
      for (std::size_t i = 0; i < texts.size(); ++i) {
        std::size_t k = (i * 7 + static_cast<std::size_t>(c) * 13) % texts.size();
        Delivery d = (*rx)->receive_sync(texts[k], Via::mqtt, "child");
        if (!d.delivered()) ::_exit(3);
      }
      rx->reset();
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  std::string inbox = test::read_file(beta_inbox());
  std::set<std::string> ids;
  std::size_t lines = 0, start = 0;
  while (start < inbox.size()) {
    std::size_t nl = inbox.find('\n', start);
    auto line = parse_inbox_line(std::string_view(inbox).substr(start, nl - start));
    ASSERT_TRUE(line.ok());
    ids.insert(parse_envelope(line->envelope).value().id);
    ++lines;
    start = nl + 1;
  }
  EXPECT_EQ(lines, texts.size());
  EXPECT_EQ(ids.size(), texts.size());
}

TEST_F(ReceiverTest, DryRunRecordsNothing) {
  auto rx = open_beta();
  std::string text = envelope();
  Delivery d = rx->check(text, Via::path);
  EXPECT_EQ(d.outcome, Delivery::Outcome::accepted);
  EXPECT_EQ(test::count_lines(beta_inbox()), 0u);
  EXPECT_EQ(rx->receive_sync(text, Via::path, "t").outcome, Delivery::Outcome::accepted);
  EXPECT_EQ(rx->check(text, Via::path).outcome, Delivery::Outcome::duplicate);
  std::string bad = "[]";
  EXPECT_EQ(rx->check(bad, Via::path).refusal->reason, Reason::malformed);
  EXPECT_FALSE(std::filesystem::exists(beta_->refusal_log_file()));
}

TEST_F(ReceiverTest, VerifyAnswersAReadWithoutRecordingItAndLogsRefusals) {
  ReceiverOptions options;
  options.policy = [](const Envelope& env, const std::string&) -> std::optional<std::string> {
    if (env.kind == "closed") return std::string("closed");
    return std::nullopt;
  };
  auto rx = open_beta(options);
  std::string text = envelope([](EnvelopeDraft& e) { e.kind = "peer.status"; });
  Delivery d = rx->verify(parse_envelope(text), text, Via::mqtt, "t");
  EXPECT_EQ(d.outcome, Delivery::Outcome::accepted);
  EXPECT_EQ(d.peer, "alpha");
  // Nothing recorded: the same envelope verifies again, and no inbox line exists.
  EXPECT_EQ(rx->verify(parse_envelope(text), text, Via::mqtt, "t").outcome, Delivery::Outcome::accepted);
  EXPECT_EQ(test::count_lines(beta_inbox()), 0u);
  std::string closed = envelope([](EnvelopeDraft& e) { e.kind = "closed"; });
  Delivery denied = rx->verify(parse_envelope(closed), closed, Via::mqtt, "t");
  EXPECT_EQ(denied.outcome, Delivery::Outcome::denied);
  EXPECT_EQ(denied.policy, "closed");
  std::string bad = "[]";
  EXPECT_EQ(rx->verify(parse_envelope(bad), bad, Via::mqtt, "t").outcome, Delivery::Outcome::refused);
  auto refusals = read_refusal_log(beta_->refusal_log_file(), 10);
  ASSERT_TRUE(refusals.ok());
  EXPECT_EQ(refusals->size(), 2u);
}

TEST_F(ReceiverTest, ReceiveParsedDeliversLikeReceive) {
  auto rx = open_beta();
  std::string text = envelope();
  std::optional<Delivery> got;
  rx->receive_parsed(parse_envelope(text), text, Via::path, "t", [&](Delivery d) { got = std::move(d); });
  rx->flush();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->outcome, Delivery::Outcome::accepted);
  EXPECT_EQ(test::count_lines(beta_inbox()), 1u);
  EXPECT_EQ(rx->receive_sync(text, Via::a2a, "t").outcome, Delivery::Outcome::duplicate);
}

TEST_F(ReceiverTest, RoutesChangesApplyWithoutRestart) {
  ReceiverOptions options;
  options.routes_recheck_ms = 0;
  auto rx = open_beta(options);
  test::declare_peers(*beta_, {});  // alpha no longer pinned
  EXPECT_EQ(refused_for(rx->receive_sync(envelope(), Via::path, "t")), Reason::unknown_sender);
  test::declare_peers(*beta_, {&*alpha_});
  EXPECT_EQ(rx->receive_sync(envelope(), Via::path, "t").outcome, Delivery::Outcome::accepted);
}

TEST_F(ReceiverTest, APeerDeclaredAMomentAgoIsKnownAtOnce) {
  ReceiverOptions options;
  options.routes_recheck_ms = 3'600'000;  // unchanged routes are not looked at again for an hour
  test::declare_peers(*beta_, {});
  auto rx = open_beta(options);
  EXPECT_EQ(refused_for(rx->receive_sync(envelope(), Via::path, "t")), Reason::unknown_sender);
  test::declare_peers(*beta_, {&*alpha_});
  EXPECT_EQ(rx->receive_sync(envelope(), Via::path, "t").outcome, Delivery::Outcome::accepted);
}

TEST_F(ReceiverTest, PeerMaxAgeOverridesTheTransportDefault) {
  test::declare_peers(*beta_, {&*alpha_}, "max_age = \"1h\"\n");
  auto rx = open_beta();
  std::string two_hours = envelope([](EnvelopeDraft& e) { e.ts = now_millis() - 2 * 3'600'000; });
  EXPECT_EQ(refused_for(rx->receive_sync(two_hours, Via::path, "t")), Reason::stale);
  std::string ten_minutes = envelope([](EnvelopeDraft& e) { e.ts = now_millis() - 600'000; });
  EXPECT_EQ(rx->receive_sync(ten_minutes, Via::a2a, "t").outcome, Delivery::Outcome::accepted);
}

TEST_F(ReceiverTest, ATornSeenLogLineNeverLetsAReplayIn) {
  std::string first = envelope();
  std::string second = envelope();
  {
    auto rx = open_beta();
    ASSERT_EQ(rx->receive_sync(first, Via::path, "t").outcome, Delivery::Outcome::accepted);
  }
  {
    // The seen log's last append was cut short (the disk filled, or a crash).
    std::ofstream out(beta_->state_dir() / "seen.log", std::ios::app);
    out << "s 1800000000000 17";
  }
  {
    auto rx = open_beta();
    ASSERT_EQ(rx->receive_sync(second, Via::path, "t").outcome, Delivery::Outcome::accepted);
  }
  auto rx = open_beta();  // a new process knows only what the files say
  EXPECT_EQ(rx->receive_sync(second, Via::mqtt, "t").outcome, Delivery::Outcome::duplicate);
  EXPECT_EQ(rx->receive_sync(first, Via::mqtt, "t").outcome, Delivery::Outcome::duplicate);
  EXPECT_EQ(test::count_lines(beta_inbox()), 2u);
  auto routes = Routes::load(beta_->routes_file(), beta_->root());
  auto verified = verify_inbox(*beta_, *routes, "agent-b");
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->problems.empty());
  EXPECT_FALSE(std::filesystem::is_empty(beta_->state_dir() / "torn"));  // the fragment, kept for the operator
}

class ReceiverClockTest : public ReceiverTest {
 protected:
  std::unique_ptr<Receiver> open_at_clock() {
    ReceiverOptions options;
    options.clock = [this] { return clock_.load(); };
    options.routes_recheck_ms = 0;
    return open_beta(options);
  }
  std::atomic<UnixMillis> clock_{now_millis()};
};

TEST_F(ReceiverClockTest, RaisingMaxAgeDoesNotReopenTheReplayWindow) {
  const UnixMillis t0 = clock_.load();
  std::string text = envelope([&](EnvelopeDraft& e) { e.ts = t0; });
  auto rx = open_at_clock();
  ASSERT_EQ(rx->receive_sync(text, Via::path, "t").outcome, Delivery::Outcome::accepted);
  // Eight days later, past the seven-day window, the store forgets the id
  // (at its next commit).
  clock_ = t0 + 8 * 86'400'000LL;
  ASSERT_EQ(rx->receive_sync(envelope([&](EnvelopeDraft& e) { e.ts = clock_.load(); }), Via::path, "t").outcome,
            Delivery::Outcome::accepted);
  // Then the operator gives alpha a 30-day max_age.
  test::declare_peers(*beta_, {&*alpha_}, "max_age = \"30d\"\n");
  Delivery replay = rx->receive_sync(text, Via::path, "t");
  EXPECT_EQ(refused_for(replay), Reason::stale);
  // A new process, too, knows the horizon from the seen log.
  rx.reset();
  rx = open_at_clock();
  EXPECT_EQ(refused_for(rx->receive_sync(text, Via::mqtt, "t")), Reason::stale);
  EXPECT_EQ(test::count_lines(beta_inbox()), 2u);
}

TEST_F(ReceiverClockTest, AnEnvelopeOlderThanTheHorizonIsRefusedStaleWithTheReason) {
  const UnixMillis t0 = clock_.load();
  auto rx = open_at_clock();
  clock_ = t0 + 8 * 86'400'000LL;
  ASSERT_EQ(rx->receive_sync(envelope([&](EnvelopeDraft& e) { e.ts = clock_.load(); }), Via::path, "t").outcome,
            Delivery::Outcome::accepted);
  test::declare_peers(*beta_, {&*alpha_}, "max_age = \"30d\"\n");
  // Never seen, within the new 30 days, but older than what the store can vouch for.
  std::string old = envelope([&](EnvelopeDraft& e) { e.ts = t0 + 3'600'000; });
  EXPECT_EQ(refused_for(rx->receive_sync(old, Via::path, "entry-7")), Reason::stale);
  auto log = read_refusal_log(beta_->refusal_log_file(), 1);
  ASSERT_TRUE(log.ok() && log->size() == 1u);
  EXPECT_EQ((*log)[0].reason, "stale");
  EXPECT_NE((*log)[0].detail.find("since when the seen-id store is complete"), std::string::npos) << (*log)[0].detail;
  // After the horizon, the widened window holds: a day older than seven days is accepted.
  std::string within = envelope([&](EnvelopeDraft& e) { e.ts = clock_.load() - 7 * 86'400'000LL + 60'000; });
  EXPECT_EQ(rx->receive_sync(within, Via::path, "t").outcome, Delivery::Outcome::accepted);
}

}  // namespace
}  // namespace bwoc
