// Landlock, as the skill sandbox uses it.
//
// The ABI's constants and structures are defined here, under names of our
// own: Debian 12's <linux/landlock.h> stops at ABI 2, while kernels now offer
// up to 7, and each newer ABI closes another way out. What each adds:
//   1 (Linux 5.13)  files; no ptrace of processes outside the sandbox
//   2 (5.19)        linking or renaming across folders (refer)
//   3 (6.2)         truncating files
//   4 (6.7)         TCP bind and connect
//   5 (6.10)        ioctl on device files
//   6 (6.12)        scoping: no signal and no abstract UNIX socket to outside
//   7 (6.15)        audit logging (not used)
// A ruleset asks for everything the running kernel's ABI knows, so the same
// binary is as strict as each kernel allows.
#ifndef BWOC_SKILL_LANDLOCK_H_
#define BWOC_SKILL_LANDLOCK_H_

#include <cstdint>
#include <filesystem>

#include "bwoc/core/result.h"
#include "unique_fd.h"

namespace bwoc::skill::landlock {

inline constexpr std::uint64_t kAccessFsExecute = 1ULL << 0;
inline constexpr std::uint64_t kAccessFsWriteFile = 1ULL << 1;
inline constexpr std::uint64_t kAccessFsReadFile = 1ULL << 2;
inline constexpr std::uint64_t kAccessFsReadDir = 1ULL << 3;
inline constexpr std::uint64_t kAccessFsRemoveDir = 1ULL << 4;
inline constexpr std::uint64_t kAccessFsRemoveFile = 1ULL << 5;
inline constexpr std::uint64_t kAccessFsMakeChar = 1ULL << 6;
inline constexpr std::uint64_t kAccessFsMakeDir = 1ULL << 7;
inline constexpr std::uint64_t kAccessFsMakeReg = 1ULL << 8;
inline constexpr std::uint64_t kAccessFsMakeSock = 1ULL << 9;
inline constexpr std::uint64_t kAccessFsMakeFifo = 1ULL << 10;
inline constexpr std::uint64_t kAccessFsMakeBlock = 1ULL << 11;
inline constexpr std::uint64_t kAccessFsMakeSym = 1ULL << 12;
inline constexpr std::uint64_t kAccessFsRefer = 1ULL << 13;     // ABI 2
inline constexpr std::uint64_t kAccessFsTruncate = 1ULL << 14;  // ABI 3
inline constexpr std::uint64_t kAccessFsIoctlDev = 1ULL << 15;  // ABI 5
inline constexpr std::uint64_t kAccessNetBindTcp = 1ULL << 0;     // ABI 4
inline constexpr std::uint64_t kAccessNetConnectTcp = 1ULL << 1;  // ABI 4
inline constexpr std::uint64_t kScopeAbstractUnixSocket = 1ULL << 0;  // ABI 6
inline constexpr std::uint64_t kScopeSignal = 1ULL << 1;              // ABI 6

// struct landlock_ruleset_attr as of ABI 6. Older kernels accept it whole as
// long as the members they do not know are zero.
struct RulesetAttr {
  std::uint64_t handled_access_fs = 0;
  std::uint64_t handled_access_net = 0;  // ABI 4
  std::uint64_t scoped = 0;              // ABI 6
};

// The highest ABI the running kernel offers; 0 when it has no Landlock.
int abi();

struct Ruleset {
  UniqueFd fd;
  int abi = 0;
  bool denies_tcp = false;        // TCP bind and connect refused (ABI 4)
  bool scopes_signals = false;    // no signal to a process outside (ABI 6)
  bool scopes_abstract = false;   // no abstract UNIX socket outside (ABI 6)
};

struct RulesetRequest {
  std::filesystem::path readable;    // a folder it may read and run from (its agent's)
  std::filesystem::path scratch;     // where working folders are made
  std::filesystem::path executable;  // run[0]
  std::filesystem::path workdir;     // the only place it may write
  bool deny_tcp = false;
};

// Errors: no Landlock on this kernel (Errc::unavailable), or the kernel
// refused the ruleset.
Result<Ruleset> make_ruleset(const RulesetRequest& request);

}  // namespace bwoc::skill::landlock

#endif  // BWOC_SKILL_LANDLOCK_H_
