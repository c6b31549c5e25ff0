// The bare cost of running a skill's executable, for bench/skill_bench.sh:
// the same argv, the same input on stdin, its output read to the end, run
// N times one after another with posix_spawn (no sandbox, no bwoc), and then
// N times through bwoc's sandboxed runner. Prints one JSON object.
//
//   spawn_bench --agent-dir DIR --input JSON --runs N -- ARGV...
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bwoc/skill/runner.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "spawn_bench: %s\n", why.c_str());
  std::exit(2);
}

// One run: spawn, write the input, read stdout to EOF, wait.
double bare_run(const std::vector<std::string>& argv, const std::string& input) {
  auto start = Clock::now();
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) die("pipe");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ) != 0) die("cannot spawn " + argv[0]);
  posix_spawn_file_actions_destroy(&fa);
  ::close(in[0]);
  ::close(out[1]);
  if (::write(in[1], input.data(), input.size()) != static_cast<ssize_t>(input.size())) die("short write");
  ::close(in[1]);
  char buf[4096];
  while (::read(out[0], buf, sizeof buf) > 0) {
  }
  ::close(out[0]);
  ::waitpid(pid, nullptr, 0);
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  std::string agent_dir, input = "{}";
  int runs = 1000;
  std::vector<std::string> command;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      for (++i; i < argc; ++i) command.push_back(argv[i]);
      break;
    }
    if (i + 1 >= argc) die("missing value for " + a);
    if (a == "--agent-dir") agent_dir = argv[++i];
    else if (a == "--input") input = argv[++i];
    else if (a == "--runs") runs = std::atoi(argv[++i]);
    else die("unknown option " + a);
  }
  if (command.empty() || agent_dir.empty()) die("usage: spawn_bench --agent-dir DIR --input JSON --runs N -- ARGV...");
  std::vector<double> bare, sandboxed;
  for (int i = 0; i < runs; ++i) bare.push_back(bare_run(command, input));
  bwoc::skill::RunSpec spec;
  spec.argv = command;
  spec.readable = agent_dir;
  spec.scratch = agent_dir + "/../../.bwoc/state/spawn-bench";
  spec.input = input;
  for (int i = 0; i < runs; ++i) {
    auto r = bwoc::skill::run_sandboxed(spec);
    if (!r.ok() || !r->succeeded()) die("the sandboxed run failed");
    sandboxed.push_back(std::chrono::duration<double, std::milli>(r->elapsed).count());
  }
  std::printf("{\"runs\":%d,\"bare_p50_ms\":%.3f,\"bare_p99_ms\":%.3f,\"sandboxed_p50_ms\":%.3f,\"sandboxed_p99_ms\":%.3f}\n",
              runs, pct(bare, 0.5), pct(bare, 0.99), pct(sandboxed, 0.5), pct(sandboxed, 0.99));
  return 0;
}
