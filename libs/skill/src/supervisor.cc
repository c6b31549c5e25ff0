#include "supervisor.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace bwoc::skill::supervision {

namespace {

[[noreturn]] void fail(Launch* launch, Step step) {
  launch->failed_step = step;
  launch->failed_errno = errno;
  ::_exit(127);
}

// Every privilege goes, root's included. Dropping is always allowed; what
// needs CAP_SETPCAP (the securebits, the bounding set) is skipped by a
// process without it, which has nothing there that no_new_privs does not
// already keep from it.
bool drop_capabilities() {
  ::prctl(PR_SET_SECUREBITS,
          SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
              SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
          0, 0, 0);
  // Up to the first number the kernel does not know (EINVAL); EPERM: no CAP_SETPCAP.
  for (int cap = 0; ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0; ++cap) {
  }
  if (errno != EINVAL && errno != EPERM) return false;
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) return false;
  // Only a process that holds some capability sets its sets: bwoc's systemd
  // unit runs the node with none and forbids capset() (~@privileged).
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct held[2]{};
  if (::syscall(SYS_capget, &header, held) != 0) return false;
  bool any = false;
  for (const auto& half : held) any = any || half.effective != 0 || half.permitted != 0 || half.inheritable != 0;
  if (!any) return true;
  __user_cap_data_struct none[2]{};
  return ::syscall(SYS_capset, &header, none) == 0;
}

int skill_main(void* arg) {
  auto* launch = static_cast<Launch*>(arg);
  if (::setsid() < 0) fail(launch, Step::session);
  if (::dup2(launch->stdin_fd, 0) < 0 || ::dup2(launch->stdout_fd, 1) < 0 || ::dup2(launch->stderr_fd, 2) < 0) {
    fail(launch, Step::descriptors);
  }
  // What the node ignores or blocks is not the skill's business.
  ::signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(launch, Step::no_new_privs);
  if (!drop_capabilities()) fail(launch, Step::capabilities);
  if (launch->network_filter != nullptr &&
      ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, launch->network_filter, 0, 0) != 0) {
    fail(launch, Step::network);
  }
  if (::syscall(SYS_landlock_restrict_self, launch->ruleset_fd, 0) != 0) fail(launch, Step::landlock);
  if (::chdir(launch->workdir) != 0) fail(launch, Step::workdir);
  ::syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC);
  ::execve(launch->argv[0], launch->argv, launch->envp);
  fail(launch, Step::exec);
}

void close_all_but(int a, int b) {
  int low = a < b ? a : b, high = a < b ? b : a;
  if (low > 0) ::syscall(SYS_close_range, 0u, static_cast<unsigned>(low - 1), 0u);
  if (high > low + 1) ::syscall(SYS_close_range, static_cast<unsigned>(low + 1), static_cast<unsigned>(high - 1), 0u);
  ::syscall(SYS_close_range, static_cast<unsigned>(high + 1), ~0u, 0u);
}

// Kills each process the supervisor has as a child, with the process group
// it leads; returns how many it found, -1 when the kernel does not list them.
int kill_children() {
  int fd = ::open("/proc/thread-self/children", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int found = 0;
  long pid = 0;
  bool in_number = false;
  auto end_of_number = [&] {
    if (!in_number) return;
    ::kill(static_cast<pid_t>(pid), SIGKILL);
    ::kill(static_cast<pid_t>(-pid), SIGKILL);
    ++found;
    pid = 0;
    in_number = false;
  };
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] >= '0' && buf[i] <= '9') {
        pid = pid * 10 + (buf[i] - '0');
        in_number = true;
      } else {
        end_of_number();
      }
    }
  }
  end_of_number();
  ::close(fd);
  return found;
}

void drain(int signal_fd) {
  signalfd_siginfo info;
  while (::read(signal_fd, &info, sizeof info) > 0) {
  }
}

// Reaps every child that has ended; true once the skill is among them.
bool reap(pid_t skill, Launch* launch, bool stopped, bool* none_left) {
  bool skill_reaped = false;
  int status = 0;
  pid_t pid;
  while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
    if (pid != skill) continue;
    skill_reaped = true;
    launch->wait_status = status;
    launch->ended_by_itself = !stopped;
  }
  *none_left = pid < 0 && errno == ECHILD;
  return skill_reaped;
}

// The end of the run: the skill, its group, and then everything inherited,
// until no child is left. Killed processes cannot fork any more, and each
// round kills the children that the deaths of the last one handed over.
void end_everything(pid_t skill, bool skill_reaped, Launch* launch, int signal_fd, bool stopped) {
  if (!skill_reaped) ::kill(skill, SIGKILL);
  ::kill(-skill, SIGKILL);
  for (int unlisted_rounds = 0;;) {
    int found = kill_children();
    if (found < 0) {
      // No list from the kernel: the group is all that can be reached.
      ::kill(-skill, SIGKILL);
      if (++unlisted_rounds > 200) return;
    }
    bool none_left = false;
    reap(skill, launch, stopped, &none_left);
    if (none_left) return;
    pollfd ended{signal_fd, POLLIN, 0};
    ::poll(&ended, 1, 10);  // a child's end, or a new round in 10 ms
    drain(signal_fd);
  }
}

}  // namespace

const char* step_name(Step step) {
  switch (step) {
    case Step::none: return "none";
    case Step::supervisor: return "starting its supervisor";
    case Step::session: return "making its session";
    case Step::descriptors: return "connecting its input and output";
    case Step::no_new_privs: return "setting no_new_privs";
    case Step::capabilities: return "dropping capabilities";
    case Step::network: return "closing the network (seccomp)";
    case Step::landlock: return "entering the Landlock sandbox";
    case Step::workdir: return "entering its working folder";
    case Step::exec: return "executing it";
  }
  return "?";
}

int supervise(void* arg) {
  auto* launch = static_cast<Launch*>(arg);
  sigset_t all;
  ::sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  // No death signal from the node: killed with it, the supervisor would leave
  // whatever the skill started running, handed to init. The node's end closes
  // the stop pipe instead, and the supervisor ends everything as at a limit.
  sigset_t child_ended;
  ::sigemptyset(&child_ended);
  ::sigaddset(&child_ended, SIGCHLD);
  int signal_fd = ::signalfd(-1, &child_ended, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signal_fd < 0 || ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    launch->failed_step = Step::supervisor;
    launch->failed_errno = errno;
    ::_exit(0);
  }
  pid_t skill = ::clone(skill_main, launch->skill_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, launch);
  if (skill < 0) {
    launch->failed_step = Step::exec;
    launch->failed_errno = errno;
    ::_exit(0);
  }
  // Nothing of the node stays open here: its connections must close when it
  // closes them, and the skill's pipes when the skill is gone.
  close_all_but(launch->stop_fd, signal_fd);
  bool stopped = launch->failed_step != Step::none;
  bool skill_reaped = false;
  while (!stopped && !skill_reaped) {
    pollfd fds[2] = {{signal_fd, POLLIN, 0}, {launch->stop_fd, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) stopped = true;
    if (fds[0].revents != 0) {
      drain(signal_fd);
      bool none_left = false;
      skill_reaped = reap(skill, launch, stopped, &none_left);
    }
  }
  end_everything(skill, skill_reaped, launch, signal_fd, stopped);
  ::_exit(0);
}

}  // namespace bwoc::skill::supervision
