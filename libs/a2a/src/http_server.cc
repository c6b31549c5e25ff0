// The HTTP/1.1 listener, with Boost.Beast. One of the two translation units
// that include Beast (the other is http_client.cc).
//
// <utility> first: Boost 1.74's Asio uses std::exchange without including it,
// which GCC 12 in C++20 mode does not forgive.
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <array>
#include <atomic>
#include <cctype>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "bwoc/core/backoff.h"
#include "bwoc/core/log.h"
#include "bwoc/core/work_queue.h"
#include "http.h"
#include "bwoc/core/rate_limit.h"

namespace bwoc::a2a {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

const std::string& HttpRequest::header(std::string_view lowercase_name) const {
  static const std::string kEmpty;
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return value;
  }
  return kEmpty;
}

namespace {

using Clock = std::chrono::steady_clock;

void return_free_memory() {
#ifdef __GLIBC__
  ::malloc_trim(0);
#endif
}

// glibc serves a block above its mmap threshold from a mapping of its own,
// given back when freed, but raises that threshold to the size of any such
// block freed (up to 32 MiB): after the first large body, every later one
// comes from the heap and stays there when freed. A fixed threshold keeps
// each body above it in its own mapping. Process-wide, once: the listener is
// what a serving process is for.
void fit_allocator_to_bodies() {
#ifdef __GLIBC__
  static std::once_flag once;
  std::call_once(once, [] { ::mallopt(M_MMAP_THRESHOLD, 128 * 1024); });
#endif
}

class ServerImpl;

// What a streamed response's producer writes to; the session drains it on
// its own executor. Counts what is queued and being written, so that a
// reader that does not keep up costs at most the limit.
class StreamQueue : public HttpStream {
 public:
  StreamQueue(std::size_t max_bytes, std::function<void()> wake) : max_bytes_(max_bytes), wake_(std::move(wake)) {}

  bool write(std::string chunk) override {
    if (chunk.empty()) return open();
    std::lock_guard lock(mu_);
    if (ended_ || closed_) return false;
    if (chunk.size() > max_bytes_ - std::min(held_, max_bytes_)) {
      overflowed_ = closed_ = true;
      chunks_.clear();
      wake_locked();
      return false;
    }
    held_ += chunk.size();
    chunks_.push_back(std::move(chunk));
    wake_locked();
    return true;
  }

  void end() override {
    std::lock_guard lock(mu_);
    if (ended_ || closed_) return;
    ended_ = true;
    wake_locked();
  }

  bool open() const override {
    std::lock_guard lock(mu_);
    return !ended_ && !closed_;
  }

  struct Batch {
    std::vector<std::string> chunks;
    bool ended = false;
    bool overflowed = false;
    bool closed = false;  // the client left
  };
  // The session's side: what to write next.
  Batch take() {
    std::lock_guard lock(mu_);
    woken_ = false;
    Batch b;
    b.chunks.swap(chunks_);
    b.ended = ended_;
    b.overflowed = overflowed_;
    b.closed = closed_;
    return b;
  }
  void written(std::size_t bytes) {
    std::lock_guard lock(mu_);
    held_ -= std::min(bytes, held_);
  }
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    chunks_.clear();
    held_ = 0;
  }

 private:
  void wake_locked() {
    if (woken_) return;
    woken_ = true;
    wake_();
  }

  const std::size_t max_bytes_;
  const std::function<void()> wake_;
  mutable std::mutex mu_;
  std::vector<std::string> chunks_;
  std::size_t held_ = 0;
  bool ended_ = false;
  bool closed_ = false;
  bool overflowed_ = false;
  bool woken_ = false;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, ServerImpl& server);
  ~Session();
  void start();
  // During a drain: close now unless a request is being handled.
  void close_if_idle();
  // Since when it has waited for its client (a request's head or body, or
  // the next request of a kept-alive connection) or its answer has been on
  // its way; 0 while a request is handled.
  std::int64_t waiting_since() const { return waiting_since_.load(); }
  // Chosen to make room for a new connection (only one chooser succeeds):
  // closed now if it still waits for its client, else after its answer.
  bool claim_for_eviction() {
    std::int64_t since = waiting_since_.load();
    return since != 0 && !evicted_.exchange(true);
  }
  void evict();

 private:
  void read_header();
  void on_header(beast::error_code ec);
  void on_body(beast::error_code ec);
  void dispatch_request();
  // `unread_input`: the request's body was not read (a refusal), so linger.
  void send(HttpResponse response, bool keep_alive, bool unread_input = false);
  void refuse(int status, const std::string& message, std::vector<std::pair<std::string, std::string>> headers = {});
  // A streamed response: the head (chunked), then what its producer writes.
  void send_stream(HttpResponse response, bool keep_alive);
  void pump_stream();
  void end_stream(bool keep_alive);
  void shutdown();
  // Takes the request's share of the body budget; false when it is spent.
  bool reserve_body();
  void release_body();
  // After refusing a request whose body we will not read: stop sending, and
  // read and drop what the client still sends for a short, bounded while, so
  // that closing does not reset the connection before the client reads our
  // answer (a close with unread input sends RST, which discards it).
  void linger();
  void discard();  // one read of linger()

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  // The response being written: its head, serialized here, and its body
  // (owned, or shared by every session, as the agent card is).
  std::string head_;
  std::string body_;
  std::shared_ptr<const std::string> shared_body_;
  bool head_request_ = false;
  // The streamed response under way, if any.
  std::shared_ptr<StreamQueue> stream_queue_;
  std::optional<net::steady_timer> stream_timer_;
  std::string stream_out_;
  std::size_t stream_out_bytes_ = 0;  // of the producer's chunks in stream_out_
  bool stream_writing_ = false;
  bool stream_keep_alive_ = false;
  // The thread running handle() for this session, while it runs.
  std::atomic<std::thread::id> dispatching_{};
  http::response<http::empty_body> continue_;
  ServerImpl& server_;
  std::string client_;
  std::string client_address_;
  std::size_t body_reserved_ = 0;  // of the server's body budget
  std::size_t linger_left_ = 0;    // bytes linger() may still drop
  bool busy_ = false;
  bool first_request_ = true;
  bool closed_ = false;
  std::atomic<std::int64_t> waiting_since_{0};  // steady_clock ticks
  std::atomic<bool> evicted_{false};
};

class ServerImpl;
// The server whose I/O thread this is, if any: a reply made on one of them
// goes out at once instead of through the queue.
thread_local const ServerImpl* serving_on_this_thread = nullptr;

class ServerImpl : public HttpServer {
 public:
  ServerImpl(HttpHandler& handler, const HttpServerOptions& options)
      : handler_(handler),
        limits_(options.limits),
        ioc_(std::max(1, options.threads)),
        acceptor_(accept_ioc_),
        accept_retry_(accept_ioc_),
        per_address_(options.limits.rate_per_address, options.limits.burst_per_address) {
    accepted_.reserve(256);
    starting_.reserve(256);
  }

  ~ServerImpl() override { drain(std::chrono::milliseconds(0)); }

  Status listen(const HttpServerOptions& options) {
    fit_allocator_to_bodies();
    beast::error_code ec;
    auto address = net::ip::make_address(options.bind, ec);
    if (ec) return Error(Errc::invalid_argument, "invalid bind address \"" + options.bind + "\"");
    tcp::endpoint endpoint(address, options.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return Error(ec == net::error::address_in_use ? Errc::unavailable : Errc::io_error,
                   "cannot listen on " + options.bind + ":" + std::to_string(options.port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    thread_count_ = options.threads > 0 ? options.threads : static_cast<int>(usable_cores());
    accept();
    return_memory_later();
    try {
      accept_thread_ = std::thread([this] { accept_ioc_.run(); });
      for (int i = 0; i < thread_count_; ++i) {
        threads_.emplace_back([this] {
          serving_on_this_thread = this;
          ioc_.run();
        });
      }
    } catch (const std::system_error& e) {
      // The caller drops this server; drain() stops and joins the threads already started.
      return Error(Errc::unavailable, "cannot start " + std::to_string(thread_count_ + 1) + " I/O threads: " + e.what());
    }
    return ok_status();
  }

  std::uint16_t port() const override { return port_; }
  int threads() const override { return thread_count_; }
  std::size_t open_connections() const override { return connections_.load(); }
  std::size_t body_bytes_in_flight() const override { return body_bytes_.load(); }
  std::uint64_t failed_accepts() const override { return failed_accepts_.load(); }

  std::size_t drain(std::chrono::milliseconds timeout) override {
    if (stopped_.exchange(true)) return 0;
    draining_ = true;
    net::dispatch(accept_ioc_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
      accept_retry_.cancel();
      memory_timer_.cancel();
    });
    for (const auto& s : snapshot()) s->close_if_idle();
    std::size_t cut = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!idle_cv_.wait_for(lock, timeout, [this] { return sessions_.empty(); })) cut = sessions_.size();
    }
    accept_ioc_.stop();
    if (accept_thread_.joinable()) accept_thread_.join();
    io_work_.reset();
    ioc_.stop();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    return cut;
  }

  HttpHandler& handler() { return handler_; }
  const HttpServerLimits& limits() const { return limits_; }
  bool draining() const { return draining_.load(); }
  TokenBuckets& per_address() { return per_address_; }
  log::Throttle& refusals_log() { return refusals_log_; }

  bool reserve_body(std::size_t bytes) {
    std::size_t held = body_bytes_.load();
    do {
      if (bytes > limits_.body_budget_bytes - std::min(held, limits_.body_budget_bytes)) return false;
    } while (!body_bytes_.compare_exchange_weak(held, held + bytes));
    return true;
  }
  void release_body(std::size_t bytes) {
    body_bytes_.fetch_sub(bytes);
    memory_freed_ = true;
  }
  void remove(Session* s) {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.erase(s);
    connections_.fetch_sub(1);
    memory_freed_ = true;
    if (sessions_.empty()) idle_cv_.notify_all();
  }

  void add(Session* s, const std::shared_ptr<Session>& sp) {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_[s] = sp;
  }

 private:
  std::vector<std::shared_ptr<Session>> snapshot() {
    std::vector<std::shared_ptr<Session>> out;
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [raw, weak] : sessions_) {
      if (auto s = weak.lock()) out.push_back(std::move(s));
    }
    return out;
  }

  void accept() {
    acceptor_.async_accept(ioc_.get_executor(), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
        // Out of file descriptors (or memory, or socket buffers): the
        // connection waits in the backlog, the listener stays readable, and
        // accepting again at once would fail again at once, forever. Wait,
        // longer each time, until a connection closes and gives one back.
        // Asio already retries the errors that are about one connection
        // (ECONNABORTED), so whatever comes here waits too.
        failed_accepts_.fetch_add(1);
        bool exhausted = ec.category() == boost::system::system_category() && is_resource_exhaustion(ec.value());
        auto delay = accept_backoff_.next();
        if (exhausted) {
          log::warning(accept_failed_log_, "http.accept_failed",
                       {{"error", ec.message()},
                        {"open", std::to_string(connections_.load())},
                        {"retry_ms", std::to_string(delay.count())},
                        {"hint", "raise LimitNOFILE or lower --max-connections"}});
        } else {
          log::warning(accept_failed_log_, "http.accept_failed",
                       {{"error", ec.message()}, {"retry_ms", std::to_string(delay.count())}});
        }
        accept_retry_.expires_after(delay);
        accept_retry_.async_wait([this](beast::error_code wec) {
          if (!wec && acceptor_.is_open() && !draining_) accept();
        });
        return;
      }
      accept_backoff_.reset();
      if (draining_) {
        return;
      } else if (connections_.load() >= limits_.max_connections && !make_room()) {
        beast::error_code ignored;
        socket.close(ignored);
        log::warning(connection_cap_log_, "http.connection_cap",
                     {{"open", std::to_string(connections_.load())}, {"max", std::to_string(limits_.max_connections)}});
      } else {
        connections_.fetch_add(1);
        hand_over(std::move(socket));
      }
      accept();
    });
  }

  // At the connection cap, a new connection takes the place of the one that
  // has waited longest for its client: an idle kept-alive connection, or
  // one whose request trickles in. Otherwise whoever opens the most
  // connections and sends nothing (or a byte now and then) would lock every
  // other client out for as long as the timeouts let him, and open them
  // again. Connections whose requests are being handled are never chosen:
  // when all are, the new one is refused. False when none could be chosen.
  bool make_room() {
    std::shared_ptr<Session> oldest;
    {
      std::lock_guard<std::mutex> lock(mu_);
      std::int64_t oldest_since = 0;
      for (auto& [raw, weak] : sessions_) {
        std::int64_t since = raw->waiting_since();
        if (since == 0 || (oldest && since >= oldest_since)) continue;
        if (auto s = weak.lock()) {
          oldest = std::move(s);
          oldest_since = since;
        }
      }
      if (!oldest || !oldest->claim_for_eviction()) return false;
    }
    evictions_.fetch_add(1);
    log::info(eviction_log_, "http.connection_evicted",
              {{"open", std::to_string(connections_.load())}, {"max", std::to_string(limits_.max_connections)},
               {"evictions", std::to_string(evictions_.load())}});
    oldest->evict();
    return true;
  }

  // Memory freed by bodies and connections stays with the allocator, which
  // gives it back to the system only at the top of a heap: after a burst of
  // large bodies, sitting idle at the burst's size. Once no body is in
  // flight, at most every few seconds, it is handed back (malloc_trim), on
  // this thread, away from the requests. See also fit_allocator_to_bodies.
  void return_memory_later() {
    memory_timer_.expires_after(std::chrono::seconds(5));
    memory_timer_.async_wait([this](beast::error_code ec) {
      if (ec || draining_) return;
      if (body_bytes_.load() == 0 && memory_freed_.exchange(false)) return_free_memory();
      return_memory_later();
    });
  }

  // Sessions are made on an I/O thread, so that their memory comes from that
  // thread's heap (see accept_ioc_); the sockets wait in a list reserved
  // once, and one trip to the I/O threads takes all that are waiting.
  void hand_over(tcp::socket socket) {
    bool first;
    {
      std::lock_guard<std::mutex> lock(accepted_mu_);
      first = accepted_.empty();
      accepted_.push_back(std::move(socket));
    }
    if (first) net::post(starter_, [this] { start_sessions(); });
  }

  // On starter_: one at a time, so that starting_ is this function's own.
  void start_sessions() {
    {
      std::lock_guard<std::mutex> lock(accepted_mu_);
      accepted_.swap(starting_);
    }
    for (tcp::socket& socket : starting_) {
      if (thread_count_ > 1) {
        // Its handlers in order on a strand of its own (one I/O thread needs
        // none), made here and not where it was accepted: see accept_ioc_.
        beast::error_code ec;
        auto protocol = socket.local_endpoint(ec).protocol();
        tcp::socket stranded(net::make_strand(ioc_));
        if (!ec) stranded.assign(protocol, socket.release(ec), ec);
        if (ec) {
          connections_.fetch_sub(1);
          continue;
        }
        socket = std::move(stranded);
      }
      auto session = std::make_shared<Session>(std::move(socket), *this);
      add(session.get(), session);
      session->start();
    }
    starting_.clear();
  }

  HttpHandler& handler_;
  HttpServerLimits limits_;
  // Declared before the io_context, so that they outlive it: destroying the
  // io_context destroys queued handlers, whose sessions then remove themselves.
  std::mutex mu_;
  std::condition_variable idle_cv_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
  std::atomic<std::size_t> connections_{0};
  std::atomic<std::size_t> body_bytes_{0};
  std::atomic<std::uint64_t> failed_accepts_{0};
  log::Throttle accept_failed_log_{1, std::chrono::seconds(1)};
  log::Throttle connection_cap_log_{1, std::chrono::seconds(1)};
  log::Throttle eviction_log_{1, std::chrono::seconds(1)};
  std::atomic<std::uint64_t> evictions_{0};
  log::Throttle refusals_log_{10, std::chrono::seconds(1)};
  net::io_context ioc_;
  // Accepting has a thread of its own. Asio keeps the state of every socket
  // it has registered for reuse, never freeing it, and allocates it on the
  // thread that accepts: on an I/O thread those small blocks would sit among
  // the sessions' buffers and request bodies and pin their pages after a
  // burst of connections has gone (2,000 slow bodies: 3.5 MiB stayed above
  // idle after malloc_trim, against 2.4 MiB this way). Here they stay
  // together, apart. It also keeps accepting (and its back-off) away from
  // busy I/O threads.
  net::io_context accept_ioc_{1};
  // The I/O threads wait for sessions even when none is open.
  net::executor_work_guard<net::io_context::executor_type> io_work_{ioc_.get_executor()};
  tcp::acceptor acceptor_;
  net::steady_timer accept_retry_;
  net::steady_timer memory_timer_{accept_ioc_};
  std::atomic<bool> memory_freed_{false};
  std::thread accept_thread_;
  std::mutex accepted_mu_;
  std::vector<tcp::socket> accepted_;  // guarded by accepted_mu_
  std::vector<tcp::socket> starting_;  // on starter_
  net::strand<net::io_context::executor_type> starter_{ioc_.get_executor()};
  Backoff accept_backoff_{std::chrono::milliseconds(10), std::chrono::seconds(1)};
  TokenBuckets per_address_;
  std::vector<std::thread> threads_;
  int thread_count_ = 1;
  std::uint16_t port_ = 0;
  std::atomic<bool> draining_{false};
  std::atomic<bool> stopped_{false};
};

Session::Session(tcp::socket&& socket, ServerImpl& server)
    : stream_(std::move(socket)), server_(server), waiting_since_(Clock::now().time_since_epoch().count()) {
  beast::error_code ec;
  stream_.socket().set_option(tcp::no_delay(true), ec);  // answers leave at once
  auto remote = stream_.socket().remote_endpoint(ec);
  if (!ec) {
    client_address_ = remote.address().to_string();
    client_ = (remote.address().is_v6() ? "[" + client_address_ + "]" : client_address_) + ":" +
              std::to_string(remote.port());
  }
}

Session::~Session() {
  release_body();
  server_.remove(this);
}

void Session::start() {
  // A flat_buffer reads at most 512 bytes at a time until it has grown: room
  // for a typical request (an envelope of a few KiB) saves several reads each.
  buffer_.reserve(4096);
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
}

void Session::close_if_idle() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    if (!self->busy_) return self->shutdown();
    if (self->stream_queue_) self->stream_queue_->end();  // a stream ends; the client may subscribe again
  });
}

void Session::evict() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    // A request that began meanwhile is answered first (send() closes after it).
    if (!self->busy_) self->shutdown();
  });
}

void Session::read_header() {
  if (server_.draining() || evicted_.load()) return shutdown();
  waiting_since_ = Clock::now().time_since_epoch().count();
  const HttpServerLimits& limits = server_.limits();
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser_->body_limit(limits.max_body_bytes);
  // The first request must arrive promptly; a kept-alive connection may wait.
  stream_.expires_after(first_request_ ? limits.header_timeout : limits.idle_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void Session::on_header(beast::error_code ec) {
  first_request_ = false;
  if (ec == http::error::header_limit) return refuse(431, "request headers too large");
  if (ec == http::error::body_limit) return refuse(413, "request body too large");
  if (ec) {
    // Timeout, reset, garbage: nothing worth answering.
    if (ec != http::error::end_of_stream && ec != net::error::eof && log::enabled(log::Level::debug)) {
      log::event(log::Level::debug, "http.closed", {{"client", client_}, {"why", ec.message()}});
    }
    return shutdown();
  }

  // Before anything else is read or parsed: the per-address rate limit.
  double wait = server_.per_address().take(client_address_);
  if (wait > 0) {
    return refuse(429, "too many requests from this address",
                  {{"Retry-After", std::to_string(static_cast<long>(std::ceil(wait)))}});
  }
  auto& req = parser_->get();
  if (auto length = parser_->content_length(); length && *length > server_.limits().max_body_bytes) {
    return refuse(413, "request body too large");
  }
  // Before the body takes memory (the parser reserves what it announces).
  if (!reserve_body()) {
    return refuse(503, "too many request bodies in flight; try again shortly", {{"Retry-After", "1"}});
  }
  if (req[http::field::expect] == "100-continue") {
    continue_ = http::response<http::empty_body>(http::status::continue_, req.version());
    stream_.expires_after(server_.limits().write_timeout);
    http::async_write(stream_, continue_, [self = shared_from_this()](beast::error_code wec, std::size_t) {
      if (wec) return self->shutdown();
      self->stream_.expires_after(self->server_.limits().body_timeout);
      http::async_read(self->stream_, self->buffer_, *self->parser_,
                       [self](beast::error_code rec, std::size_t) { self->on_body(rec); });
    });
    return;
  }
  // Small requests usually arrive whole with their headers: parse the body
  // from the buffer at once instead of another trip through the reactor.
  if (!parser_->is_done() && parser_->content_length() && buffer_.size() >= *parser_->content_length()) {
    beast::error_code pec;
    std::size_t used = parser_->put(buffer_.data(), pec);
    buffer_.consume(used);
    if (pec == http::error::body_limit) return refuse(413, "request body too large");
    if (pec && pec != http::error::need_more) return shutdown();
  }
  if (parser_->is_done()) return dispatch_request();
  stream_.expires_after(server_.limits().body_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code rec, std::size_t) { self->on_body(rec); });
}

void Session::on_body(beast::error_code ec) {
  if (ec == http::error::body_limit) return refuse(413, "request body too large");
  if (ec) {
    if (log::enabled(log::Level::debug)) log::event(log::Level::debug, "http.closed", {{"client", client_}, {"why", ec.message()}});
    return shutdown();
  }
  dispatch_request();
}

void Session::dispatch_request() {
  auto message = parser_->release();
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  request.client = client_;
  request.client_address = client_address_;
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  request.body = std::move(message.body());
  request.post = [self = shared_from_this()](std::function<void()> fn) {
    net::post(self->stream_.get_executor(), std::move(fn));
  };
  bool keep_alive = message.keep_alive();
  head_request_ = message.method() == http::verb::head;
  busy_ = true;
  waiting_since_ = 0;
  stream_.expires_never();  // the handler may wait for the disk; the write has its own timeout
  dispatching_ = std::this_thread::get_id();
  server_.handler().handle(std::move(request), [self = shared_from_this(), keep_alive](HttpResponse response) {
    // Answers made on an I/O thread (the card, task reads, errors, receipts)
    // go out without a trip through the queue; the session waits for this
    // answer and does nothing else meanwhile. Others are posted.
    if (self->dispatching_.load() == std::this_thread::get_id() || serving_on_this_thread == &self->server_) {
      return self->send(std::move(response), keep_alive);
    }
    net::post(self->stream_.get_executor(), [self, keep_alive, response = std::move(response)]() mutable {
      self->send(std::move(response), keep_alive);
    });
  });
  dispatching_ = std::thread::id();
}

void Session::send(HttpResponse r, bool keep_alive, bool unread_input) {
  if (r.stream) return send_stream(std::move(r), keep_alive);
  // One gathered write of a head serialized here and the body: Beast's
  // general serializer cost more than the rest of serving the agent card.
  keep_alive = keep_alive && !r.close && !server_.draining() && !evicted_.load();
  // Its answer is on its way: it may make room from now on (it closes once
  // the answer is written).
  waiting_since_ = Clock::now().time_since_epoch().count();
  unread_input = unread_input || r.status == 413 || r.status == 431 || r.status == 429;
  std::string_view reason = http::obsolete_reason(static_cast<http::status>(r.status));
  shared_body_ = std::move(r.shared_body);
  body_ = std::move(r.body);
  std::size_t length = shared_body_ ? shared_body_->size() : body_.size();
  head_.clear();
  head_.append("HTTP/1.1 ").append(std::to_string(r.status)).append(" ").append(reason);
  head_.append("\r\nServer: bwoc\r\nContent-Type: ").append(r.content_type);
  for (const auto& [name, value] : r.headers) head_.append("\r\n").append(name).append(": ").append(value);
  head_.append("\r\nContent-Length: ").append(std::to_string(length));
  if (!keep_alive) head_.append("\r\nConnection: close");
  head_.append("\r\n\r\n");
  // A HEAD request gets the head alone (with the length the body would have).
  std::string_view body = head_request_ ? std::string_view() : shared_body_ ? std::string_view(*shared_body_) : body_;
  std::array<net::const_buffer, 2> buffers{net::buffer(head_), net::buffer(body.data(), body.size())};
  stream_.expires_after(server_.limits().write_timeout);
  net::async_write(stream_, buffers, [self = shared_from_this(), unread_input, keep_alive](beast::error_code ec, std::size_t) {
    self->busy_ = false;
    self->shared_body_.reset();
    self->release_body();
    if (!ec && unread_input) return self->linger();
    if (ec || !keep_alive) return self->shutdown();
    self->read_header();
  });
}

namespace {

void append_chunk(std::string& out, std::string_view chunk) {
  char size[20];
  int n = std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
  out.append(size, static_cast<std::size_t>(n)).append(chunk).append("\r\n");
}

}  // namespace

void Session::send_stream(HttpResponse r, bool keep_alive) {
  stream_keep_alive_ = keep_alive && !r.close && !server_.draining();
  std::string_view reason = http::obsolete_reason(static_cast<http::status>(r.status));
  std::weak_ptr<Session> weak = shared_from_this();
  auto executor = stream_.get_executor();
  // The queue holds the session weakly (the session holds the queue); a
  // write holds it from then until it is written.
  stream_queue_ = std::make_shared<StreamQueue>(server_.limits().max_stream_queue_bytes, [weak, executor] {
    if (auto self = weak.lock()) net::post(executor, [self] { self->pump_stream(); });
  });
  stream_out_.clear();
  stream_out_.append("HTTP/1.1 ").append(std::to_string(r.status)).append(" ").append(reason);
  stream_out_.append("\r\nServer: bwoc\r\nContent-Type: ").append(r.content_type);
  for (const auto& [name, value] : r.headers) stream_out_.append("\r\n").append(name).append(": ").append(value);
  stream_out_.append("\r\nTransfer-Encoding: chunked");
  if (!stream_keep_alive_) stream_out_.append("\r\nConnection: close");
  stream_out_.append("\r\n\r\n");
  if (!r.body.empty()) append_chunk(stream_out_, r.body);
  stream_out_bytes_ = 0;
  // Bounded in time whatever the producer does: the client may subscribe
  // again. The wait holds the session while no write does; end_stream()
  // cancels it.
  stream_timer_.emplace(executor);
  stream_timer_->expires_after(server_.limits().max_stream_time);
  stream_timer_->async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec && self->stream_queue_) self->stream_queue_->end();
  });
  // A client that goes away is noticed at once, not at the next write: it
  // sends nothing while it reads a stream, so anything readable (its EOF)
  // ends this one.
  stream_.socket().async_wait(tcp::socket::wait_read, [weak, queue = stream_queue_.get()](beast::error_code ec) {
    auto self = weak.lock();
    if (!self || ec || self->stream_queue_.get() != queue) return;
    self->stream_queue_->close();
    self->pump_stream();
  });
  // The producer may write at once: its chunks wait until the head is out.
  stream_writing_ = true;
  r.stream(stream_queue_);
  stream_.expires_after(server_.limits().write_timeout);
  net::async_write(stream_, net::buffer(stream_out_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->stream_writing_ = false;
    self->release_body();
    if (ec) return self->end_stream(false);
    self->pump_stream();
  });
}

void Session::pump_stream() {
  if (stream_writing_ || !stream_queue_) return;
  StreamQueue::Batch batch = stream_queue_->take();
  if (batch.overflowed) {
    log::info(server_.refusals_log(), "http.stream_cut", {{"client", client_}, {"why", "the client does not read fast enough"}});
    return end_stream(false);
  }
  if (batch.closed) return end_stream(false);
  stream_out_.clear();
  stream_out_bytes_ = 0;
  for (const std::string& chunk : batch.chunks) {
    append_chunk(stream_out_, chunk);
    stream_out_bytes_ += chunk.size();
  }
  if (batch.ended) stream_out_.append("0\r\n\r\n");
  if (stream_out_.empty()) return;
  stream_writing_ = true;
  stream_.expires_after(server_.limits().write_timeout);
  net::async_write(stream_, net::buffer(stream_out_),
                   [self = shared_from_this(), ended = batch.ended](beast::error_code ec, std::size_t) {
                     self->stream_writing_ = false;
                     if (self->stream_queue_) self->stream_queue_->written(self->stream_out_bytes_);
                     if (ec) return self->end_stream(false);
                     if (ended) return self->end_stream(self->stream_keep_alive_);
                     self->pump_stream();
                   });
}

void Session::end_stream(bool keep_alive) {
  if (stream_queue_) stream_queue_->close();
  stream_queue_.reset();
  if (stream_timer_) stream_timer_->cancel();
  stream_out_.clear();
  stream_out_.shrink_to_fit();
  busy_ = false;
  release_body();
  if (!keep_alive || server_.draining()) return shutdown();
  read_header();
}

void Session::linger() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  // Bounded by time above all: discarding is cheap, and a client that keeps
  // sending is cut off after two seconds either way. What arrives goes into
  // the connection's own read buffer and is dropped: a flood of refused
  // bodies costs no memory beyond the connections.
  linger_left_ = std::size_t{1} << 30;
  buffer_.clear();
  stream_.expires_after(std::chrono::seconds(2));
  discard();
}

void Session::discard() {
  // Each read holds the session, and nothing holds the read: a server
  // stopped meanwhile frees both (a handler holding itself would leak).
  auto sink = buffer_.prepare(std::max<std::size_t>(buffer_.capacity(), 4096));
  stream_.async_read_some(sink, [self = shared_from_this()](beast::error_code ec, std::size_t n) {
    if (ec || n >= self->linger_left_) return self->shutdown();
    self->linger_left_ -= n;
    self->discard();
  });
}

void Session::refuse(int status, const std::string& message, std::vector<std::pair<std::string, std::string>> headers) {
  // Said at the transport level, before any check: only what went wrong here.
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = message + "\n";
  r.headers = std::move(headers);
  r.close = true;
  log::info(server_.refusals_log(), "http.refused",
            {{"status", std::to_string(status)}, {"client", client_}, {"why", message}});
  send(std::move(r), false, true);
}

bool Session::reserve_body() {
  // A chunked body says nothing of its size: it is counted at the most it may be.
  std::size_t bytes = 0;
  if (auto length = parser_->content_length()) {
    bytes = static_cast<std::size_t>(*length);
  } else if (parser_->chunked()) {
    bytes = server_.limits().max_body_bytes;
  }
  if (bytes == 0) return true;
  if (!server_.reserve_body(bytes)) return false;
  body_reserved_ = bytes;
  return true;
}

void Session::release_body() {
  if (body_reserved_ == 0) return;
  server_.release_body(body_reserved_);
  body_reserved_ = 0;
}

void Session::shutdown() {
  if (closed_) return;
  closed_ = true;
  if (stream_timer_) stream_timer_->cancel();  // it holds this session
  if (stream_queue_) stream_queue_->close();
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream_.close();
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpServerOptions& options, HttpHandler& handler) {
  auto server = std::make_unique<ServerImpl>(handler, options);
  BWOC_RETURN_IF_ERROR(server->listen(options));
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace bwoc::a2a
