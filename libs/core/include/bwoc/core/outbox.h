// A durable queue of outgoing work: one append-only file of JSON records,
// one a line, that every process of a workspace may append to (the command
// that enqueues, the service that delivers, the node that takes answers in).
//
// An append returns once its record is on disk. Appends from many threads
// share one write and one fdatasync (the receiver's inbox does the same:
// commit_queue.h), and appends from other processes are serialised by the
// file's lock, so thousands of records a second cost a few hundred syncs.
// A record cut by a crash is never read: AppendLog cuts a torn tail before
// the next append, and readers stop at the last newline.
//
// The outbox knows nothing of what the records mean: requests.h folds them
// into the caller's requests, and decides which of them compact() may drop.
// A compaction replaces the file (write a copy, sync, rename, sync the
// folder): a crash leaves the old file or the new, never a mix, and a reader
// that kept a Position learns that the file it was reading is gone.
#ifndef BWOC_CORE_OUTBOX_H_
#define BWOC_CORE_OUTBOX_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "bwoc/core/json.h"
#include "bwoc/core/result.h"

namespace bwoc {

class Outbox {
 public:
  static Result<std::unique_ptr<Outbox>> open(const std::filesystem::path& file);
  ~Outbox();  // commits what is pending
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Appends `records` (JSON objects), together, and returns once they are on
  // disk. Safe from any thread; concurrent appends share one sync.
  Status append(std::vector<json::Value> records);
  Status append(json::Value record);

  // Visits every record from byte `from` on (written by any process), in
  // file order, and returns where the last complete record ends: pass it as
  // `from` next time to read only what is new. Lines that do not parse are
  // skipped (a record is written whole, so only a foreign line can be one).
  Result<std::uint64_t> read(std::uint64_t from, const std::function<void(const json::Value& record)>& visit) const;

  // Where a reader stopped, in which file: compact() replaces the file, and
  // an offset into the old one means nothing in the new.
  struct Position {
    std::uint64_t offset = 0;
    dev_t device = 0;
    ino_t inode = 0;  // 0: no file read yet
  };
  // read() for a reader that outlives compactions: when the file `from` was
  // in has been replaced, calls `restart` (forget what was folded) and reads
  // the new one from its start.
  Result<Position> read(Position from, const std::function<void()>& restart,
                        const std::function<void(const json::Value& record)>& visit) const;

  // Replaces the file, under its lock, with the records `keep` says yes to
  // (every process's, appended up to now), atomically. Copies left by a
  // compaction that crashed are removed. Appends wait while it runs.
  Status compact(const std::function<bool(const json::Value& record)>& keep);

  const std::filesystem::path& file() const;

 private:
  struct Impl;
  explicit Outbox(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The longest record an outbox keeps: an envelope (1 MiB) and its context.
inline constexpr std::size_t kMaxOutboxRecord = 2u << 20;
// The largest file compact() reads whole.
inline constexpr std::size_t kMaxCompactedFile = 512u << 20;

// The records of `records` (whole lines) that parse as JSON objects and that
// `keep` says yes to, each with its newline: what a compaction writes back.
std::string filter_records(std::string_view records, std::size_t max_record,
                           const std::function<bool(const json::Value& record)>& keep);

// Removes the copies of `file` that a rewrite (write_file_atomic) left when
// the process died before its rename. Call it only under the lock every
// rewriter of `file` takes, so that no rewrite in progress loses its copy.
void remove_abandoned_rewrites(const std::filesystem::path& file);

}  // namespace bwoc

#endif  // BWOC_CORE_OUTBOX_H_
