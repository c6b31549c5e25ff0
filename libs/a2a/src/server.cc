#include "bwoc/a2a/server.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>

#include "bwoc/core/log.h"
#include "http.h"
#include "node.h"

namespace bwoc::a2a {

namespace {

std::string default_base_url(const std::string& bind, std::uint16_t port) {
  std::string host = bind;
  if (bind == "0.0.0.0" || bind == "::") {
    // Listening everywhere: advertise the machine's name (set --public-url to be exact).
    char name[256] = {};
    host = ::gethostname(name, sizeof name - 1) == 0 && name[0] ? name : "127.0.0.1";
  }
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port);
}

// The card needs the URL, which needs the port, which may be chosen at bind
// time: with port 0 the node is made after the listener knows its port, and
// this handler stands in for it until then.
class DeferredHandler : public HttpHandler {
 public:
  void handle(HttpRequest request, std::function<void(HttpResponse)> reply) override {
    HttpHandler* node = target.load();
    if (node == nullptr) {
      HttpResponse r;
      r.status = 503;
      r.content_type = "text/plain";
      r.body = "starting\n";
      return reply(std::move(r));
    }
    node->handle(std::move(request), std::move(reply));
  }
  std::atomic<HttpHandler*> target{nullptr};
};

}  // namespace

struct Server::Impl {
  // In this order, so that the listener goes first and the handlers it calls last.
  DeferredHandler deferred;
  std::unique_ptr<Node> node;
  std::unique_ptr<HttpServer> http;
  std::string base_url;
  ServeOptions options;
  Inbound* inbound = nullptr;
  bool stopped = false;
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { stop(); }

std::uint16_t Server::port() const { return impl_->http->port(); }
const std::string& Server::base_url() const { return impl_->base_url; }

namespace {

// Refuses limits that would make a server that cannot serve (no connection,
// no time to send headers) or that are not limits at all (a negative rate, a
// wrapped-around count); each message names the setting and the value.
Status check_options(const ServeOptions& o) {
  const ServeLimits& l = o.limits;
  auto refuse = [](const std::string& what) { return Error(Errc::invalid_argument, what); };
  if (o.threads < 0 || o.threads > kMaxThreads) {
    return refuse("threads must be 1 to " + std::to_string(kMaxThreads) + " (0: one per CPU), not " +
                  std::to_string(o.threads));
  }
  if (l.max_connections < 1 || l.max_connections > kMaxConnections) {
    return refuse("max connections must be 1 to " + std::to_string(kMaxConnections) + ", not " +
                  std::to_string(l.max_connections));
  }
  if (l.max_body_bytes < kMinBodyBytes || l.max_body_bytes > kMaxBodyBytes) {
    return refuse("max body must be " + std::to_string(kMinBodyBytes) + " to " + std::to_string(kMaxBodyBytes) +
                  " bytes, not " + std::to_string(l.max_body_bytes));
  }
  if (l.body_budget_bytes < l.max_body_bytes || l.body_budget_bytes > kMaxBodyBudgetBytes) {
    return refuse("body budget must be at least the max body (" + std::to_string(l.max_body_bytes) + " bytes) and at most " +
                  std::to_string(kMaxBodyBudgetBytes) + ", not " + std::to_string(l.body_budget_bytes));
  }
  if (l.max_tasks < 1 || l.max_tasks > kMaxTasks) {
    return refuse("max tasks must be 1 to " + std::to_string(kMaxTasks) + ", not " + std::to_string(l.max_tasks));
  }
  for (auto [rate, name] : {std::pair{l.rate_per_address, "rate per address"},
                            std::pair{l.burst_per_address, "burst per address"}}) {
    if (!std::isfinite(rate) || rate < 0) return refuse(std::string(name) + " must be a number of 0 (no limit) or more");
  }
  for (auto [t, name] : {std::pair{l.header_timeout, "header timeout"}, std::pair{l.body_timeout, "body timeout"},
                         std::pair{l.idle_timeout, "idle timeout"}, std::pair{l.write_timeout, "write timeout"},
                         std::pair{l.task_max_age, "task max age"}}) {
    if (t.count() <= 0) return refuse(std::string(name) + " must be longer than 0");
  }
  if (l.drain_timeout.count() < 0) return refuse("drain timeout must not be negative");
  return ok_status();
}

}  // namespace

namespace {

// Descriptors the node needs besides its connections: the listener and the
// reactor's, the workspace's files (inbox, seen ids, refusals, locks, the
// task store's segments), routes' watch, the pipes of skills being run.
constexpr rlim_t kReservedDescriptors = 128;
constexpr std::size_t kMinConnections = 8;

// Out of descriptors, a server cannot accept and cannot open the inbox: make
// room for every connection allowed before the first is accepted.
Status fit_descriptor_limit(ServeLimits& limits) {
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) != 0) return ok_status();
  const rlim_t wanted = static_cast<rlim_t>(limits.max_connections) + kReservedDescriptors;
  if (nofile.rlim_cur >= wanted) return ok_status();
  const rlim_t was = nofile.rlim_cur;
  rlimit raised = nofile;
  raised.rlim_cur = std::min(wanted, nofile.rlim_max);
  if (raised.rlim_cur > was && ::setrlimit(RLIMIT_NOFILE, &raised) == 0) nofile.rlim_cur = raised.rlim_cur;
  if (nofile.rlim_cur >= wanted) {
    log::info("a2a.descriptors", {{"limit", std::to_string(nofile.rlim_cur)},
                                  {"was", std::to_string(was)},
                                  {"why", "raised the soft limit (ulimit -n) to fit max connections " +
                                              std::to_string(limits.max_connections) + " and " +
                                              std::to_string(kReservedDescriptors) + " for files"}});
    return ok_status();
  }
  if (nofile.rlim_cur < kReservedDescriptors + kMinConnections) {
    return Error(Errc::unavailable, "only " + std::to_string(nofile.rlim_cur) +
                                        " file descriptors allowed (ulimit -n, LimitNOFILE=): serving needs at least " +
                                        std::to_string(kReservedDescriptors + kMinConnections));
  }
  std::size_t fits = static_cast<std::size_t>(nofile.rlim_cur - kReservedDescriptors);
  log::warning("a2a.descriptors", {{"limit", std::to_string(nofile.rlim_cur)},
                                   {"max_connections", std::to_string(fits)},
                                   {"was", std::to_string(limits.max_connections)},
                                   {"why", "lowered max connections to fit the hard file descriptor limit; raise "
                                           "LimitNOFILE= (systemd) or ulimit -Hn to serve more"}});
  limits.max_connections = fits;
  return ok_status();
}

}  // namespace

Result<std::unique_ptr<Server>> Server::start(const Workspace& ws, const ServeOptions& requested, Inbound& inbound) {
  ServeOptions options = requested;
  BWOC_RETURN_IF_ERROR(check_options(options));
  BWOC_RETURN_IF_ERROR(fit_descriptor_limit(options.limits));
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->inbound = &inbound;
  const ServeLimits& l = options.limits;

  HttpServerOptions http;
  http.bind = options.bind;
  http.port = options.port;
  http.threads = options.threads;
  http.limits.max_body_bytes = l.max_body_bytes;
  http.limits.header_timeout = l.header_timeout;
  http.limits.body_timeout = l.body_timeout;
  http.limits.idle_timeout = l.idle_timeout;
  http.limits.write_timeout = l.write_timeout;
  http.limits.max_connections = l.max_connections;
  http.limits.body_budget_bytes = l.body_budget_bytes;
  http.limits.rate_per_address = l.rate_per_address;
  http.limits.burst_per_address = l.burst_per_address;

  NodeOptions node;
  node.agent = options.agent;
  node.max_body_bytes = l.max_body_bytes;
  node.tasks.max_tasks = l.max_tasks;
  node.tasks.max_age_ms = l.task_max_age.count();
  auto http_server = HttpServer::start(http, impl->deferred);
  if (!http_server.ok()) return http_server.error();
  impl->http = std::move(http_server).value();
  impl->base_url = options.public_url.empty() ? default_base_url(options.bind, impl->http->port()) : options.public_url;
  node.base_url = impl->base_url;
  node.io_threads = static_cast<std::size_t>(impl->http->threads());
  auto made = Node::open(ws, node, inbound);
  if (!made.ok()) {
    impl->http->drain(std::chrono::milliseconds(0));
    return made.error();
  }
  impl->node = std::move(made).value();
  impl->deferred.target = impl->node.get();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

void Server::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  std::size_t cut = impl_->http->drain(impl_->options.limits.drain_timeout);
  if (cut > 0) log::warning("a2a.drain_cut", {{"connections", std::to_string(cut)}});
  impl_->node->flush();
  impl_->http.reset();  // the node stays, for the last stats line
}

const std::string& Server::agent() const { return impl_->options.agent; }

std::string Server::status() const { return "serving " + impl_->options.agent + " at " + impl_->base_url; }

Server::Counts Server::counts() const {
  Counts s;
  if (!impl_->node) return s;
  Receiver::Stats r = impl_->inbound->receiver_stats();
  s.accepted = r.accepted;
  s.duplicates = r.duplicates;
  s.refused = r.refused;
  s.denied = r.denied;
  s.failed = r.failed;
  s.commits = r.commits;
  s.tasks = impl_->node->tasks();
  s.connections = impl_->http ? impl_->http->open_connections() : 0;
  s.body_bytes = impl_->http ? impl_->http->body_bytes_in_flight() : 0;
  return s;
}


std::vector<std::pair<std::string, std::string>> Server::stats() const {
  Counts s = counts();
  return {{"accepted", std::to_string(s.accepted)}, {"duplicates", std::to_string(s.duplicates)},
          {"refused", std::to_string(s.refused)},   {"denied", std::to_string(s.denied)},
          {"failed", std::to_string(s.failed)},     {"commits", std::to_string(s.commits)},
          {"tasks", std::to_string(s.tasks)},       {"connections", std::to_string(s.connections)},
          {"body_bytes", std::to_string(s.body_bytes)}};
}

}  // namespace bwoc::a2a
