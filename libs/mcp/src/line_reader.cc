#include "line_reader.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bwoc::mcp {

namespace {
constexpr std::size_t kChunk = 64 * 1024;
}  // namespace

bool LineReader::fill() {
  if (eof_ || failed_) return false;
  // Keep only what is not consumed yet.
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  std::size_t old = buf_.size();
  buf_.resize(old + kChunk);
  for (;;) {
    ssize_t n = ::read(fd_, buf_.data() + old, kChunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      buf_.resize(old);
      if (n == 0) {
        eof_ = true;
      } else {
        failed_ = true;
      }
      return false;
    }
    buf_.resize(old + static_cast<std::size_t>(n));
    return true;
  }
}

LineReader::Got LineReader::next(std::string& line) {
  std::size_t scanned = pos_;
  for (;;) {
    const char* begin = buf_.data() + pos_;
    const void* nl = std::memchr(buf_.data() + scanned, '\n', buf_.size() - scanned);
    if (nl != nullptr) {
      std::size_t end = static_cast<std::size_t>(static_cast<const char*>(nl) - buf_.data());
      std::size_t len = end - pos_;
      if (len > 0 && begin[len - 1] == '\r') --len;
      line.assign(begin, len);
      pos_ = end + 1;
      return Got::line;
    }
    if (buf_.size() - pos_ > max_) {
      // Too long: drop what we hold and everything up to the next newline.
      buf_.clear();
      pos_ = 0;
      for (;;) {
        if (!fill()) return failed_ ? Got::error : Got::too_long;
        const void* skip_nl = std::memchr(buf_.data(), '\n', buf_.size());
        if (skip_nl != nullptr) {
          pos_ = static_cast<std::size_t>(static_cast<const char*>(skip_nl) - buf_.data()) + 1;
          return Got::too_long;
        }
        buf_.clear();
      }
    }
    scanned = buf_.size();
    std::size_t before = pos_;
    if (!fill()) {
      if (failed_) return Got::error;
      // The input ended: a last line without its newline still counts.
      if (buf_.size() > pos_) {
        line.assign(buf_.data() + pos_, buf_.size() - pos_);
        pos_ = buf_.size();
        return Got::line;
      }
      return Got::end;
    }
    // fill() moved the unconsumed bytes to the front.
    scanned -= before;
  }
}

}  // namespace bwoc::mcp
