#include "bwoc/a2a/server.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>

#include "bwoc/core/log.h"
#include "bwoc/core/service.h"
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
  bool stopped = false;
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { stop(); }

std::uint16_t Server::port() const { return impl_->http->port(); }
const std::string& Server::base_url() const { return impl_->base_url; }

Result<std::unique_ptr<Server>> Server::start(const Workspace& ws, const ServeOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
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
  http.limits.rate_per_address = l.rate_per_address;
  http.limits.burst_per_address = l.burst_per_address;

  NodeOptions node;
  node.agent = options.agent;
  node.max_body_bytes = l.max_body_bytes;
  node.rate_per_key = l.rate_per_key;
  node.burst_per_key = l.burst_per_key;
  node.tasks.max_tasks = l.max_tasks;
  node.tasks.max_age_ms = l.task_max_age.count();
  auto http_server = HttpServer::start(http, impl->deferred);
  if (!http_server.ok()) return http_server.error();
  impl->http = std::move(http_server).value();
  impl->base_url = options.public_url.empty() ? default_base_url(options.bind, impl->http->port()) : options.public_url;
  node.base_url = impl->base_url;
  node.io_threads = static_cast<std::size_t>(impl->http->threads());
  auto made = Node::open(ws, node);
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

Server::Stats Server::stats() const {
  Stats s;
  if (!impl_->node) return s;
  Receiver::Stats r = impl_->node->receiver_stats();
  s.accepted = r.accepted;
  s.duplicates = r.duplicates;
  s.refused = r.refused;
  s.denied = r.denied;
  s.failed = r.failed;
  s.commits = r.commits;
  s.tasks = impl_->node->tasks();
  s.connections = impl_->http ? impl_->http->open_connections() : 0;
  return s;
}

Status serve(const Workspace& ws, const ServeOptions& options, const std::function<void(const Server&)>& on_ready) {
  service::block_stop_signals();
  BWOC_ASSIGN_OR_RETURN(auto server, Server::start(ws, options));
  log::info("a2a.listening", {{"agent", options.agent},
                              {"address", options.bind + ":" + std::to_string(server->port())},
                              {"card", server->base_url() + "/.well-known/agent-card.json"}});
  if (on_ready) on_ready(*server);
  auto report = [&] {
    Server::Stats s = server->stats();
    log::info("a2a.stats", {{"agent", options.agent},
                            {"accepted", std::to_string(s.accepted)},
                            {"duplicates", std::to_string(s.duplicates)},
                            {"refused", std::to_string(s.refused)},
                            {"denied", std::to_string(s.denied)},
                            {"failed", std::to_string(s.failed)},
                            {"commits", std::to_string(s.commits)},
                            {"tasks", std::to_string(s.tasks)},
                            {"connections", std::to_string(s.connections)}});
  };
  service::run_until_stopped("a2a", options.agent, "serving " + options.agent, report, [&] { server->stop(); });
  return ok_status();
}

}  // namespace bwoc::a2a
