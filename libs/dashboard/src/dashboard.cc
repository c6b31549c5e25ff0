#include "bwoc/dashboard/dashboard.h"

#include <array>

#include "api.h"
#include "assets.h"
#include "bwoc/a2a/web_server.h"
#include "bwoc/core/encoding.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/log.h"
#include "bwoc/core/work_queue.h"
#include "feed.h"
#include "guard.h"

namespace bwoc::dashboard {

namespace {

// Every page is app.html, whose script draws the page its path names.
constexpr std::array<std::string_view, 7> kPages = {"/", "/activity", "/peers", "/goals", "/skills", "/inbox", "/refusals"};

struct Served {
  std::string_view path, file, type;
};
constexpr std::array<Served, 3> kAssets = {{{"/assets/app.js", "app.js", "text/javascript; charset=utf-8"},
                                            {"/assets/app.css", "app.css", "text/css; charset=utf-8"},
                                            {"/favicon.svg", "favicon.svg", "image/svg+xml"}}};

constexpr std::size_t kMaxBodyBytes = 64 * 1024;
constexpr std::string_view kTokenSlot = "{{TOKEN}}";

std::string_view asset_bytes(std::string_view name) {
  for (const Asset& a : embedded_assets()) {
    if (a.name == name) return a.bytes;
  }
  return {};
}

bool is_page(std::string_view path) {
  for (std::string_view p : kPages) {
    if (p == path) return true;
  }
  return false;
}

int status_for(Errc code) {
  switch (code) {
    case Errc::invalid_argument:
      return 400;
    case Errc::not_found:
      return 404;
    case Errc::already_exists:
      return 409;
    case Errc::permission_denied:
    case Errc::refused:
      return 403;
    case Errc::unavailable:
    case Errc::timeout:
      return 503;
    default:
      return 500;
  }
}

a2a::WebResponse answer(int status, std::string content_type, std::string body) {
  a2a::WebResponse r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  r.headers = security_headers();
  return r;
}

a2a::WebResponse text(int status, std::string body) {
  return answer(status, "text/plain; charset=utf-8", std::move(body) + "\n");
}

a2a::WebResponse json_answer(int status, const json::Value& value) {
  return answer(status, "application/json", json::write(value));
}

a2a::WebResponse error_answer(const Error& e) {
  return json_answer(status_for(e.code()), json::Value::object({{"error", e.message()}}));
}

// The target without its token, for the redirect that drops it from the address bar.
std::string without_token(const Target& target) {
  std::string query;
  for (const auto& [name, value] : target.query) {
    if (name == "token") continue;
    query += (query.empty() ? "?" : "&") + name + "=";
    for (char c : value) {
      bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                   c == '_' || c == '.';
      static constexpr char kHex[] = "0123456789ABCDEF";
      if (plain) {
        query += c;
      } else {
        query += '%';
        query += kHex[static_cast<unsigned char>(c) >> 4];
        query += kHex[static_cast<unsigned char>(c) & 15];
      }
    }
  }
  return target.path + query;
}

}  // namespace

struct Dashboard::Impl : public a2a::WebHandler {
  Impl(const Workspace& w, std::string secret) : ws(w), api(w), feed(w), token(std::move(secret)) {}

  void handle(a2a::WebRequest request, a2a::WebReply reply) override;
  void run_api(a2a::WebReply reply, std::function<Result<json::Value>()> work);

  Workspace ws;
  Api api;
  Feed feed;
  std::string token;
  std::unique_ptr<Guard> guard;  // once the port is known
  std::string page;              // app.html with the token in
  std::string agent = "*";
  std::uint16_t port = 0;
  std::atomic<bool> ready{false};
  std::atomic<std::uint64_t> requests{0}, refused{0}, changes{0};
  std::unique_ptr<WorkQueue> work = std::make_unique<WorkQueue>(2, 64);
  std::unique_ptr<a2a::WebServer> server;  // last: it goes first
  bool stopped = false;
};

void Dashboard::Impl::run_api(a2a::WebReply reply, std::function<Result<json::Value>()> job) {
  // The API reads files and may probe peers: off the HTTP threads.
  auto shared_reply = std::make_shared<a2a::WebReply>(std::move(reply));
  bool queued = work->try_post([shared_reply, job = std::move(job)] {
    auto result = job();
    (*shared_reply)(result.ok() ? json_answer(200, *result) : error_answer(result.error()));
  });
  if (!queued) (*shared_reply)(text(503, "busy: try again"));
}

void Dashboard::Impl::handle(a2a::WebRequest request, a2a::WebReply reply) {
  ++requests;
  if (!ready) return reply(text(503, "starting"));
  auto refuse = [&](a2a::WebResponse r) {
    ++refused;
    reply(std::move(r));
  };
  // Before anything else: a name that is not ours may be another site's,
  // rebound to this address.
  if (!guard->host_allowed(request.header("host"))) {
    return refuse(text(421, "this dashboard answers only at http://127.0.0.1:" + std::to_string(port) + "/"));
  }
  auto target = parse_target(request.target);
  if (!target.ok()) return refuse(text(400, "bad request: " + target.error().message()));
  const bool reading = request.method == "GET" || request.method == "HEAD";

  if (auto t = target->query.find("token"); t != target->query.end() && reading) {
    if (!guard->token_matches(t->second)) return refuse(text(401, "this is not the token of this dashboard"));
    a2a::WebResponse r = text(303, "signed in");
    r.headers.emplace_back("Set-Cookie", guard->set_cookie());
    r.headers.emplace_back("Location", without_token(*target));
    return reply(std::move(r));
  }
  if (!guard->has_cookie(request)) {
    return refuse(text(401, "open the address `bwoc dashboard` printed: it carries the token this page needs"));
  }

  const std::string& path = target->path;
  if (request.method == "POST") {
    if (!Api::is_change(path)) return refuse(text(Api::is_read(path) || is_page(path) ? 405 : 404, "no such change"));
    if (auto why = guard->refuse_change(request)) return refuse(text(403, "refused: " + *why));
    if (request.body.size() > kMaxBodyBytes) return refuse(text(413, "too large"));
    auto body = json::parse(request.body, json::ParseLimits{kMaxBodyBytes, 8});
    if (!body.ok()) return refuse(text(400, "the body is not JSON: " + body.error().message()));
    ++changes;
    log::info("dashboard.change", {{"what", path}});
    return run_api(std::move(reply), [this, path, body = std::move(body).value()] { return api.change(path, body); });
  }
  if (!reading) {
    a2a::WebResponse r = text(405, "GET, HEAD or POST");
    r.headers.emplace_back("Allow", "GET, HEAD, POST");
    return refuse(std::move(r));
  }
  if (is_page(path)) return reply(answer(200, "text/html; charset=utf-8", page));
  for (const Served& a : kAssets) {
    if (a.path == path) return reply(answer(200, std::string(a.type), std::string(asset_bytes(a.file))));
  }
  if (path == "/api/events") return feed.subscribe(request.header("last-event-id"), std::move(reply));
  if (Api::is_read(path)) {
    return run_api(std::move(reply), [this, path, query = target->query] { return api.read(path, query); });
  }
  return refuse(text(404, "no such page"));
}

Dashboard::Dashboard(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Dashboard::~Dashboard() { stop(); }

Result<std::unique_ptr<Dashboard>> Dashboard::start(const Workspace& ws, const DashboardOptions& options) {
  std::array<std::uint8_t, 32> secret{};
  random_bytes(secret);
  auto impl = std::make_unique<Impl>(ws, hex_encode(secret));
  std::string html(asset_bytes("app.html"));
  std::size_t slot = html.find(kTokenSlot);
  if (slot == std::string::npos) return Error(Errc::internal, "the dashboard's page has no place for the token");
  impl->page = html.replace(slot, kTokenSlot.size(), impl->token);
  a2a::WebServerOptions web;
  web.bind = "127.0.0.1";
  web.port = options.port;
  web.threads = options.threads;
  web.max_body_bytes = kMaxBodyBytes;
  auto server = a2a::WebServer::start(web, *impl);
  if (!server.ok()) return server.error().context("the dashboard");
  impl->server = std::move(server).value();
  impl->port = impl->server->port();
  impl->guard = std::make_unique<Guard>(impl->port, impl->token);
  impl->ready = true;
  return std::unique_ptr<Dashboard>(new Dashboard(std::move(impl)));
}

std::uint16_t Dashboard::port() const { return impl_->port; }
std::string Dashboard::base_url() const { return "http://127.0.0.1:" + std::to_string(port()) + "/"; }
std::string Dashboard::url_with_token() const { return base_url() + "?token=" + impl_->token; }
const std::string& Dashboard::agent() const { return impl_->agent; }

std::string Dashboard::status() const { return "serving the dashboard of " + impl_->ws.name() + " at " + base_url(); }

std::vector<std::pair<std::string, std::string>> Dashboard::stats() const {
  return {{"requests", std::to_string(impl_->requests.load())},
          {"refused", std::to_string(impl_->refused.load())},
          {"changes", std::to_string(impl_->changes.load())}};
}

void Dashboard::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->feed.stop();
  impl_->server->stop(std::chrono::seconds(2));
  // What the API still has in hand finishes, and is answered into the
  // stopped server, before the server goes.
  impl_->work.reset();
  impl_->server.reset();
}

}  // namespace bwoc::dashboard
