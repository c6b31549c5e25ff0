// Long work shown while it lasts: on stderr, and only when stderr is a
// terminal. Piped or redirected output (a script, a log, `2>file`) gets
// nothing, so that what a program reads stays the same.
//
//   { Progress p("waiting for beta's answer"); answer = client->call(...); }
//       "waiting for beta's answer… 3s", ticking until p goes
//   Progress p("ingesting the drop folder");
//   p.count(512, 5000);  "ingesting the drop folder: 512 of 5000"
//
// One line, rewritten in place, and cleared when the Progress goes.
#ifndef BWOC_APPS_BWOC_PROGRESS_H_
#define BWOC_APPS_BWOC_PROGRESS_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

namespace bwoc::cli {

class Progress {
 public:
  // Shows `what` with the time it has taken so far; nothing when `what` is
  // empty or stderr is not a terminal.
  explicit Progress(std::string what);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Counted work from now on: "<what>: <done> of <total>" (total 0: unknown).
  void count(std::size_t done, std::size_t total);
  // A note after the time: "<what>… 3s (delivered by path, 2 attempts)".
  void note(std::string text);
  bool shown() const { return active_; }

 private:
  void draw();  // with mu_ held
  void tick();

  const std::string what_;
  const bool active_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool counted_ = false;
  std::size_t done_count_ = 0, total_ = 0;
  std::string note_;
  std::thread ticker_;
};

// Whether progress is shown: stderr is a terminal that is not "dumb".
bool progress_wanted();

// The line a wait shows (without the carriage return and the erase):
// "<what>… 3s", then " (<note>)" when there is one.
std::string waiting_line(std::string_view what, std::int64_t seconds, std::string_view note);
// A call's note: the transport it is on, and how many it tried before
// ("via path", "via a2a, 1 retry").
std::string call_note(std::string_view via, std::size_t retries);

}  // namespace bwoc::cli

#endif  // BWOC_APPS_BWOC_PROGRESS_H_
