#include "bwoc/core/replay_guard.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "bwoc/core/envelope.h"
#include "bwoc/core/files.h"

namespace bwoc {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kInitialSlots = 1024;
constexpr std::uint64_t kMinCompactionBytes = 1 << 20;

std::uint32_t to_minute(UnixMillis t) {
  if (t <= 0) return 0;
  std::int64_t m = (t + 59'999) / 60'000;
  return m > 0xFFFFFFFFLL ? 0xFFFFFFFFu : static_cast<std::uint32_t>(m);
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

std::string entry_line(const SeenEntry& e) {
  char tag[16];
  std::snprintf(tag, sizeof tag, "%08x", e.sig_tag);
  return "+ " + std::to_string(e.expires / 1000 + 1) + " " + std::to_string(e.accepted_at) + " " +
         e.key.to_text() + " " + e.id + " " + tag + " " + e.agent + "\n";
}

std::string mark_line(const std::string& agent, const InboxMark& m) {
  return "@ " + agent + " " + std::to_string(m.device) + " " + std::to_string(m.inode) + " " +
         std::to_string(m.offset) + "\n";
}

// Applies one log line; returns false for a line that is not ours (skipped).
bool apply_line(std::string_view line, SeenIndex& index, std::map<std::string, InboxMark>& marks, UnixMillis now,
                bool* live) {
  auto f = split_spaces(line);
  if (live) *live = false;
  if (f.size() == 7 && f[0] == "+") {
    std::int64_t expires_s = 0;
    UnixMillis accepted = 0;
    std::uint32_t sig_tag = 0;
    if (!to_number(f[1], expires_s) || !to_number(f[2], accepted) || !to_number(f[5], sig_tag, 16)) return false;
    auto key = PublicKey::from_text(f[3]);
    if (!key.ok() || !is_valid_envelope_id(f[4])) return false;
    UnixMillis expires = expires_s * 1000;
    if (expires < now) return true;
    index.insert(*key, f[4], expires, accepted, sig_tag);
    if (live) *live = true;
    return true;
  }
  if (f.size() == 5 && f[0] == "@") {
    InboxMark m;
    std::uint64_t dev = 0, ino = 0;
    if (!to_number(f[2], dev) || !to_number(f[3], ino) || !to_number(f[4], m.offset)) return false;
    m.device = static_cast<dev_t>(dev);
    m.inode = static_cast<ino_t>(ino);
    InboxMark& known = marks[std::string(f[1])];
    // Marks only move forward for the same file; a new file starts over.
    if (known.inode != m.inode || known.device != m.device || m.offset > known.offset) known = m;
    if (live) *live = true;
    return true;
  }
  return false;
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
      if (slot.expires_minute > s.expires_minute) s.expires_minute = slot.expires_minute;
      return;
    }
  }
}

void SeenIndex::insert(const PublicKey& key, std::string_view id, UnixMillis expires, UnixMillis accepted_at,
                       std::uint32_t sig_tag) {
  if ((size_ + 1) * 4 > slots_.size() * 3) rebuild(slots_.size() * 2, 0);
  place(Slot{tag_of(key, id), accepted_at, to_minute(expires), sig_tag});
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

void SeenIndex::rebuild(std::size_t capacity, UnixMillis now) {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(capacity, Slot{});
  size_ = 0;
  std::uint32_t now_minute = now > 0 ? static_cast<std::uint32_t>(now / 60'000) : 0;
  for (const Slot& s : old) {
    if (s.tag != 0 && s.expires_minute >= now_minute) place(s);
  }
}

void SeenIndex::prune(UnixMillis now) {
  std::size_t capacity = kInitialSlots;
  // Count survivors first so the table shrinks when traffic drops.
  std::uint32_t now_minute = static_cast<std::uint32_t>(now / 60'000);
  std::size_t live = 0;
  for (const Slot& s : slots_) live += s.tag != 0 && s.expires_minute >= now_minute;
  while (capacity * 3 < live * 4 + 4) capacity *= 2;
  rebuild(std::max(capacity, kInitialSlots), now);
}

Result<SeenLog> SeenLog::open(const fs::path& state_dir) {
  BWOC_RETURN_IF_ERROR(ensure_directory(state_dir, 0700));
  SeenLog log;
  log.file_ = state_dir / "seen.log";
  BWOC_RETURN_IF_ERROR(log.refresh_fd());
  return log;
}

SeenLog::SeenLog(SeenLog&& other) noexcept { *this = std::move(other); }

SeenLog& SeenLog::operator=(SeenLog&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    file_ = std::move(other.file_);
    fd_ = other.fd_;
    device_ = other.device_;
    inode_ = other.inode_;
    read_offset_ = other.read_offset_;
    size_after_compaction_ = other.size_after_compaction_;
    other.fd_ = -1;
  }
  return *this;
}

SeenLog::~SeenLog() {
  if (fd_ >= 0) ::close(fd_);
}

Status SeenLog::refresh_fd() {
  struct stat path_st {};
  if (fd_ >= 0 && ::stat(file_.c_str(), &path_st) == 0) {
    struct stat fd_st {};
    if (::fstat(fd_, &fd_st) == 0 && fd_st.st_ino == path_st.st_ino && fd_st.st_dev == path_st.st_dev) {
      return ok_status();
    }
  }
  int fd = ::open(file_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return os_error("cannot open", file_, errno);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  return ok_status();
}

Status SeenLog::catch_up(SeenIndex& index, std::map<std::string, InboxMark>& marks, UnixMillis now) {
  BWOC_RETURN_IF_ERROR(refresh_fd());
  int fd = fd_;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return os_error("cannot stat", file_, errno);
  if (st.st_ino != inode_ || st.st_dev != device_ || static_cast<std::uint64_t>(st.st_size) < read_offset_) {
    // First read, or another process compacted the log: read it all again.
    // What this process learned before stays in its index; re-adding is harmless.
    inode_ = st.st_ino;
    device_ = st.st_dev;
    read_offset_ = 0;
    size_after_compaction_ = 0;  // measured below: the live part of what is read
  }
  const bool full_read = read_offset_ == 0;
  if (static_cast<std::uint64_t>(st.st_size) == read_offset_) return ok_status();
  std::string buf;
  std::uint64_t offset = read_offset_;
  const std::uint64_t end = static_cast<std::uint64_t>(st.st_size);
  while (offset < end) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(end - offset, 1 << 20));
    std::size_t old = buf.size();
    buf.resize(old + want);
    ssize_t n = ::pread(fd, buf.data() + old, want, static_cast<off_t>(offset));
    if (n <= 0) {
      if (n < 0 && errno == EINTR) {
        buf.resize(old);
        continue;
      }
      buf.resize(old);
      break;
    }
    buf.resize(old + static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
    std::size_t start = 0;
    for (;;) {
      std::size_t nl = buf.find('\n', start);
      if (nl == std::string::npos) break;
      bool live = false;
      apply_line(std::string_view(buf).substr(start, nl - start), index, marks, now, &live);
      if (full_read && live) size_after_compaction_ += nl + 1 - start;
      start = nl + 1;
    }
    read_offset_ += start;
    buf.erase(0, start);
  }
  return ok_status();
}

Status SeenLog::append(const std::vector<SeenEntry>& entries, const std::map<std::string, InboxMark>& marks) {
  if (entries.empty() && marks.empty()) return ok_status();
  std::string text;
  text.reserve(entries.size() * 140 + marks.size() * 64);
  for (const SeenEntry& e : entries) text += entry_line(e);
  for (const auto& [agent, m] : marks) text += mark_line(agent, m);
  BWOC_RETURN_IF_ERROR(refresh_fd());
  // When this process has read the whole file, what it appends now needs no
  // reading back (appends happen under the workspace's accept lock).
  struct stat st_before {};
  bool caught_up = ::fstat(fd_, &st_before) == 0 && st_before.st_ino == inode_ && st_before.st_dev == device_ &&
                   static_cast<std::uint64_t>(st_before.st_size) == read_offset_;
  Status st = write_all(fd_, text, file_);
  if (st.ok() && caught_up) read_offset_ += text.size();
  // A failed append only costs a re-scan of the inbox tail later: the inbox,
  // not this index, is the record of what was accepted.
  return st;
}

Status SeenLog::compact_if_due(UnixMillis now) {
  struct stat st {};
  if (::stat(file_.c_str(), &st) != 0) return os_error("cannot stat", file_, errno);
  auto size = static_cast<std::uint64_t>(st.st_size);
  if (size < kMinCompactionBytes || size < 2 * size_after_compaction_) return ok_status();

  BWOC_ASSIGN_OR_RETURN(std::string all, read_file_bounded(file_, static_cast<std::size_t>(size) + (1 << 20)));
  std::string kept;
  kept.reserve(all.size() / 2);
  SeenIndex scratch;
  std::map<std::string, InboxMark> scratch_marks;
  std::size_t start = 0;
  for (;;) {
    std::size_t nl = all.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view line = std::string_view(all).substr(start, nl - start);
    bool live = false;
    if (apply_line(line, scratch, scratch_marks, now, &live) && live && line[0] == '+') {
      kept.append(line);
      kept += '\n';
    }
    start = nl + 1;
  }
  for (const auto& [agent, m] : scratch_marks) kept += mark_line(agent, m);
  BWOC_RETURN_IF_ERROR(write_file_atomic(file_, kept, 0600));
  BWOC_RETURN_IF_ERROR(refresh_fd());
  // This process has read everything it just rewrote.
  if (::stat(file_.c_str(), &st) == 0) {
    inode_ = st.st_ino;
    device_ = st.st_dev;
    read_offset_ = static_cast<std::uint64_t>(st.st_size);
  }
  size_after_compaction_ = std::max<std::uint64_t>(kept.size(), kMinCompactionBytes / 2);
  return ok_status();
}

}  // namespace bwoc
