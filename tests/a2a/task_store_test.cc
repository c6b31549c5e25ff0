// The task store through its public interface only: what is put can be got
// and listed, survives a reopen, and is bounded by count and age.
#include "task_store.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "../core/test_util.h"

namespace bwoc::a2a {
namespace {

namespace fs = std::filesystem;

constexpr UnixMillis kDay = 86'400'000;

std::string task_id(std::size_t n) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%032zx", n);
  return buf;
}

TaskRecord task(std::size_t n, std::string owner = "ed25519:alpha", UnixMillis created = 0) {
  TaskRecord t;
  t.id = task_id(n);
  t.context_id = "ctx-" + std::to_string(n);
  t.owner = std::move(owner);
  t.request_id = "req-" + std::to_string(n);
  t.created = created != 0 ? created : now_millis();
  t.receipt = R"({"v":1,"kind":"receipt","n":)" + std::to_string(n) + "}";
  return t;
}

void expect_same(const TaskRecord& got, const TaskRecord& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.context_id, want.context_id);
  EXPECT_EQ(got.owner, want.owner);
  EXPECT_EQ(got.request_id, want.request_id);
  EXPECT_EQ(got.created, want.created);
  EXPECT_EQ(got.state, want.state);
  EXPECT_EQ(got.receipt, want.receipt);
}

std::unique_ptr<TaskStore> open_store(const fs::path& dir, std::size_t max_tasks = 100'000,
                                      std::int64_t max_age_ms = 7 * kDay) {
  TaskStoreOptions o;
  o.max_tasks = max_tasks;
  o.max_age_ms = max_age_ms;
  auto s = TaskStore::open(dir, o);
  if (!s.ok()) ADD_FAILURE() << s.error().message();
  return s.ok() ? std::move(s).value() : nullptr;
}

class TaskStoreTest : public ::testing::Test {
 protected:
  fs::path dir() const { return tmp_.path() / "tasks"; }
  test::TempDir tmp_;
};

TEST_F(TaskStoreTest, WhatIsPutIsGotAtOnceBeforeAnyFlush) {
  auto store = open_store(dir());
  TaskRecord t = task(1);
  ASSERT_TRUE(store->put(t).ok());
  ASSERT_TRUE(store->contains(t.id));
  auto got = store->get(t.id);
  ASSERT_TRUE(got.has_value());
  expect_same(*got, t);
  EXPECT_EQ(store->size(), 1u);
}

TEST_F(TaskStoreTest, UnknownAndMalformedIdsAreNotFound) {
  auto store = open_store(dir());
  ASSERT_TRUE(store->put(task(1)).ok());
  for (std::string id : {task_id(2), std::string(), std::string("x"), task_id(1).substr(1), task_id(1) + "0",
                         std::string(32, 'A'), std::string(32, 'g'), std::string("../../etc/passwd"),
                         std::string(31, '0') + '\0'}) {
    EXPECT_FALSE(store->get(id).has_value()) << id;
    EXPECT_FALSE(store->contains(id)) << id;
  }
}

TEST_F(TaskStoreTest, RefusesToPutATaskWhoseIdIsNot32HexDigits) {
  auto store = open_store(dir());
  TaskRecord t = task(1);
  t.id = "not-a-task-id";
  EXPECT_FALSE(store->put(t).ok());
  EXPECT_EQ(store->size(), 0u);
}

TEST_F(TaskStoreTest, KeepsEveryFieldAcrossAReopen) {
  std::vector<TaskRecord> put;
  {
    auto store = open_store(dir());
    for (std::size_t n = 1; n <= 50; ++n) {
      TaskRecord t = task(n, n % 2 ? "ed25519:alpha" : "ed25519:beta");
      if (n == 7) t.receipt.clear();
      if (n == 8) t.state = "failed";
      if (n == 9) t.context_id = "quote\" backslash\\ newline\n unicode \u00e9";
      ASSERT_TRUE(store->put(t).ok());
      put.push_back(t);
    }
    ASSERT_TRUE(store->flush().ok());
  }
  auto store = open_store(dir());
  EXPECT_EQ(store->size(), 50u);
  for (const TaskRecord& t : put) {
    auto got = store->get(t.id);
    ASSERT_TRUE(got.has_value()) << t.id;
    expect_same(*got, t);
  }
}

TEST_F(TaskStoreTest, TasksPutWithoutAFlushAreKeptWhenTheStoreCloses) {
  {
    auto store = open_store(dir());
    ASSERT_TRUE(store->put(task(1)).ok());
  }
  auto store = open_store(dir());
  EXPECT_TRUE(store->contains(task_id(1)));
}

TEST_F(TaskStoreTest, AReceiptIsKeptAsItIsWhateverItHolds) {
  // A receipt may be a skill's answer, whose payload the skill wrote.
  auto store = open_store(dir());
  TaskRecord t = task(1);
  t.receipt = R"({"v":1,"payload":{"output":",\"receipt\":null}","nested":{"receipt":{"x":1}},"receipt":2}})";
  ASSERT_TRUE(store->put(t).ok());
  ASSERT_TRUE(store->flush().ok());
  ASSERT_TRUE(store->get(t.id).has_value());
  expect_same(*store->get(t.id), t);
  store.reset();
  store = open_store(dir());
  auto got = store->get(t.id);
  ASSERT_TRUE(got.has_value());
  expect_same(*got, t);
}

TEST_F(TaskStoreTest, ListsAnOwnersTasksNewestFirstInPages) {
  auto store = open_store(dir());
  for (std::size_t n = 1; n <= 30; ++n) ASSERT_TRUE(store->put(task(n, n % 3 == 0 ? "ed25519:beta" : "ed25519:alpha")).ok());
  std::size_t total = 0;
  auto page = store->list("ed25519:beta", 0, 4, &total);
  EXPECT_EQ(total, 10u);
  ASSERT_EQ(page.size(), 4u);
  EXPECT_EQ(page[0].id, task_id(30));
  EXPECT_EQ(page[3].id, task_id(21));
  auto last = store->list("ed25519:beta", 8, 4, &total);
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last[1].id, task_id(3));
  EXPECT_TRUE(store->list("ed25519:beta", 10, 4, &total).empty());
  EXPECT_TRUE(store->list("ed25519:beta", 1'000'000, 4, &total).empty());
  EXPECT_TRUE(store->list("ed25519:nobody", 0, 100, &total).empty());
  EXPECT_EQ(total, 0u);
  EXPECT_TRUE(store->list("ed25519:beta", 0, 0, nullptr).empty());
}

TEST_F(TaskStoreTest, ListsTheSameAfterAReopen) {
  {
    auto store = open_store(dir());
    for (std::size_t n = 1; n <= 20; ++n) ASSERT_TRUE(store->put(task(n)).ok());
  }
  auto store = open_store(dir());
  std::size_t total = 0;
  auto all = store->list("ed25519:alpha", 0, 100, &total);
  ASSERT_EQ(total, 20u);
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].id, task_id(20 - i));
}

TEST_F(TaskStoreTest, StaysBoundedByCountAndForgetsTheOldestFirst) {
  const std::size_t max = 1000;
  auto store = open_store(dir(), max);
  const std::size_t n = 6000;
  for (std::size_t i = 1; i <= n; ++i) ASSERT_TRUE(store->put(task(i)).ok());
  // Whole files go at once, so a little more than the cap may be kept.
  EXPECT_GE(store->size(), max);
  EXPECT_LE(store->size(), 3 * max);
  for (std::size_t i = n - max + 1; i <= n; ++i) ASSERT_TRUE(store->contains(task_id(i))) << i;
  EXPECT_FALSE(store->contains(task_id(1)));
  std::size_t total = 0;
  auto page = store->list("ed25519:alpha", 0, 1, &total);
  EXPECT_EQ(total, store->size());
  EXPECT_EQ(page.at(0).id, task_id(n));
  // After a reopen: no more than before, and still the newest.
  std::size_t before = store->size();
  store.reset();
  store = open_store(dir(), max);
  EXPECT_LE(store->size(), before);
  EXPECT_GE(store->size(), max);
  for (std::size_t i = n - max + 1; i <= n; ++i) ASSERT_TRUE(store->contains(task_id(i))) << i;
  EXPECT_FALSE(store->contains(task_id(1)));
}

TEST_F(TaskStoreTest, ForgetsTasksOlderThanTheMaximumAge) {
  const UnixMillis now = now_millis();
  {
    auto store = open_store(dir(), 1000);
    // A full file of old tasks, then new ones in the next.
    for (std::size_t i = 1; i <= 1000; ++i) ASSERT_TRUE(store->put(task(i, "ed25519:alpha", now - 30 * kDay)).ok());
    for (std::size_t i = 1001; i <= 1010; ++i) ASSERT_TRUE(store->put(task(i, "ed25519:alpha", now)).ok());
  }
  auto store = open_store(dir(), 1000, 7 * kDay);
  EXPECT_FALSE(store->contains(task_id(1)));
  EXPECT_FALSE(store->contains(task_id(1000)));
  EXPECT_TRUE(store->contains(task_id(1001)));
  EXPECT_EQ(store->size(), 10u);
}

TEST_F(TaskStoreTest, ATornLastLineIsDroppedAndTheRestKept) {
  {
    auto store = open_store(dir());
    for (std::size_t n = 1; n <= 5; ++n) ASSERT_TRUE(store->put(task(n)).ok());
  }
  // A crash in the middle of writing a line.
  fs::path newest;
  for (const auto& e : fs::directory_iterator(dir())) {
    if (e.path().extension() == ".jsonl" && (newest.empty() || e.path() > newest)) newest = e.path();
  }
  ASSERT_FALSE(newest.empty());
  {
    std::ofstream out(newest, std::ios::app | std::ios::binary);
    out << R"({"id":")" << task_id(6) << R"(","context":"c","ow)";
  }
  {
    auto store = open_store(dir());
    EXPECT_EQ(store->size(), 5u);
    EXPECT_FALSE(store->contains(task_id(6)));
    // What comes next is not glued onto the fragment.
    ASSERT_TRUE(store->put(task(7)).ok());
  }
  auto store = open_store(dir());
  EXPECT_EQ(store->size(), 6u);
  auto seventh = store->get(task_id(7));
  ASSERT_TRUE(seventh.has_value());
  expect_same(*seventh, task(7, "ed25519:alpha", seventh->created));
}

TEST_F(TaskStoreTest, ManyOwnersAreListedApart) {
  auto store = open_store(dir());
  for (std::size_t n = 1; n <= 200; ++n) ASSERT_TRUE(store->put(task(n, "ed25519:k" + std::to_string(n % 50))).ok());
  for (int k = 0; k < 50; ++k) {
    std::size_t total = 0;
    auto all = store->list("ed25519:k" + std::to_string(k), 0, 100, &total);
    EXPECT_EQ(total, 4u);
    for (const auto& t : all) EXPECT_EQ(t.owner, "ed25519:k" + std::to_string(k));
  }
}

TEST_F(TaskStoreTest, ATaskPutAgainAtEachStateIsItsNewestStateAndListedOnce) {
  TaskRecord t = task(1);
  t.state = "submitted";
  t.receipt.clear();
  {
    auto store = open_store(dir());
    ASSERT_TRUE(store->put(task(2)).ok());
    ASSERT_TRUE(store->put(t).ok());
    t.state = "working";
    ASSERT_TRUE(store->put(t).ok());
    ASSERT_TRUE(store->sync().ok());
    t.state = "completed";
    t.receipt = R"({"kind":"skill.result"})";
    ASSERT_TRUE(store->put(t).ok());
    expect_same(*store->get(t.id), t);
    std::size_t total = 0;
    EXPECT_EQ(store->list("ed25519:alpha", 0, 10, &total).size(), 2u);
    EXPECT_EQ(total, 2u);
    EXPECT_EQ(store->size(), 2u);
  }
  auto store = open_store(dir());
  expect_same(*store->get(t.id), t);
  std::size_t total = 0;
  auto listed = store->list("ed25519:alpha", 0, 10, &total);
  EXPECT_EQ(total, 2u);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, t.id);  // newest first: its last state came last
}

TEST_F(TaskStoreTest, WorkUnfinishedWhenTheStoreClosedIsFailedWhenItOpens) {
  TaskRecord running = task(1), waiting = task(2), done = task(3);
  running.state = "working";
  waiting.state = "submitted";
  {
    auto store = open_store(dir());
    for (const TaskRecord* t : {&running, &waiting, &done}) ASSERT_TRUE(store->put(*t).ok());
  }
  {
    auto store = open_store(dir());
    EXPECT_EQ(store->get(running.id)->state, "failed");
    EXPECT_EQ(store->get(waiting.id)->state, "failed");
    EXPECT_EQ(store->get(done.id)->state, "completed");
    EXPECT_EQ(store->get(running.id)->receipt, running.receipt);
  }
  // Once: failed is final, and stays so.
  auto store = open_store(dir());
  EXPECT_EQ(store->get(running.id)->state, "failed");
  EXPECT_EQ(store->size(), 3u);
}

}  // namespace
}  // namespace bwoc::a2a
