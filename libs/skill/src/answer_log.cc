#include "answer_log.h"

#include <sys/stat.h>
#include <unistd.h>

#include "bwoc/core/append_log.h"
#include "bwoc/core/encoding.h"
#include "bwoc/core/files.h"
#include "bwoc/core/log.h"
#include "bwoc/core/timestamp.h"

namespace bwoc::skill {

namespace {

constexpr std::int64_t kKeepMs = 8LL * 24 * 3600 * 1000;
constexpr std::uint64_t kCompactAt = 64u << 20;
constexpr std::size_t kMaxIndexed = 500'000;
constexpr std::size_t kMaxLine = (2u << 20);
constexpr std::size_t kTagLength = 32;
// A larger file is left as it is rather than read into memory to compact it.
constexpr std::size_t kMaxCompactedBytes = std::size_t{1} << 30;

// "<tag> <ms> <answer>" -> tag, ms and where the answer starts; false if torn or foreign.
bool split_line(std::string_view line, std::string_view& tag, std::int64_t& ms, std::size_t& answer_at) {
  if (line.size() < kTagLength + 3 || line[kTagLength] != ' ') return false;
  tag = line.substr(0, kTagLength);
  std::size_t space = line.find(' ', kTagLength + 1);
  if (space == std::string_view::npos) return false;
  ms = 0;
  std::string_view digits = line.substr(kTagLength + 1, space - kTagLength - 1);
  if (digits.empty() || digits.size() > 18) return false;  // 18 digits cannot overflow
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    ms = ms * 10 + (c - '0');
  }
  answer_at = space + 1;
  return true;
}

}  // namespace

std::string AnswerLog::tag_of(const PublicKey& key, std::string_view id) {
  auto digest = blake2b_256(key.to_text() + "\n" + std::string(id));
  return hex_encode(std::span(digest).first(kTagLength / 2));
}

Result<std::unique_ptr<AnswerLog>> AnswerLog::open(const std::filesystem::path& file) {
  BWOC_RETURN_IF_ERROR(ensure_directory(file.parent_path(), 0700));
  BWOC_ASSIGN_OR_RETURN(AppendLog log, AppendLog::open(file));
  std::unique_ptr<AnswerLog> answers(new AnswerLog(std::move(log)));
  struct stat st {};
  if (::fstat(answers->log_.fd(), &st) == 0 && static_cast<std::uint64_t>(st.st_size) > kCompactAt) {
    // Rewrite with only the answers still worth keeping, under the file's
    // lock: another process's answer appended meanwhile is not lost.
    std::int64_t cutoff = now_millis() - kKeepMs;
    Status compacted = answers->log_.rewrite(kMaxCompactedBytes, [&](std::string_view all) {
      std::string kept;
      for (std::size_t pos = 0; pos < all.size();) {
        std::size_t end = all.find('\n', pos);
        if (end == std::string_view::npos) break;
        std::string_view line = all.substr(pos, end - pos);
        std::string_view tag;
        std::int64_t ms = 0;
        std::size_t at = 0;
        if (split_line(line, tag, ms, at) && ms >= cutoff) kept.append(line).push_back('\n');
        pos = end + 1;
      }
      return kept;
    });
    // Not compacting costs disk, not answers.
    if (!compacted.ok()) log::warning("skill.answers_not_compacted", {{"error", compacted.error().message()}});
  }
  std::lock_guard lock(answers->mu_);
  answers->catch_up();
  return answers;
}

void AnswerLog::catch_up() {
  if (!log_.reopen_if_replaced().ok()) return;
  if (log_.inode() != indexed_inode_ || log_.device() != indexed_device_) {
    // Compacted by another process: what was indexed points into the old file.
    offsets_.clear();
    order_.clear();
    indexed_to_ = 0;
    indexed_inode_ = log_.inode();
    indexed_device_ = log_.device();
  }
  std::int64_t cutoff = now_millis() - kKeepMs;
  auto scan =
      scan_records(log_.fd(), log_.file(), indexed_to_, kMaxLine + 64, [&](std::string_view line, std::uint64_t at) {
        std::string_view tag;
        std::int64_t ms = 0;
        std::size_t answer_at = 0;
        if (split_line(line, tag, ms, answer_at) && ms >= cutoff) {
          auto [it, added] = offsets_.insert_or_assign(std::string(tag), at);
          if (added) order_.push_back(it->first);
        }
      });
  if (scan.ok()) indexed_to_ = scan->end_offset;  // a torn or unfinished last line: read again next time
  while (order_.size() > kMaxIndexed) {
    offsets_.erase(order_.front());
    order_.pop_front();
  }
}

std::optional<std::string> AnswerLog::find(const PublicKey& key, std::string_view id) {
  std::string tag = tag_of(key, id);
  std::lock_guard lock(mu_);
  auto it = offsets_.find(tag);
  if (it == offsets_.end()) {
    catch_up();  // another process may have answered it
    it = offsets_.find(tag);
    if (it == offsets_.end()) return std::nullopt;
  }
  std::string line(kMaxLine + 64, '\0');
  ssize_t got = ::pread(log_.fd(), line.data(), line.size(), static_cast<off_t>(it->second));
  if (got <= 0) return std::nullopt;
  line.resize(static_cast<std::size_t>(got));
  line.resize(std::min(line.size(), line.find('\n')));
  std::string_view t;
  std::int64_t ms = 0;
  std::size_t at = 0;
  if (!split_line(line, t, ms, at) || t != tag) return std::nullopt;
  return line.substr(at);
}

Status AnswerLog::append(const PublicKey& key, std::string_view id, std::string_view answer) {
  if (answer.find('\n') != std::string_view::npos || answer.size() > kMaxLine) {
    return Error(Errc::internal, "an answer to keep must be one line");
  }
  std::string line = tag_of(key, id) + " " + std::to_string(now_millis()) + " " + std::string(answer) + "\n";
  std::lock_guard lock(mu_);
  // Whole or absent, and never glued onto a line another process tore.
  BWOC_RETURN_IF_ERROR(log_.append(line));
  // The append followed a compaction by another process: index the new file.
  if (log_.inode() != indexed_inode_ || log_.device() != indexed_device_) catch_up();
  return ok_status();
}

}  // namespace bwoc::skill
