// What a running service publishes about itself in the workspace, and how
// `bwoc status` and the dashboard read it back without a socket.
//
//   .bwoc/state/services/<kind>-<agent>.json   (mode 0600, "all" for agent "*")
//
// service::run() writes the file when the service is ready, every minute
// with its counters, at once when it logs a warning or an error, and as
// "stopping" on SIGTERM; it removes the file when the service has stopped.
// A service killed outright (SIGKILL, a crash, a power cut) cannot remove
// it, so a reader never trusts the file alone: it checks that the process
// it names still runs and is the same process (its start time, against a
// pid the system gave to another program since), and says so when not.
#ifndef BWOC_CORE_SERVICE_STATE_H_
#define BWOC_CORE_SERVICE_STATE_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bwoc/core/json.h"
#include "bwoc/core/result.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/core/workspace.h"

namespace bwoc::service {

struct ServiceState {
  std::string kind;      // "a2a", "mqtt", "ingest", "dashboard"
  std::string agent;     // the agent it serves, or "*"
  std::string endpoint;  // where it is reached or reads from: its URL, its broker, the drop folder
  std::string status;    // for people: "serving agent-b at http://127.0.0.1:8080"
  std::string state;     // "running" or "stopping", as the service wrote it
  std::int64_t pid = 0;
  std::string host;                 // the machine it runs on
  std::uint64_t process_start = 0;  // the process's start time in clock ticks after boot (0: unknown)
  UnixMillis started = 0;
  UnixMillis updated = 0;
  // The newest warning or error the service logged, as the log line reads.
  std::optional<std::string> last_error;
  std::optional<UnixMillis> last_error_at;
  std::vector<std::pair<std::string, std::string>> stats;
};

// What a reader can tell about the process a state file names.
enum class Liveness {
  running,    // it runs on this machine, and it is the process that wrote the file
  gone,       // it does not run any more: the file outlived it (killed, crashed)
  elsewhere,  // it runs on another machine (a workspace on a shared disk): not checked
};
std::string_view liveness_name(Liveness liveness);

struct ServiceRecord {
  ServiceState state;
  Liveness liveness = Liveness::gone;
  std::filesystem::path file;
};

// Where a service publishes its state.
std::filesystem::path state_file(const Workspace& ws, std::string_view kind, std::string_view agent);

// This process's own pid, host and start time, for a state it publishes.
void describe_this_process(ServiceState& state);

json::Value state_json(const ServiceState& state);
Result<ServiceState> state_from_json(const json::Value& doc);

Status write_state(const Workspace& ws, const ServiceState& state);
// Every state file of the workspace, oldest start first, each with whether
// its process still runs. Files that do not parse are skipped.
Result<std::vector<ServiceRecord>> read_states(const Workspace& ws);

// Whether process `pid` on this machine is the one that started at
// `process_start` (0: any process with that pid).
bool process_alive(std::int64_t pid, std::uint64_t process_start);
// The start time of process `pid` in clock ticks after boot (/proc/PID/stat), or 0.
std::uint64_t process_start_ticks(pid_t pid);
// This machine's name.
std::string host_name();

}  // namespace bwoc::service

#endif  // BWOC_CORE_SERVICE_STATE_H_
