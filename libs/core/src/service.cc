#include "bwoc/core/service.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bwoc/core/log.h"

namespace bwoc::service {

namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void block_stop_signals() {
  sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::string_view wait_for_stop(std::chrono::milliseconds period, const std::function<void()>& every) {
  sigset_t set = stop_signals();
  for (;;) {
    timespec timeout{};
    timeout.tv_sec = static_cast<time_t>(period.count() / 1000);
    timeout.tv_nsec = static_cast<long>((period.count() % 1000) * 1'000'000);
    int sig = sigtimedwait(&set, nullptr, &timeout);
    if (sig == SIGTERM) return "SIGTERM";
    if (sig == SIGINT) return "SIGINT";
    // SIGHUP: nothing to reload by hand (routes.toml is re-read when it changes).
    if (sig < 0 && errno != EAGAIN && errno != EINTR) return "error";
    if (sig < 0 && errno == EAGAIN && every) every();
  }
}

void notify(std::string_view state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || path[0] == '\0') return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::size_t len = std::strlen(path);
  if (len >= sizeof addr.sun_path) return;
  std::memcpy(addr.sun_path, path, len);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract socket
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  socklen_t addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
  ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), addr_len);
  ::close(fd);
}

void run_until_stopped(std::string_view name, const std::string& agent, const std::string& status,
                       const std::function<void()>& report, const std::function<void()>& stop) {
  notify("READY=1\nSTATUS=" + status);
  std::string_view sig = wait_for_stop(std::chrono::seconds(60), report);
  log::info(std::string(name) + ".stopping", {{"agent", agent}, {"signal", std::string(sig)}});
  notify("STOPPING=1");
  stop();
  report();
  log::info(std::string(name) + ".stopped", {{"agent", agent}});
}

}  // namespace bwoc::service
