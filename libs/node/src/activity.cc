#include "bwoc/node/activity.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <optional>

#include "bwoc/core/envelope.h"
#include "bwoc/core/files.h"
#include "bwoc/core/inbox.h"
#ifdef BWOC_HAVE_MQTT
#include "bwoc/mqtt/spool.h"
#endif

namespace bwoc::node {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kChunkBytes = 64 * 1024;
// How far back one inbox is read for its newest lines: room for a few of
// the largest envelopes (1 MiB each) at its end.
constexpr std::size_t kInboxTailBytes = 8u << 20;
constexpr std::size_t kRefusalTailBytes = 1u << 20;
// Counting refusals stops here: a flood shows as "at least".
constexpr std::size_t kRefusalCountBytes = 32u << 20;
constexpr std::size_t kMaxRefusalLineBytes = 64 * 1024;

// Calls `visit` with each complete line of `file`, newest first, until it
// returns false or `max_bytes` have been read. A last line without its
// newline (a write in progress, or torn) is not a line yet. A missing file
// has no lines.
Status visit_lines_backward(const fs::path& file, std::size_t max_bytes,
                            const std::function<bool(std::string_view)>& visit) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return ok_status();
    return os_error("cannot open", file, errno);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return os_error("cannot read", file, err);
  }
  off_t start = st.st_size;  // the window read last begins here
  std::size_t read_total = 0;
  std::string carry;  // a line that begins before `start`, with its newline
  bool seeking_end = true;
  while (start > 0 && read_total < max_bytes) {
    std::size_t n = static_cast<std::size_t>(std::min<off_t>(start, static_cast<off_t>(kChunkBytes)));
    std::string window(n, '\0');
    std::size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd, window.data() + got, n - got, start - static_cast<off_t>(n) + static_cast<off_t>(got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        int err = r < 0 ? errno : EIO;
        ::close(fd);
        return os_error("cannot read", file, err);
      }
      got += static_cast<std::size_t>(r);
    }
    start -= static_cast<off_t>(n);
    read_total += n;
    window += carry;
    carry.clear();
    if (seeking_end) {
      std::size_t nl = window.rfind('\n');
      if (nl == std::string::npos) continue;  // all of it belongs to the unfinished last line
      window.resize(nl + 1);
      seeking_end = false;
    }
    // `window` ends with a newline; its first line may begin further back.
    std::size_t line_end = window.size() - 1;
    for (;;) {
      std::size_t before = line_end == 0 ? std::string::npos : window.rfind('\n', line_end - 1);
      if (before == std::string::npos) {
        if (start > 0) {
          carry = window.substr(0, line_end + 1);
        } else if (line_end > 0 && !visit(std::string_view(window).substr(0, line_end))) {
          ::close(fd);
          return ok_status();
        }
        break;
      }
      std::string_view line = std::string_view(window).substr(before + 1, line_end - before - 1);
      if (!line.empty() && !visit(line)) {
        ::close(fd);
        return ok_status();
      }
      line_end = before;
    }
  }
  ::close(fd);
  return ok_status();
}

std::string peer_alias(const Routes& routes, const std::optional<PublicKey>& self, const PublicKey& key) {
  if (self && key == *self) return "self";
  const PeerRoute* p = routes.find_by_pubkey(key);
  return p ? p->key : "";
}

std::optional<std::string> string_member(const json::Value& doc, const char* name) {
  const json::Value* v = doc.find(name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->as_string();
}

void newest_first(std::vector<EnvelopeEvent>& events, std::size_t limit) {
  std::stable_sort(events.begin(), events.end(),
                   [](const EnvelopeEvent& a, const EnvelopeEvent& b) { return a.at > b.at; });
  if (events.size() > limit) events.resize(limit);
}

#ifdef BWOC_HAVE_MQTT
// Envelopes published over MQTT whose receipt has not come back yet.
Result<std::vector<EnvelopeEvent>> unconfirmed_in_spool(const Workspace& ws, const Routes& routes, std::size_t limit) {
  (void)routes;
  std::vector<EnvelopeEvent> out;
  std::error_code ec;
  // Reading makes nothing: a workspace that never published has no spool.
  if (!fs::is_directory(ws.state_dir() / "mqtt-spool", ec)) return out;
  BWOC_ASSIGN_OR_RETURN(mqtt::Spool spool, mqtt::Spool::open(ws));
  BWOC_ASSIGN_OR_RETURN(std::vector<mqtt::SpoolEntry> entries, spool.newest(limit));
  for (const mqtt::SpoolEntry& entry : entries) {
    EnvelopeEvent e;
    e.direction = EnvelopeEvent::Direction::out;
    e.at = entry.created;
    e.via = Via::mqtt;
    std::size_t slash = entry.to.find('/');
    e.peer = entry.to.substr(0, slash);
    e.remote_agent = slash == std::string::npos ? "" : entry.to.substr(slash + 1);
    e.agent = entry.from;
    e.id = entry.id;
    if (auto env = parse_envelope(entry.envelope); env.ok()) e.kind = env.value().kind;
    e.receipt = "no receipt yet";
    out.push_back(std::move(e));
  }
  return out;
}
#endif

}  // namespace

std::string_view direction_name(EnvelopeEvent::Direction direction) {
  switch (direction) {
    case EnvelopeEvent::Direction::in:
      return "in";
    case EnvelopeEvent::Direction::out:
      return "out";
    case EnvelopeEvent::Direction::refused:
      return "refused";
  }
  return "?";
}

json::Value event_json(const EnvelopeEvent& e) {
  return json::Value::object({{"direction", std::string(direction_name(e.direction))},
                              {"at", format_timestamp(e.at)},
                              {"via", std::string(via_name(e.via))},
                              {"peer", e.peer},
                              {"agent", e.agent},
                              {"remote_agent", e.remote_agent},
                              {"kind", e.kind},
                              {"id", e.id},
                              {"receipt", e.receipt}});
}

Result<std::vector<EnvelopeEvent>> recent_inbound(const Workspace& ws, const Routes& routes, std::size_t limit) {
  std::vector<EnvelopeEvent> out;
  if (limit == 0) return out;
  std::optional<PublicKey> self;
  if (auto key = ws.public_key(); key.ok()) self = *key;
  for (const std::string& agent : ws.agents()) {
    std::size_t taken = 0;
    BWOC_RETURN_IF_ERROR(visit_lines_backward(ws.inbox_file(agent), kInboxTailBytes, [&](std::string_view text) {
      auto line = parse_inbox_line(text);
      if (!line.ok()) return true;
      auto env = parse_envelope(line->envelope);
      auto received = parse_timestamp(line->received);
      if (!env.ok() || !received.ok()) return true;
      const Envelope& envelope = env.value();
      EnvelopeEvent e;
      e.direction = EnvelopeEvent::Direction::in;
      e.at = *received;
      e.via = line->via;
      e.peer = peer_alias(routes, self, envelope.key);
      e.agent = agent;
      e.remote_agent = envelope.from;
      e.kind = envelope.kind;
      e.id = envelope.id;
      e.receipt = "accepted";
      out.push_back(std::move(e));
      return ++taken < limit;
    }));
  }
  newest_first(out, limit);
  return out;
}

const std::vector<OutboundSource>& outbound_sources() {
  static const std::vector<OutboundSource> sources = {
#ifdef BWOC_HAVE_MQTT
      unconfirmed_in_spool,
#endif
  };
  return sources;
}

Result<std::vector<EnvelopeEvent>> recent_outbound(const Workspace& ws, const Routes& routes, std::size_t limit) {
  std::vector<EnvelopeEvent> out;
  for (const OutboundSource& source : outbound_sources()) {
    BWOC_ASSIGN_OR_RETURN(std::vector<EnvelopeEvent> some, source(ws, routes, limit));
    out.insert(out.end(), std::make_move_iterator(some.begin()), std::make_move_iterator(some.end()));
  }
  newest_first(out, limit);
  return out;
}

Result<std::vector<EnvelopeEvent>> recent_refusals(const Workspace& ws, std::size_t limit) {
  std::vector<EnvelopeEvent> out;
  if (limit == 0) return out;
  BWOC_RETURN_IF_ERROR(visit_lines_backward(ws.refusal_log_file(), kRefusalTailBytes, [&](std::string_view text) {
    auto doc = json::parse(text, json::ParseLimits{kMaxRefusalLineBytes, 4});
    if (!doc.ok() || !doc->is_object()) return true;
    EnvelopeEvent e;
    e.direction = EnvelopeEvent::Direction::refused;
    if (auto at = string_member(*doc, "at")) e.at = parse_timestamp(*at).ok() ? *parse_timestamp(*at) : 0;
    if (auto via = string_member(*doc, "via")) e.via = via_from_name(*via).value_or(Via::path);
    e.peer = string_member(*doc, "peer").value_or("");
    e.agent = string_member(*doc, "to").value_or("");
    e.remote_agent = string_member(*doc, "from").value_or("");
    e.kind = string_member(*doc, "kind").value_or("");
    e.id = string_member(*doc, "id").value_or("");
    e.receipt = string_member(*doc, "reason").value_or("");
    out.push_back(std::move(e));
    return out.size() < limit;
  }));
  return out;
}

Result<RefusalCounts> count_refusals(const Workspace& ws, UnixMillis since) {
  RefusalCounts counts;
  std::map<std::string, std::size_t> by_reason;
  bool older_seen = false;
  // A line is {"at":"<timestamp>","via":…,"reason":"<code>",…} as
  // RefusalLog writes it: both are read without parsing the whole line.
  auto visit = [&](std::string_view line) {
    constexpr std::string_view kAt = "{\"at\":\"";
    constexpr std::string_view kReason = ",\"reason\":\"";
    UnixMillis at = 0;
    std::string reason;
    std::size_t r = line.find(kReason);
    std::size_t r_end = r == std::string_view::npos ? r : line.find('"', r + kReason.size());
    auto t = line.substr(0, kAt.size()) == kAt ? parse_timestamp(line.substr(kAt.size(), 24)) : Result<UnixMillis>(0);
    if (t.ok() && *t != 0 && r_end != std::string_view::npos) {
      at = *t;
      reason = std::string(line.substr(r + kReason.size(), r_end - r - kReason.size()));
    } else {
      auto doc = json::parse(line, json::ParseLimits{kMaxRefusalLineBytes, 4});
      if (!doc.ok() || !doc->is_object()) return true;
      auto at_text = string_member(*doc, "at");
      auto parsed = at_text ? parse_timestamp(*at_text) : Result<UnixMillis>(0);
      at = parsed.ok() ? *parsed : 0;
      reason = string_member(*doc, "reason").value_or("");
    }
    if (at < since) {
      older_seen = true;
      return false;
    }
    ++by_reason[reason];
    ++counts.total;
    return true;
  };
  // The current file, then the one rotation keeps, while they reach back far enough.
  fs::path rotated = ws.refusal_log_file();
  rotated += ".1";
  std::size_t budget = kRefusalCountBytes;
  for (const fs::path& file : {ws.refusal_log_file(), rotated}) {
    std::error_code ec;
    auto size = fs::file_size(file, ec);
    if (ec) continue;
    BWOC_RETURN_IF_ERROR(visit_lines_backward(file, budget, visit));
    if (older_seen) break;
    if (size > budget) {
      counts.partial = true;
      break;
    }
    budget -= static_cast<std::size_t>(size);
  }
  for (auto& [reason, n] : by_reason) counts.by_reason.emplace_back(reason, n);
  std::stable_sort(counts.by_reason.begin(), counts.by_reason.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return counts;
}

Result<std::vector<EnvelopeEvent>> recent_activity(const Workspace& ws, const Routes& routes, std::size_t limit) {
  BWOC_ASSIGN_OR_RETURN(std::vector<EnvelopeEvent> all, recent_inbound(ws, routes, limit));
  BWOC_ASSIGN_OR_RETURN(std::vector<EnvelopeEvent> out, recent_outbound(ws, routes, limit));
  BWOC_ASSIGN_OR_RETURN(std::vector<EnvelopeEvent> refused, recent_refusals(ws, limit));
  all.insert(all.end(), std::make_move_iterator(out.begin()), std::make_move_iterator(out.end()));
  all.insert(all.end(), std::make_move_iterator(refused.begin()), std::make_move_iterator(refused.end()));
  newest_first(all, limit);
  return all;
}

}  // namespace bwoc::node
