// An append-only file of records, one a line: the one way bwoc appends to a
// file it keeps (inboxes, the seen-id log, the refusal log, the trust audit,
// skill answers and calls, A2A tasks).
//
// What it guarantees, whatever the disk does:
// - Nothing is glued onto a fragment. Before anything is appended, a torn
//   tail (bytes after the last newline: a write cut by a crash, or one that
//   failed and could not be taken back) is cut off. The cut bytes are kept
//   in a file for the operator and reported; they were never acknowledged,
//   since a record counts only once it is written whole.
// - Whole or nothing. append() writes its records with one write() (a short
//   one is continued); when that fails (disk full, I/O error) the file is
//   cut back to where it was.
// - Durable only after sync() (fdatasync): acknowledge after it, not before.
// - Bounded reads: scan_records() never holds more than one record and a
//   chunk; a record over the limit is skipped, not read.
//
// Writers of one file must not race (a repair must not cut another writer's
// record in flight). Either each append takes the file's own lock
// (Exclusion::per_append: flock on the file, which also lets the file be
// rotated or compacted under the lock), or the caller holds a lock that every
// writer of the file takes (Exclusion::caller: the receiver's accept lock, a
// store's mutex). Readers take no lock: they stop at the last newline.
#ifndef BWOC_CORE_APPEND_LOG_H_
#define BWOC_CORE_APPEND_LOG_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <string_view>

#include "bwoc/core/files.h"
#include "bwoc/core/result.h"

namespace bwoc {

// A torn tail that was cut off.
struct TornTail {
  std::filesystem::path file;
  std::uint64_t offset = 0;    // where the last complete record ends (the new size)
  std::uint64_t bytes = 0;     // how many bytes were cut
  std::filesystem::path kept;  // where they were kept; empty when they could not be
  std::string keep_error;      // why not
};

struct AppendLogOptions {
  enum class Exclusion { per_append, caller };
  Exclusion exclusion = Exclusion::per_append;
  mode_t mode = 0600;  // for a file it creates
  // Where cut bytes are kept, as "<torn_name>-<unix ms>-<offset>.partial";
  // default: a "torn" folder beside the file, and the file's name.
  std::filesystem::path torn_dir;
  std::string torn_name;
  // Told of each repair (after it); default: a warning log line.
  std::function<void(const TornTail&)> on_repair;
  // per_append only: once an append would take the file past this size, the
  // file is renamed to "<name>.1" (replacing the previous one) and a new one
  // started. 0: never.
  std::uint64_t rotate_bytes = 0;
};

class AppendLog {
 public:
  // Opens (creating) the file for appending. Repairs nothing yet: that
  // happens under the writers' exclusion, before the first append.
  static Result<AppendLog> open(const std::filesystem::path& file, AppendLogOptions options = {});

  AppendLog(AppendLog&& other) noexcept;
  AppendLog& operator=(AppendLog&& other) noexcept;
  AppendLog(const AppendLog&) = delete;
  AppendLog& operator=(const AppendLog&) = delete;
  ~AppendLog();

  // Appends `records` (each ending in a newline) after repairing a torn
  // tail; per_append logs take the file's lock around it.
  Status append(std::string_view records);

  // The two halves of append() for a caller that holds the exclusion and
  // wants to read what others appended in between. repair_tail() finds
  // where the records end (one fstat when nobody else wrote), cuts a torn
  // tail, and returns that offset; append_after_repair() then writes with
  // no further system call.
  Result<std::uint64_t> repair_tail();
  Status append_after_repair(std::string_view records);

  // fdatasync: everything appended so far is on disk when it returns.
  Status sync();
  // After a failed sync(), under the exclusion: cuts the records written
  // between `from` and `to` off again, when nothing follows them, and syncs,
  // so that records never acknowledged cannot surface after a crash. Fails
  // when something was appended after them, or when the disk fails again.
  Status take_back(std::uint64_t from, std::uint64_t to);

  // Reopens the file when its path names another one now (compacted or
  // rotated by another process, or moved away by hand); returns whether it
  // did. per_append logs do this themselves on each append.
  Result<bool> reopen_if_replaced();

  // Atomically replaces the whole file with what `keep` makes of its
  // complete records (compaction): readers see the old file or the new.
  // Under the file's lock for per_append logs. Refuses a file over `max_bytes`.
  Status rewrite(std::size_t max_bytes, const std::function<std::string(std::string_view records)>& keep);

  // Where the last record this handle knows of ends (valid after
  // repair_tail() or append() under the exclusion).
  std::uint64_t end() const { return end_; }
  int fd() const { return fd_; }
  dev_t device() const { return device_; }
  ino_t inode() const { return inode_; }
  const std::filesystem::path& file() const { return file_; }

 private:
  static constexpr std::uint64_t kUnknownEnd = std::numeric_limits<std::uint64_t>::max();
  AppendLog(std::filesystem::path file, AppendLogOptions options)
      : file_(std::move(file)), options_(std::move(options)) {}
  Status open_fd();
  Result<bool> names_another_file() const;
  // per_append: the file's lock, on the file the path names now.
  Result<FileLock::Held> lock_current();
  Status cut_torn_tail(std::uint64_t cut_at, std::uint64_t size);
  Result<std::uint64_t> end_of_last_record(std::uint64_t size);

  std::filesystem::path file_;
  AppendLogOptions options_;
  int fd_ = -1;
  dev_t device_ = 0;
  ino_t inode_ = 0;
  std::uint64_t end_ = kUnknownEnd;
};

// One-shot append of whole records to `file` (opened, locked, repaired,
// written, closed): for files written now and then, such as an audit.
Status append_records(const std::filesystem::path& file, std::string_view records, mode_t mode = 0600);

struct RecordScan {
  std::uint64_t records = 0;          // complete records visited
  std::uint64_t oversize = 0;         // complete records over the limit, skipped
  std::uint64_t end_offset = 0;       // after the last complete record
  std::uint64_t torn_tail_bytes = 0;  // after it, with no newline (yet)
};

// Called with each complete record (without its newline) and its offset.
using RecordVisitor = std::function<void(std::string_view record, std::uint64_t offset)>;
// Called, in file order among the visits, for each record skipped as too long.
using SkipVisitor = std::function<void(std::uint64_t offset)>;

// Visits the records from `from` to the end of the file, reading in chunks;
// records longer than `max_record` are skipped without being held (and
// reported to `skipped`, when given).
Result<RecordScan> scan_records(int fd, const std::filesystem::path& name, std::uint64_t from, std::size_t max_record,
                                const RecordVisitor& visit, const SkipVisitor& skipped = {});
// The same by path; a missing file has no records.
Result<RecordScan> scan_records(const std::filesystem::path& file, std::uint64_t from, std::size_t max_record,
                                const RecordVisitor& visit, const SkipVisitor& skipped = {});

}  // namespace bwoc

#endif  // BWOC_CORE_APPEND_LOG_H_
