#include "inbox_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "bwoc/core/envelope.h"
#include "bwoc/core/files.h"
#include "bwoc/core/inbox.h"

namespace bwoc {

namespace fs = std::filesystem;

namespace {

// A mark for another file starts over; one past the end of a file cut short
// by hand starts over too.
void reconcile(InboxMark& mark, dev_t device, ino_t inode, std::uint64_t size) {
  if (mark.inode != inode || mark.device != device) mark = InboxMark{device, inode, 0};
  if (size < mark.offset) mark.offset = 0;
}

// Indexes the complete lines from `mark` on and moves it past them.
Result<InboxScan> index_lines(int fd, const fs::path& path, const std::string& agent, InboxMark& mark,
                              UnixMillis horizon, UnixMillis now, SeenIndex& index, std::vector<SeenEntry>& found) {
  auto scan = scan_inbox(fd, path, mark.offset, [&](const InboxLine& line) {
    auto env = parse_envelope(line.envelope);
    if (!env.ok()) return;
    const Envelope& e = env.value();
    if (e.ts < horizon) return;  // refused as stale whatever else is known of it
    auto received = parse_timestamp(line.received);
    UnixMillis at = received.ok() ? *received : now;
    index.insert(e.key, e.id, e.ts, at, sig_tag_of(e.sig));
    found.push_back(SeenEntry{e.key, e.id, e.ts, at, sig_tag_of(e.sig), agent});
  });
  if (scan.ok()) mark.offset = scan->end_offset;
  return scan;
}

}  // namespace

Result<InboxFiles::Agent*> InboxFiles::open(const std::string& agent) {
  Agent& a = agents_[agent];
  if (a.broken) return *a.broken;
  if (a.log) {
    // Moved away or rotated by hand: continue in the file the path names.
    BWOC_RETURN_IF_ERROR(a.log->reopen_if_replaced());
    return &a;
  }
  fs::path path = ws_.inbox_file(agent);
  BWOC_RETURN_IF_ERROR(ensure_directory(path.parent_path(), 0755));
  AppendLogOptions options;
  options.exclusion = AppendLogOptions::Exclusion::caller;  // the accept lock
  options.mode = 0640;
  options.torn_dir = ws_.state_dir() / "torn";
  options.torn_name = agent;
  options.on_repair = [this, agent](const TornTail& torn) {
    RefusalRecord r;
    r.at = now_millis();
    r.reason = "torn_line";
    r.detail = std::to_string(torn.bytes) + " bytes after the last complete line of " + agent +
               "'s inbox (never reported accepted) were " +
               (torn.kept.empty() ? "cut (they could not be kept: " + torn.keep_error + ")"
                                  : "moved to " + torn.kept.string());
    r.source = torn.file.string();
    r.bytes = torn.bytes;
    refusals_.append(r);
  };
  BWOC_ASSIGN_OR_RETURN(AppendLog log, AppendLog::open(path, std::move(options)));
  a.log.emplace(std::move(log));
  return &a;
}

Result<InboxFiles::Tail> InboxFiles::index_tail(const std::string& agent, UnixMillis horizon, UnixMillis now,
                                                SeenIndex& index, std::vector<SeenEntry>& found) {
  BWOC_ASSIGN_OR_RETURN(Agent * a, open(agent));
  BWOC_ASSIGN_OR_RETURN(std::uint64_t end, a->log->repair_tail());
  InboxMark& mark = marks_[agent];
  reconcile(mark, a->log->device(), a->log->inode(), end);
  Tail tail;
  tail.end = end;
  if (mark.offset == end) return tail;
  std::size_t before = found.size();
  BWOC_ASSIGN_OR_RETURN(InboxScan scan,
                        index_lines(a->log->fd(), a->log->file(), agent, mark, horizon, now, index, found));
  tail.found = found.size() > before || scan.lines > 0;
  return tail;
}

void InboxFiles::index_tail_readonly(const std::string& agent, UnixMillis horizon, UnixMillis now, SeenIndex& index,
                                     std::vector<SeenEntry>& found) {
  fs::path path = ws_.inbox_file(agent);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return;  // no inbox yet: nothing to know
  struct stat st {};
  if (::fstat(fd, &st) == 0) {
    InboxMark& mark = marks_[agent];
    reconcile(mark, st.st_dev, st.st_ino, static_cast<std::uint64_t>(st.st_size));
    // An unreadable tail only means a longer scan next time.
    if (mark.offset < static_cast<std::uint64_t>(st.st_size)) {
      (void)index_lines(fd, path, agent, mark, horizon, now, index, found);
    }
  }
  ::close(fd);
}

Status InboxFiles::append(const std::string& agent, std::string_view lines) {
  Agent& a = agents_[agent];
  if (!a.log) return Error(Errc::internal, "append to " + agent + "'s inbox before its tail was indexed");
  return a.log->append_after_repair(lines);
}

Status InboxFiles::sync(const std::string& agent) {
  Agent& a = agents_[agent];
  if (!a.log) return ok_status();
  return a.log->sync();
}

void InboxFiles::take_back(const std::string& agent, std::uint64_t from, std::uint64_t to) {
  Agent& a = agents_[agent];
  marks_[agent].offset = std::min(marks_[agent].offset, from);
  if (!a.log) return;
  Status cut = a.log->take_back(from, to);
  if (!cut.ok()) {
    a.broken = Error(Errc::io_error, "the inbox of " + agent + " failed to sync, and what it holds is not known (" +
                                         cut.error().message() +
                                         "): it takes no deliveries until bwoc restarts; check the disk");
  }
}

InboxMark InboxFiles::mark_at(const std::string& agent, std::uint64_t offset) const {
  auto it = agents_.find(agent);
  if (it == agents_.end() || !it->second.log) return InboxMark{0, 0, offset};
  return InboxMark{it->second.log->device(), it->second.log->inode(), offset};
}

}  // namespace bwoc
