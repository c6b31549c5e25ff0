#include "bwoc/core/dir_watch.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <string_view>

namespace bwoc {

DirWatch::DirWatch(const std::vector<std::filesystem::path>& dirs) {
  fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd_ < 0) return;
  for (const auto& d : dirs) ::inotify_add_watch(fd_, d.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE | IN_MODIFY);
}

DirWatch::~DirWatch() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

// Lock files are opened for writing and closed by every process that tries
// to take them: an event on one says nothing changed. Counting them would
// wake a process that tries a lock held elsewhere with its own attempt, and
// two services in one workspace would wake each other without end.
bool is_lock_file(std::string_view name) { return name.ends_with(".lock"); }

}  // namespace

void DirWatch::wait(std::chrono::milliseconds at_most) {
  auto end = std::chrono::steady_clock::now() + std::max(at_most, std::chrono::milliseconds(0));
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    int timeout = static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, std::numeric_limits<int>::max()));
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
    if (ready <= 0) return;  // the time is up (or a signal came)
    bool news = false;
    alignas(inotify_event) char buf[4096];
    ssize_t got;
    while ((got = ::read(fd_, buf, sizeof buf)) > 0) {
      for (ssize_t at = 0; at + static_cast<ssize_t>(sizeof(inotify_event)) <= got;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buf + at);
        std::string_view name = event->len > 0 ? std::string_view(event->name) : std::string_view();
        if (!is_lock_file(name)) news = true;
        at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      }
    }
    if (news || timeout == 0) return;
  }
}

}  // namespace bwoc
