// The seen-id store of spec §3 check 9: which (key, id) pairs this workspace
// has accepted, kept while such an envelope could still pass check 8.
//
// One store per workspace, shared by every process and transport through
// .bwoc/state/seen.log, an append-only file (append_log.h) that compacts
// itself. In memory each process keeps a compact index: a keyed 64-bit hash
// of (key, id) per entry, 24 bytes a slot, so a week of traffic at 1,000
// envelopes a minute costs about 350 MB less than a map of strings would.
//
// The inbox is the record of acceptance; the seen log is an index over it.
// Each "@" line says up to which offset an agent's inbox is indexed, so a
// crash between the inbox append and the seen-log append is repaired by
// indexing the inbox's tail (inbox_files.h). A mark that follows a line the
// log cannot read is not trusted: the inbox is indexed again from the last
// mark before it.
//
// The horizon: the store is complete for every envelope whose ts is at or
// after it. Entries are forgotten only below the horizon, and the horizon
// only moves forward (to now minus the replay window in force when the store
// prunes), so widening a peer's max_age later cannot reopen the window for
// ids already forgotten: the receiver refuses anything older than the
// horizon as stale. "h" lines carry it in the log.
//
// Not thread-safe: the receiver calls it under the workspace's accept lock.
#ifndef BWOC_CORE_REPLAY_GUARD_H_
#define BWOC_CORE_REPLAY_GUARD_H_

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bwoc/core/append_log.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/result.h"
#include "bwoc/core/timestamp.h"

namespace bwoc {

struct SeenEntry {
  PublicKey key;
  std::string id;              // 32 hex digits
  UnixMillis ts = 0;           // the envelope's ts: kept while it is at or after the horizon
  UnixMillis accepted_at = 0;  // when the original was accepted (for its receipt)
  std::uint32_t sig_tag = 0;   // first four bytes of its signature (exact-repeat test)
  std::string agent;
};

// The first four bytes of an envelope's signature, kept with its entry: they
// tell an exact repeat from another envelope that reuses the id.
inline std::uint32_t sig_tag_of(const Signature& sig) {
  return (std::uint32_t{sig.bytes[0]} << 24) | (std::uint32_t{sig.bytes[1]} << 16) |
         (std::uint32_t{sig.bytes[2]} << 8) | sig.bytes[3];
}

// Where an agent's inbox is indexed up to: file identity and byte offset.
struct InboxMark {
  dev_t device = 0;
  ino_t inode = 0;
  std::uint64_t offset = 0;
};

class SeenIndex {
 public:
  SeenIndex();

  struct Hit {
    UnixMillis accepted_at;
    std::uint32_t sig_tag;
  };
  std::optional<Hit> find(const PublicKey& key, std::string_view id) const;
  void insert(const PublicKey& key, std::string_view id, UnixMillis ts, UnixMillis accepted_at,
              std::uint32_t sig_tag);
  // Forgets one entry (an acceptance that could not be made durable).
  void erase(const PublicKey& key, std::string_view id);
  // Drops entries whose ts is before `horizon` (never one at or after it).
  void prune(UnixMillis horizon);
  std::size_t size() const { return size_; }
  std::size_t memory_bytes() const { return slots_.size() * sizeof(Slot); }

 private:
  struct Slot {
    std::uint64_t tag = 0;  // 0: empty
    UnixMillis accepted_at = 0;
    std::uint32_t ts_minute = 0;  // the minute that holds the envelope's ts
    std::uint32_t sig_tag = 0;
  };
  std::uint64_t tag_of(const PublicKey& key, std::string_view id) const;
  void place(const Slot& s);
  void rebuild(std::size_t capacity, UnixMillis horizon);

  std::array<std::uint8_t, 16> hash_key_{};
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

class SeenLog {
 public:
  static Result<SeenLog> open(const std::filesystem::path& state_dir);

  // Reads what other processes appended since the last call (or everything
  // after a compaction replaced the file) into `index` and `marks`, and
  // raises `horizon` to the log's. Entries before the horizon are skipped.
  Status catch_up(SeenIndex& index, std::map<std::string, InboxMark>& marks, UnixMillis& horizon);

  // Appends entries and marks in one write, after the horizon when it is
  // later than the log's. Requires the accept lock.
  Status append(const std::vector<SeenEntry>& entries, const std::map<std::string, InboxMark>& marks,
                UnixMillis horizon);

  // Rewrites the log with only the entries at or after `horizon`, the
  // horizon, and its latest marks once it has doubled in size since the last
  // rewrite. Marks come from the file itself: a process's in-memory mark may
  // cover entries it has not logged yet.
  Status compact_if_due(UnixMillis horizon);

  const std::filesystem::path& file() const { return log_.file(); }

 private:
  explicit SeenLog(AppendLog log) : log_(std::move(log)) {}

  AppendLog log_;
  dev_t device_ = 0;  // the file read_offset_ is in
  ino_t inode_ = 0;
  std::uint64_t read_offset_ = 0;
  UnixMillis file_horizon_ = 0;              // the latest "h" read or written
  bool marks_distrusted_ = false;            // an unreadable line was read: later marks are ignored
  std::uint64_t size_after_compaction_ = 0;  // compaction is due when the file doubles
};

}  // namespace bwoc

#endif  // BWOC_CORE_REPLAY_GUARD_H_
