// The sandboxed runner: limits, what a skill may not reach, and what it gets.
#include "bwoc/skill/runner.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <stop_token>

#include "script_skills.h"

namespace bwoc::skill {
namespace {

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!sandbox_available()) GTEST_SKIP() << "no Landlock on this kernel";
    agent_ = skills_.agent();
    std::filesystem::create_directories(skills_.workspace() / ".bwoc" / "credentials");
    std::ofstream(skills_.workspace() / ".bwoc" / "credentials" / "secret") << "top secret\n";
  }
  RunSpec script(const std::string& body) { return skills_.script(body); }

  test::ScriptSkills skills_;
  std::filesystem::path agent_;
};

TEST_F(RunnerTest, PassesStdinAndReturnsStdout) {
  RunSpec spec = script("cat; echo done >&2");
  spec.input = R"({"text":"hi"})";
  auto r = run_sandboxed(spec);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->succeeded());
  EXPECT_EQ(r->output, R"({"text":"hi"})");
  EXPECT_EQ(r->stderr_tail, "done\n");
}

TEST_F(RunnerTest, LargeInputAndOutputDoNotDeadlock) {
  RunSpec spec = script("cat");
  spec.input = std::string(900'000, 'x');
  auto r = run_sandboxed(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->output.size(), 900'000u);
}

TEST_F(RunnerTest, StopsAtTheTimeLimitWithEverythingItStarted) {
  RunSpec spec = script("sleep 30 & sleep 30");
  spec.timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  auto r = run_sandboxed(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->end, RunOutcome::End::timed_out);
  // Well before the 30 s the script would take: what it started was stopped too.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST_F(RunnerTest, ACancelEndsARunningSkillWithEverythingItStarted) {
  // It says it runs (a file in its working folder), then blocks until killed.
  RunSpec spec = script("touch running; sleep 600 & sleep 600");
  spec.timeout = std::chrono::minutes(10);
  std::stop_source cancel;
  spec.stop = cancel.get_token();
  auto run = std::async(std::launch::async, [spec] { return run_sandboxed(spec); });
  auto running = [&] {
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(spec.scratch, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->path().filename() == "running") return true;
    }
    return false;
  };
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!running() && std::chrono::steady_clock::now() < give_up &&
         run.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready) {
  }
  ASSERT_TRUE(running()) << "the skill never started";
  cancel.request_stop();
  ASSERT_EQ(run.wait_for(std::chrono::seconds(60)), std::future_status::ready) << "the cancel did not end the run";
  auto r = run.get();
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->end, RunOutcome::End::canceled);
  EXPECT_EQ(describe(*r), "stopped: the work was canceled");
}

// A file named `name` in one of the working folders under `scratch`, once
// there is one (empty when none came in 60 s).
std::filesystem::path wait_for_file(const std::filesystem::path& scratch, const std::string& name) {
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < give_up) {
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(scratch, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (it->path().filename() == name && std::filesystem::file_size(it->path(), ec) > 0 && !ec) return it->path();
    }
    ::usleep(5'000);  // a poll interval, not a synchronisation: the loop waits for the file
  }
  return {};
}

bool process_running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return false;
  auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
}

TEST_F(RunnerTest, ANodeKilledMidRunTakesTheSkillAndAllItStartedWithIt) {
  // What the skill started in the background says who it is, then all of it
  // blocks; the node running it is SIGKILLed, with no chance to clean up.
  RunSpec spec = script("sleep 600 & echo $! > started.tmp; mv started.tmp started; sleep 600");
  spec.timeout = std::chrono::minutes(10);
  pid_t node = ::fork();
  ASSERT_GE(node, 0);
  if (node == 0) {
    (void)run_sandboxed(spec);
    ::_exit(0);
  }
  std::filesystem::path started = wait_for_file(spec.scratch, "started");
  std::string line;
  if (!started.empty()) std::getline(std::ifstream(started), line);
  ::kill(node, SIGKILL);
  ::waitpid(node, nullptr, 0);
  ASSERT_FALSE(line.empty()) << "the skill never started";
  pid_t background = static_cast<pid_t>(std::stol(line));
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (process_running(background) && std::chrono::steady_clock::now() < give_up) ::usleep(5'000);
  bool outlived = process_running(background);
  if (outlived) ::kill(background, SIGKILL);
  EXPECT_FALSE(outlived) << "what the skill started outlived the node";
}

TEST_F(RunnerTest, StopsOutputBeyondTheLimit) {
  RunSpec spec = script("yes");
  spec.max_output_bytes = 100'000;
  auto r = run_sandboxed(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->end, RunOutcome::End::output_too_large);
}

TEST_F(RunnerTest, ReportsExitStatusAndSignalsLocally) {
  auto r = run_sandboxed(script("exit 7"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 7);
  EXPECT_EQ(describe(*r), "exited with status 7");
  r = run_sandboxed(script("kill -SEGV $$"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->end, RunOutcome::End::signaled);
}

TEST_F(RunnerTest, CannotReachTheWorkspaceOrItsSecrets) {
  std::string secret = (skills_.workspace() / ".bwoc" / "credentials" / "secret").string();
  std::string outside = (skills_.workspace() / "planted").string();
  auto r = run_sandboxed(script("cat " + secret + " && echo READ; touch " + outside + " && echo WROTE; "
                                "touch ./mine && echo OWN; cat /etc/hostname >/dev/null && echo SYSTEM; env"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->output.find("READ"), std::string::npos);
  EXPECT_EQ(r->output.find("top secret"), std::string::npos);
  EXPECT_EQ(r->output.find("WROTE"), std::string::npos);
  EXPECT_NE(r->output.find("OWN"), std::string::npos);
  EXPECT_NE(r->output.find("SYSTEM"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(outside));
  // A clean environment: nothing of ours.
  EXPECT_NE(r->output.find("PATH=/usr/local/bin:/usr/bin:/bin"), std::string::npos);
  EXPECT_EQ(r->output.find("BWOC"), std::string::npos);
}

TEST_F(RunnerTest, LeavesNoWorkingFolderBehind) {
  RunSpec spec = script("touch a b c; pwd");
  auto r = run_sandboxed(spec);
  ASSERT_TRUE(r.ok());
  std::string used = r->output.substr(0, r->output.find('\n'));
  EXPECT_FALSE(std::filesystem::exists(used)) << used;
  // What is left are fresh, empty folders made ahead for the next runs.
  for (const auto& entry : std::filesystem::directory_iterator(spec.scratch)) {
    EXPECT_TRUE(entry.is_directory() && std::filesystem::is_empty(entry.path())) << entry.path();
  }
}

TEST_F(RunnerTest, AMissingExecutableIsAnErrorNotACrash) {
  RunSpec spec;
  spec.argv = {(agent_ / "nope").string()};
  spec.readable = agent_;
  spec.scratch = skills_.workspace() / "runs";
  auto r = run_sandboxed(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Errc::not_found);
}

}  // namespace
}  // namespace bwoc::skill
