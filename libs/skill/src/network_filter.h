// The seccomp filter of a skill declared `"network": "none"`.
//
// Landlock's network rules (ABI 4) cover TCP bind and connect only: UDP, raw
// and netlink sockets, and UNIX sockets by path, stay open. The filter makes
// socket() itself fail (EACCES) for every family, and io_uring_setup fail
// (ENOSYS), as io_uring can open and connect sockets without socket(). Pipes
// and socketpair() still work. Built for the architecture bwoc is compiled
// for; a process of another (a 32-bit binary, x32 calls) is killed.
#ifndef BWOC_SKILL_NETWORK_FILTER_H_
#define BWOC_SKILL_NETWORK_FILTER_H_

#include <linux/filter.h>

#include <vector>

namespace bwoc::skill {

// Empty when bwoc does not know the audit architecture of this build: then
// a skill without network is not run.
std::vector<sock_filter> no_network_filter();

}  // namespace bwoc::skill

#endif  // BWOC_SKILL_NETWORK_FILTER_H_
