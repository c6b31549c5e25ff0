// The processes of one skill run: a supervisor, and the skill under it.
//
// The supervisor is a child subreaper: whatever the skill starts, however it
// detaches (setsid, double fork), is re-parented to it when its parent dies.
// When the skill ends, or the node asks (time limit, output limit), it kills
// the skill's process group and then every process it has inherited, round
// after round, until it has no child left: nothing the skill started outlives
// the run. It is not in the skill's sandbox, and with Landlock ABI 6 the
// skill cannot signal it (nor the node).
//
// The skill, before it runs: a session of its own; no capabilities (bounding
// set, ambient, permitted, effective, inheritable; root's securebits locked);
// no_new_privs; the network filter when it has no network; the Landlock
// ruleset; its working folder; no descriptor but 0, 1 and 2.
//
// Both start as clone(CLONE_VM | CLONE_VFORK), as posix_spawn does: no copy
// of a large server's page tables per call. They borrow the launching
// thread's memory and thread-local storage while it waits, suspended by the
// kernel, so everything here is system calls on memory prepared beforehand:
// no allocation, no lock, no C++ exception.
#ifndef BWOC_SKILL_SUPERVISOR_H_
#define BWOC_SKILL_SUPERVISOR_H_

#include <linux/filter.h>
#include <sys/types.h>

#include <cstddef>

namespace bwoc::skill::supervision {

// A step of the skill's start that failed.
enum class Step : int {
  none = 0,
  supervisor,
  session,
  descriptors,
  no_new_privs,
  capabilities,
  network,
  landlock,
  workdir,
  exec
};
const char* step_name(Step step);

struct Launch {
  // For the skill.
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
  int ruleset_fd = -1;
  const sock_fprog* network_filter = nullptr;  // nullptr: it keeps the network
  const char* workdir = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  char* skill_stack = nullptr;  // its top: the stack grows down
  // For the supervisor: readable (or closed) when the node wants the run over.
  int stop_fd = -1;

  // Written by the supervisor and the skill before they end.
  Step failed_step = Step::none;
  int failed_errno = 0;
  bool ended_by_itself = false;  // the skill ended before any stop
  int wait_status = 0;           // the skill's, as waitpid() gives it
};

// The supervisor: clone()'s entry. Always returns through _exit(0).
int supervise(void* launch);

}  // namespace bwoc::skill::supervision

#endif  // BWOC_SKILL_SUPERVISOR_H_
