#include "bwoc/core/dir_watch.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

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
  int timeout = static_cast<int>(std::max<std::int64_t>(0, at_most.count()));
  if (fd_ < 0) {
    ::poll(nullptr, 0, timeout);
    return;
  }
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, timeout) > 0) {
    char buf[4096];
    while (::read(fd_, buf, sizeof buf) > 0) {
    }
  }
}

}  // namespace bwoc
