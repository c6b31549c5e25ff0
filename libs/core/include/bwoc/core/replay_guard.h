// The seen-id store of spec §3 check 9: which (key, id) pairs this workspace
// has accepted, kept while such an envelope could still pass check 8.
//
// One store per workspace, shared by every process and transport through
// .bwoc/state/seen.log, an append-only text file that compacts itself. In
// memory each process keeps a compact index: a keyed 64-bit hash of (key, id)
// per entry, 24 bytes a slot, so a week of traffic at 1,000 envelopes a
// minute costs about 350 MB less than a map of strings would.
//
// The inbox is the record of acceptance; the seen log is an index over it.
// Each "@" line says up to which offset an agent's inbox is indexed, so a
// crash between the inbox append and the seen-log append is repaired by
// indexing the inbox's tail (receiver.cc). Not thread-safe: the receiver
// calls it under the workspace's accept lock.
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

#include "bwoc/core/keys.h"
#include "bwoc/core/result.h"
#include "bwoc/core/timestamp.h"

namespace bwoc {

struct SeenEntry {
  PublicKey key;
  std::string id;              // 32 hex digits
  UnixMillis expires = 0;      // after this the entry may be forgotten
  UnixMillis accepted_at = 0;  // when the original was accepted (for its receipt)
  std::uint32_t sig_tag = 0;   // first four bytes of its signature (exact-repeat test)
  std::string agent;
};

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
  void insert(const PublicKey& key, std::string_view id, UnixMillis expires, UnixMillis accepted_at,
              std::uint32_t sig_tag);
  // Forgets one entry (an acceptance that could not be made durable).
  void erase(const PublicKey& key, std::string_view id);
  // Drops entries that expired before `now`.
  void prune(UnixMillis now);
  std::size_t size() const { return size_; }
  std::size_t memory_bytes() const { return slots_.size() * sizeof(Slot); }

 private:
  struct Slot {
    std::uint64_t tag = 0;  // 0: empty
    UnixMillis accepted_at = 0;
    std::uint32_t expires_minute = 0;
    std::uint32_t sig_tag = 0;
  };
  std::uint64_t tag_of(const PublicKey& key, std::string_view id) const;
  void place(const Slot& s);
  void rebuild(std::size_t capacity, UnixMillis now);

  std::array<std::uint8_t, 16> hash_key_{};
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

class SeenLog {
 public:
  static Result<SeenLog> open(const std::filesystem::path& state_dir);
  SeenLog(SeenLog&& other) noexcept;
  SeenLog& operator=(SeenLog&& other) noexcept;
  SeenLog(const SeenLog&) = delete;
  SeenLog& operator=(const SeenLog&) = delete;
  ~SeenLog();

  // Reads what other processes appended since the last call (or everything
  // after a compaction replaced the file) into `index` and `marks`.
  Status catch_up(SeenIndex& index, std::map<std::string, InboxMark>& marks, UnixMillis now);

  // Appends entries and marks in one write. Requires the accept lock.
  Status append(const std::vector<SeenEntry>& entries, const std::map<std::string, InboxMark>& marks);

  // Rewrites the log with only live entries and its latest marks once it has
  // doubled in size since the last rewrite. Marks come from the file itself:
  // a process's in-memory mark may cover entries it has not logged yet.
  Status compact_if_due(UnixMillis now);

  const std::filesystem::path& file() const { return file_; }

 private:
  SeenLog() = default;
  // The descriptor for the current file; reopened after another process's
  // compaction replaced it.
  Status refresh_fd();

  std::filesystem::path file_;
  int fd_ = -1;
  dev_t device_ = 0;
  ino_t inode_ = 0;
  std::uint64_t read_offset_ = 0;
  std::uint64_t size_after_compaction_ = 0;  // compaction is due when the file doubles
};

}  // namespace bwoc

#endif  // BWOC_CORE_REPLAY_GUARD_H_
