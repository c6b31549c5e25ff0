#include "landlock.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "bwoc/core/files.h"

namespace bwoc::skill::landlock {

namespace {

namespace fs = std::filesystem;

std::uint64_t handled_fs(int abi) {
  std::uint64_t r = kAccessFsExecute | kAccessFsWriteFile | kAccessFsReadFile | kAccessFsReadDir |
                    kAccessFsRemoveDir | kAccessFsRemoveFile | kAccessFsMakeChar | kAccessFsMakeDir |
                    kAccessFsMakeReg | kAccessFsMakeSock | kAccessFsMakeFifo | kAccessFsMakeBlock | kAccessFsMakeSym;
  if (abi >= 2) r |= kAccessFsRefer;
  if (abi >= 3) r |= kAccessFsTruncate;
  if (abi >= 5) r |= kAccessFsIoctlDev;
  return r;
}

// Grants `rights` beneath `path` (a folder) or on it (a file). A path that
// does not exist is skipped.
Status allow(int ruleset, const fs::path& path, std::uint64_t rights, std::uint64_t handled) {
  UniqueFd fd(::open(path.c_str(), O_PATH | O_CLOEXEC));
  if (!fd.valid()) return Status();
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Status();
  if (!S_ISDIR(st.st_mode)) {
    rights &= kAccessFsExecute | kAccessFsWriteFile | kAccessFsReadFile | kAccessFsTruncate | kAccessFsIoctlDev;
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

}  // namespace

int abi() {
  static const int version = [] {
    long v = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return v < 0 ? 0 : static_cast<int>(v);
  }();
  return version;
}

Result<Ruleset> make_ruleset(const RulesetRequest& request) {
  Ruleset out;
  out.abi = abi();
  if (out.abi < 1) return Error(Errc::unavailable, "this kernel has no Landlock: skills are not run unconfined");
  const std::uint64_t handled = handled_fs(out.abi);
  RulesetAttr attr;
  attr.handled_access_fs = handled;
  // Handled with no rule granting anything: every TCP bind and connect fails.
  if (request.deny_tcp && out.abi >= 4) {
    attr.handled_access_net = kAccessNetBindTcp | kAccessNetConnectTcp;
    out.denies_tcp = true;
  }
  if (out.abi >= 6) {
    attr.scoped = kScopeAbstractUnixSocket | kScopeSignal;
    out.scopes_signals = out.scopes_abstract = true;
  }
  out.fd = UniqueFd(static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0)));
  if (!out.fd.valid()) return os_error("cannot make a sandbox", request.workdir, errno);

  const std::uint64_t read_run = kAccessFsExecute | kAccessFsReadFile | kAccessFsReadDir;
  std::error_code ec;
  fs::path agent = fs::weakly_canonical(request.readable, ec);
  fs::path scratch = fs::weakly_canonical(request.scratch, ec);
  const int ruleset = out.fd.get();
  for (const char* system : {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/proc"}) {
    // A system folder that holds the workspace would open all of it.
    fs::path dir(system);
    if (is_within(agent, dir) || is_within(scratch, dir)) continue;
    BWOC_RETURN_IF_ERROR(allow(ruleset, dir, read_run, handled));
  }
  BWOC_RETURN_IF_ERROR(allow(ruleset, "/dev/null", kAccessFsReadFile | kAccessFsWriteFile, handled));
  BWOC_RETURN_IF_ERROR(allow(ruleset, "/dev/urandom", kAccessFsReadFile, handled));
  BWOC_RETURN_IF_ERROR(allow(ruleset, request.readable, read_run, handled));
  BWOC_RETURN_IF_ERROR(allow(ruleset, request.executable, read_run, handled));
  BWOC_RETURN_IF_ERROR(allow(ruleset, request.workdir, handled & ~kAccessFsIoctlDev, handled));
  return out;
}

}  // namespace bwoc::skill::landlock
