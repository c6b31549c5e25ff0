#include "bwoc/core/dir_watch.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <limits>

namespace bwoc {

DirWatch::DirWatch(const std::vector<std::filesystem::path>& dirs) {
  fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd_ < 0) return;
  for (const auto& d : dirs) ::inotify_add_watch(fd_, d.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE | IN_MODIFY);
}

DirWatch::~DirWatch() {
  if (fd_ >= 0) ::close(fd_);
}

void DirWatch::wait(std::chrono::milliseconds at_most) {
  int timeout = static_cast<int>(std::clamp<std::int64_t>(at_most.count(), 0, std::numeric_limits<int>::max()));
  if (fd_ < 0) {
    ::poll(nullptr, 0, timeout);
    return;
  }
  pollfd p{fd_, POLLIN, 0};
  int ready = ::poll(&p, 1, timeout);
  if (ready < 0 && errno != EINTR) {
    // Out of memory for the poll, or the like: returning at once would make
    // the caller's loop spin. Wait the whole time instead, without events.
    ::poll(nullptr, 0, timeout);
    return;
  }
  if (ready > 0 && (p.revents & (POLLERR | POLLNVAL)) != 0) {
    // The watch itself failed: from now on, look every `at_most`.
    ::close(fd_);
    fd_ = -1;
    ::poll(nullptr, 0, timeout);
    return;
  }
  if (ready > 0) {
    char buf[4096];
    while (::read(fd_, buf, sizeof buf) > 0) {
    }
  }
}

}  // namespace bwoc
