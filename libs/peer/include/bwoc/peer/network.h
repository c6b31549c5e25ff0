// The transports one process can use, in the order a peer's route lists them.
#ifndef BWOC_PEER_NETWORK_H_
#define BWOC_PEER_NETWORK_H_

#include <memory>
#include <optional>
#include <vector>

#include "bwoc/core/sent_log.h"
#include "bwoc/core/transport.h"

namespace bwoc::peer {

// Build one with node::make_network() or node::empty_network(), which give
// it the workspace's outbound record.
class Network {
 public:
  void add(std::unique_ptr<EnvelopeTransport> transport);
  // nullptr when this build or process has no such transport.
  EnvelopeTransport* find(Via via) const;

  // The workspace's outbound record: every delivery through this network
  // ends with a record there (deliver(), send.h). None: nothing is recorded.
  void set_sent_log(SentLog log) { sent_log_.emplace(std::move(log)); }
  const std::optional<SentLog>& sent_log() const { return sent_log_; }

 private:
  std::vector<std::unique_ptr<EnvelopeTransport>> transports_;
  std::optional<SentLog> sent_log_;
};

}  // namespace bwoc::peer

#endif  // BWOC_PEER_NETWORK_H_
