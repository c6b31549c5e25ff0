#include "progress.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace bwoc::cli {

namespace {

void write_stderr(const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

bool progress_wanted() {
  if (::isatty(STDERR_FILENO) != 1) return false;
  const char* term = std::getenv("TERM");
  return term == nullptr || std::strcmp(term, "dumb") != 0;
}

Progress::Progress(std::string what) : what_(std::move(what)), active_(!what_.empty() && progress_wanted()) {
  if (!active_) return;
  std::lock_guard<std::mutex> lock(mu_);
  draw();
  ticker_ = std::thread([this] { tick(); });
}

Progress::~Progress() {
  if (!active_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  ticker_.join();
  write_stderr("\r\x1b[K");  // the line goes: what follows starts clean
}

void Progress::count(std::size_t done, std::size_t total) {
  if (!active_) return;
  std::lock_guard<std::mutex> lock(mu_);
  counted_ = true;
  done_count_ = done;
  total_ = total;
  draw();
}

void Progress::note(std::string text) {
  if (!active_) return;
  std::lock_guard<std::mutex> lock(mu_);
  note_ = std::move(text);
  draw();
}

std::string waiting_line(std::string_view what, std::int64_t seconds, std::string_view note) {
  std::string line(what);
  line += "\xE2\x80\xA6 " + std::to_string(seconds) + "s";  // …
  if (!note.empty()) line += " (" + std::string(note) + ")";
  return line;
}

std::string call_note(std::string_view via, std::size_t retries) {
  std::string note = "via " + std::string(via);
  if (retries > 0) note += ", " + std::to_string(retries) + (retries == 1 ? " retry" : " retries");
  return note;
}

void Progress::draw() {
  std::string line = "\r";
  if (counted_) {
    line += what_ + ": " + std::to_string(done_count_);
    if (total_ != 0) line += " of " + std::to_string(total_);
  } else {
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start_).count();
    line += waiting_line(what_, seconds, note_);
  }
  line += "\x1b[K";
  write_stderr(line);
}

void Progress::tick() {
  std::unique_lock<std::mutex> lock(mu_);
  // Redrawn twice a second, so that the clock moves; stops at once when done.
  while (!cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return done_; })) {
    if (!counted_) draw();
  }
}

}  // namespace bwoc::cli
