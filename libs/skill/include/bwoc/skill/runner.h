// Running a skill's executable as a black box, contained.
//
// No shell: argv as declared. Input on stdin, output read from stdout up to a
// limit, stderr kept (its tail) for the local log only. A fresh, empty working
// folder per run, removed afterwards; an environment of PATH, LANG, HOME and
// TMPDIR (the working folder) and nothing else; no inherited descriptors.
//
// Contained (docs/SKILLS.md says what holds on which kernel):
//   - whole: a supervisor, a child subreaper, ends the run when the skill
//     ends or at a limit by killing everything the skill started, detached
//     or not; nothing outlives the call;
//   - no privilege: no capabilities (root's too), no_new_privs;
//   - a Landlock ruleset: it reads and runs only system folders, its agent's
//     folder and its executable, and writes only its working folder; it
//     cannot trace processes outside, and (Landlock ABI 6) cannot signal them
//     nor reach their abstract UNIX sockets. The node itself is not dumpable,
//     so its /proc files are closed to processes without privilege;
//   - without network when asked (the default): no socket at all (seccomp),
//     and TCP refused by Landlock too where the kernel has it (ABI 4).
// Where the kernel has no Landlock, or cannot list a process's children, or
// the network cannot be closed, the run is refused, never left unconfined.
#ifndef BWOC_SKILL_RUNNER_H_
#define BWOC_SKILL_RUNNER_H_

#include <chrono>
#include <filesystem>
#include <stop_token>
#include <string>
#include <vector>

#include "bwoc/core/result.h"

namespace bwoc::skill {

enum class Network { none, open };

struct RunSpec {
  std::vector<std::string> argv;
  std::filesystem::path readable;  // a folder it may read (its agent's)
  std::filesystem::path scratch;   // where its working folders are made
  std::string input;
  std::chrono::milliseconds timeout{10'000};
  std::size_t max_output_bytes = 1u << 20;
  std::size_t max_stderr_bytes = 16u << 10;
  Network network = Network::none;
  // Asked to stop (the caller canceled the work): the run is ended at once,
  // everything it started killed, as at the time limit.
  std::stop_token stop = {};
};

struct RunOutcome {
  enum class End { exited, signaled, timed_out, output_too_large, canceled };
  End end = End::exited;
  int exit_code = -1;  // exited
  int signal = 0;      // signaled
  std::string output;
  std::string stderr_tail;
  std::chrono::microseconds elapsed{0};

  bool succeeded() const { return end == End::exited && exit_code == 0; }
};

std::string describe(const RunOutcome& outcome);

// Errors: the executable could not be started (missing, not executable), the
// sandbox is unavailable, or the operating system failed.
Result<RunOutcome> run_sandboxed(const RunSpec& spec);

// True when this kernel enforces Landlock.
bool sandbox_available();

// What confines a run on this kernel (tests skip what it lacks).
struct SandboxReport {
  int landlock_abi = 0;         // 0: none (skills are not run)
  bool tcp_rules = false;       // Landlock refuses TCP to skills without network (ABI 4)
  bool signal_scoping = false;  // skills cannot signal the node or anything outside (ABI 6)
  bool abstract_unix_scoping = false;
  bool network_filter = false;  // seccomp closes every socket of skills without network
  bool children_listed = false; // the supervisor can find what it inherits
};
SandboxReport sandbox_report();

}  // namespace bwoc::skill

#endif  // BWOC_SKILL_RUNNER_H_
