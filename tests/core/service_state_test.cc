// A service's published state, and what a reader can tell about the
// process behind it: running, gone (killed without cleaning up), reused pid.
#include "bwoc/core/service_state.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include "bwoc/core/dir_watch.h"
#include "bwoc/core/files.h"
#include "bwoc/core/log.h"
#include "bwoc/core/service.h"
#include "test_util.h"

namespace bwoc::service {
namespace {

ServiceState sample(std::int64_t pid, std::uint64_t start) {
  ServiceState s;
  s.kind = "a2a";
  s.agent = "agent-b";
  s.endpoint = "http://127.0.0.1:8080";
  s.status = "serving agent-b at http://127.0.0.1:8080";
  s.state = "running";
  s.pid = pid;
  s.host = host_name();
  s.process_start = start;
  s.started = 1'700'000'000'000;
  s.updated = 1'700'000'060'000;
  s.stats = {{"accepted", "3"}};
  return s;
}

class ServiceStateTest : public ::testing::Test {
 protected:
  void SetUp() override { ws_.emplace(test::make_workspace(dir_.path(), "beta")); }
  test::TempDir dir_;
  std::optional<Workspace> ws_;
};

TEST_F(ServiceStateTest, WrittenStateReadsBackWhole) {
  ServiceState s = sample(::getpid(), process_start_ticks(::getpid()));
  s.last_error = "level=warning event=mqtt.disconnected why=\"gone\"";
  s.last_error_at = 1'700'000'030'000;
  ASSERT_TRUE(write_state(*ws_, s).ok());
  auto read = read_states(*ws_);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->size(), 1u);
  const ServiceRecord& r = read->front();
  EXPECT_EQ(json::write(state_json(r.state)), json::write(state_json(s)));
  EXPECT_EQ(r.liveness, Liveness::running);
  EXPECT_EQ(r.file, state_file(*ws_, "a2a", "agent-b"));
  EXPECT_EQ(std::filesystem::status(r.file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(ServiceStateTest, AKilledProcessLeavesAStateThatReadsAsGone) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  std::uint64_t start = 0;
  // The child's /proc entry exists from fork on; its start time is set then.
  start = process_start_ticks(child);
  ASSERT_NE(start, 0u);
  ASSERT_TRUE(write_state(*ws_, sample(child, start)).ok());
  EXPECT_EQ(read_states(*ws_)->front().liveness, Liveness::running);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_EQ(read_states(*ws_)->front().liveness, Liveness::gone);
}

TEST_F(ServiceStateTest, APidNowUsedByAnotherProcessIsNotTakenForTheService) {
  // Our own pid, but a start time that is not ours: the pid was reused.
  ASSERT_TRUE(write_state(*ws_, sample(::getpid(), process_start_ticks(::getpid()) + 1)).ok());
  EXPECT_EQ(read_states(*ws_)->front().liveness, Liveness::gone);
  EXPECT_FALSE(process_alive(-1, 0));
  EXPECT_FALSE(process_alive(0, 0));
  EXPECT_FALSE(process_alive(std::int64_t{1} << 40, 0));
}

TEST_F(ServiceStateTest, AStateFromAnotherMachineIsNotChecked) {
  ServiceState s = sample(::getpid(), 0);
  s.host = "another-machine.example";
  ASSERT_TRUE(write_state(*ws_, s).ok());
  EXPECT_EQ(read_states(*ws_)->front().liveness, Liveness::elsewhere);
}

TEST_F(ServiceStateTest, FilesThatAreNotStatesAreSkipped) {
  auto dir = ws_->state_dir() / "services";
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(write_file_atomic(dir / "junk.json", "{not json").ok());
  ASSERT_TRUE(write_file_atomic(dir / "nopid.json", R"({"kind":"a2a","agent":"x"})").ok());
  ASSERT_TRUE(write_file_atomic(dir / "a2a-agent-b.json.tmp", "{}").ok());
  ASSERT_TRUE(write_state(*ws_, sample(::getpid(), 0)).ok());
  auto read = read_states(*ws_);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->size(), 1u);
}

// A service for run() to publish.
class FakeService : public Service {
 public:
  std::string_view kind() const override { return "ingest"; }
  const std::string& agent() const override { return agent_; }
  std::string endpoint() const override { return "/srv/drop/new"; }
  std::string status() const override { return "watching"; }
  std::vector<std::pair<std::string, std::string>> stats() const override { return {{"accepted", "0"}}; }
  void stop() override {}

 private:
  std::string agent_ = "*";
};

// Waits (inotify, bounded) until the state in `dir` satisfies `holds`.
bool wait_for_state(const Workspace& ws, const std::function<bool(const std::vector<ServiceRecord>&)>& holds) {
  DirWatch watch({ws.state_dir() / "services"});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    auto states = read_states(ws);
    if (states.ok() && holds(*states)) return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    watch.wait(left);
  }
}

TEST_F(ServiceStateTest, RunPublishesANewProblemSoonAndRemovesTheStateWhenStopped) {
  block_stop_signals();  // here and in run()'s thread: SIGTERM below is for run()
  ASSERT_TRUE(ensure_directory(ws_->state_dir() / "services", 0700).ok());
  FakeService fake;
  std::thread runner([&] { run(*ws_, fake, std::chrono::hours(1)); });
  struct Stop {
    std::thread& runner;
    ~Stop() {
      ::kill(::getpid(), SIGTERM);
      runner.join();
    }
  } stop{runner};
  ASSERT_TRUE(wait_for_state(*ws_, [](const auto& s) { return s.size() == 1; }));
  auto first = read_states(*ws_);
  EXPECT_EQ(first->front().state.endpoint, "/srv/drop/new");
  EXPECT_EQ(first->front().liveness, Liveness::running);
  EXPECT_FALSE(first->front().state.last_error.has_value() &&
               first->front().state.last_error->find("test.problem") != std::string::npos);
  log::warning("test.problem", {{"why", "a disk said no"}});
  // Well before the hour of the stats line: within a tick of a second.
  ASSERT_TRUE(wait_for_state(*ws_, [](const auto& s) {
    return s.size() == 1 && s.front().state.last_error &&
           s.front().state.last_error->find("level=warning event=test.problem why=\"a disk said no\"") != std::string::npos;
  }));
}

TEST_F(ServiceStateTest, ReadyIsSaidOnceTheStateIsThere) {
  block_stop_signals();
  FakeService fake;
  std::atomic<int> seen_when_ready{-1};
  std::thread runner([&] {
    run(*ws_, fake, std::chrono::hours(1), [&] {
      auto states = read_states(*ws_);
      seen_when_ready = states.ok() ? static_cast<int>(states->size()) : -2;
      ::kill(::getpid(), SIGTERM);
    });
  });
  runner.join();
  EXPECT_EQ(seen_when_ready.load(), 1);
}

TEST_F(ServiceStateTest, AStoppedServiceLeavesNoState) {
  block_stop_signals();
  FakeService fake;
  ASSERT_TRUE(ensure_directory(ws_->state_dir() / "services", 0700).ok());
  std::thread runner([&] { run(*ws_, fake, std::chrono::hours(1)); });
  bool published = wait_for_state(*ws_, [](const auto& s) { return s.size() == 1; });
  ::kill(::getpid(), SIGTERM);
  runner.join();
  EXPECT_TRUE(published);
  EXPECT_FALSE(std::filesystem::exists(state_file(*ws_, "ingest", "*")));
}

}  // namespace
}  // namespace bwoc::service
