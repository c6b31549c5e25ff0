// The answers a skill host gave, kept so that a repeat of a request (the same
// key and id, say after a lost answer) gets the very same answer without the
// skill running again.
//
// One append-only file per agent, .bwoc/state/skills/<agent>/answers.log, a
// line per answer: "<32 hex digits of BLAKE2b(key, id)> <unix ms> <answer>",
// written through append_log.h (whole or absent, never glued onto a torn line).
// Appending creates no directory entry: on a journaling file system a new
// file per answer costs most of a millisecond on the request path. Several
// processes may host the same agent; each indexes what the others appended
// when a lookup misses. Answers older than eight days (past any envelope's
// maximum age) are forgotten, and the file is rewritten without them when it
// grows past 64 MiB.
#ifndef BWOC_SKILL_SRC_ANSWER_LOG_H_
#define BWOC_SKILL_SRC_ANSWER_LOG_H_

#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "bwoc/core/append_log.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/result.h"

namespace bwoc::skill {

class AnswerLog {
 public:
  static Result<std::unique_ptr<AnswerLog>> open(const std::filesystem::path& file);

  std::optional<std::string> find(const PublicKey& key, std::string_view id);
  Status append(const PublicKey& key, std::string_view id, std::string_view answer);

 private:
  explicit AnswerLog(AppendLog log) : log_(std::move(log)) {}
  void catch_up();  // requires mu_
  static std::string tag_of(const PublicKey& key, std::string_view id);

  std::mutex mu_;
  AppendLog log_;
  dev_t indexed_device_ = 0;  // the file the offsets are in
  ino_t indexed_inode_ = 0;
  std::uint64_t indexed_to_ = 0;
  std::unordered_map<std::string, std::uint64_t> offsets_;  // tag -> where its line starts
  std::deque<std::string> order_;                           // tags, oldest first (for the bound)
};

}  // namespace bwoc::skill

#endif  // BWOC_SKILL_SRC_ANSWER_LOG_H_
