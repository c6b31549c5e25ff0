#include "bwoc/core/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>

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
  if (!enabled(level)) return;
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

}  // namespace bwoc::log
