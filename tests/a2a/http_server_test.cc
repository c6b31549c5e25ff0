// The HTTP listener under pressure, over real loopback sockets: out of file
// descriptors, more request bodies than its budget, and every connection
// taken by clients that say nothing.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "http.h"

namespace bwoc::a2a {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

class OkHandler : public HttpHandler {
 public:
  void handle(HttpRequest request, std::function<void(HttpResponse)> reply) override {
    HttpResponse r;
    r.content_type = "text/plain";
    r.body = "got " + std::to_string(request.body.size()) + "\n";
    reply(std::move(r));
  }
};

// A blocking client socket; every read waits at most 10 s.
class Client {
 public:
  Client() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  Client(Client&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }

  bool connect(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  void send(const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      ASSERT_GT(n, 0) << "send failed";
      done += static_cast<std::size_t>(n);
    }
  }
  // The response's head and as much of its body as the head announces, or
  // what came before the server closed.
  std::string response() {
    std::string got;
    char buf[4096];
    for (;;) {
      std::size_t end = got.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t at = got.find("Content-Length: ");
        std::size_t length = at == std::string::npos ? 0 : std::stoul(got.substr(at + 16));
        if (got.size() >= end + 4 + length) return got;
      }
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return got;
      got.append(buf, static_cast<std::size_t>(n));
    }
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

std::string post_head(std::size_t length) {
  return "POST /a2a HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(length) +
         "\r\n\r\n";
}

// Waits for `done`, at most `limit`.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
  auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::unique_ptr<HttpServer> start(HttpHandler& handler, HttpServerLimits limits = {}) {
  HttpServerOptions o;
  o.port = 0;
  o.threads = 1;
  limits.rate_per_address = 0;
  o.limits = limits;
  auto s = HttpServer::start(o, handler);
  if (!s.ok()) ADD_FAILURE() << s.error().message();
  return s.ok() ? std::move(s).value() : nullptr;
}

// Lowers this process's soft descriptor limit for the life of the object.
class DescriptorLimit {
 public:
  explicit DescriptorLimit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit lowered = saved_;
    lowered.rlim_cur = soft;
    ok_ = ::setrlimit(RLIMIT_NOFILE, &lowered) == 0;
  }
  ~DescriptorLimit() { restore(); }
  void restore() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
  bool ok() const { return ok_; }

 private:
  rlimit saved_{};
  bool ok_ = false;
};

// The lowest descriptor number free now: the next one a process gets.
rlim_t lowest_free_descriptor() {
  int probe = ::dup(0);
  ::close(probe);
  return static_cast<rlim_t>(probe);
}

TEST(HttpServer, OutOfDescriptorsItWaitsInsteadOfSpinningAndServesWhenTheyAreBack) {
  OkHandler handler;
  HttpServerLimits limits;
  limits.max_connections = 1000;
  auto server = start(handler, limits);
  ASSERT_NE(server, nullptr);

  // One request served while descriptors are plenty: UBSan's vptr check
  // opens a pipe the first time it meets a type, which it could not do later.
  {
    Client warm;
    ASSERT_TRUE(warm.connect(server->port()));
    warm.send("GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    ASSERT_EQ(warm.response().rfind("HTTP/1.1 200", 0), 0u);
  }
  ASSERT_TRUE(eventually([&] { return server->open_connections() == 0; }));
  // Client sockets first: once the limit is lowered, only the server needs new
  // ones. Until it is restored nothing here asserts: a failing check would
  // need descriptors (and the sanitizers' checks of new types open pipes).
  std::vector<Client> clients(40);
  DescriptorLimit limit(lowest_free_descriptor() + 2);
  bool connected = limit.ok();
  for (Client& c : clients) connected = connected && c.connect(server->port());
  bool exhausted = connected && eventually([&] { return server->failed_accepts() > 0; });

  // A window of time: failures come at the back-off's pace, not the CPU's.
  std::uint64_t failed_before = server->failed_accepts();
  double cpu_before = cpu_seconds();
  auto wall_before = Clock::now();
  std::this_thread::sleep_for(1500ms);
  double wall = std::chrono::duration<double>(Clock::now() - wall_before).count();
  double cpu = cpu_seconds() - cpu_before;
  std::uint64_t failed = server->failed_accepts() - failed_before;
  std::size_t open_while_exhausted = server->open_connections();
  limit.restore();

  ASSERT_TRUE(connected);
  ASSERT_TRUE(exhausted) << "the test did not exhaust descriptors";
  EXPECT_LE(failed, 20u) << "accept retried " << failed << " times in " << wall << " s";
  EXPECT_LT(cpu, wall / 4) << "the process used " << cpu << " s of CPU in " << wall << " s";
  EXPECT_LT(open_while_exhausted, clients.size());

  // Descriptors came back: the waiting connections are served, and so is a new one.
  ASSERT_TRUE(eventually([&] { return server->open_connections() >= clients.size(); }));
  Client fresh;
  ASSERT_TRUE(fresh.connect(server->port()));
  fresh.send("GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(fresh.response().rfind("HTTP/1.1 200", 0), 0u);
}

class BodyBudget : public ::testing::Test {
 protected:
  void start_server(std::size_t max_body, std::size_t budget) {
    HttpServerLimits limits;
    limits.max_body_bytes = max_body;
    limits.body_budget_bytes = budget;
    server_ = start(handler_, limits);
    ASSERT_NE(server_, nullptr);
  }
  // A client that has announced `length` bytes and sent `first` of them,
  // once the server holds its share of the budget.
  Client holding(std::size_t length, const std::string& first) {
    Client c;
    EXPECT_TRUE(c.connect(server_->port()));
    std::size_t before = server_->body_bytes_in_flight();
    c.send(post_head(length) + first);
    EXPECT_TRUE(eventually([&] { return server_->body_bytes_in_flight() == before + length; }));
    return c;
  }
  // The status line of the answer to `request` on a new connection.
  std::string status_of(const std::string& request) {
    Client c;
    EXPECT_TRUE(c.connect(server_->port()));
    c.send(request);
    std::string answer = c.response();
    return answer.substr(0, answer.find("\r\n"));
  }

  OkHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(BodyBudget, ABodyBeyondItIsRefusedWith503BeforeItIsRead) {
  start_server(8192, 10'000);
  // A holds 8,000 of the 10,000 bytes while its body trickles in.
  Client a = holding(8000, std::string(100, ' '));

  // B's 4,000 would not fit: refused at once, with when to try again.
  Client b;
  ASSERT_TRUE(b.connect(server_->port()));
  b.send(post_head(4000));
  std::string refused = b.response();
  EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0u) << refused;
  EXPECT_NE(refused.find("Retry-After: "), std::string::npos) << refused;
  EXPECT_NE(refused.find("Connection: close"), std::string::npos) << refused;

  // A chunked body counts at the most it may be: the whole max body.
  EXPECT_EQ(status_of("POST /a2a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"), "HTTP/1.1 503 Service Unavailable");

  // C's 2,000 fit exactly.
  EXPECT_EQ(status_of(post_head(2000) + std::string(2000, ' ')), "HTTP/1.1 200 OK");

  // A finishes; its share comes back, and B's request now fits.
  a.send(std::string(7900, ' '));
  std::string answered = a.response();
  EXPECT_EQ(answered.rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_NE(answered.find("got 8000"), std::string::npos);
  ASSERT_TRUE(eventually([&] { return server_->body_bytes_in_flight() == 0; }));
  EXPECT_EQ(status_of(post_head(4000) + std::string(4000, ' ')), "HTTP/1.1 200 OK");
}

TEST_F(BodyBudget, AClientThatGivesUpMidBodyGivesItsShareBack) {
  start_server(8192, 8192);
  { Client gone = holding(8192, "{\"half"); }
  ASSERT_TRUE(eventually([&] { return server_->body_bytes_in_flight() == 0; }));
  EXPECT_EQ(status_of(post_head(8192) + std::string(8192, ' ')), "HTTP/1.1 200 OK");
}

TEST_F(BodyBudget, RequestsWithoutABodyNeedNone) {
  start_server(4096, 4096);
  Client hog = holding(4096, "x");
  EXPECT_EQ(status_of("GET /.well-known/agent-card.json HTTP/1.1\r\nHost: t\r\n\r\n"), "HTTP/1.1 200 OK");
}

// Streamed responses (server-sent events): the handler keeps the stream and
// the test writes to it.
class StreamHandler : public HttpHandler {
 public:
  void handle(HttpRequest request, std::function<void(HttpResponse)> reply) override {
    HttpResponse r;
    if (request.target != "/stream") {
      r.body = "plain\n";
      return reply(std::move(r));
    }
    r.content_type = "text/event-stream";
    r.body = "data: first\n\n";
    r.stream = [this](std::shared_ptr<HttpStream> stream) {
      std::lock_guard lock(mu_);
      stream_ = std::move(stream);
      cv_.notify_all();
    };
    reply(std::move(r));
  }
  std::shared_ptr<HttpStream> stream() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 10s, [&] { return stream_ != nullptr; });
    return stream_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<HttpStream> stream_;
};

// Reads until `text` has come, or the server closed, or 10 s passed.
std::string read_until(Client& c, std::string_view text) {
  std::string got;
  char buf[4096];
  while (got.find(text) == std::string::npos) {
    ssize_t n = ::recv(c.fd(), buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

constexpr std::string_view kStreamRequest = "GET /stream HTTP/1.1\r\nHost: t\r\n\r\n";

TEST(HttpStream, ChunksGoOutAsTheyAreWrittenAndTheConnectionServesOnAfterTheEnd) {
  StreamHandler handler;
  auto server = start(handler, {});
  ASSERT_TRUE(server);
  Client c;
  ASSERT_TRUE(c.connect(server->port()));
  c.send(std::string(kStreamRequest));
  std::string head = read_until(c, "data: first\n\n\r\n");
  EXPECT_NE(head.find("Transfer-Encoding: chunked"), std::string::npos) << head;
  EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
  auto stream = handler.stream();
  ASSERT_TRUE(stream);
  ASSERT_TRUE(stream->write("data: second\n\n"));
  EXPECT_NE(read_until(c, "data: second").find("e\r\ndata: second\n\n\r\n"), std::string::npos);
  stream->end();
  EXPECT_NE(read_until(c, "0\r\n\r\n").find("0\r\n\r\n"), std::string::npos);
  EXPECT_FALSE(stream->write("data: late\n\n"));
  // Kept alive: the next request on the same connection is answered.
  c.send("GET /plain HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_NE(c.response().find("plain"), std::string::npos);
}

TEST(HttpStream, AReaderThatDoesNotReadIsCutOffNotBuffered) {
  StreamHandler handler;
  HttpServerLimits limits;
  limits.max_stream_queue_bytes = 64 * 1024;
  auto server = start(handler, limits);
  ASSERT_TRUE(server);
  Client c;
  ASSERT_TRUE(c.connect(server->port()));
  c.send(std::string(kStreamRequest));
  auto stream = handler.stream();
  ASSERT_TRUE(stream);
  // The client reads nothing: once the socket's buffers are full, what waits
  // to be written grows to the limit, and the stream is refused beyond it.
  const std::string chunk(16 * 1024, 'x');
  std::size_t written = 0;
  while (stream->write(chunk)) {
    written += chunk.size();
    ASSERT_LT(written, std::size_t{512} << 20) << "the stream took more than any socket buffer holds";
  }
  EXPECT_FALSE(stream->open());
  // The connection is closed: the client reads what was sent, then its end.
  std::string rest = read_until(c, "never sent");
  EXPECT_EQ(rest.find("0\r\n\r\n"), std::string::npos);  // cut, not ended
}

TEST(HttpStream, AStreamEndsAtItsTimeLimitWhateverItsProducerDoes) {
  StreamHandler handler;
  HttpServerLimits limits;
  limits.max_stream_time = 50ms;
  auto server = start(handler, limits);
  ASSERT_TRUE(server);
  Client c;
  ASSERT_TRUE(c.connect(server->port()));
  c.send(std::string(kStreamRequest));
  // The producer writes nothing more and never ends it.
  std::string got = read_until(c, "0\r\n\r\n");
  EXPECT_NE(got.find("data: first"), std::string::npos);
  EXPECT_NE(got.find("0\r\n\r\n"), std::string::npos) << got;
  auto stream = handler.stream();
  ASSERT_TRUE(stream);
  EXPECT_FALSE(stream->open());
}

TEST(HttpStream, AClientThatLeavesIsNoticedWithoutAWrite) {
  StreamHandler handler;
  auto server = start(handler, {});
  ASSERT_TRUE(server);
  std::shared_ptr<HttpStream> stream;
  {
    Client c;
    ASSERT_TRUE(c.connect(server->port()));
    c.send(std::string(kStreamRequest));
    read_until(c, "data: first");
    stream = handler.stream();
    ASSERT_TRUE(stream);
    EXPECT_TRUE(stream->open());
  }
  EXPECT_TRUE(eventually([&] { return !stream->open(); }));
  EXPECT_TRUE(eventually([&] { return server->open_connections() == 0; }));
}

HttpServerLimits capped(std::size_t max_connections) {
  HttpServerLimits limits;
  limits.max_connections = max_connections;
  return limits;
}

// At the connection cap, a new client takes the place of the connection that
// has waited longest for its own client; one whose request is being handled
// is never taken.
class ConnectionCap : public ::testing::Test {
 protected:
  static constexpr std::size_t kCap = 4;
  void SetUp() override {
    server_ = start(handler_, capped(kCap));
    ASSERT_NE(server_, nullptr);
  }
  std::string get(Client& c) {
    c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    return c.response();
  }
  std::string status_line(const std::string& response) { return response.substr(0, response.find("\r\n")); }
  bool closed_by_server(Client& c) {
    char b;
    return ::recv(c.fd(), &b, 1, 0) == 0;
  }

  OkHandler handler_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(ConnectionCap, IdleKeptAliveConnectionsMakeRoomForANewClient) {
  std::vector<Client> idle(kCap);
  for (Client& c : idle) {
    ASSERT_TRUE(c.connect(server_->port()));
    ASSERT_EQ(status_line(get(c)), "HTTP/1.1 200 OK");  // then kept alive, saying nothing
  }
  ASSERT_TRUE(eventually([&] { return server_->open_connections() == kCap; }));
  for (int round = 0; round < 3; ++round) {
    Client fresh;
    ASSERT_TRUE(fresh.connect(server_->port()));
    EXPECT_EQ(status_line(get(fresh)), "HTTP/1.1 200 OK") << "round " << round;
  }
  // The oldest idle ones went, first come first gone.
  EXPECT_TRUE(closed_by_server(idle[0]));
  EXPECT_TRUE(eventually([&] { return server_->open_connections() <= kCap; }));
}

TEST_F(ConnectionCap, ClientsThatTrickleTheirHeadersMakeRoomForANewClient) {
  std::vector<Client> slow(kCap);
  for (Client& c : slow) {
    ASSERT_TRUE(c.connect(server_->port()));
    ASSERT_EQ(status_line(get(c)), "HTTP/1.1 200 OK");  // its session runs
    c.send("GET / HTTP/1.1\r\nHost: t\r\n");       // and never the blank line
  }
  ASSERT_TRUE(eventually([&] { return server_->open_connections() == kCap; }));
  Client fresh;
  ASSERT_TRUE(fresh.connect(server_->port()));
  EXPECT_EQ(status_line(get(fresh)), "HTTP/1.1 200 OK");
  EXPECT_TRUE(closed_by_server(slow[0]));
}

class HeldHandler : public HttpHandler {
 public:
  void handle(HttpRequest, std::function<void(HttpResponse)> reply) override {
    std::lock_guard lock(mu_);
    held_.push_back(std::move(reply));
  }
  std::size_t held() {
    std::lock_guard lock(mu_);
    return held_.size();
  }
  void release() {
    std::vector<std::function<void(HttpResponse)>> replies;
    {
      std::lock_guard lock(mu_);
      replies.swap(held_);
    }
    for (auto& reply : replies) {
      HttpResponse r;
      r.content_type = "text/plain";
      r.body = "done\n";
      reply(std::move(r));
    }
  }

 private:
  std::mutex mu_;
  std::vector<std::function<void(HttpResponse)>> held_;
};

TEST(ConnectionCapWhenBusy, RequestsBeingHandledAreNeverCutForANewcomer) {
  HeldHandler handler;
  auto server = start(handler, capped(2));
  ASSERT_NE(server, nullptr);
  std::vector<Client> working(2);
  for (Client& c : working) {
    ASSERT_TRUE(c.connect(server->port()));
    c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  }
  ASSERT_TRUE(eventually([&] { return handler.held() == 2; }));
  Client late;
  ASSERT_TRUE(late.connect(server->port()));
  EXPECT_EQ(late.response(), "");  // closed unanswered: no room
  handler.release();
  for (Client& c : working) EXPECT_EQ(c.response().rfind("HTTP/1.1 200", 0), 0u);
}

}  // namespace
}  // namespace bwoc::a2a
