#include "answer_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bwoc/core/encoding.h"
#include "bwoc/core/files.h"
#include "bwoc/core/timestamp.h"

namespace bwoc::skill {

namespace {

constexpr std::int64_t kKeepMs = 8LL * 24 * 3600 * 1000;
constexpr std::uint64_t kCompactAt = 64u << 20;
constexpr std::size_t kMaxIndexed = 500'000;
constexpr std::size_t kMaxLine = (2u << 20);
constexpr std::size_t kTagLength = 32;

// "<tag> <ms> <answer>" -> tag, ms and where the answer starts; false if torn or foreign.
bool split_line(std::string_view line, std::string_view& tag, std::int64_t& ms, std::size_t& answer_at) {
  if (line.size() < kTagLength + 3 || line[kTagLength] != ' ') return false;
  tag = line.substr(0, kTagLength);
  std::size_t space = line.find(' ', kTagLength + 1);
  if (space == std::string_view::npos) return false;
  ms = 0;
  for (char c : line.substr(kTagLength + 1, space - kTagLength - 1)) {
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
  std::unique_ptr<AnswerLog> log(new AnswerLog(file));
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0 && static_cast<std::uint64_t>(st.st_size) > kCompactAt) {
    // Rewrite with only the answers still worth keeping.
    auto text = read_file_bounded(file, static_cast<std::size_t>(st.st_size));
    if (text.ok()) {
      std::string kept;
      std::int64_t cutoff = now_millis() - kKeepMs;
      std::string_view all(*text);
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
      BWOC_RETURN_IF_ERROR(write_file_atomic(file, kept, 0600));
    }
  }
  log->fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (log->fd_ < 0) return os_error("cannot open", file, errno);
  std::lock_guard lock(log->mu_);
  log->catch_up();
  return log;
}

AnswerLog::~AnswerLog() {
  if (fd_ >= 0) ::close(fd_);
}

void AnswerLog::catch_up() {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return;
  std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
  std::int64_t cutoff = now_millis() - kKeepMs;
  std::string chunk;
  while (indexed_to_ < size) {
    chunk.resize(static_cast<std::size_t>(std::min<std::uint64_t>(size - indexed_to_, kMaxLine + 64)));
    ssize_t got = ::pread(fd_, chunk.data(), chunk.size(), static_cast<off_t>(indexed_to_));
    if (got <= 0) return;
    std::string_view view(chunk.data(), static_cast<std::size_t>(got));
    std::size_t pos = 0;
    for (std::size_t end; (end = view.find('\n', pos)) != std::string_view::npos; pos = end + 1) {
      std::string_view tag;
      std::int64_t ms = 0;
      std::size_t at = 0;
      if (split_line(view.substr(pos, end - pos), tag, ms, at) && ms >= cutoff) {
        auto [it, added] = offsets_.insert_or_assign(std::string(tag), indexed_to_ + pos);
        if (added) order_.push_back(it->first);
      }
    }
    if (pos == 0) {
      // A line longer than any answer, or one still being written: skip
      // past it only once it is complete and too long.
      if (view.size() > kMaxLine) indexed_to_ += view.size();
      return;
    }
    indexed_to_ += pos;
  }
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
  ssize_t got = ::pread(fd_, line.data(), line.size(), static_cast<off_t>(it->second));
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
  return write_all(fd_, line, file_);  // one write() with O_APPEND: lines never interleave
}

}  // namespace bwoc::skill
