// The A2A tasks of one served agent, persisted and bounded.
//
// Each task is one JSON line in a segment file under
// .bwoc/state/a2a/<agent>/; a new segment starts every `max_tasks / 10`
// tasks, and once there are more than `max_tasks` the oldest whole segment is
// deleted (and so are tasks older than `max_age`). Nothing is ever rewritten,
// so memory and disk stay flat however many requests are served: in memory
// there is an index entry of about 80 bytes a task, on disk the lines.
//
// A task here is the record of one delivered envelope: who sent it (the
// owner key, which alone may list it), its state, and the node's signed
// answer (a receipt, or the answer its work gave). A task whose work runs
// later is put again at each state; its newest line is the task. A task
// that was not finished when the store was last closed is failed when it
// opens again: its work ran in a process that is gone.
//
// Segments are append-only record files (bwoc/core/append_log.h): a line is
// whole or absent, a torn last line (a crash, a full disk) is cut when the
// store opens and kept in a "torn" folder beside the segments. One process
// writes a store (its node); reads need no lock.
//
// Durability: put() makes a task readable at once, not durable. sync()
// returns once every task put before it is on disk (written and
// fdatasynced); calls that overlap share one fdatasync, so a node that puts
// a batch of tasks and then calls sync() from each request's thread pays
// about one fdatasync per batch. Answer a request only after its sync().
#ifndef BWOC_A2A_SRC_TASK_STORE_H_
#define BWOC_A2A_SRC_TASK_STORE_H_

#include <array>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "bwoc/core/append_log.h"
#include "bwoc/core/json.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/result.h"
#include "bwoc/core/timestamp.h"

namespace bwoc::a2a {

struct TaskRecord {
  std::string id;          // 32 hex digits
  std::string context_id;
  std::string owner;       // the sender's key, "ed25519:..."
  std::string request_id;  // the envelope's id
  UnixMillis created = 0;
  std::string state = "completed";
  std::string receipt;  // the node's signed receipt envelope, as JSON text
};

struct TaskStoreOptions {
  std::size_t max_tasks = 100'000;
  std::int64_t max_age_ms = 7 * 86'400'000LL;
};

class TaskStore {
 public:
  static Result<std::unique_ptr<TaskStore>> open(const std::filesystem::path& dir, TaskStoreOptions options);

  // Records a task. Its line is kept in memory until flush() or sync() (or
  // until a buffer's worth is waiting): a burst of tasks costs one write.
  // Reads see a task at once either way.
  Status put(const TaskRecord& task);
  // Writes the lines put since the last flush, without waiting for the disk.
  Status flush();
  // Returns once every task put before the call is on disk (see above);
  // an error means those tasks may not survive a crash.
  Status sync();
  std::optional<TaskRecord> get(std::string_view id);
  bool contains(std::string_view id);
  // Newest first, only the tasks of `owner`; `offset` into that list.
  std::vector<TaskRecord> list(std::string_view owner, std::size_t offset, std::size_t limit, std::size_t* total);
  std::size_t size();

 private:
  using Key = std::array<std::uint8_t, 16>;
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };
  struct Entry {
    std::uint32_t segment;
    std::uint32_t length;
    std::uint64_t offset;
    std::uint32_t owner;
    UnixMillis created;
  };
  struct Segment {
    std::uint32_t number;
    std::shared_ptr<AppendLog> log;  // the newest segment only; shared with a sync in progress
    int read_fd = -1;                // opened on first read
    std::uint64_t size = 0;
    std::vector<Key> keys;  // in order, for eviction
  };

  TaskStore(std::filesystem::path dir, TaskStoreOptions options) : dir_(std::move(dir)), options_(options) {}
  Status load();
  // `unfinished`: the tasks whose newest line so far is not a final state.
  Status index_segment(Segment& seg, int fd, std::set<Key>* unfinished);
  Status end_unfinished(const std::set<Key>& unfinished);
  Result<std::shared_ptr<AppendLog>> open_segment_log(std::uint32_t number);
  Status start_segment(std::uint32_t number);
  Status flush_locked();
  void evict(UnixMillis now);
  // Reads a task line; requires mu_ (eviction closes descriptors).
  std::optional<TaskRecord> read_locked(const Entry& e);
  std::uint32_t owner_index(const std::string& owner);
  std::filesystem::path segment_path(std::uint32_t number) const;

 public:
  ~TaskStore();

 private:
  std::filesystem::path dir_;
  TaskStoreOptions options_;
  std::mutex mu_;
  std::unordered_map<Key, Entry, KeyHash> index_;
  std::deque<Segment> segments_;
  std::string unwritten_;        // lines of the newest segment not yet written
  std::uint64_t written_ = 0;    // how much of the newest segment is in its file
  std::uint64_t puts_ = 0;       // tasks put so far
  std::uint64_t durable_ = 0;    // of which on disk
  bool syncing_ = false;         // a sync() is at the disk; others wait for it
  std::condition_variable synced_;
  std::vector<std::string> owners_;
  std::unordered_map<std::string, std::uint32_t> owner_ids_;
};

// "0123…" (32 hex digits) as 16 bytes; nullopt for anything else.
std::optional<std::array<std::uint8_t, 16>> task_key(std::string_view id);

}  // namespace bwoc::a2a

#endif  // BWOC_A2A_SRC_TASK_STORE_H_
