#include "bwoc/core/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bwoc/core/files.h"

extern char** environ;

namespace bwoc {

Result<std::unique_ptr<ChildProcess>> ChildProcess::spawn(std::vector<std::string> argv,
                                                          std::optional<std::filesystem::path> stderr_to,
                                                          bool read_stdout) {
  if (argv.empty()) return Error(Errc::invalid_argument, "no program to start");
  std::unique_ptr<ChildProcess> child(new ChildProcess());
  child->name_ = std::filesystem::path(argv[0]).filename().string();
  int out[2] = {-1, -1};
  if (read_stdout && ::pipe2(out, O_CLOEXEC) != 0) return os_error("cannot make a pipe for", argv[0], errno);
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (read_stdout) {
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  } else {
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  }
  std::string err_path = stderr_to ? stderr_to->string() : "/dev/null";
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  int rc = posix_spawn(&child->pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (read_stdout) ::close(out[1]);
  if (rc != 0) {
    if (read_stdout) ::close(out[0]);
    child->pid_ = -1;
    return Error(Errc::unavailable, "cannot start " + argv[0] + ": " + errno_message(rc));
  }
  child->stdout_fd_ = read_stdout ? out[0] : -1;
  return child;
}

ChildProcess::~ChildProcess() {
  stop();
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

bool ChildProcess::exited() {
  if (reaped_ || pid_ <= 0) return true;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) reaped_ = true;
  return reaped_;
}

Result<std::string> ChildProcess::wait_for_line(std::string_view text, std::chrono::milliseconds timeout) {
  if (stdout_fd_ < 0) return Error(Errc::internal, name_ + "'s output is not read");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::size_t start = 0;
    for (std::size_t nl; (nl = buffered_.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string line = buffered_.substr(start, nl - start);
      if (line.find(text) != std::string::npos) {
        buffered_.erase(0, nl + 1);
        return line;
      }
    }
    buffered_.erase(0, start);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Error(Errc::timeout, name_ + " did not say \"" + std::string(text) + "\" in time");
    pollfd p{stdout_fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error(Errc::unavailable, name_ + " stopped before it said \"" + std::string(text) + "\"");
    buffered_.append(buf, static_cast<std::size_t>(n));
  }
}

void ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0 || reaped_) return;
  ::kill(pid_, SIGTERM);
  // A pidfd becomes readable when the child ends: wait on it, bounded by the grace period.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (!exited()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      reaped_ = true;
      break;
    }
    pollfd p{pidfd, POLLIN, 0};
    // Without pidfds (kernels before 5.3) this looks again every 10 ms.
    ::poll(&p, pidfd >= 0 ? 1 : 0, pidfd >= 0 ? static_cast<int>(left.count()) : 10);
  }
  if (pidfd >= 0) ::close(pidfd);
}

}  // namespace bwoc
