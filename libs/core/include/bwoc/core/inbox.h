// An agent's inbox: agents/NAME/memories/inbox.jsonl, one accepted envelope
// a line, exactly as it arrived, with when and how:
//
//   {"received":"2026-11-22T08:00:00.123Z","via":"path","envelope":{...}}
//
// Only the receiver (receiver.h) appends, under the workspace's accept lock,
// a batch's lines with one write() (append_log.h). Readers here never modify
// the file: a last line without its newline (a write torn by a crash) is
// reported, not returned; the receiver cuts it under the lock before its
// next append.
#ifndef BWOC_CORE_INBOX_H_
#define BWOC_CORE_INBOX_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "bwoc/core/json.h"
#include "bwoc/core/result.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/core/workspace.h"

namespace bwoc {

// The longest line an inbox holds: a 1 MiB envelope and its wrapper.
inline constexpr std::size_t kMaxInboxLineBytes = (std::size_t{1} << 20) + 256;

struct InboxLine {
  std::string received;       // timestamp text
  Via via = Via::path;
  std::string_view envelope;  // the envelope text, valid during the callback
  std::uint64_t offset = 0;   // where the line starts in the file
  std::uint64_t number = 0;   // 1-based, counting every line from the scan's start, readable or not
};

// One inbox line for `envelope_text`, newline included. Line breaks in the
// text (legal JSON white space, never inside strings) become spaces so that
// one envelope stays one line; nothing else changes.
std::string format_inbox_line(std::string_view envelope_text, UnixMillis received, Via via);

// Splits a line (without its newline) into its parts, or fails if it is not
// a line bwoc wrote.
Result<InboxLine> parse_inbox_line(std::string_view line);

struct InboxScan {
  std::uint64_t lines = 0;
  std::uint64_t unreadable = 0;     // complete lines that are not inbox lines
  std::uint64_t complete_lines = 0;  // newline-terminated lines scanned, inbox lines or not
  std::uint64_t end_offset = 0;     // after the last complete line
  std::uint64_t torn_tail_bytes = 0;  // bytes after the last newline
};

// Calls `visit` for each line from `from_offset` on, reading in bounded chunks.
// A missing file is an empty inbox.
Result<InboxScan> scan_inbox(const std::filesystem::path& file, std::uint64_t from_offset,
                             const std::function<void(const InboxLine&)>& visit);
// The same on an open descriptor; `name` names it in errors.
Result<InboxScan> scan_inbox(int fd, const std::filesystem::path& name, std::uint64_t from_offset,
                             const std::function<void(const InboxLine&)>& visit);

// One inbox line, read for people and scripts.
struct InboxEntry {
  std::uint64_t line = 0;  // 1-based
  std::string received;
  Via via = Via::path;
  std::string id, kind, from, to, ts, re;
  std::string sender_key;
  std::string peer;  // the sender's alias in routes.toml, "self", or "" when no longer declared
  json::Value payload;  // a sealed envelope's opened payload (null when it does not open here)
  bool sealed = false;
};

// The newest `limit` entries (0: all), oldest first. Lines that do not parse
// are counted in `unreadable`.
struct InboxListing {
  std::vector<InboxEntry> entries;
  std::uint64_t total = 0;
  std::uint64_t unreadable = 0;
  bool torn_tail = false;
};
Result<InboxListing> list_inbox(const Workspace& ws, const Routes& routes, std::string_view agent, std::size_t limit);

// Re-verifies every line: the envelope's form, that it was addressed to this
// workspace and agent, its signature, and that no other line holds the same
// sender key and id (exactly once). The sender's key is reported with
// its alias, or as no longer pinned (which is information, not a failure).
struct InboxProblem {
  std::uint64_t line = 0;
  std::string id;
  std::string problem;
};
struct InboxVerification {
  std::uint64_t lines = 0;
  std::uint64_t verified = 0;
  std::uint64_t unpinned = 0;  // verified, but the sender is no longer declared
  std::vector<InboxProblem> problems;
};
Result<InboxVerification> verify_inbox(const Workspace& ws, const Routes& routes, std::string_view agent);

}  // namespace bwoc

#endif  // BWOC_CORE_INBOX_H_
