#include "bwoc/skill/runner.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "bwoc/core/files.h"
#include "bwoc/core/keys.h"
#include "landlock.h"
#include "network_filter.h"
#include "supervisor.h"
#include "unique_fd.h"

namespace bwoc::skill {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

// A node that runs skills is not dumpable: its /proc files (environ, mem,
// fd, ...) belong to root and open only to a process with CAP_SYS_PTRACE,
// which no skill has; and it leaves no core file with its secrets in it.
void make_node_undumpable_once() {
  static std::once_flag once;
  std::call_once(once, [] { ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); });
}

bool children_listed() {
  static const bool listed = ::access("/proc/thread-self/children", R_OK) == 0;
  return listed;
}

bool seccomp_available() {
  static const bool available = ::prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 && !no_network_filter().empty();
  return available;
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

Status make_pipe(UniqueFd& read_end, UniqueFd& write_end, const fs::path& for_what) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return os_error("cannot make a pipe for", for_what, errno);
  read_end = UniqueFd(fds[0]);
  write_end = UniqueFd(fds[1]);
  return Status();
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

bool sandbox_available() { return landlock::abi() >= 1; }

SandboxReport sandbox_report() {
  SandboxReport r;
  r.landlock_abi = landlock::abi();
  r.tcp_rules = r.landlock_abi >= 4;
  r.signal_scoping = r.abstract_unix_scoping = r.landlock_abi >= 6;
  r.network_filter = seccomp_available();
  r.children_listed = children_listed();
  return r;
}

std::string describe(const RunOutcome& o) {
  switch (o.end) {
    case RunOutcome::End::exited: return "exited with status " + std::to_string(o.exit_code);
    case RunOutcome::End::signaled: return std::string("killed by signal ") + ::strsignal(o.signal);
    case RunOutcome::End::timed_out: return "stopped at the time limit";
    case RunOutcome::End::output_too_large: return "stopped: output beyond the limit";
    case RunOutcome::End::canceled: return "stopped: the work was canceled";
  }
  return "?";
}

Result<RunOutcome> run_sandboxed(const RunSpec& spec) {
  if (spec.argv.empty()) return Error(Errc::invalid_argument, "nothing to run");
  if (::access(spec.argv[0].c_str(), X_OK) != 0) {
    return Error(Errc::not_found, "cannot run " + spec.argv[0] + ": " + errno_message(errno));
  }
  if (!children_listed()) {
    return Error(Errc::unavailable, "this kernel does not list a process's children (/proc/thread-self/children): "
                                    "a skill's processes could outlive its run, so skills are not run");
  }
  std::vector<sock_filter> filter;
  sock_fprog filter_program{};
  if (spec.network == Network::none) {
    if (!seccomp_available()) {
      return Error(Errc::unavailable, "the network of a skill cannot be closed here (no seccomp filter for this "
                                      "kernel or architecture): skills without network are not run");
    }
    filter = no_network_filter();
    filter_program.len = static_cast<unsigned short>(filter.size());
    filter_program.filter = filter.data();
  }
  ignore_sigpipe_once();
  make_node_undumpable_once();
  BWOC_RETURN_IF_ERROR(ensure_directory(spec.scratch, 0700));
  BWOC_ASSIGN_OR_RETURN(fs::path workdir, ScratchPool::instance().take(spec.scratch));
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{workdir};
  BWOC_ASSIGN_OR_RETURN(landlock::Ruleset ruleset,
                        landlock::make_ruleset({spec.readable, spec.scratch, spec.argv[0], workdir,
                                                spec.network == Network::none}));

  // Everything the supervisor and the skill need is made now: after clone()
  // they only make system calls.
  std::vector<char*> argv;
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_text = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8",
                                       "HOME=" + workdir.string(), "TMPDIR=" + workdir.string()};
  std::vector<char*> envp;
  for (std::string& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);

  UniqueFd in_r, in_w, out_r, out_w, err_r, err_w, stop_r, stop_w;
  BWOC_RETURN_IF_ERROR(make_pipe(in_r, in_w, workdir));
  BWOC_RETURN_IF_ERROR(make_pipe(out_r, out_w, workdir));
  BWOC_RETURN_IF_ERROR(make_pipe(err_r, err_w, workdir));
  BWOC_RETURN_IF_ERROR(make_pipe(stop_r, stop_w, workdir));
  UniqueFd done(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!done.valid()) return os_error("cannot make an event for", workdir, errno);

  constexpr std::size_t kStack = 64 * 1024;
  std::vector<char> stacks(2 * kStack);
  supervision::Launch launch;
  launch.stdin_fd = in_r.get();
  launch.stdout_fd = out_w.get();
  launch.stderr_fd = err_w.get();
  launch.ruleset_fd = ruleset.fd.get();
  launch.network_filter = spec.network == Network::none ? &filter_program : nullptr;
  launch.workdir = workdir.c_str();
  launch.argv = argv.data();
  launch.envp = envp.data();
  launch.skill_stack = stacks.data() + 2 * kStack;
  launch.stop_fd = stop_r.get();

  // The thread that starts the supervisor lends it its memory and its
  // thread-local storage, and waits in clone() until it is gone: it must do
  // nothing else meanwhile, so it is a thread of its own.
  Clock::time_point start = Clock::now();
  int launch_errno = 0;
  std::thread launcher;
  try {
    launcher = std::thread([&] {
      pid_t supervisor = ::clone(supervision::supervise, stacks.data() + kStack, CLONE_VM | CLONE_VFORK | SIGCHLD,
                                 &launch);
      if (supervisor < 0) {
        launch_errno = errno;
      } else {
        while (::waitpid(supervisor, nullptr, 0) < 0 && errno == EINTR) {
        }
      }
      std::uint64_t one = 1;
      [[maybe_unused]] ssize_t w = ::write(done.get(), &one, sizeof one);
    });
  } catch (const std::system_error& e) {
    return Error(Errc::io_error, std::string("cannot start a thread for a skill: ") + e.what());
  }
  // However this function is left, the run is ended and its thread joined.
  struct EndOfRun {
    std::thread& launcher;
    UniqueFd& stop_w;
    ~EndOfRun() {
      if (stop_w.valid()) {
        [[maybe_unused]] ssize_t w = ::write(stop_w.get(), "x", 1);
      }
      if (launcher.joinable()) launcher.join();
    }
  } end_of_run{launcher, stop_w};
  // A cancel from another thread ends the run the way a limit does (the
  // supervisor kills everything); gone before stop_w is, declared after it.
  std::atomic<bool> canceled{false};
  std::stop_callback on_cancel(spec.stop, [&] {
    canceled = true;
    [[maybe_unused]] ssize_t w = ::write(stop_w.get(), "x", 1);
  });

  set_nonblocking(in_w.get());
  set_nonblocking(out_r.get());
  set_nonblocking(err_r.get());
  RunOutcome outcome;
  std::size_t written = 0;
  bool ended = false, stop_sent = false;
  Clock::time_point deadline = start + spec.timeout;
  auto stop = [&](RunOutcome::End why) {
    if (outcome.end == RunOutcome::End::exited) outcome.end = why;
    if (!stop_sent) {
      [[maybe_unused]] ssize_t w = ::write(stop_w.get(), "x", 1);
    }
    stop_sent = true;
  };
  char buf[65536];
  if (spec.input.empty()) in_w.reset();
  while (true) {
    pollfd fds[4];
    int n = 0;
    int in_at = -1, out_at = -1, err_at = -1, done_at = -1;
    if (in_w.valid()) fds[in_at = n++] = {in_w.get(), POLLOUT, 0};
    if (out_r.valid()) fds[out_at = n++] = {out_r.get(), POLLIN, 0};
    if (err_r.valid()) fds[err_at = n++] = {err_r.get(), POLLIN, 0};
    if (!ended) fds[done_at = n++] = {done.get(), POLLIN, 0};
    if (n == 0) break;
    int wait_ms;
    if (ended) {
      // Everything of the run is gone; what it wrote is still in the pipes.
      wait_ms = 1000;
    } else if (stop_sent) {
      wait_ms = -1;  // the supervisor ends it at once
    } else {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        stop(RunOutcome::End::timed_out);
        continue;
      }
      wait_ms = static_cast<int>(std::min<long long>(left, 60'000));
    }
    int ready = ::poll(fds, n, wait_ms);
    if (ready < 0 && errno != EINTR) return os_error("cannot wait for", spec.argv[0], errno);
    if (ended && ready == 0) break;  // a pipe held open past the run's end (another run starting)
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
          stop(RunOutcome::End::output_too_large);
          out_r.reset();
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
    if (done_at >= 0 && fds[done_at].revents) {
      ended = true;
      // The supervisor is gone, and all it watched over: our copies of the
      // skill's ends are the last, and once closed the pipes reach their end.
      in_r.reset();
      out_w.reset();
      err_w.reset();
      in_w.reset();
    }
  }
  launcher.join();
  if (canceled && outcome.end == RunOutcome::End::exited) outcome.end = RunOutcome::End::canceled;
  outcome.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  if (launch_errno != 0) {
    return Error(Errc::io_error, "cannot start " + spec.argv[0] + ": " + errno_message(launch_errno));
  }
  if (launch.failed_step != supervision::Step::none) {
    return Error(Errc::io_error, "cannot start " + spec.argv[0] + " (" + supervision::step_name(launch.failed_step) +
                                     "): " + errno_message(launch.failed_errno));
  }
  if (outcome.end == RunOutcome::End::exited) {
    if (!launch.ended_by_itself) {
      outcome.end = RunOutcome::End::signaled;
      outcome.signal = SIGKILL;
    } else if (WIFEXITED(launch.wait_status)) {
      outcome.exit_code = WEXITSTATUS(launch.wait_status);
    } else if (WIFSIGNALED(launch.wait_status)) {
      outcome.end = RunOutcome::End::signaled;
      outcome.signal = WTERMSIG(launch.wait_status);
    }
  }
  return outcome;
}

}  // namespace bwoc::skill
