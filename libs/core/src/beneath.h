// How files.cc opens a path below a directory without following symbolic
// links; here so that the tests can try both ways on any kernel.
#ifndef BWOC_CORE_SRC_BENEATH_H_
#define BWOC_CORE_SRC_BENEATH_H_

#include <string_view>

namespace bwoc::beneath {

enum class Way { openat2, component_walk };

// The descriptor of `relative` (checked: not absolute, no "." or ".."
// components, not empty) opened below the directory `root_fd` with `flags`,
// no symbolic link followed on the way; -1 with errno set otherwise
// (ELOOP or ENOTDIR for a link, EXDEV for a path that leaves). openat2 falls
// back to the walk where the kernel or a seccomp filter refuses it.
int open_below(int root_fd, std::string_view relative, int flags, Way way = Way::openat2);

}  // namespace bwoc::beneath

#endif  // BWOC_CORE_SRC_BENEATH_H_
