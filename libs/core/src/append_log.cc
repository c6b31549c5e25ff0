#include "bwoc/core/append_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

#include "bwoc/core/files.h"
#include "bwoc/core/log.h"
#include "bwoc/core/timestamp.h"

namespace bwoc {

namespace fs = std::filesystem;

namespace {

// At most this much of a torn tail is kept for the operator (records are at
// most about 2 MiB; anything longer is junk, and the rest is cut unkept).
constexpr std::size_t kMaxKeptBytes = 4u << 20;
// Reads go in chunks of this size.
constexpr std::size_t kChunk = 1u << 20;
// How far back a torn tail's start is looked for at a time.
constexpr std::size_t kBackwardChunk = 64u << 10;

Result<std::string> pread_exactly(int fd, const fs::path& name, std::uint64_t offset, std::size_t length) {
  std::string out(length, '\0');
  std::size_t got = 0;
  while (got < length) {
    ssize_t n = ::pread(fd, out.data() + got, length - got, static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return os_error("cannot read", name, errno);
    }
    if (n == 0) break;  // cut shorter meanwhile
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

void report_by_default(const TornTail& t) {
  log::warning("file.torn_tail_cut", {{"file", t.file.string()},
                                      {"offset", std::to_string(t.offset)},
                                      {"bytes", std::to_string(t.bytes)},
                                      {"kept", t.kept.empty() ? "no: " + t.keep_error : t.kept.string()}});
}

}  // namespace

Result<AppendLog> AppendLog::open(const fs::path& file, AppendLogOptions options) {
  AppendLog log(file, std::move(options));
  BWOC_RETURN_IF_ERROR(log.open_fd());
  return log;
}

AppendLog::AppendLog(AppendLog&& other) noexcept
    : file_(std::move(other.file_)),
      options_(std::move(other.options_)),
      fd_(other.fd_),
      device_(other.device_),
      inode_(other.inode_),
      end_(other.end_) {
  other.fd_ = -1;
}

AppendLog& AppendLog::operator=(AppendLog&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    file_ = std::move(other.file_);
    options_ = std::move(other.options_);
    fd_ = other.fd_;
    device_ = other.device_;
    inode_ = other.inode_;
    end_ = other.end_;
    other.fd_ = -1;
  }
  return *this;
}

AppendLog::~AppendLog() {
  if (fd_ >= 0) ::close(fd_);
}

Status AppendLog::open_fd() {
  struct stat st {};
  BWOC_ASSIGN_OR_RETURN(
      int fd, open_regular_file(file_, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, options_.mode, st));
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  device_ = st.st_dev;
  inode_ = st.st_ino;
  end_ = kUnknownEnd;
  return ok_status();
}

Result<bool> AppendLog::names_another_file() const {
  struct stat path_st {};
  if (::stat(file_.c_str(), &path_st) != 0) {
    if (errno == ENOENT) return true;  // moved away: start a new one
    return os_error("cannot stat", file_, errno);
  }
  return path_st.st_ino != inode_ || path_st.st_dev != device_;
}

Result<bool> AppendLog::reopen_if_replaced() {
  BWOC_ASSIGN_OR_RETURN(bool replaced, names_another_file());
  if (!replaced) return false;
  BWOC_RETURN_IF_ERROR(open_fd());
  return true;
}

Result<FileLock::Held> AppendLog::lock_current() {
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::optional<FileLock::Held> held;
    {
      BWOC_ASSIGN_OR_RETURN(FileLock::Held h, FileLock::hold(fd_, FileLock::Mode::exclusive, file_));
      held.emplace(std::move(h));
    }
    BWOC_ASSIGN_OR_RETURN(bool replaced, names_another_file());
    if (!replaced) return std::move(*held);
    // Another writer replaced the file (rotation, compaction) before the
    // lock was ours: unlock before the descriptor is closed, then follow.
    held.reset();
    BWOC_RETURN_IF_ERROR(open_fd());
  }
  return Error(Errc::io_error, file_.string() + " keeps being replaced");
}

Result<std::uint64_t> AppendLog::end_of_last_record(std::uint64_t size) {
  // Only bytes after a boundary this handle knows can be torn.
  std::uint64_t floor = end_ <= size ? end_ : 0;
  std::uint64_t hi = size;
  while (hi > floor) {
    std::uint64_t lo = hi - std::min<std::uint64_t>(hi - floor, kBackwardChunk);
    BWOC_ASSIGN_OR_RETURN(std::string chunk, pread_exactly(fd_, file_, lo, static_cast<std::size_t>(hi - lo)));
    if (chunk.size() != hi - lo) return Error(Errc::io_error, file_.string() + " shrank while it was repaired");
    std::size_t nl = chunk.rfind('\n');
    if (nl != std::string::npos) return lo + nl + 1;
    hi = lo;
  }
  return floor;
}

Status AppendLog::cut_torn_tail(std::uint64_t cut_at, std::uint64_t size) {
  TornTail torn;
  torn.file = file_;
  torn.offset = cut_at;
  torn.bytes = size - cut_at;
  // Keep what is cut, for the operator; a failure to keep it (the disk may
  // be full) does not stop the repair, since these bytes were never a record.
  auto fragment =
      pread_exactly(fd_, file_, cut_at, static_cast<std::size_t>(std::min<std::uint64_t>(torn.bytes, kMaxKeptBytes)));
  if (!fragment.ok()) {
    torn.keep_error = fragment.error().message();
  } else {
    fs::path dir = options_.torn_dir.empty() ? file_.parent_path() / "torn" : options_.torn_dir;
    std::string name = options_.torn_name.empty() ? file_.filename().string() : options_.torn_name;
    fs::path kept = dir / (name + "-" + std::to_string(now_millis()) + "-" + std::to_string(cut_at) + ".partial");
    Status saved = ensure_directory(dir, 0700);
    if (saved.ok()) saved = write_file_atomic(kept, *fragment, 0600);
    if (saved.ok()) {
      torn.kept = kept;
    } else {
      torn.keep_error = saved.error().message();
    }
  }
  if (::ftruncate(fd_, static_cast<off_t>(cut_at)) != 0) {
    return os_error("cannot cut the torn last record of", file_, errno);
  }
  if (::fdatasync(fd_) != 0) return os_error("cannot sync", file_, errno);
  end_ = cut_at;
  if (options_.on_repair) {
    options_.on_repair(torn);
  } else {
    report_by_default(torn);
  }
  return ok_status();
}

Result<std::uint64_t> AppendLog::repair_tail() {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return os_error("cannot stat", file_, errno);
  auto size = static_cast<std::uint64_t>(st.st_size);
  if (size == end_) return size;  // as this handle left it: the common case, one fstat
  if (size > 0) {
    char last = 0;
    ssize_t n;
    do {
      n = ::pread(fd_, &last, 1, static_cast<off_t>(size - 1));
    } while (n < 0 && errno == EINTR);
    if (n < 0) return os_error("cannot read", file_, errno);
    if (n == 1 && last != '\n') {
      BWOC_ASSIGN_OR_RETURN(std::uint64_t cut_at, end_of_last_record(size));
      BWOC_RETURN_IF_ERROR(cut_torn_tail(cut_at, size));
      return cut_at;
    }
  }
  end_ = size;
  return size;
}

Status AppendLog::append_after_repair(std::string_view records) {
  if (records.empty()) return ok_status();
  if (records.back() != '\n') {
    return Error(Errc::internal, "a record appended to " + file_.string() + " must end with a newline");
  }
  if (end_ == kUnknownEnd) {
    return Error(Errc::internal, "append to " + file_.string() + " before its tail was checked");
  }
  const std::uint64_t before = end_;
  Status wrote = write_all(fd_, records, file_);
  if (!wrote.ok()) {
    // Take back whatever part of the records reached the file, so that the
    // next append does not land on a fragment. If even that fails, the end
    // is unknown and the next append looks at the tail first.
    end_ = ::ftruncate(fd_, static_cast<off_t>(before)) == 0 ? before : kUnknownEnd;
    return wrote;
  }
  end_ = before + records.size();
  return ok_status();
}

Status AppendLog::append(std::string_view records) {
  if (options_.exclusion == AppendLogOptions::Exclusion::caller) {
    BWOC_RETURN_IF_ERROR(repair_tail());
    return append_after_repair(records);
  }
  std::optional<FileLock::Held> held;
  {
    BWOC_ASSIGN_OR_RETURN(FileLock::Held h, lock_current());
    held.emplace(std::move(h));
  }
  BWOC_ASSIGN_OR_RETURN(std::uint64_t end, repair_tail());
  if (options_.rotate_bytes != 0 && end > 0 && end + records.size() > options_.rotate_bytes) {
    fs::path old = file_;
    old += ".1";
    if (::rename(file_.c_str(), old.c_str()) != 0) return os_error("cannot rotate", file_, errno);
    held.reset();  // before its descriptor is closed
    BWOC_RETURN_IF_ERROR(open_fd());
    BWOC_ASSIGN_OR_RETURN(FileLock::Held h, lock_current());
    held.emplace(std::move(h));
    BWOC_RETURN_IF_ERROR(repair_tail());
  }
  return append_after_repair(records);
}

Status AppendLog::sync() {
  if (::fdatasync(fd_) != 0) return os_error("cannot sync", file_, errno);
  return ok_status();
}

Status AppendLog::take_back(std::uint64_t from, std::uint64_t to) {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return os_error("cannot stat", file_, errno);
  if (static_cast<std::uint64_t>(st.st_size) != to || from > to) {
    return Error(Errc::io_error, file_.string() + " has records after the ones to take back");
  }
  end_ = kUnknownEnd;
  if (::ftruncate(fd_, static_cast<off_t>(from)) != 0) return os_error("cannot cut back", file_, errno);
  if (::fdatasync(fd_) != 0) return os_error("cannot sync", file_, errno);
  end_ = from;
  return ok_status();
}

Status AppendLog::rewrite(std::size_t max_bytes, const std::function<std::string(std::string_view records)>& keep) {
  std::optional<FileLock::Held> held;
  if (options_.exclusion == AppendLogOptions::Exclusion::per_append) {
    BWOC_ASSIGN_OR_RETURN(FileLock::Held h, lock_current());
    held.emplace(std::move(h));
  }
  BWOC_ASSIGN_OR_RETURN(std::uint64_t end, repair_tail());
  if (end > max_bytes) {
    return Error(Errc::invalid_argument, file_.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  BWOC_ASSIGN_OR_RETURN(std::string records, pread_exactly(fd_, file_, 0, static_cast<std::size_t>(end)));
  std::string kept = keep(records);
  if (!kept.empty() && kept.back() != '\n') {
    return Error(Errc::internal, "a rewrite of " + file_.string() + " must end with a newline");
  }
  BWOC_RETURN_IF_ERROR(write_file_atomic(file_, kept, options_.mode));
  // Whoever waits on the old file's lock follows the path to the new one.
  held.reset();
  return open_fd();
}

Status append_records(const fs::path& file, std::string_view records, mode_t mode) {
  AppendLogOptions options;
  options.mode = mode;
  BWOC_ASSIGN_OR_RETURN(AppendLog log, AppendLog::open(file, std::move(options)));
  return log.append(records);
}

Result<RecordScan> scan_records(int fd, const fs::path& name, std::uint64_t from, std::size_t max_record,
                                const RecordVisitor& visit, const SkipVisitor& skipped) {
  RecordScan scan;
  scan.end_offset = from;
  // Up to the end as it is now: what is appended meanwhile is for the next scan.
  struct stat st {};
  if (::fstat(fd, &st) != 0) return os_error("cannot stat", name, errno);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  // Holds the unfinished record and one chunk; sized to what there is to
  // read, and not zero-filled, so that a scan of a short tail costs little.
  std::unique_ptr<char[]> buf;
  std::size_t cap = 0;
  std::size_t held = 0;             // bytes in buf, from the start of an unfinished record
  std::uint64_t buf_offset = from;  // file offset of buf[0]
  std::uint64_t read_at = from;
  while (read_at < size) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, size - read_at));
    if (held + want > cap) {
      std::size_t grown = std::max(held + want, std::min<std::size_t>(cap * 2, max_record + kChunk));
      std::unique_ptr<char[]> bigger(new char[grown]);
      if (held > 0) std::memcpy(bigger.get(), buf.get(), held);
      buf = std::move(bigger);
      cap = grown;
    }
    ssize_t n = ::pread(fd, buf.get() + held, want, static_cast<off_t>(read_at));
    if (n < 0) {
      if (errno == EINTR) continue;
      return os_error("cannot read", name, errno);
    }
    if (n == 0) break;  // cut shorter meanwhile
    held += static_cast<std::size_t>(n);
    read_at += static_cast<std::uint64_t>(n);
    std::size_t start = 0;
    for (;;) {
      const void* nl = std::memchr(buf.get() + start, '\n', held - start);
      if (nl == nullptr) break;
      std::size_t len = static_cast<std::size_t>(static_cast<const char*>(nl) - (buf.get() + start));
      if (len > max_record) {
        ++scan.oversize;
        if (skipped) skipped(buf_offset + start);
      } else {
        ++scan.records;
        visit(std::string_view(buf.get() + start, len), buf_offset + start);
      }
      start += len + 1;
    }
    if (start > 0) {
      std::memmove(buf.get(), buf.get() + start, held - start);
      held -= start;
      buf_offset += start;
      scan.end_offset = buf_offset;
    }
    if (held > max_record) {
      // Longer than any record: skip to its end without holding it.
      std::uint64_t skip_from = read_at;
      held = 0;
      bool found = false;
      while (!found && skip_from < size) {
        char skip[65536];
        ssize_t m =
            ::pread(fd, skip, std::min<std::uint64_t>(sizeof skip, size - skip_from), static_cast<off_t>(skip_from));
        if (m < 0 && errno == EINTR) continue;
        if (m < 0) return os_error("cannot read", name, errno);
        if (m == 0) break;
        const void* nl = std::memchr(skip, '\n', static_cast<std::size_t>(m));
        skip_from +=
            nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - skip) + 1 : static_cast<std::size_t>(m);
        found = nl != nullptr;
      }
      if (!found) {
        scan.torn_tail_bytes = skip_from - buf_offset;
        return scan;
      }
      ++scan.oversize;
      if (skipped) skipped(buf_offset);
      buf_offset = read_at = skip_from;
      scan.end_offset = buf_offset;
    }
  }
  scan.torn_tail_bytes = held;
  return scan;
}

Result<RecordScan> scan_records(const fs::path& file, std::uint64_t from, std::size_t max_record,
                                const RecordVisitor& visit, const SkipVisitor& skipped) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) {
      RecordScan empty;
      empty.end_offset = from;
      return empty;
    }
    return os_error("cannot open", file, errno);
  }
  auto scan = scan_records(fd, file, from, max_record, visit, skipped);
  ::close(fd);
  return scan;
}

}  // namespace bwoc
