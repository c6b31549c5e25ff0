#include "bwoc/a2a/web_server.h"

#include "http.h"

namespace bwoc::a2a {

namespace {

class Adapter : public HttpHandler {
 public:
  explicit Adapter(WebHandler& handler) : handler_(handler) {}

  void handle(HttpRequest request, std::function<void(HttpResponse)> reply) override {
    WebRequest web;
    web.method = std::move(request.method);
    web.target = std::move(request.target);
    web.client_address = std::move(request.client_address);
    web.headers = std::move(request.headers);
    web.body = std::move(request.body);
    handler_.handle(std::move(web), [reply = std::move(reply)](WebResponse response) {
      HttpResponse http;
      http.status = response.status;
      http.content_type = std::move(response.content_type);
      http.body = std::move(response.body);
      http.headers = std::move(response.headers);
      reply(std::move(http));
    });
  }

 private:
  WebHandler& handler_;
};

}  // namespace

const std::string& WebRequest::header(std::string_view lowercase_name) const {
  static const std::string kEmpty;
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return value;
  }
  return kEmpty;
}

bool WebRequest::has_header(std::string_view lowercase_name) const {
  for (const auto& header : headers) {
    if (header.first == lowercase_name) return true;
  }
  return false;
}

struct WebServer::Impl {
  explicit Impl(WebHandler& handler) : adapter(handler) {}
  Adapter adapter;  // before the server, which calls it
  std::unique_ptr<HttpServer> http;
  bool stopped = false;
};

WebServer::WebServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebServer::~WebServer() { stop(std::chrono::milliseconds(0)); }

Result<std::unique_ptr<WebServer>> WebServer::start(const WebServerOptions& options, WebHandler& handler) {
  auto impl = std::make_unique<Impl>(handler);
  HttpServerOptions http;
  http.bind = options.bind;
  http.port = options.port;
  http.threads = options.threads;
  http.limits.max_body_bytes = options.max_body_bytes;
  http.limits.max_connections = options.max_connections;
  http.limits.header_timeout = options.header_timeout;
  http.limits.idle_timeout = options.idle_timeout;
  // One person's browser on this machine, whose page loads and live feed
  // come in bursts: bounded by connections, not by a rate.
  http.limits.rate_per_address = 0;
  BWOC_ASSIGN_OR_RETURN(impl->http, HttpServer::start(http, impl->adapter));
  return std::unique_ptr<WebServer>(new WebServer(std::move(impl)));
}

std::uint16_t WebServer::port() const { return impl_->http->port(); }

void WebServer::stop(std::chrono::milliseconds timeout) {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->http->drain(timeout);
}

}  // namespace bwoc::a2a
