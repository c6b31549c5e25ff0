#include "bwoc/core/service.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <string>

#include "bwoc/core/files.h"
#include "bwoc/core/log.h"
#include "bwoc/core/timestamp.h"

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

namespace {

// Returns how many problems the process had logged when the state was
// taken: a later one makes the state out of date.
std::uint64_t publish_state(const Workspace& ws, const Service& service, UnixMillis started, std::string_view state) {
  ServiceState s;
  s.kind = std::string(service.kind());
  s.agent = service.agent();
  s.endpoint = service.endpoint();
  s.status = service.status();
  s.state = std::string(state);
  describe_this_process(s);
  s.started = started;
  s.updated = now_millis();
  log::LastProblem problem = log::last_problem();
  if (problem.count > 0) {
    s.last_error = std::move(problem.line);
    s.last_error_at = problem.at;
  }
  s.stats = service.stats();
  if (Status st = write_state(ws, s); !st.ok()) {
    log::warning("service.state_not_saved", {{"error", st.error().message()}});
    // That warning is not news to publish: retrying every tick would not help.
    return log::last_problem().count;
  }
  return problem.count;
}

// The process's CPU time so far (user + system, every thread): what its work
// cost, which a busy machine does not change the way it changes wall time.
std::string cpu_milliseconds() {
  struct rusage usage {};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return "?";
  auto ms = [](const timeval& t) { return static_cast<long long>(t.tv_sec) * 1000 + t.tv_usec / 1000; };
  return std::to_string(ms(usage.ru_utime) + ms(usage.ru_stime));
}

void log_stats(const Service& service) {
  std::vector<log::Field> fields;
  std::vector<std::pair<std::string, std::string>> stats = service.stats();
  fields.reserve(stats.size() + 2);
  fields.emplace_back("agent", service.agent());
  for (const auto& [name, value] : stats) fields.emplace_back(name, value);
  fields.emplace_back("cpu_ms", cpu_milliseconds());
  log::event(log::Level::info, std::string(service.kind()) + ".stats", fields);
}

}  // namespace

void run(const Workspace& ws, Service& service, std::chrono::milliseconds period, const std::function<void()>& ready) {
  std::string kind(service.kind());
  UnixMillis started = now_millis();
  std::uint64_t problems_published = publish_state(ws, service, started, "running");
  notify("READY=1\nSTATUS=" + service.status());
  if (ready) ready();
  // Woken every second to publish a new problem soon after it is logged; the
  // stats line and a refresh of the state come every `period`.
  const auto tick = std::min(period, std::chrono::milliseconds(1000));
  auto next_stats = std::chrono::steady_clock::now() + period;
  auto every = [&] {
    auto now = std::chrono::steady_clock::now();
    if (now >= next_stats) {
      next_stats = now + period;
      log_stats(service);
    } else if (log::last_problem().count == problems_published) {
      return;
    }
    problems_published = publish_state(ws, service, started, "running");
  };
  std::string_view sig = wait_for_stop(tick, every);
  log::info(kind + ".stopping", {{"agent", service.agent()}, {"signal", std::string(sig)}});
  notify("STOPPING=1");
  publish_state(ws, service, started, "stopping");
  service.stop();
  log_stats(service);
  std::error_code ec;
  std::filesystem::remove(state_file(ws, service.kind(), service.agent()), ec);
  log::info(kind + ".stopped", {{"agent", service.agent()}});
}

}  // namespace bwoc::service
