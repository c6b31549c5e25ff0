// Running a skill's executable as a black box.
//
// No shell: argv as declared. Input on stdin, output read from stdout up to a
// limit, stderr kept (its tail) for the local log only. A fresh, empty working
// folder per run, removed afterwards; an environment of PATH, LANG and HOME
// (the working folder) and nothing else; no inherited descriptors; its own
// process group, killed whole at the time limit. A Landlock ruleset lets it
// read and run only system folders (/usr, /bin, /lib, /etc, ...), its agent's
// folder and its executable, and write only its working folder: the
// workspace's credential store and the rest of the workspace are out of its
// reach. Where the kernel has no Landlock the run is refused, never
// unconfined.
#ifndef BWOC_SKILL_RUNNER_H_
#define BWOC_SKILL_RUNNER_H_

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "bwoc/core/result.h"

namespace bwoc::skill {

struct RunSpec {
  std::vector<std::string> argv;
  std::filesystem::path readable;  // a folder it may read (its agent's)
  std::filesystem::path scratch;   // where its working folders are made
  std::string input;
  std::chrono::milliseconds timeout{10'000};
  std::size_t max_output_bytes = 1u << 20;
  std::size_t max_stderr_bytes = 16u << 10;
};

struct RunOutcome {
  enum class End { exited, signaled, timed_out, output_too_large };
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

}  // namespace bwoc::skill

#endif  // BWOC_SKILL_RUNNER_H_
