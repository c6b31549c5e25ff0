// The two small interfaces behind which Boost.Beast lives: an HTTP/1.1
// server that hands complete requests to a handler, and a client that makes
// bounded requests. Nothing outside http_server.cc and http_client.cc
// includes Beast.
#ifndef BWOC_A2A_SRC_HTTP_H_
#define BWOC_A2A_SRC_HTTP_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bwoc/core/result.h"

namespace bwoc::a2a {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // "/a2a"
  std::string client;  // "address:port" of the peer
  std::string client_address;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  // Runs a function on this connection's I/O thread: for work (such as
  // signing) that a handler finishes after a wait elsewhere.
  std::function<void(std::function<void()>)> post;

  // The value of a header, or "" when absent.
  const std::string& header(std::string_view lowercase_name) const;
};

// The body of a response that is written while it is produced (server-sent
// events): chunked, one chunk a write(), until end(). Safe from any thread.
class HttpStream {
 public:
  virtual ~HttpStream() = default;
  // Queues `chunk`. False when the stream is over: ended, its connection
  // gone, or more queued than the server's limit (a reader that does not
  // keep up is cut off rather than held in memory).
  virtual bool write(std::string chunk) = 0;
  // Ends the response once what is queued is written.
  virtual void end() = 0;
  virtual bool open() const = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // A body shared by many responses (the agent card): sent without a copy.
  std::shared_ptr<const std::string> shared_body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // close the connection after this response
  // Set: a streamed response, `body` its first chunk. Called once, before
  // the head goes out, with the stream to write the rest to.
  std::function<void(std::shared_ptr<HttpStream>)> stream;
};

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Called on an I/O thread with a complete request. `reply` must be called
  // exactly once, from any thread, now or later.
  virtual void handle(HttpRequest request, std::function<void(HttpResponse)> reply) = 0;
};

struct HttpServerLimits {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = (1u << 20) + 64 * 1024;  // a 1 MiB envelope and its JSON-RPC wrapper
  std::chrono::milliseconds header_timeout{10'000};     // to receive a request's headers
  std::chrono::milliseconds body_timeout{30'000};       // to receive its body
  std::chrono::milliseconds idle_timeout{60'000};       // between requests on a kept-alive connection
  std::chrono::milliseconds write_timeout{30'000};
  // A streamed response (server-sent events) ends after this long, and its
  // connection is cut when more than this is waiting to be written to it.
  std::chrono::milliseconds max_stream_time{15 * 60'000};
  std::size_t max_stream_queue_bytes = 4u << 20;
  std::size_t max_connections = 2048;
  // Request bodies being received or handled, all connections together:
  // beyond it a request is answered 503 with Retry-After before its body is
  // read. Counted by what each request announces (its Content-Length, or
  // max_body_bytes for a chunked one).
  std::size_t body_budget_bytes = 64u << 20;
  double rate_per_address = 100;   // requests a second from one address, before any verification
  double burst_per_address = 200;  // 0 rate: unlimited
};

struct HttpServerOptions {
  std::string bind = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port
  int threads = 0;            // 0: one per usable core (see usable_cores)
  HttpServerLimits limits;
};

class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> start(const HttpServerOptions& options, HttpHandler& handler);
  virtual ~HttpServer() = default;
  virtual std::uint16_t port() const = 0;
  virtual int threads() const = 0;  // I/O threads serving connections
  // Stops accepting, closes idle connections, lets requests in progress
  // finish (up to `timeout`), then stops. Returns how many were cut off.
  virtual std::size_t drain(std::chrono::milliseconds timeout) = 0;
  virtual std::size_t open_connections() const = 0;
  // Bytes of the body budget held by requests now.
  virtual std::size_t body_bytes_in_flight() const = 0;
  // Accepts that failed (out of descriptors and the like) since the start.
  virtual std::uint64_t failed_accepts() const = 0;
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds total_timeout{15'000};
  std::size_t max_response_bytes = 4u << 20;
};

struct HttpCall {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResult {
  int status = 0;
  std::string content_type;
  std::string body;
};

// Makes every call concurrently and returns when all have finished or timed
// out; each result is a response or an error (Errc::unavailable for a peer
// that cannot be reached, Errc::timeout, Errc::invalid_argument for a bad URL).
std::vector<Result<HttpResult>> http_calls(const std::vector<HttpCall>& calls, const HttpClientOptions& options);
Result<HttpResult> http_call(const HttpCall& call, const HttpClientOptions& options);

}  // namespace bwoc::a2a

#endif  // BWOC_A2A_SRC_HTTP_H_
