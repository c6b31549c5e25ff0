#include "guard.h"

#include <cstddef>

namespace bwoc::dashboard {

namespace {

constexpr std::size_t kMaxTargetBytes = 2048;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      char decoded = static_cast<char>(hi * 16 + lo);
      if (static_cast<unsigned char>(decoded) < 0x20 || decoded == 0x7f) return std::nullopt;
      out += decoded;
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<Target> parse_target(std::string_view target) {
  auto refuse = [](const std::string& why) { return Error(Errc::invalid_argument, why); };
  if (target.empty() || target.size() > kMaxTargetBytes) return refuse("a request target of 1 to 2048 bytes");
  if (target[0] != '/' || (target.size() > 1 && target[1] == '/')) return refuse("a path that starts with one /");
  for (char c : target) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return refuse("a request target in printable ASCII");
  }
  Target out;
  std::size_t question = target.find('?');
  out.path = std::string(target.substr(0, question));
  if (out.path.find('#') != std::string::npos) return refuse("no fragment in a request target");
  if (question == std::string_view::npos) return out;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq));
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!name || !value) return refuse("a query that decodes");
    if (!out.query.emplace(std::move(*name), std::move(*value)).second) return refuse("each query name once");
  }
  return out;
}

Guard::Guard(std::uint16_t port, std::string token)
    : port_(port), token_(std::move(token)), cookie_name_("bwoc_dashboard_" + std::to_string(port)) {}

bool Guard::host_allowed(std::string_view host) const {
  std::string port = ":" + std::to_string(port_);
  return host == "127.0.0.1" + port || host == "localhost" + port;
}

bool Guard::token_matches(std::string_view token) const {
  if (token.size() != token_.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < token.size(); ++i) {
    diff |= static_cast<unsigned char>(token[i] ^ token_[i]);
  }
  return diff == 0;
}

bool Guard::has_cookie(const a2a::WebRequest& request) const {
  for (const auto& [name, value] : request.headers) {
    if (name != "cookie") continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      std::size_t semi = rest.find(';');
      std::string_view pair = trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      std::size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == cookie_name_ && token_matches(pair.substr(eq + 1))) {
        return true;
      }
    }
  }
  return false;
}

std::optional<std::string> Guard::refuse_change(const a2a::WebRequest& request) const {
  if (request.method != "POST") return "changes are POSTs";
  if (!token_matches(request.header("x-bwoc-token"))) return "a change carries the token in X-Bwoc-Token";
  std::string_view type = request.header("content-type");
  if (type.substr(0, type.find(';')) != "application/json") return "a change is a JSON body (Content-Type: application/json)";
  if (request.has_header("origin")) {
    std::string port = ":" + std::to_string(port_);
    const std::string& origin = request.header("origin");
    if (origin != "http://127.0.0.1" + port && origin != "http://localhost" + port) return "a change from another origin";
  }
  if (request.has_header("sec-fetch-site") && request.header("sec-fetch-site") != "same-origin") {
    return "a change from another site";
  }
  return std::nullopt;
}

std::string Guard::set_cookie() const {
  return cookie_name_ + "=" + token_ + "; Path=/; HttpOnly; SameSite=Strict";
}

std::vector<std::pair<std::string, std::string>> security_headers() {
  return {{"Content-Security-Policy",
           "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
           "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
          {"X-Content-Type-Options", "nosniff"},
          {"Referrer-Policy", "no-referrer"},
          {"X-Frame-Options", "DENY"},
          {"Cross-Origin-Opener-Policy", "same-origin"},
          {"Cross-Origin-Resource-Policy", "same-origin"},
          {"Cache-Control", "no-store"}};
}

}  // namespace bwoc::dashboard
