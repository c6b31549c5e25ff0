// Slow request bodies against an HTTP server, for bench/slow_bodies.sh: many
// connections each announce a large body, send most of it and stall.
//
//   slow_bodies --url http://127.0.0.1:8080 [--connections 2000]
//               [--body 1100000] [--send 1048576] [--hold 10] [--pid PID]
//
// Every connection sends a POST head with Content-Length --body, then --send
// bytes of it as fast as the server reads them, then nothing. Once every
// connection has sent its part or been answered or closed by the server, the
// connections are held open for --hold seconds and then closed. With --pid,
// the server's peak resident memory (VmHWM) is read at the end. Prints one
// JSON object: how the server treated the connections, and the figures.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 8080;
  int connections = 2000;
  std::size_t body = 1'100'000;  // announced: 1.1 MB, under the default --max-body
  std::size_t send = 1u << 20;                 // sent before stalling
  double hold = 10;
  int pid = 0;
};

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "slow_bodies: %s\n", why.c_str());
  std::exit(2);
}

Options parse_args(int argc, char** argv) {
  Options o;
  auto url = [&o](const std::string& v) {
    if (v.rfind("http://", 0) != 0) die("--url must be http://HOST:PORT");
    std::string rest = v.substr(7);
    auto colon = rest.find(':');
    o.host = rest.substr(0, colon);
    o.port = colon == std::string::npos ? 80 : std::atoi(rest.substr(colon + 1).c_str());
  };
  const std::map<std::string, std::function<void(const std::string&)>> setters = {
      {"--url", url},
      {"--connections", [&o](const std::string& v) { o.connections = std::atoi(v.c_str()); }},
      {"--body", [&o](const std::string& v) { o.body = std::strtoull(v.c_str(), nullptr, 10); }},
      {"--send", [&o](const std::string& v) { o.send = std::strtoull(v.c_str(), nullptr, 10); }},
      {"--hold", [&o](const std::string& v) { o.hold = std::atof(v.c_str()); }},
      {"--pid", [&o](const std::string& v) { o.pid = std::atoi(v.c_str()); }},
  };
  for (int i = 1; i < argc; i += 2) {
    auto setter = setters.find(argv[i]);
    if (setter == setters.end()) die(std::string("unknown option ") + argv[i]);
    if (i + 1 >= argc) die(std::string("missing value for ") + argv[i]);
    setter->second(argv[i + 1]);
  }
  if (o.connections < 1 || o.send > o.body) die("need --connections >= 1 and --send <= --body");
  return o;
}

// A /proc/PID/status figure in KiB ("VmRSS", "VmHWM"), or -1.
long status_kib(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
  }
  return -1;
}

struct Connection {
  int fd = -1;
  std::size_t head_sent = 0;
  std::size_t body_sent = 0;
  std::string answer;  // what the server said, if anything
  bool closed = false;
  bool done() const { return closed || !answer.empty(); }
};

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &nofile);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(o.port));
  if (::inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1) die("--url needs an IPv4 address");

  const std::string head = "POST /a2a HTTP/1.1\r\nHost: " + o.host +
                           "\r\nContent-Type: application/json\r\nA2A-Version: 1.0\r\nContent-Length: " +
                           std::to_string(o.body) + "\r\n\r\n";
  // The body is a JSON string that never ends within what is sent.
  std::string filler(64 * 1024, 'x');
  filler[0] = '"';

  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<Connection> conns(static_cast<std::size_t>(o.connections));
  auto start = Clock::now();
  for (std::size_t i = 0; i < conns.size(); ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die(std::string("socket: ") + std::strerror(errno));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
      die(std::string("connect: ") + std::strerror(errno));
    }
    conns[i].fd = fd;
    epoll_event ev{};
    ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }

  std::size_t finished = 0;  // sent their part, were answered or closed
  std::vector<bool> counted(conns.size(), false);
  std::vector<epoll_event> events(1024);
  auto deadline = start + std::chrono::seconds(120);
  while (finished < conns.size() && Clock::now() < deadline) {
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 1000);
    for (int k = 0; k < n; ++k) {
      std::size_t i = events[static_cast<std::size_t>(k)].data.u64;
      Connection& c = conns[i];
      if (c.done()) continue;
      std::uint32_t what = events[static_cast<std::size_t>(k)].events;
      if (what & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        char buf[512];
        ssize_t got = ::recv(c.fd, buf, sizeof buf, 0);
        if (got > 0) {
          c.answer.assign(buf, static_cast<std::size_t>(got));
        } else if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
          c.closed = true;
        }
      }
      while (!c.done() && (c.head_sent < head.size() || c.body_sent < o.send)) {
        ssize_t put;
        if (c.head_sent < head.size()) {
          put = ::send(c.fd, head.data() + c.head_sent, head.size() - c.head_sent, MSG_NOSIGNAL);
        } else {
          std::size_t want = std::min(filler.size(), o.send - c.body_sent);
          put = ::send(c.fd, filler.data(), want, MSG_NOSIGNAL);
        }
        if (put < 0) {
          if (errno != EAGAIN && errno != EWOULDBLOCK) c.closed = true;
          break;
        }
        (c.head_sent < head.size() ? c.head_sent : c.body_sent) += static_cast<std::size_t>(put);
      }
      bool sent_all = c.head_sent == head.size() && c.body_sent == o.send;
      if ((c.done() || sent_all) && !counted[i]) {
        counted[i] = true;
        ++finished;
        if (sent_all && !c.done()) {
          // Only answers matter from now on.
          epoll_event ev{};
          ev.events = EPOLLIN | EPOLLRDHUP;
          ev.data.u64 = i;
          ::epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
        }
      }
    }
  }
  double sending_s = std::chrono::duration<double>(Clock::now() - start).count();
  long rss_loaded = o.pid ? status_kib(o.pid, "VmRSS") : -1;

  auto hold_until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.hold));
  while (Clock::now() < hold_until) {
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 200);
    for (int k = 0; k < n; ++k) {
      Connection& c = conns[events[static_cast<std::size_t>(k)].data.u64];
      if (c.done()) continue;
      char buf[512];
      ssize_t got = ::recv(c.fd, buf, sizeof buf, 0);
      if (got > 0) c.answer.assign(buf, static_cast<std::size_t>(got));
      if (got == 0 || (got < 0 && errno != EAGAIN)) c.closed = true;
    }
  }
  long rss_held = o.pid ? status_kib(o.pid, "VmRSS") : -1;
  long peak = o.pid ? status_kib(o.pid, "VmHWM") : -1;

  std::size_t sent_all = 0, answered_503 = 0, answered_other = 0, closed = 0, stalled = 0;
  for (Connection& c : conns) {
    if (c.body_sent == o.send) ++sent_all;
    if (c.answer.rfind("HTTP/1.1 503", 0) == 0) {
      ++answered_503;
    } else if (!c.answer.empty()) {
      ++answered_other;
    } else if (c.closed) {
      ++closed;
    } else {
      ++stalled;  // still open, waiting, as the server holds it
    }
    ::close(c.fd);
  }
  std::printf(
      "{\"connections\":%d,\"body\":%zu,\"send\":%zu,\"sent_all\":%zu,\"answered_503\":%zu,\"answered_other\":%zu,"
      "\"closed_unanswered\":%zu,\"held_open\":%zu,\"sending_s\":%.1f,\"rss_loaded_kib\":%ld,\"rss_held_kib\":%ld,"
      "\"peak_rss_kib\":%ld}\n",
      o.connections, o.body, o.send, sent_all, answered_503, answered_other, closed, stalled, sending_s, rss_loaded,
      rss_held, peak);
  return 0;
}
