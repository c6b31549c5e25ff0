// What the dashboard checks before it looks at what a request asks: that
// it was sent to this server by name (Host), by someone holding the token,
// and, for a change, by a page of this dashboard. And how a request target
// is read: a path matched exactly, never decoded, never looked up on disk.
#ifndef BWOC_DASHBOARD_SRC_GUARD_H_
#define BWOC_DASHBOARD_SRC_GUARD_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bwoc/a2a/web_server.h"
#include "bwoc/core/result.h"

namespace bwoc::dashboard {

struct Target {
  std::string path;                          // exactly as sent: "%2e" stays "%2e"
  std::map<std::string, std::string> query;  // names and values percent-decoded
};

// A request target in origin form ("/peers?probe=1"). Refused: the
// absolute and authority forms ("http://…", "host:port"), "*", a path that
// does not start with one "/", control characters and spaces, a target over
// 2 KiB, a query that does not decode, or a name given twice.
Result<Target> parse_target(std::string_view target);

class Guard {
 public:
  Guard(std::uint16_t port, std::string token);

  const std::string& token() const { return token_; }
  const std::string& cookie_name() const { return cookie_name_; }

  // The Host header names this server: 127.0.0.1 or localhost, at its port.
  bool host_allowed(std::string_view host) const;
  // The request carries this run's token in its cookie.
  bool has_cookie(const a2a::WebRequest& request) const;
  // `token` is this run's token (compared in constant time).
  bool token_matches(std::string_view token) const;
  // A change: a POST with a JSON body, the token in X-Bwoc-Token, and,
  // when the browser says where it comes from, from this origin. The reason
  // when not.
  std::optional<std::string> refuse_change(const a2a::WebRequest& request) const;

  // Set-Cookie for this run's token.
  std::string set_cookie() const;

 private:
  std::uint16_t port_;
  std::string token_;
  std::string cookie_name_;
};

// The headers every answer carries: a strict Content-Security-Policy,
// nosniff, no referrer, no framing, no caching, and no CORS.
std::vector<std::pair<std::string, std::string>> security_headers();

}  // namespace bwoc::dashboard

#endif  // BWOC_DASHBOARD_SRC_GUARD_H_
