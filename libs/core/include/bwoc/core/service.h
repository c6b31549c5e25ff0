// What a long-running bwoc service needs from the operating system: waiting
// for SIGTERM or SIGINT, and telling systemd it is ready or stopping
// (sd_notify, without linking libsystemd: one datagram to $NOTIFY_SOCKET).
#ifndef BWOC_CORE_SERVICE_H_
#define BWOC_CORE_SERVICE_H_

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bwoc/core/service_state.h"
#include "bwoc/core/workspace.h"

namespace bwoc::service {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and in every thread
// it starts afterwards, so that wait_for_stop() receives them. Call it first.
void block_stop_signals();

// Waits until SIGTERM or SIGINT arrives, calling `every` each `period` (for
// periodic work such as a stats line). Returns the signal's name.
std::string_view wait_for_stop(std::chrono::milliseconds period, const std::function<void()>& every);

// sd_notify: "READY=1", "STOPPING=1", "STATUS=...". Does nothing outside systemd.
void notify(std::string_view state);

// A long-running service of a node: `a2a serve`, `mqtt subscribe`, the
// path ingest. Each runs through run() below, the one service loop.
class Service {
 public:
  virtual ~Service() = default;
  // "a2a", "mqtt" or "ingest": the log lines' prefix and the state file's name.
  virtual std::string_view kind() const = 0;
  // The agent it serves, or "*" for all of them.
  virtual const std::string& agent() const = 0;
  // What it does, for people: "serving agent-b at http://127.0.0.1:8080".
  virtual std::string status() const = 0;
  // Where it is reached or what it reads: its URL, its broker, its folder.
  virtual std::string endpoint() const { return {}; }
  // Counters for the periodic stats line and the state file.
  virtual std::vector<std::pair<std::string, std::string>> stats() const = 0;
  // Stops: finishes what is under way, with everything accepted on disk.
  virtual void stop() = 0;
};

// The life of a started service: READY=1 with its status, a stats line and
// its state file refreshed every `period`; on SIGTERM or SIGINT the log lines
// "<kind>.stopping" (with the signal) and "<kind>.stopped" around
// STOPPING=1, stop() and a last stats line. Its state (pid, since when,
// endpoint, status, stats, the last warning or error it logged) is kept in
// .bwoc/state/services/<kind>-<agent>.json while it runs (service_state.h),
// so that `bwoc status` finds it without a socket; a new warning or error is
// in the file within a second, and the file is removed when the service
// stops. Call block_stop_signals() before the service starts its threads.
// `ready` runs once the state is published, beside READY=1: where a command
// prints its ready line, so that whoever waits for that line finds the
// service in `bwoc status` at once.
void run(const Workspace& ws, Service& service, std::chrono::milliseconds period = std::chrono::seconds(60),
         const std::function<void()>& ready = {});

}  // namespace bwoc::service

#endif  // BWOC_CORE_SERVICE_H_
