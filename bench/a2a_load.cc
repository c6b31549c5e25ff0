// A small HTTP/1.1 load generator for A2A servers, for bench/a2a_bench.sh.
//
//   a2a_load --url http://127.0.0.1:8080 --mode signed --workspace DIR --aud KEY --to AGENT
//            [--connections 64] [--duration 10] [--rate R] [--task ID]
//
// Modes: signed (SendMessage carrying an envelope signed by --workspace for
// --aud, each one unique, all signed before the clock starts), skill (the
// same with skill.call envelopes: --skill NAME --input JSON), unsigned
// (SendMessage with a text part), get-task (GetTask --task ID), card (GET the
// agent card). Without --rate it runs closed-loop (each connection sends its
// next request when the last is answered) to find the peak; with --rate it
// sends at that pace and measures latency from when each request was due, so
// that a slow server cannot hide its queueing (no coordinated omission).
// Prints one JSON object.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bwoc/core/envelope.h"
#include "bwoc/core/workspace.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string mode = "signed";
  std::string workspace, aud, to = "agent-b", task;
  std::string skill, input = "{}";
  int connections = 64;
  double duration = 10;
  double rate = 0;  // 0: closed loop
  std::size_t requests = 0;  // stop after this many (0: run for --duration)
  bool sign_live = false;    // sign each envelope just before sending it (long runs)
};

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "a2a_load: %s\n", why.c_str());
  std::exit(2);
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--url") {
      std::string url = next();
      if (url.rfind("http://", 0) != 0) die("--url must be http://HOST:PORT");
      std::string rest = url.substr(7);
      auto colon = rest.find(':');
      o.host = rest.substr(0, colon);
      o.port = colon == std::string::npos ? 80 : std::atoi(rest.substr(colon + 1).c_str());
    } else if (a == "--mode") {
      o.mode = next();
    } else if (a == "--workspace") {
      o.workspace = next();
    } else if (a == "--aud") {
      o.aud = next();
    } else if (a == "--to") {
      o.to = next();
    } else if (a == "--skill") {
      o.skill = next();
    } else if (a == "--input") {
      o.input = next();
    } else if (a == "--task") {
      o.task = next();
    } else if (a == "--connections") {
      o.connections = std::atoi(next().c_str());
    } else if (a == "--duration") {
      o.duration = std::atof(next().c_str());
    } else if (a == "--rate") {
      o.rate = std::atof(next().c_str());
    } else if (a == "--requests") {
      o.requests = std::strtoull(next().c_str(), nullptr, 10);
    } else if (a == "--sign-live") {
      o.sign_live = true;
    } else {
      die("unknown option " + a);
    }
  }
  return o;
}

std::string post(const Options& o, const std::string& body) {
  return "POST /a2a HTTP/1.1\r\nHost: " + o.host + "\r\nContent-Type: application/json\r\nA2A-Version: 1.0\r\n"
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Signs unique SendMessage requests, one at a time.
class Signer {
 public:
  explicit Signer(const Options& o) : o_(o) {
    auto ws = bwoc::Workspace::open(o.workspace);
    if (!ws.ok()) die(ws.error().message());
    auto key = ws->load_secret_key();
    if (!key.ok()) die(key.error().message());
    key_.emplace(std::move(key).value());
    auto aud = bwoc::PublicKey::from_text(o.aud);
    if (!aud.ok()) die("--aud: " + aud.error().message());
    draft_.kind = "message";
    draft_.from = ws->agents().empty() ? "agent-a" : ws->agents().front();
    draft_.to = o.to;
    draft_.aud = *aud;
    // A payload of about 1 KiB, as in the envelope benchmark.
    std::string text;
    while (text.size() < 900) text += "Root cause: a stale cache entry after the failover; fix rolled out. ";
    draft_.payload = bwoc::json::Value::object({{"score", 4}, {"comment", text}});
    if (o.mode == "skill") {
      auto input = bwoc::json::parse(o.input);
      if (!input.ok()) die("--input: " + input.error().message());
      draft_.kind = "skill.call";
      draft_.payload = bwoc::json::Value::object({{"skill", o.skill}, {"input", std::move(input).value()}});
    }
  }
  std::string next() {
    auto env = bwoc::sign_envelope(draft_, *key_);
    if (!env.ok()) die(env.error().message());
    return post(o_, R"({"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"m)" +
                        std::to_string(n_++) + R"(","role":"ROLE_USER","parts":[{"data":{"bwoc.envelope":)" + *env +
                        R"(},"mediaType":"application/json"}]}}})");
  }

 private:
  const Options& o_;
  std::optional<bwoc::SecretKey> key_;
  bwoc::EnvelopeDraft draft_;
  std::size_t n_ = 0;
};

// The requests to send, in order; signed ones are unique and made up front.
std::vector<std::string> make_requests(const Options& o, std::size_t count) {
  std::vector<std::string> out;
  if (o.mode == "card") {
    out.push_back("GET /.well-known/agent-card.json HTTP/1.1\r\nHost: " + o.host + "\r\n\r\n");
  } else if (o.mode == "get-task") {
    out.push_back(post(o, R"({"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":")" + o.task + "\"}}"));
  } else if (o.mode == "unsigned") {
    out.push_back(post(o, R"({"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"m1","role":"ROLE_USER","parts":[{"text":"load test"}]}}})"));
  } else if (o.mode == "signed" || o.mode == "skill") {
    Signer signer(o);
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) out.push_back(signer.next());
  } else {
    die("unknown --mode " + o.mode);
  }
  return out;
}

struct Conn {
  int fd = -1;
  bool busy = false;
  std::string out;
  std::size_t written = 0;
  std::string in;
  Clock::time_point due;
};

int connect_to(const Options& o) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(o.port));
  ::inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) die("connect failed");
  return fd;
}

// Returns the length of one complete response at the start of `in` (and its
// status and whether the body says the envelope was accepted), or 0.
std::size_t complete_response(const std::string& in, int& status, bool& accepted) {
  std::size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos) return 0;
  status = std::atoi(in.c_str() + 9);
  std::size_t length = 0;
  for (std::size_t p = 0; p < head_end;) {
    std::size_t eol = in.find("\r\n", p);
    std::string line = in.substr(p, eol - p);
    for (char& c : line) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (line.rfind("content-length:", 0) == 0) length = std::strtoul(line.c_str() + 15, nullptr, 10);
    p = eol + 2;
  }
  std::size_t total = head_end + 4 + length;
  if (in.size() < total) return 0;
  // A skill call counts when it is answered with its result, not an error envelope.
  accepted = in.find("TASK_STATE_COMPLETED", head_end) != std::string::npos &&
             in.find(R"("kind":"error")", head_end) == std::string::npos;
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  std::size_t presign = o.rate > 0 ? static_cast<std::size_t>(o.rate * o.duration * 1.05) + 1000
                                   : static_cast<std::size_t>(25'000 * o.duration);
  if (o.requests > 0) presign = std::min(presign, o.requests);
  std::optional<Signer> live;
  const bool signs = o.mode == "signed" || o.mode == "skill";
  if (o.sign_live && signs) live.emplace(o);
  std::vector<std::string> requests = make_requests(o, signs && !live ? presign : (live ? 0 : 1));
  const bool unique = signs && !live;

  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<Conn> conns(static_cast<std::size_t>(o.connections));
  for (std::size_t i = 0; i < conns.size(); ++i) {
    conns[i].fd = connect_to(o);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
  }

  std::vector<std::uint32_t> latencies_us;
  latencies_us.reserve(1 << 20);
  std::map<int, std::size_t> statuses;
  std::size_t accepted = 0, sent = 0, done = 0, errors = 0, reconnects = 0;
  std::deque<Clock::time_point> backlog;  // due times of requests waiting for a free connection
  const Clock::time_point start = Clock::now();
  const Clock::time_point end = o.requests > 0 ? start + std::chrono::hours(24 * 365)
                                               : start + std::chrono::microseconds(static_cast<long long>(o.duration * 1e6));
  std::size_t scheduled = 0;

  auto flush = [&](Conn& c) {
    while (c.written < c.out.size()) {
      ssize_t n = ::write(c.fd, c.out.data() + c.written, c.out.size() - c.written);
      if (n < 0) {
        if (errno == EAGAIN) return;
        die(std::string("write: ") + std::strerror(errno));
      }
      c.written += static_cast<std::size_t>(n);
    }
  };
  auto dispatch = [&](Conn& c, Clock::time_point due) {
    if (o.requests > 0 && sent >= o.requests) return;
    if (unique && sent >= requests.size()) die("ran out of pre-signed envelopes: raise the duration estimate");
    c.out = live ? live->next() : requests[unique ? sent : 0];
    c.written = 0;
    c.busy = true;
    c.due = due;
    ++sent;
    flush(c);
  };

  for (Conn& c : conns) {
    if (o.rate <= 0) dispatch(c, Clock::now());
  }
  std::vector<epoll_event> events(conns.size());
  while ((Clock::now() < end && (o.requests == 0 || done < o.requests)) || done < sent) {
    Clock::time_point now = Clock::now();
    if (o.requests == 0 && now > end + std::chrono::seconds(10)) break;  // stragglers: count them as errors below
    if (o.rate > 0 && now < end) {
      // Requests that are due now join the backlog; free connections take them.
      auto due_count = static_cast<std::size_t>(std::chrono::duration<double>(now - start).count() * o.rate);
      while (scheduled < due_count) {
        backlog.push_back(start + std::chrono::nanoseconds(static_cast<long long>(scheduled * 1e9 / o.rate)));
        ++scheduled;
      }
      for (Conn& c : conns) {
        if (backlog.empty()) break;
        if (!c.busy) {
          dispatch(c, backlog.front());
          backlog.pop_front();
        }
      }
    }
    int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), o.rate > 0 ? 1 : 50);
    for (int i = 0; i < n; ++i) {
      Conn& c = conns[events[i].data.u64];
      if (events[i].events & EPOLLOUT) flush(c);
      if (!(events[i].events & EPOLLIN)) continue;
      char buf[65536];
      bool closed = false;
      for (;;) {
        ssize_t r = ::read(c.fd, buf, sizeof buf);
        if (r > 0) {
          c.in.append(buf, static_cast<std::size_t>(r));
          continue;
        }
        if (r == 0 || errno != EAGAIN) closed = true;
        break;
      }
      if (closed) {
        // The server ended the connection (a keep-alive timeout, say): the
        // request in flight, if any, is an error; carry on with a new one.
        ::epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
        ++reconnects;
        if (c.busy) {
          ++errors;
          ++done;
          c.busy = false;
        }
        c.in.clear();
        c.fd = connect_to(o);
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
        ev.data.u64 = events[i].data.u64;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
        if (Clock::now() < end && o.rate <= 0) dispatch(c, Clock::now());
        continue;
      }
      int status = 0;
      bool ok = false;
      while (std::size_t len = complete_response(c.in, status, ok)) {
        c.in.erase(0, len);
        ++statuses[status];
        if (ok) ++accepted;
        if (status != 200) ++errors;
        auto latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - c.due).count();
        latencies_us.push_back(static_cast<std::uint32_t>(latency));
        ++done;
        c.busy = false;
        if (Clock::now() < end) {
          if (o.rate <= 0) {
            dispatch(c, Clock::now());
          } else if (!backlog.empty()) {
            dispatch(c, backlog.front());
            backlog.pop_front();
          }
        }
      }
    }
  }
  double seconds = std::chrono::duration<double>(std::min(Clock::now(), end) - start).count();
  if (seconds <= 0) seconds = 1e-9;
  std::sort(latencies_us.begin(), latencies_us.end());
  auto pct = [&](double p) -> double {
    if (latencies_us.empty()) return 0;
    return latencies_us[std::min(latencies_us.size() - 1, static_cast<std::size_t>(p * latencies_us.size()))] / 1000.0;
  };
  std::string codes;
  for (auto [code, count] : statuses) codes += (codes.empty() ? "" : ",") + std::string("\"") + std::to_string(code) + "\":" + std::to_string(count);
  std::printf(
      "{\"mode\":\"%s\",\"connections\":%d,\"target_rate\":%.0f,\"seconds\":%.2f,\"requests\":%zu,\"rps\":%.0f,"
      "\"accepted\":%zu,\"non_200\":%zu,\"unanswered\":%zu,\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,"
      "\"max_ms\":%.2f,\"reconnects\":%zu,\"status\":{%s}}\n",
      o.mode.c_str(), o.connections, o.rate, seconds, done, done / seconds, accepted, errors, sent - done, pct(0.5),
      pct(0.9), pct(0.99), pct(1.0), reconnects, codes.c_str());
  return 0;
}
