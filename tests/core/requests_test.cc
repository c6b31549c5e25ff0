// The outbox (outbox.h), the caller's request store (requests.h) and the
// provider's ledger (request_ledger.h).
#include <fcntl.h>
#include <unistd.h>

#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "bwoc/core/outbox.h"
#include "bwoc/core/request_ledger.h"
#include "bwoc/core/requests.h"
#include "test_util.h"

namespace bwoc {
namespace {

using test::TempDir;

TEST(Outbox, ConcurrentAppendsAreEachOnDiskOnce) {
  TempDir dir;
  auto outbox = Outbox::open(dir.path() / "outbox.jsonl");
  ASSERT_TRUE(outbox.ok());
  constexpr int kThreads = 8, kEach = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        Status st = (*outbox)->append(json::Value::object({{"t", t}, {"i", i}}));
        EXPECT_TRUE(st.ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::pair<int, int>> seen;
  auto end = (*outbox)->read(0, [&](const json::Value& r) {
    seen.emplace(static_cast<int>(r.find("t")->as_number()), static_cast<int>(r.find("i")->as_number()));
  });
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_EQ(test::count_lines(dir.path() / "outbox.jsonl"), static_cast<std::size_t>(kThreads * kEach));
}

TEST(Outbox, ATornTailIsNeverReadAndIsCutBeforeTheNextAppend) {
  TempDir dir;
  std::filesystem::path file = dir.path() / "outbox.jsonl";
  {
    auto outbox = Outbox::open(file);
    ASSERT_TRUE(outbox.ok());
    ASSERT_TRUE((*outbox)->append(json::Value::object({{"n", 1}})).ok());
  }
  // A crash in the middle of a write: half a record, no newline.
  int fd = ::open(file.c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "{\"n\":2,\"hal", 11), 11);
  ::close(fd);
  auto outbox = Outbox::open(file);
  ASSERT_TRUE(outbox.ok());
  std::vector<double> ns;
  auto collect = [&](const json::Value& r) { ns.push_back(r.find("n")->as_number()); };
  ASSERT_TRUE((*outbox)->read(0, collect).ok());
  EXPECT_EQ(ns, std::vector<double>({1}));
  ASSERT_TRUE((*outbox)->append(json::Value::object({{"n", 3}})).ok());
  ns.clear();
  ASSERT_TRUE((*outbox)->read(0, collect).ok());
  EXPECT_EQ(ns, std::vector<double>({1, 3}));
}

TEST(Outbox, AReaderSeesWhatAnotherWriterAppendedSinceItsLastLook) {
  TempDir dir;
  auto a = Outbox::open(dir.path() / "o.jsonl");
  auto b = Outbox::open(dir.path() / "o.jsonl");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->append(json::Value::object({{"n", 1}})).ok());
  int count = 0;
  auto end = (*b)->read(0, [&](const json::Value&) { ++count; });
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(count, 1);
  ASSERT_TRUE((*a)->append(json::Value::object({{"n", 2}})).ok());
  count = 0;
  ASSERT_TRUE((*b)->read(*end, [&](const json::Value&) { ++count; }).ok());
  EXPECT_EQ(count, 1);
}

class RequestStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ws_.emplace(test::make_workspace(dir_.path(), "alpha"));
    auto store = RequestStore::open(*ws_);
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
  }

  std::string enqueue(UnixMillis deadline) {
    auto ids = store_->enqueue({test::count_request("beta", "agent-b", "agent-a", deadline)}, now_);
    EXPECT_TRUE(ids.ok());
    return ids.ok() ? ids->front() : std::string();
  }

  // An answer from `signer` to the attempt `re`.
  Envelope answer(const SecretKey& signer, const std::string& re, std::string kind = "skill.result",
                  json::Value payload = json::Value::object({{"output", json::Value::object({{"n", 1}})}})) {
    EnvelopeDraft d = test::draft_to(alpha_key().public_key(), "agent-a");
    d.kind = std::move(kind);
    d.re = re;
    d.payload = std::move(payload);
    auto signed_envelope = sign(d, signer);
    EXPECT_TRUE(signed_envelope.ok());
    return signed_envelope->envelope;
  }

  const SecretKey& alpha_key() {
    if (!alpha_key_) alpha_key_.emplace(std::move(ws_->load_secret_key()).value());
    return *alpha_key_;
  }

  TempDir dir_;
  std::optional<Workspace> ws_;
  std::optional<SecretKey> alpha_key_;
  std::unique_ptr<RequestStore> store_;
  UnixMillis now_ = 1'800'000'000'000;
  const SecretKey& beta_ = test::vector_sender();
  const SecretKey& mallory_ = test::vector_audience();
};

TEST_F(RequestStoreTest, AnAnswerToOurAttemptFromTheRightKeySettlesItOnce) {
  std::string id = enqueue(now_ + 60'000);
  EXPECT_EQ(store_->find(id)->state, RequestState::queued);
  ASSERT_TRUE(store_->record_attempts({{id, "aaaa0000aaaa0000aaaa0000aaaa0000", beta_.public_key(), "path"}}, now_).ok());
  auto taken = store_->take_answer(answer(beta_, "aaaa0000aaaa0000aaaa0000aaaa0000"), "path", now_ + 1);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(*taken, AnswerVerdict::taken);
  auto e = store_->find(id);
  EXPECT_EQ(e->state, RequestState::done);
  EXPECT_EQ(json::write(*e->payload.find("output")), "{\"n\":1}");
  // The same answer again is a replay: refused, nothing changes.
  auto again = store_->take_answer(answer(beta_, "aaaa0000aaaa0000aaaa0000aaaa0000", "error",
                                          json::Value::object({{"error", "Skill failed"}})),
                                   "path", now_ + 2);
  EXPECT_EQ(*again, AnswerVerdict::refused);
  EXPECT_EQ(store_->find(id)->state, RequestState::done);
  // Another process reading the file agrees.
  auto other = RequestStore::open(*ws_);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)->find(id)->state, RequestState::done);
}

TEST_F(RequestStoreTest, AnswersFromTheWrongKeyForUnknownRequestsOrAfterTheDeadlineAreRefused) {
  std::string id = enqueue(now_ + 60'000);
  ASSERT_TRUE(store_->record_attempts({{id, "bbbb0000bbbb0000bbbb0000bbbb0000", beta_.public_key(), "path"}}, now_).ok());
  EXPECT_EQ(*store_->take_answer(answer(mallory_, "bbbb0000bbbb0000bbbb0000bbbb0000"), "a2a", now_ + 1),
            AnswerVerdict::refused);
  json::Value about_a_request = json::Value::object({{"output", json::Value::object()}, {"idem", "x"}});
  EXPECT_EQ(*store_->take_answer(answer(beta_, "cccc0000cccc0000cccc0000cccc0000", "skill.result", about_a_request),
                                 "a2a", now_ + 1),
            AnswerVerdict::refused);
  EXPECT_EQ(*store_->take_answer(answer(beta_, "bbbb0000bbbb0000bbbb0000bbbb0000"), "path", now_ + 60'000),
            AnswerVerdict::refused);
  EXPECT_EQ(store_->find(id)->state, RequestState::queued);
  // An answer that names no request and answers no attempt (a result to a
  // call made outside the store, an error to a status read) is none of the
  // store's business.
  EXPECT_EQ(*store_->take_answer(answer(beta_, "dddd0000dddd0000dddd0000dddd0000"), "path", now_ + 1),
            AnswerVerdict::not_ours);
  EXPECT_EQ(*store_->take_answer(answer(beta_, "dddd0000dddd0000dddd0000dddd0000", "error",
                                        json::Value::object({{"error", "Not permitted"}})),
                                 "path", now_ + 1),
            AnswerVerdict::not_ours);
}

TEST_F(RequestStoreTest, ProgressMovesOnAndTheFirstFinalStateWins) {
  std::string id = enqueue(now_ + 60'000);
  ASSERT_TRUE(store_->record_attempts({{id, "eeee0000eeee0000eeee0000eeee0000", beta_.public_key(), "a2a"}}, now_).ok());
  json::Value working = json::Value::object({{"error", "Working"}, {"state", "working"}, {"idem", id}});
  EXPECT_EQ(*store_->take_answer(answer(beta_, "eeee0000eeee0000eeee0000eeee0000", "error", working), "a2a", now_ + 1),
            AnswerVerdict::taken);
  EXPECT_EQ(store_->find(id)->state, RequestState::working);
  auto cancelled = store_->cancel(id, "by hand", now_ + 2);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_TRUE(*cancelled);
  EXPECT_EQ(*store_->take_answer(answer(beta_, "eeee0000eeee0000eeee0000eeee0000"), "a2a", now_ + 3),
            AnswerVerdict::refused);
  EXPECT_EQ(store_->find(id)->state, RequestState::cancelled);
  EXPECT_FALSE(*store_->cancel(id, "again", now_ + 4));
}

TEST_F(RequestStoreTest, PurgingAPeerCancelsOnlyItsPendingRequests) {
  std::string a = enqueue(now_ + 60'000);
  std::string b = enqueue(now_ + 60'000);
  ASSERT_TRUE(store_->cancel(b, "by hand", now_).ok());
  auto purged = store_->cancel_peer("beta", "peer removed", now_ + 1);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 1u);
  EXPECT_EQ(store_->find(a)->reason, "peer removed");
  EXPECT_EQ(store_->find(b)->reason, "by hand");
}

TEST_F(RequestStoreTest, BadRequestsAreRefusedBeforeAnythingIsWritten) {
  RequestDraft d;
  d.peer = "beta";
  d.skill = "count";
  d.deadline = now_ - 1;
  EXPECT_FALSE(store_->enqueue({d}, now_).ok());
  d.deadline = now_ + 1000;
  d.idem = "white space";
  EXPECT_FALSE(store_->enqueue({d}, now_).ok());
  EXPECT_TRUE(store_->list().empty());
}

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override { ws_.emplace(test::make_workspace(dir_.path(), "beta")); }
  std::unique_ptr<RequestLedger> open() {
    auto l = RequestLedger::open(*ws_);
    EXPECT_TRUE(l.ok());
    return l.ok() ? std::move(l).value() : nullptr;
  }
  TempDir dir_;
  std::optional<Workspace> ws_;
  UnixMillis now_ = 1'800'000'000'000;
  const PublicKey caller_ = test::vector_sender().public_key();
};

using What = RequestLedger::Decision::What;

TEST_F(LedgerTest, ARequestRunsOnceAndItsRepeatsGetTheStoredAnswerAcrossRestarts) {
  RequestTerms t{"job-1", now_ + 60'000};
  auto ledger = open();
  EXPECT_EQ(ledger->begin(caller_, t, now_)->what, What::run);
  // A copy that comes while it runs (another transport) does not run it.
  EXPECT_EQ(ledger->begin(caller_, t, now_ + 1)->what, What::working);
  ASSERT_TRUE(ledger->finish(caller_, t, "skill.result", json::Value::object({{"output", 7}}), now_ + 2).ok());
  auto restarted = open();
  auto d = restarted->begin(caller_, t, now_ + 3);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->what, What::stored);
  EXPECT_EQ(d->kind, "skill.result");
  EXPECT_EQ(json::write(d->payload), "{\"output\":7}");
  // Another caller's key with the same idem is another request.
  EXPECT_EQ(restarted->begin(test::vector_audience().public_key(), t, now_ + 3)->what, What::run);
  // Past the deadline a repeat is told so.
  EXPECT_EQ(restarted->begin(caller_, t, now_ + 60'000)->what, What::expired);
}

TEST_F(LedgerTest, WorkWhoseDeadlinePassedIsNeverStartedNorLaterRun) {
  RequestTerms t{"late", now_ + 10};
  auto ledger = open();
  EXPECT_EQ(ledger->begin(caller_, t, now_ + 10)->what, What::expired);
  // Even one that claims a later deadline for the same key and idem.
  RequestTerms later{"late", now_ + 60'000};
  EXPECT_EQ(open()->begin(caller_, later, now_ + 11)->what, What::expired);
}

TEST_F(LedgerTest, WorkStartedByAProcessThatIsGoneIsNeverRunAgain) {
  RequestTerms t{"killed", now_ + 60'000};
  {
    auto ledger = open();
    ASSERT_EQ(ledger->begin(caller_, t, now_)->what, What::run);
  }
  // Make the start record belong to a process that no longer runs.
  std::filesystem::path file = ws_->state_dir() / "requests" / "ledger.jsonl";
  std::string text = test::read_file(file);
  std::string pid = "\"pid\":" + std::to_string(::getpid());
  auto at = text.find(pid);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, pid.size(), "\"pid\":1073741822");
  {
    int fd = ::open(file.c_str(), O_WRONLY | O_TRUNC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fd);
  }
  EXPECT_EQ(open()->begin(caller_, t, now_ + 1)->what, What::interrupted);
}

TEST(RequestTerms, AreReadStrictly) {
  EXPECT_FALSE(request_terms(json::Value::object({{"skill", "x"}}))->has_value());
  auto ok = request_terms(json::Value::object({{"idem", "a:b.c-d_e"}, {"deadline", "2026-12-01T00:00:00.000Z"}}));
  ASSERT_TRUE(ok.ok());
  ASSERT_TRUE(ok->has_value());
  EXPECT_EQ((*ok)->idem, "a:b.c-d_e");
  EXPECT_FALSE(request_terms(json::Value::object({{"idem", "a"}})).ok());
  EXPECT_FALSE(request_terms(json::Value::object({{"idem", "a b"}, {"deadline", "2026-12-01T00:00:00.000Z"}})).ok());
  EXPECT_FALSE(request_terms(json::Value::object({{"idem", "a"}, {"deadline", "tomorrow"}})).ok());
  EXPECT_FALSE(request_terms(json::Value::object({{"deadline", "2026-12-01T00:00:00.000Z"}})).ok());
}

}  // namespace
}  // namespace bwoc
