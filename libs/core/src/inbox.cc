#include "bwoc/core/inbox.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <deque>
#include <vector>

#include "bwoc/core/append_log.h"
#include "bwoc/core/encoding.h"
#include "bwoc/core/envelope.h"
#include "bwoc/core/files.h"
#include "bwoc/core/keys.h"
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

Result<InboxScan> scan_inbox(int fd, const fs::path& name, std::uint64_t from_offset,
                             const std::function<void(const InboxLine&)>& visit) {
  InboxScan scan;
  // Every complete line has its number, readable or not, so that the
  // numbers people are shown are the file's own.
  std::uint64_t number = 0;
  auto records = scan_records(
      fd, name, from_offset, kMaxInboxLineBytes,
      [&](std::string_view text, std::uint64_t at) {
        ++number;
        auto line = parse_inbox_line(text);
        if (!line.ok()) {
          scan.unreadable += !text.empty();
          return;
        }
        line->offset = at;
        line->number = number;
        ++scan.lines;
        visit(*line);
      },
      [&](std::uint64_t) { ++number; });
  if (!records.ok()) return records.error();
  scan.unreadable += records->oversize;
  scan.complete_lines = number;
  scan.end_offset = records->end_offset;
  scan.torn_tail_bytes = records->torn_tail_bytes;
  return scan;
}

Result<InboxScan> scan_inbox(const fs::path& file, std::uint64_t from_offset,
                             const std::function<void(const InboxLine&)>& visit) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno != ENOENT) return os_error("cannot open", file, errno);
    InboxScan empty;
    empty.end_offset = from_offset;
    return empty;
  }
  auto scan = scan_inbox(fd, file, from_offset, visit);
  ::close(fd);
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
  std::uint64_t line_no = 0;
  // (sender key, id) of every line: exactly once means no two lines share
  // one. The id as its 16 bytes, the key as 8 bytes of its digest; sorted
  // after the scan, so that memory is 32 bytes a line, not a map's.
  struct Seen {
    std::array<std::uint8_t, 24> digest;
    std::uint64_t line;
  };
  std::vector<Seen> seen;
  // Every complete line has its number, readable or not (an empty one is no
  // problem, only a line that counts).
  auto visit = [&](std::string_view text, std::uint64_t) {
    ++line_no;
    if (text.empty()) return;
    ++v.lines;
    auto line = parse_inbox_line(text);
    if (!line.ok()) {
      v.problems.push_back({line_no, "", "a line that is not an inbox line"});
      return;
    }
    auto env = parse_envelope(line->envelope);
    if (!env.ok()) {
      v.problems.push_back({line_no, "", std::string(reason_code(env.refusal().reason)) + ": " + env.refusal().detail});
      return;
    }
    const Envelope& e = env.value();
    auto key_digest =
        blake2b_256(std::string_view(reinterpret_cast<const char*>(e.key.bytes.data()), e.key.bytes.size()));
    auto id = hex_decode_lower(e.id);  // 32 hex digits: checked by parse_envelope
    Seen& s = seen.emplace_back();
    std::copy_n(id->begin(), 16, s.digest.begin());
    std::copy_n(key_digest.begin(), 8, s.digest.begin() + 16);
    s.line = line_no;
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
  };
  auto too_long = [&](std::uint64_t) {
    ++line_no;
    ++v.lines;
    v.problems.push_back({line_no, "", "a line longer than any envelope"});
  };
  auto scan = scan_records(ws.inbox_file(agent), 0, kMaxInboxLineBytes, visit, too_long);
  if (!scan.ok()) return scan.error();
  std::sort(seen.begin(), seen.end(), [](const Seen& a, const Seen& b) {
    return a.digest != b.digest ? a.digest < b.digest : a.line < b.line;
  });
  for (std::size_t i = 1; i < seen.size(); ++i) {
    if (seen[i].digest != seen[i - 1].digest) continue;
    std::size_t first = i - 1;
    while (first > 0 && seen[first - 1].digest == seen[i].digest) --first;
    v.problems.push_back({seen[i].line, hex_encode(std::span(seen[i].digest).first(16)),
                          "duplicate: the same sender key and id as line " + std::to_string(seen[first].line) +
                              " (an envelope must be in an inbox exactly once)"});
  }
  std::stable_sort(v.problems.begin(), v.problems.end(), [](const InboxProblem& a, const InboxProblem& b) {
    return a.line != 0 && (b.line == 0 || a.line < b.line);
  });
  if (scan->torn_tail_bytes > 0) {
    v.problems.push_back({line_no + 1, "", "torn last line (" + std::to_string(scan->torn_tail_bytes) +
                                               " bytes): the next delivery repairs it"});
  }
  return v;
}

}  // namespace bwoc
