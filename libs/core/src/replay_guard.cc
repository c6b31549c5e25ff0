#include "bwoc/core/replay_guard.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <functional>
#include <limits>

#include "bwoc/core/envelope.h"
#include "bwoc/core/files.h"

namespace bwoc {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kInitialSlots = 1024;
constexpr std::uint64_t kMinCompactionBytes = 1 << 20;
// A seen-log line is about 160 bytes; anything much longer is not ours.
constexpr std::size_t kMaxLineBytes = 4096;
constexpr std::int64_t kMinuteMs = 60'000;

std::uint32_t minute_of(UnixMillis t) {
  if (t <= 0) return 0;
  std::int64_t m = t / kMinuteMs;
  return m > 0xFFFFFFFFLL ? 0xFFFFFFFFu : static_cast<std::uint32_t>(m);
}

// Whether every ts in `minute` is before `horizon`.
bool minute_before(std::uint32_t minute, UnixMillis horizon) {
  return (static_cast<std::int64_t>(minute) + 1) * kMinuteMs <= horizon;
}

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    std::size_t j = line.find(' ', i);
    if (j == std::string_view::npos) j = line.size();
    out.push_back(line.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

template <class T>
bool to_number(std::string_view s, T& out, int base = 10) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

// The log's lines:
//   s <ts ms> <accepted ms> <key> <id> <sig tag> <agent>   an accepted envelope
//   + <expires s> <accepted ms> <key> <id> <sig tag> <agent>  the same, written
//       before horizons: its ts is at most `expires`, which stands in for it
//   @ <agent> <device> <inode> <offset>                  an inbox's mark
//   h <ms>                                               the horizon
std::string entry_line(const SeenEntry& e) {
  char tag[16];
  std::snprintf(tag, sizeof tag, "%08x", e.sig_tag);
  std::string line = "s ";
  line += std::to_string(e.ts);
  line += ' ';
  line += std::to_string(e.accepted_at);
  line += ' ';
  line += e.key.to_text();
  line += ' ';
  line += e.id;
  line += ' ';
  line += tag;
  line += ' ';
  line += e.agent;
  line += '\n';
  return line;
}

std::string mark_line(const std::string& agent, const InboxMark& m) {
  return "@ " + agent + " " + std::to_string(m.device) + " " + std::to_string(m.inode) + " " +
         std::to_string(m.offset) + "\n";
}

std::string horizon_line(UnixMillis horizon) { return "h " + std::to_string(horizon) + "\n"; }

struct LogLine {
  enum class Kind { entry, mark, horizon } kind = Kind::entry;
  SeenEntry entry;  // entry
  std::string mark_agent;  // mark
  InboxMark mark;
  UnixMillis horizon = 0;  // horizon
};

// Parses one line; false for a line that is not one of the log's.
bool parse_line(std::string_view line, LogLine& out) {
  auto f = split_spaces(line);
  if (f.size() == 7 && (f[0] == "s" || f[0] == "+")) {
    std::int64_t when = 0;
    UnixMillis accepted = 0;
    std::uint32_t sig_tag = 0;
    if (!to_number(f[1], when) || !to_number(f[2], accepted) || f[5].size() != 8 || !to_number(f[5], sig_tag, 16) ||
        f[6].empty()) {
      return false;
    }
    if (f[0] == "+" && (when > std::numeric_limits<std::int64_t>::max() / 1000 || when < 0)) return false;
    auto key = PublicKey::from_text(f[3]);
    if (!key.ok() || !is_valid_envelope_id(f[4])) return false;
    out.kind = LogLine::Kind::entry;
    out.entry =
        SeenEntry{*key, std::string(f[4]), f[0] == "s" ? when : when * 1000, accepted, sig_tag, std::string(f[6])};
    return true;
  }
  if (f.size() == 5 && f[0] == "@") {
    std::uint64_t dev = 0, ino = 0;
    if (f[1].empty() || !to_number(f[2], dev) || !to_number(f[3], ino) || !to_number(f[4], out.mark.offset)) {
      return false;
    }
    out.kind = LogLine::Kind::mark;
    out.mark_agent = std::string(f[1]);
    out.mark.device = static_cast<dev_t>(dev);
    out.mark.inode = static_cast<ino_t>(ino);
    return true;
  }
  if (f.size() == 2 && f[0] == "h") {
    if (!to_number(f[1], out.horizon)) return false;
    out.kind = LogLine::Kind::horizon;
    return true;
  }
  return false;
}

// Marks only move forward for the same file; a new file starts over.
void apply_mark(std::map<std::string, InboxMark>& marks, const std::string& agent, const InboxMark& m) {
  InboxMark& known = marks[agent];
  if (known.inode != m.inode || known.device != m.device || m.offset > known.offset) known = m;
}

}  // namespace

SeenIndex::SeenIndex() {
  random_bytes(hash_key_);
  slots_.resize(kInitialSlots);
}

std::uint64_t SeenIndex::tag_of(const PublicKey& key, std::string_view id) const {
  unsigned char input[64];
  std::memcpy(input, key.bytes.data(), 32);
  std::memset(input + 32, 0, 32);
  std::memcpy(input + 32, id.data(), std::min<std::size_t>(id.size(), 32));
  std::uint64_t tag = 0;
  crypto_shorthash(reinterpret_cast<unsigned char*>(&tag), input, sizeof input, hash_key_.data());
  return tag == 0 ? 1 : tag;
}

std::optional<SeenIndex::Hit> SeenIndex::find(const PublicKey& key, std::string_view id) const {
  std::uint64_t tag = tag_of(key, id);
  std::size_t mask = slots_.size() - 1;
  for (std::size_t i = tag & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.tag == 0) return std::nullopt;
    if (s.tag == tag) return Hit{s.accepted_at, s.sig_tag};
  }
}

void SeenIndex::place(const Slot& slot) {
  std::size_t mask = slots_.size() - 1;
  for (std::size_t i = slot.tag & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.tag == 0) {
      s = slot;
      ++size_;
      return;
    }
    if (s.tag == slot.tag) {
      if (slot.ts_minute > s.ts_minute) s.ts_minute = slot.ts_minute;
      return;
    }
  }
}

void SeenIndex::insert(const PublicKey& key, std::string_view id, UnixMillis ts, UnixMillis accepted_at,
                       std::uint32_t sig_tag) {
  if ((size_ + 1) * 4 > slots_.size() * 3) rebuild(slots_.size() * 2, std::numeric_limits<UnixMillis>::min());
  place(Slot{tag_of(key, id), accepted_at, minute_of(ts), sig_tag});
}

void SeenIndex::erase(const PublicKey& key, std::string_view id) {
  std::uint64_t tag = tag_of(key, id);
  std::size_t mask = slots_.size() - 1;
  std::size_t i = tag & mask;
  for (;; i = (i + 1) & mask) {
    if (slots_[i].tag == 0) return;
    if (slots_[i].tag == tag) break;
  }
  // Backward-shift deletion keeps every probe chain unbroken without tombstones.
  std::size_t hole = i;
  for (std::size_t j = (hole + 1) & mask; slots_[j].tag != 0; j = (j + 1) & mask) {
    std::size_t home = slots_[j].tag & mask;
    bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
    if (movable) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{};
  --size_;
}

void SeenIndex::rebuild(std::size_t capacity, UnixMillis horizon) {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(capacity, Slot{});
  size_ = 0;
  for (const Slot& s : old) {
    if (s.tag != 0 && !minute_before(s.ts_minute, horizon)) place(s);
  }
}

void SeenIndex::prune(UnixMillis horizon) {
  std::size_t capacity = kInitialSlots;
  // Count survivors first so the table shrinks when traffic drops.
  std::size_t live = 0;
  for (const Slot& s : slots_) live += s.tag != 0 && !minute_before(s.ts_minute, horizon);
  while (capacity * 3 < live * 4 + 4) capacity *= 2;
  rebuild(std::max(capacity, kInitialSlots), horizon);
}

Result<SeenLog> SeenLog::open(const fs::path& state_dir) {
  BWOC_RETURN_IF_ERROR(ensure_directory(state_dir, 0700));
  AppendLogOptions options;
  options.exclusion = AppendLogOptions::Exclusion::caller;  // the accept lock
  options.torn_dir = state_dir / "torn";
  BWOC_ASSIGN_OR_RETURN(AppendLog log, AppendLog::open(state_dir / "seen.log", std::move(options)));
  return SeenLog(std::move(log));
}

Status SeenLog::catch_up(SeenIndex& index, std::map<std::string, InboxMark>& marks, UnixMillis& horizon) {
  BWOC_RETURN_IF_ERROR(log_.reopen_if_replaced());
  struct stat st {};
  if (::fstat(log_.fd(), &st) != 0) return os_error("cannot stat", log_.file(), errno);
  if (st.st_ino != inode_ || st.st_dev != device_ || static_cast<std::uint64_t>(st.st_size) < read_offset_) {
    // First read, or another process compacted the log: read it all again.
    // What this process learned before stays in its index; re-adding is harmless.
    inode_ = st.st_ino;
    device_ = st.st_dev;
    read_offset_ = 0;
    file_horizon_ = 0;
    marks_distrusted_ = false;
    size_after_compaction_ = 0;  // measured below: the live part of what is read
  }
  horizon = std::max(horizon, file_horizon_);
  if (static_cast<std::uint64_t>(st.st_size) == read_offset_) return ok_status();
  const bool full_read = read_offset_ == 0;
  LogLine parsed;
  BWOC_ASSIGN_OR_RETURN(RecordScan scan, scan_records(log_.fd(), log_.file(), read_offset_, kMaxLineBytes,
                                                      [&](std::string_view line, std::uint64_t) {
    if (!parse_line(line, parsed)) {
      // A line that is not ours (damage, or an append glued onto a torn
      // one before this log repaired its tail): an entry may be lost in it,
      // so no later mark can vouch for the inbox lines after it.
      if (!line.empty()) marks_distrusted_ = true;
      return;
    }
    bool live = true;
    switch (parsed.kind) {
      case LogLine::Kind::horizon:
        file_horizon_ = std::max(file_horizon_, parsed.horizon);
        horizon = std::max(horizon, parsed.horizon);
        break;
      case LogLine::Kind::entry:
        live = parsed.entry.ts >= horizon;
        if (live) {
          const SeenEntry& e = parsed.entry;
          index.insert(e.key, e.id, e.ts, e.accepted_at, e.sig_tag);
        }
        break;
      case LogLine::Kind::mark:
        if (!marks_distrusted_) apply_mark(marks, parsed.mark_agent, parsed.mark);
        break;
    }
    if (full_read && live) size_after_compaction_ += line.size() + 1;
  }));
  if (scan.oversize > 0) marks_distrusted_ = true;
  read_offset_ = scan.end_offset;
  return ok_status();
}

Status SeenLog::append(const std::vector<SeenEntry>& entries, const std::map<std::string, InboxMark>& marks,
                       UnixMillis horizon) {
  const bool raise = horizon > file_horizon_;
  if (entries.empty() && marks.empty() && !raise) return ok_status();
  std::string text;
  text.reserve(entries.size() * 160 + marks.size() * 64 + 32);
  // The horizon first: marks after it may pass inbox lines skipped for it.
  if (raise) text += horizon_line(horizon);
  for (const SeenEntry& e : entries) text += entry_line(e);
  for (const auto& [agent, m] : marks) text += mark_line(agent, m);
  BWOC_RETURN_IF_ERROR(log_.reopen_if_replaced());
  BWOC_ASSIGN_OR_RETURN(std::uint64_t end, log_.repair_tail());
  // When this process has read the whole file, what it appends now needs no
  // reading back (appends happen under the workspace's accept lock).
  const bool caught_up = log_.inode() == inode_ && log_.device() == device_ && end == read_offset_;
  // A failed append only costs a re-scan of the inbox tail later: the inbox,
  // not this index, is the record of what was accepted.
  BWOC_RETURN_IF_ERROR(log_.append_after_repair(text));
  if (raise) file_horizon_ = horizon;
  if (caught_up) read_offset_ += text.size();
  return ok_status();
}

Status SeenLog::compact_if_due(UnixMillis horizon) {
  BWOC_RETURN_IF_ERROR(log_.reopen_if_replaced());
  BWOC_ASSIGN_OR_RETURN(std::uint64_t size, log_.repair_tail());
  if (size < kMinCompactionBytes || size < 2 * size_after_compaction_) return ok_status();

  UnixMillis kept_horizon = std::max(horizon, file_horizon_);
  BWOC_RETURN_IF_ERROR(log_.rewrite(static_cast<std::size_t>(size) + (1 << 20), [&](std::string_view all) {
    // Two passes: the file's own horizon (another process may be ahead of
    // this one) and marks first, then the entries that it keeps.
    std::map<std::string, InboxMark> file_marks;
    bool distrusted = false;
    LogLine parsed;
    auto each_line = [&](const std::function<void(std::string_view, bool)>& visit) {
      for (std::size_t start = 0; start < all.size();) {
        std::size_t nl = all.find('\n', start);
        if (nl == std::string_view::npos) break;
        std::string_view line = all.substr(start, nl - start);
        start = nl + 1;
        visit(line, parse_line(line, parsed));
      }
    };
    each_line([&](std::string_view line, bool ok) {
      if (!ok) distrusted = distrusted || !line.empty();
      if (ok && parsed.kind == LogLine::Kind::horizon) kept_horizon = std::max(kept_horizon, parsed.horizon);
      if (ok && parsed.kind == LogLine::Kind::mark && !distrusted) {
        apply_mark(file_marks, parsed.mark_agent, parsed.mark);
      }
    });
    std::string kept = horizon_line(kept_horizon);
    kept.reserve(all.size() / 2);
    each_line([&](std::string_view, bool ok) {
      if (ok && parsed.kind == LogLine::Kind::entry && parsed.entry.ts >= kept_horizon) {
        kept += entry_line(parsed.entry);
      }
    });
    for (const auto& [agent, m] : file_marks) kept += mark_line(agent, m);
    return kept;
  }));
  // This process has read everything it just rewrote.
  BWOC_ASSIGN_OR_RETURN(std::uint64_t end, log_.repair_tail());
  inode_ = log_.inode();
  device_ = log_.device();
  read_offset_ = end;
  file_horizon_ = kept_horizon;
  marks_distrusted_ = false;
  size_after_compaction_ = std::max<std::uint64_t>(end, kMinCompactionBytes / 2);
  return ok_status();
}

}  // namespace bwoc
