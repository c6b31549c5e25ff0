// Delivers this workspace's requests (bwoc/core/requests.h) until each is
// settled or its deadline passes: a new signed envelope for every attempt
// (same `idem` and `deadline`), recorded before it leaves, over whichever of
// the peer's transports works (peer::deliver's failover), and again after a
// backoff while the peer is away or still at work. A peer that is away
// costs nobody any trust: nothing here touches the trust store.
//
// The services (`a2a serve`, `mqtt subscribe`, `inbox ingest --watch`) run
// one on a thread (CourierThread); `bwoc requests --deliver` runs one pass.
// A request for a peer that is no longer declared, or is UNTRUSTED now, is
// cancelled at delivery time, with a log line.
#ifndef BWOC_NODE_COURIER_H_
#define BWOC_NODE_COURIER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bwoc/core/requests.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/workspace.h"

namespace bwoc::node {

struct CourierOptions {
  std::chrono::milliseconds first_retry{1000};
  std::chrono::milliseconds most_retry{30'000};
  // How long one attempt may wait for the peer's answer (a skill at work).
  std::chrono::milliseconds attempt_timeout{15'000};
  // Attempts in flight at once.
  std::size_t parallel = 8;
  // This transport only (tests, and `requests --deliver --via`).
  std::optional<Via> via;
  // Takes our own drop folder in, where answers come back by path; unset
  // when a path ingest service of this process does it.
  std::function<Status()> pump;
  // This request only (a command waiting for it); empty: all of them.
  std::string only;
};

struct PassReport {
  std::size_t sent = 0;         // attempts that left
  std::size_t answered = 0;     // answers taken
  std::size_t unanswered = 0;   // attempts that left, with no answer in their time (among `sent`)
  std::size_t unreachable = 0;  // attempts that found no way to the peer
  std::size_t waiting = 0;      // in a path peer's folder still, or not due yet
  std::size_t settled = 0;      // expired or cancelled here
};

class Courier {
 public:
  static Result<std::unique_ptr<Courier>> open(const Workspace& ws, CourierOptions options = {});
  ~Courier();
  Courier(const Courier&) = delete;
  Courier& operator=(const Courier&) = delete;

  // Delivers every request that is due (`everything`: every pending one).
  Result<PassReport> pass(bool everything = false);
  // From now on an attempt waits at most `most` for its answer (a command
  // that waits no longer than that).
  void limit_attempts_to(std::chrono::milliseconds most);
  // How long until the next attempt is due, at most `cap`.
  std::chrono::milliseconds until_next_due(std::chrono::milliseconds cap);
  RequestStore& store();

 private:
  struct Impl;
  explicit Courier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A courier on its own thread while a service runs. One process of a
// workspace delivers at a time (a lock file); the others wait for the lock,
// so that a second service started beside the first takes over when it ends.
class CourierThread {
 public:
  static std::unique_ptr<CourierThread> start(const Workspace& ws, CourierOptions options = {});
  ~CourierThread();  // stops after the attempt under way
  CourierThread(const CourierThread&) = delete;
  CourierThread& operator=(const CourierThread&) = delete;

 private:
  struct Impl;
  explicit CourierThread(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A pump for CourierOptions: one round of our drop folder through a node of
// our own (opened on first use), its actions finished when it returns.
std::function<Status()> drop_folder_pump(const Workspace& ws);

// Where a command waiting for a request is (for progress on a terminal).
struct RequestProgress {
  std::chrono::milliseconds elapsed{0};
  RequestEntry entry;
};

// Waits up to `timeout` for request `id` to be settled, delivering it
// meanwhile (this process's own courier for it, and our drop folder taken in
// for answers that come back by path). Returns the request as it stands
// then: settled, or still pending when the time ran out.
Result<RequestEntry> await_request(const Workspace& ws, const std::string& id, std::chrono::milliseconds timeout,
                                   const std::function<void(const RequestProgress&)>& progress = {});

}  // namespace bwoc::node

#endif  // BWOC_NODE_COURIER_H_
