#include "bwoc/mqtt/local_broker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "bwoc/core/files.h"

namespace bwoc::mqtt {

namespace {

// A port on 127.0.0.1 that was free a moment ago (0 when none could be had).
// mosquitto's "listener 0" is a unix socket, not an ephemeral port.
int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

bool accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::optional<std::filesystem::path> LocalBroker::find_mosquitto() {
  for (const char* p : {"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/usr/bin/mosquitto"}) {
    if (::access(p, X_OK) == 0) return std::filesystem::path(p);
  }
  return std::nullopt;
}

Result<std::unique_ptr<LocalBroker>> LocalBroker::start(const std::filesystem::path& dir) {
  auto binary = find_mosquitto();
  if (!binary) return Error(Errc::not_found, "mosquitto is not installed (Debian: apt-get install mosquitto)");
  BWOC_RETURN_IF_ERROR(ensure_directory(dir, 0700));
  std::unique_ptr<LocalBroker> broker(new LocalBroker());
  // Another process may take the port between our look and mosquitto's
  // bind: then it exits at once, and another port is tried.
  for (int attempt = 0; attempt < 5; ++attempt) {
    int port = free_loopback_port();
    if (port <= 0) return Error(Errc::unavailable, "no free port on 127.0.0.1 for mosquitto");
    std::filesystem::path conf = dir / "mosquitto.conf";
    std::string text = "listener " + std::to_string(port) + " 127.0.0.1\nallow_anonymous true\n"
                       // Its default of 1000 drops messages silently under load.
                       "max_queued_messages 0\n"
                       // Without it a receipt that follows a PUBACK within
                       // the client's delayed-ACK time waits 40 ms (Nagle).
                       "set_tcp_nodelay true\n";
    // As root it would switch to the mosquitto user, who cannot read `dir`.
    if (::geteuid() == 0) text += "user root\n";
    BWOC_RETURN_IF_ERROR(write_file_atomic(conf, text, 0600));
    BWOC_ASSIGN_OR_RETURN(broker->process_, ChildProcess::spawn({binary->string(), "-c", conf.string()},
                                                                dir / "mosquitto.log", /*read_stdout=*/false));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline && !broker->process_->exited()) {
      if (accepts(port)) {
        broker->port_ = port;
        broker->url_ = "mqtt://127.0.0.1:" + std::to_string(port);
        return broker;
      }
      // mosquitto says nothing when it is ready: look again shortly (bounded above).
      ::poll(nullptr, 0, 10);
    }
    if (!broker->process_->exited()) return Error(Errc::timeout, "mosquitto did not listen within 10 s");
  }
  return Error(Errc::unavailable, "mosquitto would not start; see " + (dir / "mosquitto.log").string());
}

}  // namespace bwoc::mqtt
