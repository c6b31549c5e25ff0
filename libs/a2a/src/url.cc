#include "url.h"

#include <cctype>
#include <charconv>

#include "bwoc/core/routes.h"

namespace bwoc::a2a {

std::string Url::origin() const {
  bool v6 = host.find(':') != std::string::npos;
  return std::string(tls ? "https://" : "http://") + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

namespace {

// What an error may show of a URL: it can come from a peer (a card, a route)
// and the message can reach a terminal.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 200)) {
    auto u = static_cast<unsigned char>(c);
    out += u < 0x20 || u >= 0x7F ? '?' : c;
  }
  if (text.size() > 200) out += "...";
  return out;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

Result<Url> parse_url(std::string_view text) {
  // Before anything quotes the text: it may hold a password.
  if (url_has_user_info(text)) return url_user_info_error("the URL");
  auto bad = [&](const char* why) {
    return Error(Errc::invalid_argument, "invalid URL \"" + printable(text) + "\": " + why);
  };
  if (text.size() > 2048) return bad("too long");
  Url url;
  std::string_view rest;
  if (starts_with_ignoring_case(text, "http://")) {
    rest = text.substr(7);
  } else if (starts_with_ignoring_case(text, "https://")) {
    url.tls = true;
    rest = text.substr(8);
  } else {
    return bad("only http:// and https:// are supported");
  }
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7F) return bad("spaces or control characters");
  }
  std::size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed IPv6 address");
    host = authority.substr(1, close - 1);
    if (!host.empty() && host.find(':') == std::string_view::npos) return bad("not an IPv6 address in brackets");
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("junk after the IPv6 address");
      port = after.substr(1);
    }
  } else if (std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return bad("an IPv6 address needs brackets: http://[::1]:8080/");
  }
  if (host.empty()) return bad("no host");
  url.host = std::string(host);
  url.port = url.tls ? 443 : 80;
  if (!port.empty()) {
    unsigned value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || p != port.data() + port.size() || value == 0 || value > 65535) return bad("invalid port");
    url.port = static_cast<std::uint16_t>(value);
  }
  std::size_t hash = path.find('#');
  url.target = std::string(path.substr(0, hash));
  if (url.target.empty() || url.target.front() != '/') url.target = "/" + url.target;
  return url;
}

std::string join_url(std::string_view base, std::string_view path) {
  std::string out(base);
  while (!out.empty() && out.back() == '/') out.pop_back();
  if (path.empty() || path.front() != '/') out += '/';
  out += path;
  return out;
}

}  // namespace bwoc::a2a
