#include "bwoc/mqtt/broker.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <charconv>
#include <cstdlib>

#include <toml++/toml.h>

#include "bwoc/core/files.h"
#include "bwoc/core/routes.h"

namespace bwoc::mqtt {

namespace fs = std::filesystem;

std::string BrokerUrl::text() const {
  return std::string(tls ? "mqtts://" : "mqtt://") + host + ":" + std::to_string(port);
}

std::string BrokerUrl::paho_uri() const {
  bool v6 = host.find(':') != std::string::npos;
  return std::string(tls ? "ssl://" : "tcp://") + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<BrokerUrl> parse_broker_url(std::string_view text) {
  // Before anything quotes the text: it may hold a password.
  if (url_has_user_info(text)) return url_user_info_error("the broker URL");
  auto bad = [&](const char* why) {
    return Error(Errc::invalid_argument, "invalid broker URL \"" + std::string(text.substr(0, 200)) + "\": " + why +
                                             " (use mqtt://host:1883 or mqtts://host:8883)");
  };
  BrokerUrl url;
  std::string_view rest;
  if (text.rfind("mqtt://", 0) == 0) {
    rest = text.substr(7);
  } else if (text.rfind("mqtts://", 0) == 0) {
    url.tls = true;
    url.port = 8883;
    rest = text.substr(8);
  } else {
    return bad("unknown scheme");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#@ ") != std::string_view::npos) return bad("only a host and a port are allowed");
  std::string_view host = rest, port;
  if (!rest.empty() && rest.front() == '[') {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad("unclosed IPv6 address");
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return bad("junk after the address");
      port = rest.substr(close + 2);
    }
  } else if (std::size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) return bad("no host");
  bool v6 = host.find(':') != std::string_view::npos;
  for (char c : host) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || (v6 ? c == ':' : (c == '-' || c == '_'));
    if (!ok) return bad("the host may hold letters, digits, '.', '-' (or an IPv6 address in [ ])");
  }
  url.host = std::string(host);
  if (!port.empty()) {
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p == 0 || p > 65535) return bad("invalid port");
    url.port = static_cast<std::uint16_t>(p);
  }
  return url;
}

Result<Credentials> read_credentials(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return os_error("cannot read the credentials file", file, errno);
  const char* credentials_dir = std::getenv("CREDENTIALS_DIRECTORY");
  bool from_systemd = credentials_dir != nullptr && file.string().rfind(credentials_dir, 0) == 0;
  if (!from_systemd && (st.st_mode & 077) != 0) {
    return Error(Errc::permission_denied, "the credentials file " + file.string() +
                                              " can be read by others: run `chmod 600 " + file.string() + "`");
  }
  BWOC_ASSIGN_OR_RETURN(std::string text, read_file_bounded(file, 4096));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  std::size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || text.find('\n') != std::string::npos) {
    return Error(Errc::invalid_argument,
                 "the credentials file " + file.string() + " must hold one line: user:password");
  }
  Credentials c;
  c.user = text.substr(0, colon);
  c.password = text.substr(colon + 1);
  c.source = file;
  std::fill(text.begin(), text.end(), '\0');
  return c;
}

Result<BrokerSettings> broker_settings(const Workspace& ws, std::string_view url_text, const BrokerOverrides& o) {
  BWOC_ASSIGN_OR_RETURN(BrokerUrl url, parse_broker_url(url_text));
  BrokerSettings s;
  s.url = url;
  s.topic_root = "bwoc/" + ws.name();
  std::optional<fs::path> credentials_file;
  fs::path config = ws.bwoc_dir() / "mqtt.toml";
  std::error_code ec;
  if (fs::exists(config, ec)) {
    BWOC_ASSIGN_OR_RETURN(std::string text, read_file_bounded(config, 1 << 20));
    toml::table table;
    try {
      table = toml::parse(text, config.string());
    } catch (const toml::parse_error& e) {
      return Error(Errc::invalid_argument, config.string() + ":" + std::to_string(e.source().begin.line) + ": " +
                                               std::string(e.description()));
    }
    auto line_of = [](const toml::node* n) { return n ? std::to_string(n->source().begin.line) : std::string("?"); };
    if (const toml::array* brokers = table["broker"].as_array()) {
      for (const toml::node& item : *brokers) {
        const toml::table* b = item.as_table();
        if (b == nullptr) continue;
        auto u = (*b)["url"].value<std::string>();
        if (!u) return Error(Errc::invalid_argument, config.string() + ":" + line_of(b) + ": [[broker]] needs a url");
        auto parsed = parse_broker_url(*u);
        if (!parsed.ok()) return parsed.error().context(config.string() + ":" + line_of(b->get("url")));
        if (parsed->text() != url.text()) continue;
        for (const auto& [k, v] : *b) {
          static constexpr std::string_view kKnown[] = {"url", "ca", "cert", "key", "credentials", "topic_root"};
          if (std::find(std::begin(kKnown), std::end(kKnown), k.str()) == std::end(kKnown)) {
            return Error(Errc::invalid_argument, config.string() + ":" + line_of(&v) + ": unknown field \"" +
                                                     std::string(k.str()) + "\" in [[broker]]");
          }
        }
        // Every field is a string, exactly: another type is a mistake to
        // report, never a setting to skip silently (a CA file left out
        // would mean no TLS check of the broker).
        for (const auto& [k, v] : *b) {
          if (!v.is_string()) {
            return Error(Errc::invalid_argument, config.string() + ":" + line_of(&v) + ": \"" + std::string(k.str()) +
                                                     "\" in [[broker]] must be a string");
          }
        }
        if (auto v = (*b)["ca"].value<std::string>()) s.ca_file = *v;
        if (auto v = (*b)["cert"].value<std::string>()) s.cert_file = *v;
        if (auto v = (*b)["key"].value<std::string>()) s.key_file = *v;
        if (auto v = (*b)["credentials"].value<std::string>()) credentials_file = *v;
        if (auto v = (*b)["topic_root"].value<std::string>()) s.topic_root = *v;
      }
    }
  }
  if (o.ca_file) s.ca_file = o.ca_file;
  if (o.cert_file) s.cert_file = o.cert_file;
  if (o.key_file) s.key_file = o.key_file;
  if (o.credentials_file) credentials_file = o.credentials_file;
  if (credentials_file) {
    BWOC_ASSIGN_OR_RETURN(Credentials c, read_credentials(*credentials_file));
    s.credentials = std::move(c);
  }
  if (!is_valid_topic_name(s.topic_root)) {
    return Error(Errc::invalid_argument, "topic_root \"" + s.topic_root + "\" is not a topic without wildcards");
  }
  for (const auto* f : {&s.ca_file, &s.cert_file, &s.key_file}) {
    if (*f && !fs::exists(**f, ec)) return Error(Errc::not_found, "no such file: " + (*f)->string());
  }
  if (s.cert_file.has_value() != s.key_file.has_value()) {
    return Error(Errc::invalid_argument, "a client certificate needs its key, and a key its certificate");
  }
  if (!url.tls && (s.ca_file || s.cert_file)) {
    return Error(Errc::invalid_argument, "TLS files are given for " + url.text() + ", which is not mqtts://");
  }
  return s;
}

Status probe_broker(const BrokerUrl& url, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(url.host.c_str(), std::to_string(url.port).c_str(), &hints, &found);
  if (rc != 0) {
    return Error(Errc::unavailable, "cannot connect to the broker (" + url.text() + "): cannot resolve " + url.host + ": " +
                                        ::gai_strerror(rc));
  }
  std::string problem = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int err = 0;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) == 1) {
          socklen_t len = sizeof err;
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        } else {
          err = ETIMEDOUT;
        }
      }
    }
    ::close(fd);
    if (err == 0) {
      problem.clear();
      break;
    }
    problem = std::strerror(err);
  }
  ::freeaddrinfo(found);
  if (problem.empty()) return ok_status();
  return Error(Errc::unavailable, "cannot connect to the broker (" + url.text() + "): " + problem);
}

bool is_valid_topic_name(std::string_view topic) {
  if (topic.empty() || topic.size() > 1024) return false;
  for (char c : topic) {
    if (c == '+' || c == '#' || c == '\0') return false;
  }
  return true;
}

bool is_valid_topic_filter(std::string_view filter) {
  if (filter.empty() || filter.size() > 1024 || filter.find('\0') != std::string_view::npos) return false;
  // '#' only as the last level, '+' only as a whole level.
  std::size_t start = 0;
  while (start <= filter.size()) {
    std::size_t end = filter.find('/', start);
    if (end == std::string_view::npos) end = filter.size();
    std::string_view level = filter.substr(start, end - start);
    if (level.find('#') != std::string_view::npos && (level != "#" || end != filter.size())) return false;
    if (level.find('+') != std::string_view::npos && level != "+") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace bwoc::mqtt
