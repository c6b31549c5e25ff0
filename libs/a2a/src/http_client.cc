// The HTTP client, with Boost.Beast: bounded requests, made concurrently.
// One of the two translation units that include Beast.
//
// <utility> first: Boost 1.74's Asio uses std::exchange without including it.
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <memory>
#include <optional>

#include "bwoc/core/version.h"
#include "http.h"
#include "url.h"

namespace bwoc::a2a {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

using Clock = std::chrono::steady_clock;

const std::string kUserAgent = "bwoc/" + std::string(kVersion);

class Call : public std::enable_shared_from_this<Call> {
 public:
  Call(net::io_context& ioc, ssl::context* tls, HttpCall call, Url url, const HttpClientOptions& options,
       std::optional<Result<HttpResult>>& result)
      : resolver_(ioc),
        deadline_timer_(ioc),
        call_(std::move(call)),
        url_(std::move(url)),
        options_(options),
        result_(result) {
    if (url_.tls) {
      tls_stream_.emplace(ioc, *tls);
    } else {
      plain_stream_.emplace(ioc);
    }
  }

  void start() {
    deadline_ = Clock::now() + options_.total_timeout;
    deadline_timer_.expires_at(deadline_);
    deadline_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->on_deadline();
    });
    resolver_.async_resolve(url_.host, std::to_string(url_.port),
                            [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
                              self->on_resolve(ec, std::move(results));
                            });
  }

 private:
  beast::tcp_stream& tcp() { return url_.tls ? beast::get_lowest_layer(*tls_stream_) : *plain_stream_; }

  void finish(Result<HttpResult> r) {
    if (done_) return;
    done_ = true;
    result_ = std::move(r);
    deadline_timer_.cancel();
    resolver_.cancel();
    beast::error_code ec;
    tcp().socket().close(ec);
  }

  void fail(Errc code, const std::string& what) {
    finish(Error(code, what + " (" + url_.origin() + ")"));
  }

  void on_deadline() {
    if (done_) return;
    fail(Errc::timeout, "no complete answer within " +
                            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(options_.total_timeout).count()) +
                            " ms");
  }

  void on_resolve(beast::error_code ec, tcp::resolver::results_type results) {
    if (done_) return;
    if (ec) return fail(Errc::unavailable, "cannot resolve " + url_.host + ": " + ec.message());
    auto connect_deadline = std::min(deadline_, Clock::now() + options_.connect_timeout);
    tcp().expires_at(connect_deadline);
    tcp().async_connect(results, [self = shared_from_this()](beast::error_code cec, const tcp::endpoint&) {
      self->on_connect(cec);
    });
  }

  void on_connect(beast::error_code ec) {
    if (done_) return;
    if (ec == beast::error::timeout) return fail(Errc::unavailable, "connection timed out");
    if (ec) return fail(Errc::unavailable, "cannot connect: " + ec.message());
    // A request may leave in more than one segment: without this, Nagle's
    // algorithm holds the second until the server's delayed ACK (40 ms).
    beast::error_code ignored;
    tcp().socket().set_option(tcp::no_delay(true), ignored);
    tcp().expires_at(deadline_);
    if (!url_.tls) return write();
    // SNI, and a certificate that must match the host name.
    if (!SSL_set_tlsext_host_name(tls_stream_->native_handle(), url_.host.c_str())) {
      return fail(Errc::unavailable, "cannot set the TLS server name");
    }
    tls_stream_->set_verify_callback(ssl::host_name_verification(url_.host));
    tls_stream_->async_handshake(ssl::stream_base::client, [self = shared_from_this()](beast::error_code hec) {
      if (self->done_) return;
      if (hec) return self->fail(Errc::unavailable, "TLS handshake failed: " + hec.message());
      self->write();
    });
  }

  void write() {
    request_.version(11);
    request_.method(http::string_to_verb(call_.method));
    request_.target(url_.target);
    bool default_port = url_.port == (url_.tls ? 443 : 80);
    bool v6 = url_.host.find(':') != std::string::npos;
    std::string host = v6 ? "[" + url_.host + "]" : url_.host;
    request_.set(http::field::host, default_port ? host : host + ":" + std::to_string(url_.port));
    request_.set(http::field::user_agent, kUserAgent);
    for (const auto& [name, value] : call_.headers) request_.set(name, value);
    request_.body() = call_.body;
    request_.prepare_payload();
    auto on_write = [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (self->done_) return;
      if (ec) return self->fail(Errc::unavailable, "cannot send the request: " + ec.message());
      self->read();
    };
    if (url_.tls) {
      http::async_write(*tls_stream_, request_, on_write);
    } else {
      http::async_write(*plain_stream_, request_, on_write);
    }
  }

  void read() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(options_.max_response_bytes);
    auto on_read = [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); };
    if (url_.tls) {
      http::async_read(*tls_stream_, buffer_, *parser_, on_read);
    } else {
      http::async_read(*plain_stream_, buffer_, *parser_, on_read);
    }
  }

  void on_read(beast::error_code ec) {
    if (done_) return;
    if (ec == http::error::body_limit) {
      return fail(Errc::refused, "answered with more than " + std::to_string(options_.max_response_bytes) + " bytes");
    }
    if (ec == beast::error::timeout) return on_deadline();
    if (ec && ec != http::error::end_of_stream) {
      return fail(Errc::refused, "answered with something that is not HTTP: " + ec.message());
    }
    auto& res = parser_->get();
    HttpResult r;
    r.status = static_cast<int>(res.result_int());
    r.content_type = std::string(res[http::field::content_type]);
    r.body = std::move(res.body());
    finish(std::move(r));
  }

  tcp::resolver resolver_;
  net::steady_timer deadline_timer_;
  std::optional<beast::tcp_stream> plain_stream_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
  HttpCall call_;
  Url url_;
  HttpClientOptions options_;
  std::optional<Result<HttpResult>>& result_;
  Clock::time_point deadline_;
  http::request<http::string_body> request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  beast::flat_buffer buffer_;
  bool done_ = false;
};

}  // namespace

std::vector<Result<HttpResult>> http_calls(const std::vector<HttpCall>& calls, const HttpClientOptions& options) {
  net::io_context ioc(1);
  // Loading the system's CA certificates takes tens of milliseconds: only
  // when some call needs TLS.
  std::optional<ssl::context> tls;
  for (const HttpCall& c : calls) {
    if (c.url.rfind("https://", 0) == 0 && !tls) {
      tls.emplace(ssl::context::tls_client);
      tls->set_default_verify_paths();
      tls->set_verify_mode(ssl::verify_peer);
      tls->set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                       ssl::context::no_tlsv1_1);
    }
  }
  std::vector<std::optional<Result<HttpResult>>> results(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    auto url = parse_url(calls[i].url);
    if (!url.ok()) {
      results[i] = url.error();
      continue;
    }
    std::make_shared<Call>(ioc, tls ? &*tls : nullptr, calls[i], std::move(url).value(), options, results[i])->start();
  }
  ioc.run();
  std::vector<Result<HttpResult>> out;
  out.reserve(calls.size());
  for (auto& r : results) {
    out.push_back(r ? std::move(*r) : Result<HttpResult>(Error(Errc::internal, "the call did not finish")));
  }
  return out;
}

Result<HttpResult> http_call(const HttpCall& call, const HttpClientOptions& options) {
  return std::move(http_calls({call}, options).front());
}

}  // namespace bwoc::a2a
