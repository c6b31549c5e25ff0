// A child process that a command or a service starts and owns: its stdout
// read line by line, its stderr to a file, and stopped (SIGTERM, then waited
// for) when the handle goes. For the demo's services and the local broker;
// skills have their own sandboxed runner (libs/skill).
#ifndef BWOC_CORE_PROCESS_H_
#define BWOC_CORE_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bwoc/core/result.h"

namespace bwoc {

class ChildProcess {
 public:
  // Starts argv[0] (a path) with stdin from /dev/null, stdout on a pipe
  // (or /dev/null when `read_stdout` is false) and stderr appended to
  // `stderr_to` (or /dev/null).
  static Result<std::unique_ptr<ChildProcess>> spawn(std::vector<std::string> argv,
                                                     std::optional<std::filesystem::path> stderr_to = std::nullopt,
                                                     bool read_stdout = true);
  ~ChildProcess();  // stop()
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Waits at most `timeout` for a line of its stdout that holds `text`, and
  // returns it; an error when it exits or the time runs out first.
  Result<std::string> wait_for_line(std::string_view text, std::chrono::milliseconds timeout);
  // Whether it has exited (without waiting).
  bool exited();
  // SIGTERM, then waits for it (SIGKILL after `grace`). Does nothing twice.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffered_;
  std::string name_;
  bool reaped_ = false;
};

}  // namespace bwoc

#endif  // BWOC_CORE_PROCESS_H_
