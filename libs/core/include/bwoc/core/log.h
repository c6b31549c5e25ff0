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
