// Structured log lines for bwoc's long-running services: one event a line on
// stderr, as logfmt (key=value), so that journald, grep and people read them.
//
//   level=info event=a2a.accepted agent=agent-b peer=alpha id=3f0c… ms=1.3
//
// Under systemd (JOURNAL_STREAM set) each line starts with its syslog
// priority ("<6>") and no timestamp, since journald keeps both. Values are
// quoted and escaped when they need it, and cut to a bounded length. Never
// log a secret, a payload or an envelope's text.
#ifndef BWOC_CORE_LOG_H_
#define BWOC_CORE_LOG_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace bwoc::log {

enum class Level { debug, info, warning, error };

using Field = std::pair<std::string_view, std::string>;

void event(Level level, std::string_view name, std::initializer_list<Field> fields = {});
void event(Level level, std::string_view name, std::span<const Field> fields);
inline void info(std::string_view name, std::initializer_list<Field> fields = {}) { event(Level::info, name, fields); }
inline void warning(std::string_view name, std::initializer_list<Field> fields = {}) {
  event(Level::warning, name, fields);
}
inline void error(std::string_view name, std::initializer_list<Field> fields = {}) { event(Level::error, name, fields); }

// A budget for a line that can repeat without bound (one per refused
// request, per failed accept, per lost receipt): at most `lines` in each
// `interval`. The next line let through after some were held back carries
// suppressed=N: what is held back is counted, not hidden. Keep one Throttle
// per kind of line (a static at the call site, or a member); any thread may
// use it.
//
//   static log::Throttle accept_failed;  // 10 a second
//   log::warning(accept_failed, "http.accept_failed", {{"error", ec.message()}});
class Throttle {
 public:
  explicit Throttle(std::uint32_t lines = 10, std::chrono::milliseconds interval = std::chrono::seconds(1));
  // Whether a line may go out at `now`; if so, `*suppressed` (when given)
  // receives how many were held back since the last one that went out.
  bool admit(std::uint64_t* suppressed = nullptr,
             std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

 private:
  const std::uint32_t lines_;
  const std::chrono::steady_clock::duration interval_;
  std::atomic<std::int64_t> window_{-1};  // which interval since the clock's epoch
  std::atomic<std::uint64_t> used_{0};    // lines let through in it
  std::atomic<std::uint64_t> held_{0};    // held back since the last one let through
};

void event(Throttle& throttle, Level level, std::string_view name, std::initializer_list<Field> fields = {});
inline void info(Throttle& t, std::string_view name, std::initializer_list<Field> fields = {}) {
  event(t, Level::info, name, fields);
}
inline void warning(Throttle& t, std::string_view name, std::initializer_list<Field> fields = {}) {
  event(t, Level::warning, name, fields);
}
inline void error(Throttle& t, std::string_view name, std::initializer_list<Field> fields = {}) {
  event(t, Level::error, name, fields);
}

// The newest warning or error this process logged, as its line reads
// without the time ("level=warning event=mqtt.disconnected ..."), and how
// many it has logged so far: a service publishes it as its last error
// (bwoc/core/service.h), so that `bwoc status` shows what went wrong.
struct LastProblem {
  std::uint64_t count = 0;  // 0: none yet
  std::int64_t at = 0;      // Unix milliseconds
  std::string line;
};
LastProblem last_problem();

// Lines below this level are dropped (default info; BWOC_LOG_LEVEL=debug|info|warning|error).
void set_min_level(Level level);
bool enabled(Level level);

}  // namespace bwoc::log

#endif  // BWOC_CORE_LOG_H_
