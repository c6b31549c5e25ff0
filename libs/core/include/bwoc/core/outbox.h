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
// into the caller's requests.
#ifndef BWOC_CORE_OUTBOX_H_
#define BWOC_CORE_OUTBOX_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

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

  const std::filesystem::path& file() const;

 private:
  struct Impl;
  explicit Outbox(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The longest record an outbox keeps: an envelope (1 MiB) and its context.
inline constexpr std::size_t kMaxOutboxRecord = 2u << 20;

}  // namespace bwoc

#endif  // BWOC_CORE_OUTBOX_H_
