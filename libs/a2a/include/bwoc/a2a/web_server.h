// A small HTTP/1.1 server for local web pages (`bwoc dashboard`): the A2A
// listener's engine, with its limits and its drain, behind an interface
// that needs no Boost. All of bwoc's HTTP stays in libs/a2a.
//
// It hands each complete request to a handler, which answers once, from any
// thread, now or later (a long poll answers when it has something to say).
// It adds no header of its own beyond Server, Content-Type, Content-Length
// and Connection: what a page may do (CSP, cookies, no CORS) is the handler's
// to say.
#ifndef BWOC_A2A_WEB_SERVER_H_
#define BWOC_A2A_WEB_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bwoc/core/result.h"

namespace bwoc::a2a {

struct WebRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/peers?probe=1"
  std::string client_address;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;

  // The value of a header, or "" when absent.
  const std::string& header(std::string_view lowercase_name) const;
  // Whether the header was sent at all (an empty value is still sent).
  bool has_header(std::string_view lowercase_name) const;
};

struct WebResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using WebReply = std::function<void(WebResponse)>;

class WebHandler {
 public:
  virtual ~WebHandler() = default;
  // Called on an I/O thread; `reply` must be called exactly once.
  virtual void handle(WebRequest request, WebReply reply) = 0;
};

struct WebServerOptions {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port
  int threads = 2;
  std::size_t max_body_bytes = 64 * 1024;
  std::size_t max_connections = 64;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
};

class WebServer {
 public:
  // Listens and serves until stop(); `handler` must outlive the server.
  static Result<std::unique_ptr<WebServer>> start(const WebServerOptions& options, WebHandler& handler);
  ~WebServer();

  std::uint16_t port() const;
  // Stops accepting and lets requests in progress finish, up to `timeout`.
  void stop(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  explicit WebServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bwoc::a2a

#endif  // BWOC_A2A_WEB_SERVER_H_
