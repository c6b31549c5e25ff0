#include "bwoc/skill/runner.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "bwoc/core/files.h"
#include "bwoc/core/keys.h"

namespace bwoc::skill {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

int landlock_abi() {
  static const int abi = [] {
    long v = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return v < 0 ? 0 : static_cast<int>(v);
  }();
  return abi;
}

std::uint64_t handled_rights(int abi) {
  std::uint64_t r = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |
                    LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
                    LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                    LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
                    LANDLOCK_ACCESS_FS_MAKE_SYM;
#ifdef LANDLOCK_ACCESS_FS_REFER
  if (abi >= 2) r |= LANDLOCK_ACCESS_FS_REFER;
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
  if (abi >= 3) r |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
  return r;
}

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    reset();
    fd_ = o.fd_;
    o.fd_ = -1;
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Grants `rights` beneath `path` (a folder) or on it (a file). A path that
// does not exist is skipped.
Status allow(int ruleset, const fs::path& path, std::uint64_t rights, std::uint64_t handled) {
  Fd fd(::open(path.c_str(), O_PATH | O_CLOEXEC));
  if (fd.get() < 0) return Status();
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Status();
  if (!S_ISDIR(st.st_mode)) {
    rights &= LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE;
  }
  landlock_path_beneath_attr attr{};
  attr.allowed_access = rights & handled;
  attr.parent_fd = fd.get();
  if (::syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &attr, 0) != 0) {
    return os_error("cannot add a sandbox rule for", path, errno);
  }
  return Status();
}

bool is_within(const fs::path& inner, const fs::path& outer) {
  auto i = inner.begin();
  for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
    if (i == inner.end() || *i != *o) return false;
  }
  return true;
}

Result<Fd> make_ruleset(const RunSpec& spec, const fs::path& workdir) {
  int abi = landlock_abi();
  if (abi < 1) return Error(Errc::unavailable, "this kernel has no Landlock: skills are not run unconfined");
  std::uint64_t handled = handled_rights(abi);
  landlock_ruleset_attr attr{};
  attr.handled_access_fs = handled;
  Fd ruleset(static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0)));
  if (ruleset.get() < 0) return os_error("cannot make a sandbox", workdir, errno);
  const std::uint64_t read_run = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
  std::error_code ec;
  fs::path agent = fs::weakly_canonical(spec.readable, ec);
  fs::path scratch = fs::weakly_canonical(spec.scratch, ec);
  for (const char* system : {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/proc"}) {
    // A system folder that holds the workspace would open all of it.
    fs::path dir(system);
    if (is_within(agent, dir) || is_within(scratch, dir)) continue;
    BWOC_RETURN_IF_ERROR(allow(ruleset.get(), dir, read_run, handled));
  }
  BWOC_RETURN_IF_ERROR(allow(ruleset.get(), "/dev/null",
                             LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE, handled));
  BWOC_RETURN_IF_ERROR(allow(ruleset.get(), "/dev/urandom", LANDLOCK_ACCESS_FS_READ_FILE, handled));
  BWOC_RETURN_IF_ERROR(allow(ruleset.get(), spec.readable, read_run, handled));
  BWOC_RETURN_IF_ERROR(allow(ruleset.get(), spec.argv[0], read_run, handled));
  BWOC_RETURN_IF_ERROR(allow(ruleset.get(), workdir, handled, handled));
  return ruleset;
}

void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// What the child needs, made before clone(): after it, only system calls.
struct ChildSetup {
  int in, out, err, ruleset;
  const char* workdir;
  char** argv;
  char** envp;
  int error;  // set by the child when it cannot exec (we share its memory)
};

int child_main(void* arg) {
  auto* s = static_cast<ChildSetup*>(arg);
  ::setpgid(0, 0);
  ::dup2(s->in, 0);
  ::dup2(s->out, 1);
  ::dup2(s->err, 2);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::syscall(SYS_landlock_restrict_self, s->ruleset, 0) != 0 ||
      ::chdir(s->workdir) != 0) {
    s->error = errno;
  } else {
    ::syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC);
    ::execve(s->argv[0], s->argv, s->envp);
    s->error = errno;
  }
  ::_exit(127);
}

// Fresh working folders made ahead of time by a background thread: on a
// journaling file system mkdir() right after another process's fsync waits
// for the journal, most of a millisecond on every call.
class ScratchPool {
 public:
  static ScratchPool& instance() {
    static ScratchPool pool;
    return pool;
  }
  ~ScratchPool() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (filler_.joinable()) filler_.join();
    for (auto& [scratch, dirs] : ready_) {
      for (const fs::path& d : dirs) ::rmdir(d.c_str());
    }
  }

  // An empty folder of ours under `scratch`.
  Result<fs::path> take(const fs::path& scratch) {
    {
      std::lock_guard lock(mu_);
      if (!filler_.joinable()) filler_ = std::thread([this] { fill(); });
      auto& dirs = ready_[scratch];
      wanted_ = true;
      if (!dirs.empty()) {
        fs::path d = std::move(dirs.front());
        dirs.pop_front();
        cv_.notify_one();
        return d;
      }
    }
    cv_.notify_one();
    return make(scratch);
  }

 private:
  static Result<fs::path> make(const fs::path& scratch) {
    fs::path dir = scratch / ("run-" + random_id());
    if (::mkdir(dir.c_str(), 0700) != 0) return os_error("cannot make", dir, errno);
    return dir;
  }

  void fill() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      cv_.wait(lock, [this] { return stopping_ || wanted_; });
      wanted_ = false;
      for (auto& [scratch, dirs] : ready_) {
        while (!stopping_ && dirs.size() < kReady) {
          fs::path where = scratch;
          lock.unlock();
          auto made = make(where);
          lock.lock();
          if (!made.ok()) break;
          ready_[where].push_back(std::move(made).value());
        }
      }
    }
  }

  static constexpr std::size_t kReady = 2;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<fs::path, std::deque<fs::path>> ready_;
  bool wanted_ = false, stopping_ = false;
  std::thread filler_;
};

}  // namespace

bool sandbox_available() { return landlock_abi() >= 1; }

std::string describe(const RunOutcome& o) {
  switch (o.end) {
    case RunOutcome::End::exited: return "exited with status " + std::to_string(o.exit_code);
    case RunOutcome::End::signaled: return std::string("killed by signal ") + ::strsignal(o.signal);
    case RunOutcome::End::timed_out: return "stopped at the time limit";
    case RunOutcome::End::output_too_large: return "stopped: output beyond the limit";
  }
  return "?";
}

Result<RunOutcome> run_sandboxed(const RunSpec& spec) {
  if (spec.argv.empty()) return Error(Errc::invalid_argument, "nothing to run");
  if (::access(spec.argv[0].c_str(), X_OK) != 0) {
    return Error(Errc::not_found, "cannot run " + spec.argv[0] + ": " + errno_message(errno));
  }
  ignore_sigpipe_once();
  BWOC_RETURN_IF_ERROR(ensure_directory(spec.scratch, 0700));
  BWOC_ASSIGN_OR_RETURN(fs::path workdir, ScratchPool::instance().take(spec.scratch));
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{workdir};
  BWOC_ASSIGN_OR_RETURN(Fd ruleset, make_ruleset(spec, workdir));

  // Everything the child needs is made before fork(): after it, only
  // async-signal-safe calls.
  std::vector<char*> argv;
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::string home = "HOME=" + workdir.string();
  std::string tmp = "TMPDIR=" + workdir.string();
  std::vector<std::string> env_text = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", home, tmp};
  std::vector<char*> envp;
  for (std::string& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);

  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return os_error("cannot make a pipe for", workdir, errno);
  Fd in_r(in[0]), in_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) != 0) return os_error("cannot make a pipe for", workdir, errno);
  Fd out_r(out[0]), out_w(out[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) return os_error("cannot make a pipe for", workdir, errno);
  Fd err_r(err[0]), err_w(err[1]);

  Clock::time_point start = Clock::now();
  ChildSetup setup{in_r.get(), out_w.get(), err_w.get(), ruleset.get(), workdir.c_str(), argv.data(), envp.data(), 0};
  // The child shares our memory until it calls execve (as posix_spawn does):
  // no copy of a large server's page tables for every call.
  std::vector<char> child_stack(64 * 1024);
  pid_t pid = ::clone(child_main, child_stack.data() + child_stack.size(), CLONE_VM | CLONE_VFORK | SIGCHLD, &setup);
  if (pid < 0) return os_error("cannot start", spec.argv[0], errno);
  if (setup.error != 0) {
    ::waitpid(pid, nullptr, 0);
    return Error(Errc::io_error, "cannot start " + spec.argv[0] + ": " + errno_message(setup.error));
  }
  in_r.reset();
  out_w.reset();
  err_w.reset();
  ruleset.reset();

  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  set_nonblocking(in_w.get());
  set_nonblocking(out_r.get());
  set_nonblocking(err_r.get());
  RunOutcome outcome;
  std::size_t written = 0;
  bool exited = false;
  Clock::time_point deadline = start + spec.timeout;
  char buf[65536];
  if (spec.input.empty()) in_w.reset();
  while (true) {
    pollfd fds[4];
    int n = 0;
    int in_at = -1, out_at = -1, err_at = -1, pid_at = -1;
    if (in_w.get() >= 0) fds[in_at = n++] = {in_w.get(), POLLOUT, 0};
    if (out_r.get() >= 0) fds[out_at = n++] = {out_r.get(), POLLIN, 0};
    if (err_r.get() >= 0) fds[err_at = n++] = {err_r.get(), POLLIN, 0};
    if (!exited && pidfd.get() >= 0) fds[pid_at = n++] = {pidfd.get(), POLLIN, 0};
    // Done once it exited and its output is drained (stragglers holding the
    // pipes open are killed below).
    if (exited && out_r.get() < 0 && err_r.get() < 0) break;
    if (n == 0) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      outcome.end = RunOutcome::End::timed_out;
      break;
    }
    int ready = ::poll(fds, n, static_cast<int>(std::min<long long>(left, exited ? 50 : 1000)));
    if (ready < 0 && errno != EINTR) return os_error("cannot wait for", spec.argv[0], errno);
    if (exited && ready == 0) break;  // exited; a child of it still holds the pipes
    if (in_at >= 0 && fds[in_at].revents) {
      ssize_t w = ::write(in_w.get(), spec.input.data() + written, spec.input.size() - written);
      if (w > 0) written += static_cast<std::size_t>(w);
      if (w < 0 && errno != EAGAIN) written = spec.input.size();  // it closed stdin: fine
      if (written == spec.input.size()) in_w.reset();
    }
    if (out_at >= 0 && fds[out_at].revents) {
      ssize_t r = ::read(out_r.get(), buf, sizeof buf);
      if (r > 0) {
        outcome.output.append(buf, static_cast<std::size_t>(r));
        if (outcome.output.size() > spec.max_output_bytes) {
          outcome.end = RunOutcome::End::output_too_large;
          break;
        }
      } else if (r == 0 || errno != EAGAIN) {
        out_r.reset();
      }
    }
    if (err_at >= 0 && fds[err_at].revents) {
      ssize_t r = ::read(err_r.get(), buf, sizeof buf);
      if (r > 0) {
        outcome.stderr_tail.append(buf, static_cast<std::size_t>(r));
        if (outcome.stderr_tail.size() > spec.max_stderr_bytes) {
          outcome.stderr_tail.erase(0, outcome.stderr_tail.size() - spec.max_stderr_bytes);
        }
      } else if (r == 0 || errno != EAGAIN) {
        err_r.reset();
      }
    }
    if (pid_at >= 0 && fds[pid_at].revents) exited = true;
  }
  // The whole group goes: nothing it started outlives the call.
  ::kill(-pid, SIGKILL);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  outcome.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  if (outcome.end == RunOutcome::End::exited) {
    if (WIFEXITED(wstatus)) {
      outcome.exit_code = WEXITSTATUS(wstatus);
    } else if (WIFSIGNALED(wstatus)) {
      outcome.end = RunOutcome::End::signaled;
      outcome.signal = WTERMSIG(wstatus);
    }
  }
  return outcome;
}

}  // namespace bwoc::skill
