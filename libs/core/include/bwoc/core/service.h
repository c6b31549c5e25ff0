// What a long-running bwoc service needs from the operating system: waiting
// for SIGTERM or SIGINT, and telling systemd it is ready or stopping
// (sd_notify, without linking libsystemd: one datagram to $NOTIFY_SOCKET).
#ifndef BWOC_CORE_SERVICE_H_
#define BWOC_CORE_SERVICE_H_

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace bwoc::service {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and in every thread
// it starts afterwards, so that wait_for_stop() receives them. Call it first.
void block_stop_signals();

// Waits until SIGTERM or SIGINT arrives, calling `every` each `period` (for
// periodic work such as a stats line). Returns the signal's name.
std::string_view wait_for_stop(std::chrono::milliseconds period, const std::function<void()>& every);

// sd_notify: "READY=1", "STOPPING=1", "STATUS=...". Does nothing outside systemd.
void notify(std::string_view state);

// The life of a service once it has started: READY=1 with `status`, `report`
// every minute; on SIGTERM or SIGINT the log lines "<name>.stopping" (with
// the signal) and "<name>.stopped" around STOPPING=1, `stop` and a last
// `report`. Each line names `agent`.
void run_until_stopped(std::string_view name, const std::string& agent, const std::string& status,
                       const std::function<void()>& report, const std::function<void()>& stop);

}  // namespace bwoc::service

#endif  // BWOC_CORE_SERVICE_H_
