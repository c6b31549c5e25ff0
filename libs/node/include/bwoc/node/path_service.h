// The path transport's receiving side: a workspace's drop folder taken
// through the inbound layer, and the answers it makes sent back.
//
// A peer that reaches us by path drops envelopes into .bwoc/drop/new/; the
// path has no way back of its own, so every answer (a skill's result, a
// status, an error) goes to the asker by the route routes.toml declares for
// it, over whichever of its transports works first (peer::deliver).
//
// PathIngest does one round at a time (`bwoc inbox ingest`, and a command
// waiting for an answer over path); PathService runs rounds whenever
// something lands in the drop folder, until it is stopped (`bwoc inbox
// ingest --watch`, as a systemd service beside `a2a serve` and `mqtt subscribe`).
#ifndef BWOC_NODE_PATH_SERVICE_H_
#define BWOC_NODE_PATH_SERVICE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "bwoc/core/drop_folder.h"
#include "bwoc/core/inbound.h"
#include "bwoc/core/service.h"
#include "bwoc/peer/network.h"

namespace bwoc {
class PushStore;
}

namespace bwoc::node {

class PathIngest {
 public:
  // `inbound` and `network` must outlive it.
  PathIngest(Inbound& inbound, const peer::Network& network) : inbound_(inbound), network_(network) {}

  // Ingests up to `max` entries (0: until new/ is empty) and sends the
  // answers; `progress` hears how many entries are done after each batch.
  Result<IngestReport> round(std::size_t max = 0, const std::function<void(std::size_t done)>& progress = {});
  // How many entries wait in new/ now (counted up to `stop_at`).
  std::size_t waiting(std::size_t stop_at = 10'000'000) const;

 private:
  void send_answer(const InboundResult& result);
  // The answer to a request reached its caller: it needs no push.
  void settle_push(const std::string& answer);

  Inbound& inbound_;
  const peer::Network& network_;
  std::shared_ptr<PushStore> pushes_;  // opened on the first answer to a request
};

class PathService : public service::Service {
 public:
  // Starts watching; `inbound` (for every agent) and `network` must outlive it.
  static Result<std::unique_ptr<PathService>> start(Inbound& inbound, const peer::Network& network);
  ~PathService() override;

  std::string_view kind() const override { return "ingest"; }
  const std::string& agent() const override { return agent_; }
  std::string status() const override;
  std::string endpoint() const override;  // the drop folder
  std::vector<std::pair<std::string, std::string>> stats() const override;
  void stop() override;

 private:
  PathService(Inbound& inbound, const peer::Network& network) : inbound_(inbound), ingest_(inbound, network) {}
  void loop();

  Inbound& inbound_;
  PathIngest ingest_;
  std::string agent_ = "*";
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> accepted_{0}, duplicates_{0}, refused_{0}, answered_{0}, failed_{0};
  std::thread worker_;
};

}  // namespace bwoc::node

#endif  // BWOC_NODE_PATH_SERVICE_H_
