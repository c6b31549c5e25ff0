#include "bwoc/core/log.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>

#include "bwoc/core/terminal_text.h"
#include "bwoc/core/timestamp.h"

namespace bwoc::log {

namespace {

constexpr std::size_t kMaxValueBytes = 400;

Level level_from_env() {
  const char* v = std::getenv("BWOC_LOG_LEVEL");
  std::string_view s = v ? v : "";
  if (s == "debug") return Level::debug;
  if (s == "warning") return Level::warning;
  if (s == "error") return Level::error;
  return Level::info;
}

std::atomic<int>& min_level() {
  static std::atomic<int> level{static_cast<int>(level_from_env())};
  return level;
}

const bool kUnderJournal = std::getenv("JOURNAL_STREAM") != nullptr;

void append_value(std::string& line, std::string_view v) {
  bool plain = !v.empty() && v.size() <= kMaxValueBytes;
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || c == '"' || c == '=' || c == '\\' || u >= 0x7F) plain = false;
  }
  if (plain) {
    line += v;
    return;
  }
  // What a peer wrote (an error's detail, a name) may hold C1 controls,
  // bidirectional overrides or bytes that are not UTF-8: a terminal showing
  // the journal must not act on them, so they are shown as escapes.
  std::string safe;
  if (!plain) {
    for (char c : v) {
      if (static_cast<unsigned char>(c) >= 0x80) {
        safe = terminal_safe(v.substr(0, kMaxValueBytes + 1));
        v = safe;
        break;
      }
    }
  }
  line += '"';
  std::size_t n = 0;
  for (char c : v) {
    if (++n > kMaxValueBytes) {
      line += "...";
      break;
    }
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      line += '\\';
      line += c;
    } else if (c == '\n') {
      line += "\\n";
    } else if (u < 0x20 || u == 0x7F) {
      line += '?';
    } else {
      line += c;
    }
  }
  line += '"';
}

std::mutex& problem_mu() {
  static std::mutex mu;
  return mu;
}

LastProblem& problem_slot() {
  static LastProblem last;
  return last;
}

// `text` is the line from "level=" on, without its newline.
void remember_problem(std::string_view text) {
  std::lock_guard<std::mutex> lock(problem_mu());
  LastProblem& last = problem_slot();
  ++last.count;
  last.at = now_millis();
  last.line.assign(text);
}


void write_line(Level level, std::string_view name, std::span<const Field> fields, std::uint64_t suppressed) {
  static constexpr const char* kNames[] = {"debug", "info", "warning", "error"};
  static constexpr const char* kPriorities[] = {"<7>", "<6>", "<4>", "<3>"};
  std::string line;
  line.reserve(160);
  if (kUnderJournal) {
    line += kPriorities[static_cast<int>(level)];
  } else {
    line += "ts=";
    line += format_timestamp(now_millis());
    line += ' ';
  }
  std::size_t text_start = line.size();
  line += "level=";
  line += kNames[static_cast<int>(level)];
  line += " event=";
  append_value(line, name);
  for (const Field& f : fields) {
    line += ' ';
    line += f.first;
    line += '=';
    append_value(line, f.second);
  }
  if (suppressed > 0) {
    line += " suppressed=";
    line += std::to_string(suppressed);
  }
  if (level >= Level::warning) remember_problem(std::string_view(line).substr(text_start));
  line += '\n';
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

LastProblem last_problem() {
  std::lock_guard<std::mutex> lock(problem_mu());
  return problem_slot();
}

void set_min_level(Level level) { min_level().store(static_cast<int>(level)); }
bool enabled(Level level) { return static_cast<int>(level) >= min_level().load(std::memory_order_relaxed); }

void event(Level level, std::string_view name, std::initializer_list<Field> fields) {
  event(level, name, std::span<const Field>(fields.begin(), fields.size()));
}

void event(Level level, std::string_view name, std::span<const Field> fields) {
  if (enabled(level)) write_line(level, name, fields, 0);
}

Throttle::Throttle(std::uint32_t lines, std::chrono::milliseconds interval)
    : lines_(lines), interval_(std::max(interval, std::chrono::milliseconds(1))) {}

bool Throttle::admit(std::uint64_t* suppressed, std::chrono::steady_clock::time_point now) {
  // Lock-free, as it sits on paths a flood takes: a race at the turn of an
  // interval can let a line or two more through, never hold one forever.
  std::int64_t window = now.time_since_epoch() / interval_;
  std::int64_t seen = window_.load(std::memory_order_relaxed);
  if (window > seen && window_.compare_exchange_strong(seen, window)) used_.store(0);
  if (used_.fetch_add(1) >= lines_) {
    held_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  std::uint64_t held = held_.exchange(0);
  if (suppressed != nullptr) *suppressed = held;
  return true;
}

void event(Throttle& throttle, Level level, std::string_view name, std::initializer_list<Field> fields) {
  if (!enabled(level)) return;
  std::uint64_t suppressed = 0;
  if (throttle.admit(&suppressed)) {
    write_line(level, name, std::span<const Field>(fields.begin(), fields.size()), suppressed);
  }
}

}  // namespace bwoc::log
