// The outbox (outbox.h), the caller's request store (requests.h) and the
// provider's ledger (request_ledger.h).
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "bwoc/core/outbox.h"
#include "bwoc/core/request_ledger.h"
#include "bwoc/core/requests.h"
#include "bwoc/core/result_push.h"
#include "test_util.h"

namespace bwoc {
namespace {

using test::TempDir;

void put_file(const std::filesystem::path& file, std::string_view text) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fd);
}

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

TEST_F(RequestStoreTest, CompactionDropsOnlyRequestsLongSettledAndEveryReaderFollowsTheNewFile) {
  std::string settled = enqueue(now_ + 10);
  std::string lapsed = enqueue(now_ + 10);
  std::string live = enqueue(now_ + 600'000);
  ASSERT_TRUE(store_->cancel(settled, "by hand", now_ + 1).ok());
  ASSERT_TRUE(store_->record_attempts({{live, "ffff0000ffff0000ffff0000ffff0000", beta_.public_key(), "a2a"}}, now_).ok());
  auto other = RequestStore::open(*ws_);  // another process, which read the old file
  ASSERT_TRUE(other.ok());
  ASSERT_EQ((*other)->list().size(), 3u);
  std::filesystem::path file = RequestStore::file_of(*ws_);
  std::size_t before = test::count_lines(file);

  // Kept a while after the deadline: nothing goes yet.
  EXPECT_EQ(*store_->compact(now_ + 500, 1000), 0u);
  auto dropped = store_->compact(now_ + 2000, 1000);
  ASSERT_TRUE(dropped.ok()) << dropped.error().message();
  EXPECT_EQ(*dropped, 2u);
  EXPECT_EQ(test::count_lines(file), 2u);  // the live request and its attempt
  EXPECT_LT(test::count_lines(file), before);
  ASSERT_EQ(store_->list().size(), 1u);
  EXPECT_FALSE(store_->find(settled));

  // The other reader follows the new file instead of reading at its old offset.
  ASSERT_TRUE((*other)->refresh().ok());
  ASSERT_EQ((*other)->list().size(), 1u);
  EXPECT_EQ((*other)->find(live)->attempts, 1u);
  // Its answer still counts (its attempt was kept), once, for either reader.
  EXPECT_EQ(*(*other)->take_answer(answer(beta_, "ffff0000ffff0000ffff0000ffff0000"), "a2a", now_ + 2001),
            AnswerVerdict::taken);
  ASSERT_TRUE(store_->refresh().ok());
  EXPECT_EQ(store_->find(live)->state, RequestState::done);
  EXPECT_EQ(store_->find(live)->attempts, 1u);
}

TEST_F(RequestStoreTest, CompactionWaitsUntilMostRecordsAreDead) {
  RequestStore::Compaction policy;
  policy.keep_settled_ms = 0;
  policy.min_records = 4;
  std::string dead = enqueue(now_ + 10);
  std::string live1 = enqueue(now_ + 600'000);
  std::string live2 = enqueue(now_ + 600'000);
  EXPECT_EQ(*store_->compact_if_worth(now_ + 100, policy), 0u);  // 3 records: below the floor
  std::string live3 = enqueue(now_ + 600'000);
  EXPECT_EQ(*store_->compact_if_worth(now_ + 100, policy), 0u);  // 1 dead of 4
  std::string dead2 = enqueue(now_ + 10);
  std::string dead3 = enqueue(now_ + 10);
  std::string dead4 = enqueue(now_ + 10);
  EXPECT_EQ(*store_->compact_if_worth(now_ + 100, policy), 4u);  // 4 dead of 7
  EXPECT_EQ(store_->list().size(), 3u);
  EXPECT_EQ(test::count_lines(RequestStore::file_of(*ws_)), 3u);
}

TEST_F(RequestStoreTest, ATornTailAndACompactionCutShortByACrashLeaveACorrectStore) {
  std::string old = enqueue(now_ + 10);
  std::string live = enqueue(now_ + 600'000);
  std::filesystem::path file = RequestStore::file_of(*ws_);
  // A crash in the middle of an append, and one in the middle of an earlier
  // compaction (its copy written but never renamed over the file).
  {
    int fd = ::open(file.c_str(), O_WRONLY | O_APPEND);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, "{\"op\":\"state\",\"id\":\"", 20), 20);
    ::close(fd);
  }
  std::filesystem::path abandoned = file.parent_path() / ".outbox.jsonl.tmp-0123456789ab";
  put_file(abandoned, "{\"op\":\"request\",\"id\":\"half");
  auto reopened = RequestStore::open(*ws_);
  ASSERT_TRUE(reopened.ok());
  ASSERT_EQ((*reopened)->list().size(), 2u);
  auto dropped = (*reopened)->compact(now_ + 100, 0);
  ASSERT_TRUE(dropped.ok()) << dropped.error().message();
  EXPECT_EQ(*dropped, 1u);
  EXPECT_FALSE(std::filesystem::exists(abandoned));
  std::string text = test::read_file(file);
  EXPECT_EQ(text.back(), '\n');  // the torn record is not in the new file
  EXPECT_EQ(test::count_lines(file), 1u);
  auto again = RequestStore::open(*ws_);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ((*again)->list().size(), 1u);
  EXPECT_EQ((*again)->find(live)->state, RequestState::queued);
  EXPECT_EQ(*(*again)->cancel(live, "by hand", now_ + 101), true);
  EXPECT_EQ(store_->list().size(), 2u);  // a reader that has not looked yet
  ASSERT_TRUE(store_->refresh().ok());
  ASSERT_EQ(store_->list().size(), 1u);
  EXPECT_EQ(store_->find(live)->state, RequestState::cancelled);
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

TEST_F(RequestStoreTest, AKeyNamesOneWorkWhateverItsJsonSpellingAndOnlyThatWork) {
  auto keyed = [&](std::string_view input) {
    RequestDraft d = test::count_request("beta", "agent-b", "agent-a", now_ + 60'000);
    d.idem = "my-key";
    d.input = *json::parse(input);
    return store_->enqueue({d}, now_);
  };
  auto first = keyed(R"({"a":1,"b":{"c":2,"d":3}})");
  ASSERT_TRUE(first.ok()) << first.error().message();
  for (std::string_view same : {R"({"b":{"d":3,"c":2},"a":1})", R"({"a":1.0,"b":{"c":2e0,"d":3}})"}) {
    auto again = keyed(same);
    ASSERT_TRUE(again.ok()) << same << ": " << again.error().message();
    EXPECT_EQ(again->front(), first->front()) << same;
  }
  auto other = keyed(R"({"a":2,"b":{"c":2,"d":3}})");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message().find("other work"), std::string::npos);
  EXPECT_EQ(store_->list().size(), 1u);
}

TEST_F(RequestStoreTest, TwoCommandsWithOneKeyAtOnceMakeOneRequest) {
  // Each thread stands for a process of its own: its own store, its own lock.
  for (int round = 0; round < 20; ++round) {
    std::string key = "race-" + std::to_string(round);
    std::vector<std::string> ids(4);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      threads.emplace_back([&, i] {
        auto store = RequestStore::open(*ws_);
        ASSERT_TRUE(store.ok());
        RequestDraft d = test::count_request("beta", "agent-b", "agent-a", now_ + 60'000);
        d.idem = key;
        auto made = (*store)->enqueue({d}, now_);
        ASSERT_TRUE(made.ok()) << made.error().message();
        ids[i] = made->front();
      });
    }
    for (std::thread& t : threads) t.join();
    for (const std::string& id : ids) EXPECT_EQ(id, ids.front()) << key;
  }
  ASSERT_TRUE(store_->refresh().ok());
  EXPECT_EQ(store_->list().size(), 20u);
}

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override { ws_.emplace(test::make_workspace(dir_.path(), "beta")); }
  std::unique_ptr<RequestLedger> open() {
    auto l = RequestLedger::open(*ws_);
    EXPECT_TRUE(l.ok());
    return l.ok() ? std::move(l).value() : nullptr;
  }
  static RequestTerms terms(std::string idem, UnixMillis deadline, std::string work = "work-a") {
    RequestTerms t;
    t.idem = std::move(idem);
    t.deadline = deadline;
    t.skill = "count";
    t.work = std::move(work);
    return t;
  }
  TempDir dir_;
  std::optional<Workspace> ws_;
  UnixMillis now_ = 1'800'000'000'000;
  const PublicKey caller_ = test::vector_sender().public_key();
};

using What = RequestLedger::Decision::What;

TEST(RequestTermsTest, TheWorkDigestNamesSkillVersionAndInputWhateverTheOrder) {
  auto work_of = [](std::string_view payload) {
    auto p = json::parse(payload);
    EXPECT_TRUE(p.ok());
    auto t = request_terms(*p);
    EXPECT_TRUE(t.ok() && t->has_value());
    return t.ok() && t->has_value() ? (*t)->work : std::string();
  };
  std::string base = work_of(R"({"skill":"s","input":{"a":1,"b":2},"idem":"k","deadline":"2030-01-01T00:00:00.000Z"})");
  EXPECT_EQ(base.size(), 32u);
  // Another envelope of the same work: another deadline, members in another order.
  EXPECT_EQ(base, work_of(R"({"deadline":"2030-02-01T00:00:00.000Z","idem":"k","input":{"b":2,"a":1},"skill":"s"})"));
  EXPECT_NE(base, work_of(R"({"skill":"s","input":{"a":1,"b":3},"idem":"k","deadline":"2030-01-01T00:00:00.000Z"})"));
  EXPECT_NE(base, work_of(R"({"skill":"t","input":{"a":1,"b":2},"idem":"k","deadline":"2030-01-01T00:00:00.000Z"})"));
  EXPECT_NE(base, work_of(R"({"skill":"s","input":{"a":1,"b":2},"version":"1.0.0","idem":"k","deadline":"2030-01-01T00:00:00.000Z"})"));
  // The agent asked is part of the work: one key to two agents is two pieces of work.
  auto p = json::parse(R"({"skill":"s","input":{"a":1,"b":2},"idem":"k","deadline":"2030-01-01T00:00:00.000Z"})");
  ASSERT_TRUE(p.ok());
  EXPECT_NE((*request_terms(*p, "agent-b"))->work, (*request_terms(*p, "agent-c"))->work);
  EXPECT_EQ((*request_terms(*p, "agent-b"))->work, (*request_terms(*p, "agent-b"))->work);
}

TEST_F(LedgerTest, TheSameKeyForOtherWorkIsRefusedAndNeverGetsTheFirstWorksResult) {
  RequestTerms first = terms("job", now_ + 60'000, "work-a");
  auto ledger = open();
  ASSERT_EQ(ledger->begin(caller_, first, "alpha", now_)->what, What::run);
  EXPECT_EQ(ledger->begin(caller_, terms("job", now_ + 60'000, "work-b"), "alpha", now_ + 1)->what, What::other_work);
  ASSERT_TRUE(ledger->finish(caller_, first, "skill.result", json::Value::object({{"output", 7}}), now_ + 2).ok());
  auto restarted = open();
  EXPECT_EQ(restarted->begin(caller_, terms("job", now_ + 60'000, "work-b"), "alpha", now_ + 3)->what, What::other_work);
  EXPECT_EQ(restarted->begin(caller_, first, "alpha", now_ + 4)->what, What::stored);
  auto listed = RequestLedger::list(*ws_);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().state, "done");
}

TEST_F(LedgerTest, WorkThatCannotEndBeforeItsDeadlineIsNotStartedAndStaysExpired) {
  RequestTerms slow = terms("slow", now_ + 5'000);
  slow.longest_run_ms = 10'000;
  auto ledger = open();
  EXPECT_EQ(ledger->begin(caller_, slow, "alpha", now_)->what, What::expired);
  // A later copy (of a node whose limit changed meanwhile) is expired too.
  slow.longest_run_ms = 0;
  EXPECT_EQ(open()->begin(caller_, slow, "alpha", now_ + 1)->what, What::expired);
  auto listed = RequestLedger::list(*ws_);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().state, "expired");
  EXPECT_EQ(listed->front().reason, "it could not end before the deadline");
  // What fits is started.
  RequestTerms quick = terms("quick", now_ + 5'000);
  quick.longest_run_ms = 4'000;
  EXPECT_EQ(ledger->begin(caller_, quick, "alpha", now_)->what, What::run);
}

TEST_F(LedgerTest, ARequestRunsOnceAndItsRepeatsGetTheStoredAnswerAcrossRestarts) {
  RequestTerms t = terms("job-1", now_ + 60'000);
  auto ledger = open();
  EXPECT_EQ(ledger->begin(caller_, t, "alpha", now_)->what, What::run);
  // A copy that comes while it runs (another transport) does not run it.
  EXPECT_EQ(ledger->begin(caller_, t, "alpha", now_ + 1)->what, What::working);
  ASSERT_TRUE(ledger->finish(caller_, t, "skill.result", json::Value::object({{"output", 7}}), now_ + 2).ok());
  auto restarted = open();
  auto d = restarted->begin(caller_, t, "alpha", now_ + 3);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->what, What::stored);
  EXPECT_EQ(d->kind, "skill.result");
  EXPECT_EQ(json::write(d->payload), "{\"output\":7}");
  // Another caller's key with the same idem is another request.
  EXPECT_EQ(restarted->begin(test::vector_audience().public_key(), t, "alpha", now_ + 3)->what, What::run);
  // Past the deadline a repeat is told so.
  EXPECT_EQ(restarted->begin(caller_, t, "alpha", now_ + 60'000)->what, What::expired);
}

TEST_F(LedgerTest, WorkWhoseDeadlinePassedIsNeverStartedNorLaterRun) {
  RequestTerms t = terms("late", now_ + 10);
  auto ledger = open();
  EXPECT_EQ(ledger->begin(caller_, t, "alpha", now_ + 10)->what, What::expired);
  // Even one that claims a later deadline for the same key and idem.
  RequestTerms later = terms("late", now_ + 60'000);
  EXPECT_EQ(open()->begin(caller_, later, "alpha", now_ + 11)->what, What::expired);
}

TEST_F(LedgerTest, WorkStartedByAProcessThatIsGoneIsNeverRunAgain) {
  RequestTerms t = terms("killed", now_ + 60'000);
  {
    auto ledger = open();
    ASSERT_EQ(ledger->begin(caller_, t, "alpha", now_)->what, What::run);
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
  EXPECT_EQ(open()->begin(caller_, t, "alpha", now_ + 1)->what, What::interrupted);
}

TEST_F(LedgerTest, CompactionDropsOnlyWorkPastItsDeadlineAndARepeatIsStillNeverRunTwice) {
  LedgerOptions options;
  options.keep_past_deadline_ms = 0;
  options.min_records = 4;
  auto ledger = RequestLedger::open(*ws_, options);
  ASSERT_TRUE(ledger.ok());
  auto other = RequestLedger::open(*ws_, options);  // another process
  ASSERT_TRUE(other.ok());
  RequestTerms old = terms("old", now_ + 10);
  RequestTerms live = terms("live", now_ + 600'000);
  ASSERT_EQ((*ledger)->begin(caller_, old, "alpha", now_)->what, What::run);
  ASSERT_TRUE((*ledger)->finish(caller_, old, "skill.result", json::Value::object({{"output", 1}}), now_ + 1).ok());
  ASSERT_EQ((*other)->begin(caller_, live, "alpha", now_)->what, What::run);
  // Before the old one's deadline nothing may go, however many records.
  EXPECT_EQ(*(*ledger)->compact_if_worth(now_ + 5), 0u);
  ASSERT_TRUE((*other)->finish(caller_, live, "skill.result", json::Value::object({{"output", 2}}), now_ + 6).ok());
  auto dropped = (*ledger)->compact_if_worth(now_ + 20);
  ASSERT_TRUE(dropped.ok()) << dropped.error().message();
  EXPECT_EQ(*dropped, 1u);
  std::filesystem::path file = RequestLedger::file_of(*ws_);
  EXPECT_EQ(test::count_lines(file), 2u);
  // The dropped one's repeat is expired, never run again; the kept one's is its answer,
  // for the handle that compacted and for the one that read the old file.
  EXPECT_EQ((*other)->begin(caller_, old, "alpha", now_ + 21)->what, What::expired);
  auto d = (*other)->begin(caller_, live, "alpha", now_ + 22);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->what, What::stored);
  EXPECT_EQ(json::write(d->payload), "{\"output\":2}");
  // What the other handle writes lands in the new file, seen by both.
  RequestTerms next = terms("next", now_ + 600'000);
  ASSERT_EQ((*other)->begin(caller_, next, "alpha", now_ + 23)->what, What::run);
  EXPECT_EQ((*ledger)->begin(caller_, next, "alpha", now_ + 24)->what, What::working);
  EXPECT_EQ(RequestLedger::list(*ws_)->size(), 3u);  // live, old's expiry, next
}

TEST_F(LedgerTest, ATornTailAndACompactionCutShortByACrashLeaveACorrectLedger) {
  LedgerOptions options;
  options.keep_past_deadline_ms = 0;
  options.min_records = 2;
  RequestTerms old = terms("old", now_ + 10);
  RequestTerms old2 = terms("old2", now_ + 10);
  RequestTerms live = terms("live", now_ + 600'000);
  {
    auto ledger = open();
    ASSERT_EQ(ledger->begin(caller_, old, "alpha", now_)->what, What::run);
    ASSERT_EQ(ledger->begin(caller_, old2, "alpha", now_)->what, What::run);
    ASSERT_EQ(ledger->begin(caller_, live, "alpha", now_)->what, What::run);
    ASSERT_TRUE(ledger->finish(caller_, live, "skill.result", json::Value::object({{"output", 3}}), now_ + 1).ok());
  }
  std::filesystem::path file = RequestLedger::file_of(*ws_);
  {
    int fd = ::open(file.c_str(), O_WRONLY | O_APPEND);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, "{\"t\":\"ab", 9), 9);
    ::close(fd);
  }
  std::filesystem::path abandoned = file.parent_path() / ".ledger.jsonl.tmp-0123456789ab";
  put_file(abandoned, "{\"t\":");
  auto ledger = RequestLedger::open(*ws_, options);
  ASSERT_TRUE(ledger.ok());
  EXPECT_EQ((*ledger)->begin(caller_, old, "alpha", now_ + 20)->what, What::expired);
  EXPECT_EQ(*(*ledger)->compact_if_worth(now_ + 30), 2u);
  EXPECT_FALSE(std::filesystem::exists(abandoned));
  EXPECT_EQ(test::read_file(file).back(), '\n');
  EXPECT_EQ(test::count_lines(file), 2u);
  auto d = open()->begin(caller_, live, "alpha", now_ + 31);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->what, What::stored);
  EXPECT_EQ(open()->begin(caller_, old, "alpha", now_ + 31)->what, What::expired);
}

TEST_F(LedgerTest, LinesThatAreNoRequestsRecordAreNeitherListedNorDecidedOn) {
  auto ledger = open();
  RequestTerms t = terms("real", now_ + 60'000);
  ASSERT_EQ(ledger->begin(caller_, t, "alpha", now_)->what, What::run);
  {
    std::ofstream out(RequestLedger::file_of(*ws_), std::ios::app);
    out << R"({"op":"done","t":null,"kind":"skill.result","payload":{}})" << "\n" << R"({"op":"start"})" << "\n";
  }
  auto listed = RequestLedger::list(*ws_);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().idem, "real");
  EXPECT_EQ(open()->begin(caller_, t, "alpha", now_ + 1)->what, What::working);
}

TEST_F(LedgerTest, ListsEveryPieceOfWorkWithItsCallerAndFinalState) {
  auto ledger = open();
  RequestTerms done = terms("done", now_ + 600'000);
  RequestTerms refused = terms("refused", now_ + 600'000);
  RequestTerms late = terms("late", now_ + 10);
  ASSERT_EQ(ledger->begin(caller_, done, "alpha", now_)->what, What::run);
  ASSERT_TRUE(ledger->finish(caller_, done, "skill.result", json::Value::object({{"output", 1}}), now_ + 1).ok());
  EXPECT_TRUE(*ledger->refuse(caller_, refused, "alpha", "peer \"alpha\" is UNTRUSTED now", now_ + 2));
  // Refused for good: a repeat is refused again, and refusing it twice changes nothing.
  EXPECT_EQ(ledger->begin(caller_, refused, "alpha", now_ + 3)->what, What::refused);
  EXPECT_FALSE(*ledger->refuse(caller_, refused, "alpha", "again", now_ + 4));
  // Settled work is never refused after the fact.
  EXPECT_FALSE(*ledger->refuse(caller_, done, "alpha", "too late", now_ + 4));
  ASSERT_EQ(ledger->begin(caller_, late, "alpha", now_ + 20)->what, What::expired);
  auto all = RequestLedger::list(*ws_);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].state, "done");
  EXPECT_EQ((*all)[0].peer, "alpha");
  EXPECT_EQ((*all)[0].skill, "count");
  EXPECT_EQ((*all)[0].started, now_);
  EXPECT_EQ((*all)[0].updated, now_ + 1);
  EXPECT_EQ((*all)[1].state, "refused");
  EXPECT_EQ((*all)[1].reason, "peer \"alpha\" is UNTRUSTED now");
  EXPECT_EQ((*all)[2].state, "expired");
  EXPECT_EQ(json::write(*inbound_work_json((*all)[1]).find("direction")), "\"inbound\"");
}

TEST_F(LedgerTest, APushIsSettledOnceAndPurgedWithItsPeer) {
  auto pushes = PushStore::open(*ws_);
  ASSERT_TRUE(pushes.ok());
  PushStore::Draft d;
  d.peer = "alpha";
  d.caller = caller_;
  d.answer = "{}";
  d.deadline = now_ + 60'000;
  for (const char* id : {"a1", "a2", "a3"}) {
    d.answer_id = id;
    ASSERT_TRUE((*pushes)->enqueue(d, now_).ok());
  }
  d.peer = "gamma";
  d.answer_id = "g1";
  ASSERT_TRUE((*pushes)->enqueue(d, now_).ok());
  ASSERT_TRUE((*pushes)->record_attempt("a1", "env-1", "path", now_ + 1).ok());
  EXPECT_EQ((*pushes)->push_of_attempt("env-1"), std::optional<std::string>("a1"));
  EXPECT_TRUE(*(*pushes)->settle("a1", PushState::acknowledged, "receipt", now_ + 2));
  // The first final state wins: a late cancellation changes nothing.
  EXPECT_FALSE(*(*pushes)->settle("a1", PushState::cancelled, "late", now_ + 3));
  EXPECT_FALSE(*(*pushes)->settle("unknown", PushState::answered, "", now_ + 3));
  EXPECT_EQ(*(*pushes)->cancel_peer("alpha", "peer removed", now_ + 4), 2u);
  auto other = PushStore::open(*ws_);  // another process agrees
  ASSERT_TRUE(other.ok());
  EXPECT_EQ((*other)->find("a1")->state, PushState::acknowledged);
  EXPECT_EQ((*other)->find("a2")->state, PushState::cancelled);
  EXPECT_EQ((*other)->find("a2")->reason, "peer removed");
  ASSERT_EQ((*other)->pending().size(), 1u);
  EXPECT_EQ((*other)->pending()[0].id, "g1");
  // Settled pushes a week past their deadline are compacted away; the pending one stays.
  auto dropped = (*other)->compact_if_worth(now_ + 60'000 + 8LL * 24 * 3600 * 1000, 4);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 3u);
  ASSERT_EQ((*pushes)->list().size(), 4u);  // not looked again yet
  ASSERT_TRUE((*pushes)->refresh().ok());
  ASSERT_EQ((*pushes)->list().size(), 1u);
  EXPECT_EQ((*pushes)->list()[0].id, "g1");
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
