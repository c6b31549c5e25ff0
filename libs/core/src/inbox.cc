#include "bwoc/core/inbox.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <vector>

#include "bwoc/core/envelope.h"
#include "bwoc/core/files.h"
#include "bwoc/core/key_ring.h"
#include "bwoc/core/seal.h"

namespace bwoc {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kReceivedPrefix = "{\"received\":\"";
constexpr std::string_view kViaPrefix = "\",\"via\":\"";
constexpr std::string_view kEnvelopePrefix = "\",\"envelope\":";

}  // namespace

std::string format_inbox_line(std::string_view envelope_text, UnixMillis received, Via via) {
  std::string line;
  line.reserve(envelope_text.size() + 80);
  line += kReceivedPrefix;
  line += format_timestamp(received);
  line += kViaPrefix;
  line += via_name(via);
  line += kEnvelopePrefix;
  std::size_t start = line.size();
  line += envelope_text;
  for (std::size_t i = start; i < line.size(); ++i) {
    if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
  }
  line += "}\n";
  return line;
}

Result<InboxLine> parse_inbox_line(std::string_view line) {
  auto bad = [] { return Error(Errc::corrupt, "not an inbox line"); };
  if (line.substr(0, kReceivedPrefix.size()) != kReceivedPrefix) return bad();
  std::size_t p = kReceivedPrefix.size();
  if (line.size() < p + 24) return bad();
  InboxLine out;
  out.received = std::string(line.substr(p, 24));
  p += 24;
  if (line.substr(p, kViaPrefix.size()) != kViaPrefix) return bad();
  p += kViaPrefix.size();
  std::size_t via_end = line.find('"', p);
  if (via_end == std::string_view::npos) return bad();
  auto via = via_from_name(line.substr(p, via_end - p));
  if (!via) return bad();
  out.via = *via;
  p = via_end;
  if (line.substr(p, kEnvelopePrefix.size()) != kEnvelopePrefix) return bad();
  p += kEnvelopePrefix.size();
  if (line.size() < p + 2 || line.back() != '}') return bad();
  out.envelope = line.substr(p, line.size() - 1 - p);
  return out;
}

Result<InboxScan> scan_inbox(const fs::path& file, std::uint64_t from_offset,
                             const std::function<void(const InboxLine&)>& visit) {
  InboxScan scan;
  scan.end_offset = from_offset;
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return scan;
    return os_error("cannot open", file, errno);
  }
  constexpr std::size_t kChunk = 1 << 20;
  std::vector<char> buf;
  buf.reserve(kChunk);
  std::uint64_t buf_offset = from_offset;  // file offset of buf[0]
  std::uint64_t read_offset = from_offset;
  std::uint64_t line_number = 0;
  bool eof = false;
  Status failure;
  while (!eof) {
    std::size_t old = buf.size();
    buf.resize(old + kChunk);
    ssize_t n = ::pread(fd, buf.data() + old, kChunk, static_cast<off_t>(read_offset));
    if (n < 0) {
      if (errno == EINTR) {
        buf.resize(old);
        continue;
      }
      failure = os_error("cannot read", file, errno);
      break;
    }
    buf.resize(old + static_cast<std::size_t>(n));
    read_offset += static_cast<std::uint64_t>(n);
    eof = n == 0;
    std::size_t line_start = 0;
    for (;;) {
      const char* nl = static_cast<const char*>(
          std::memchr(buf.data() + line_start, '\n', buf.size() - line_start));
      if (nl == nullptr) break;
      std::size_t len = static_cast<std::size_t>(nl - (buf.data() + line_start));
      std::string_view text(buf.data() + line_start, len);
      ++line_number;
      auto line = parse_inbox_line(text);
      if (line.ok()) {
        line->offset = buf_offset + line_start;
        line->number = line_number;
        ++scan.lines;
        visit(*line);
      } else if (!text.empty()) {
        ++scan.unreadable;
      }
      line_start += len + 1;
    }
    buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(line_start));
    buf_offset += line_start;
    scan.end_offset = buf_offset;
    if (buf.size() > kMaxInboxLineBytes) {
      // A "line" longer than any envelope: skip to its end without holding it.
      std::uint64_t bad_line_start = buf_offset;
      read_offset = buf_offset + buf.size();
      buf.clear();
      bool found = false;
      while (!found) {
        char skip[65536];
        ssize_t m = ::pread(fd, skip, sizeof skip, static_cast<off_t>(read_offset));
        if (m < 0 && errno == EINTR) continue;
        if (m <= 0) break;
        const char* nl = static_cast<const char*>(std::memchr(skip, '\n', static_cast<std::size_t>(m)));
        read_offset += nl ? static_cast<std::size_t>(nl - skip) + 1 : static_cast<std::size_t>(m);
        found = nl != nullptr;
      }
      if (!found) {
        // Unterminated: a torn tail, left for the receiver to repair.
        ::close(fd);
        scan.complete_lines = line_number;
        scan.end_offset = bad_line_start;
        scan.torn_tail_bytes = read_offset - bad_line_start;
        return scan;
      }
      ++scan.unreadable;
      ++line_number;
      buf_offset = read_offset;
      scan.end_offset = buf_offset;
    }
  }
  ::close(fd);
  if (!failure.ok()) return std::move(failure).error();
  scan.complete_lines = line_number;
  scan.torn_tail_bytes = buf.size();
  return scan;
}

namespace {

Status require_agent(const Workspace& ws, std::string_view agent) {
  if (!ws.has_agent(agent)) {
    return Error(Errc::not_found, "no agent \"" + std::string(agent) + "\" in workspace \"" + ws.name() + "\"");
  }
  return ok_status();
}

std::string alias_of(const Workspace& ws, const Routes& routes, const PublicKey& key) {
  if (ws.identity().public_key && *ws.identity().public_key == key) return "self";
  if (const PeerRoute* p = routes.find_by_pubkey(key)) return p->key;
  return "";
}

}  // namespace

Result<InboxListing> list_inbox(const Workspace& ws, const Routes& routes, std::string_view agent, std::size_t limit) {
  BWOC_RETURN_IF_ERROR(require_agent(ws, agent));
  InboxListing listing;
  std::deque<InboxEntry> newest;
  // The inbox keeps sealed envelopes as they came; they are opened to be shown.
  std::optional<WorkspaceKeys> keys;
  if (auto loaded = load_workspace_keys(ws); loaded.ok()) keys.emplace(std::move(loaded).value());
  std::vector<const SealSecretKey*> secrets;
  if (keys) {
    if (keys->seal) secrets.push_back(&*keys->seal);
    if (keys->previous_seal) secrets.push_back(&*keys->previous_seal);
  }
  auto scan = scan_inbox(ws.inbox_file(agent), 0, [&](const InboxLine& line) {
    auto env = parse_envelope(line.envelope);
    if (!env.ok()) {
      ++listing.unreadable;
      return;
    }
    const Envelope& e = env.value();
    InboxEntry entry;
    entry.line = line.number;
    entry.received = line.received;
    entry.via = line.via;
    entry.id = e.id;
    entry.kind = e.kind;
    entry.from = e.from;
    entry.to = e.to;
    entry.ts = e.ts_text;
    entry.re = e.re.value_or("");
    entry.sender_key = e.key.to_text();
    entry.peer = alias_of(ws, routes, e.key);
    entry.sealed = e.sealed;
    if (!e.sealed) {
      entry.payload = e.payload();
    } else if (auto opened = open_payload(e, secrets); opened.ok()) {
      entry.payload = std::move(opened).value();
    }
    newest.push_back(std::move(entry));
    if (limit != 0 && newest.size() > limit) newest.pop_front();
  });
  if (!scan.ok()) return scan.error();
  listing.total = scan->lines;
  listing.unreadable += scan->unreadable;
  listing.torn_tail = scan->torn_tail_bytes > 0;
  listing.entries.assign(std::make_move_iterator(newest.begin()), std::make_move_iterator(newest.end()));
  return listing;
}

Result<InboxVerification> verify_inbox(const Workspace& ws, const Routes& routes, std::string_view agent) {
  BWOC_RETURN_IF_ERROR(require_agent(ws, agent));
  BWOC_ASSIGN_OR_RETURN(PublicKey self, ws.public_key());
  InboxVerification v;
  std::string scratch;
  auto scan = scan_inbox(ws.inbox_file(agent), 0, [&](const InboxLine& line) {
    std::uint64_t line_no = line.number;
    ++v.lines;
    auto env = parse_envelope(line.envelope);
    if (!env.ok()) {
      v.problems.push_back({line_no, "", std::string(reason_code(env.refusal().reason)) + ": " + env.refusal().detail});
      return;
    }
    const Envelope& e = env.value();
    if (!(e.aud == self)) {
      v.problems.push_back({line_no, e.id, "addressed to another workspace"});
      return;
    }
    if (e.to != agent) {
      v.problems.push_back({line_no, e.id, "addressed to agent \"" + e.to + "\""});
      return;
    }
    if (!verify_signature(e, scratch)) {
      v.problems.push_back({line_no, e.id, "signature does not verify"});
      return;
    }
    ++v.verified;
    if (alias_of(ws, routes, e.key).empty()) ++v.unpinned;
  });
  if (!scan.ok()) return scan.error();
  v.lines += scan->unreadable;
  for (std::uint64_t i = 0; i < scan->unreadable; ++i) v.problems.push_back({0, "", "a line that is not an inbox line"});
  if (scan->torn_tail_bytes > 0) {
    v.problems.push_back({scan->complete_lines + 1, "", "torn last line (" + std::to_string(scan->torn_tail_bytes) +
                                               " bytes): the next delivery repairs it"});
  }
  return v;
}

}  // namespace bwoc
