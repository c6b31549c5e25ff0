// The A2A task store's durability: what sync() returned for is on disk, and
// requests that sync together share the disk's wait.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "task_store.h"
#include "test_util.h"

namespace bwoc::a2a {
namespace {

std::string id_of(int n) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%032x", n + 1);
  return buf;
}

TaskRecord task(int n) {
  return TaskRecord{id_of(n),
                    "context",
                    "ed25519:owner",
                    id_of(10'000 + n),
                    now_millis(),
                    "completed",
                    "{\"receipt\":" + std::to_string(n) + "}"};
}

std::size_t survivors(const std::filesystem::path& dir, int count) {
  auto store = TaskStore::open(dir, {});
  EXPECT_TRUE(store.ok());
  std::size_t found = 0;
  for (int n = 0; n < count; ++n) found += (*store)->get(id_of(n)).has_value();
  return found;
}

// A process that dies without a word (no destructor, no flush) keeps every
// task it synced, and none it only put.
TEST(TaskStoreSync, WhatSyncReturnedForSurvivesAKill) {
  test::TempDir dir;
  for (bool sync : {false, true}) {
    std::filesystem::path store_dir = dir.path() / (sync ? "synced" : "put-only");
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto store = TaskStore::open(store_dir, {});
      if (!store.ok()) ::_exit(2);
      for (int n = 0; n < 20; ++n) {
        if (!(*store)->put(task(n)).ok()) ::_exit(3);
      }
      if (sync && !(*store)->sync().ok()) ::_exit(4);
      ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    EXPECT_EQ(survivors(store_dir, 20), sync ? 20u : 0u) << (sync ? "synced" : "only put");
  }
}

TEST(TaskStoreSync, ConcurrentPutsAndSyncsAllComeBack) {
  test::TempDir dir;
  {
    auto store = TaskStore::open(dir.path(), {});
    ASSERT_TRUE(store.ok());
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 50; ++i) {
          EXPECT_TRUE((*store)->put(task(t * 50 + i)).ok());
          EXPECT_TRUE((*store)->sync().ok());
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  EXPECT_EQ(survivors(dir.path(), 400), 400u);
}

}  // namespace
}  // namespace bwoc::a2a
