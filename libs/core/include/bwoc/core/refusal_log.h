// The refusal log: .bwoc/state/refusals.jsonl, one JSON object a line for
// every envelope a receiver refused, with its reason code (spec §3).
//
// It is local and never sent anywhere. Fields that came from outside are
// escaped and cut to a bounded length, and the file rotates at 16 MiB
// (keeping one old file), so a flood of junk cannot fill the disk. Every
// process of the workspace appends to it (append_log.h: a record is whole or
// absent, and a torn one is cut before the next append).
#ifndef BWOC_CORE_REFUSAL_LOG_H_
#define BWOC_CORE_REFUSAL_LOG_H_

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "bwoc/core/append_log.h"
#include "bwoc/core/envelope.h"
#include "bwoc/core/result.h"
#include "bwoc/core/routes.h"

namespace bwoc {

struct RefusalRecord {
  UnixMillis at = 0;
  Via via = Via::path;
  std::string reason;   // a reason code of spec §3, or a local event such as "torn_line"
  std::string detail;   // why, for the operator
  std::string source;   // where it came from: drop file name, client address, topic
  std::size_t bytes = 0;
  // Known once checks 1-3 passed:
  std::optional<std::string> key, id, kind, from, to, peer;
};

class RefusalLog {
 public:
  explicit RefusalLog(std::filesystem::path file, std::uint64_t rotate_bytes = 16u << 20)
      : file_(std::move(file)), rotate_bytes_(rotate_bytes) {}

  // Best effort: a refusal that cannot be logged is still refused.
  void append(const RefusalRecord& record);

  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
  std::uint64_t rotate_bytes_;
  std::mutex mu_;
  std::optional<AppendLog> log_;  // opened on first use
};

// Reads the newest `limit` records (or all when limit is 0), oldest first.
Result<std::vector<RefusalRecord>> read_refusal_log(const std::filesystem::path& file, std::size_t limit);

}  // namespace bwoc

#endif  // BWOC_CORE_REFUSAL_LOG_H_
