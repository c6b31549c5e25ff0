#include "network_filter.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstddef>

namespace bwoc::skill {

namespace {

#if defined(__x86_64__)
constexpr unsigned kArch = AUDIT_ARCH_X86_64;
constexpr bool kHasX32 = true;  // x32 calls carry this bit and would miss the checks below
#elif defined(__aarch64__)
constexpr unsigned kArch = AUDIT_ARCH_AARCH64;
constexpr bool kHasX32 = false;
#else
constexpr unsigned kArch = 0;
constexpr bool kHasX32 = false;
#endif
constexpr unsigned kX32Bit = 0x40000000;

sock_filter statement(unsigned short code, unsigned k) { return {code, 0, 0, k}; }
sock_filter jump(unsigned short code, unsigned k, unsigned char if_true, unsigned char if_false) {
  return {code, if_true, if_false, k};
}

}  // namespace

std::vector<sock_filter> no_network_filter() {
  if (kArch == 0) return {};
  std::vector<sock_filter> f;
  f.push_back(statement(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  f.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0));
  f.push_back(statement(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  f.push_back(statement(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
  if (kHasX32) {
    f.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, kX32Bit, 0, 1));
    f.push_back(statement(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  }
  f.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 1));
  f.push_back(statement(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EACCES & SECCOMP_RET_DATA)));
  f.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_io_uring_setup, 0, 1));
  f.push_back(statement(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)));
  f.push_back(statement(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  return f;
}

}  // namespace bwoc::skill
