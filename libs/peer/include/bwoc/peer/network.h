// The transports one process can use, in the order a peer's route lists them.
#ifndef BWOC_PEER_NETWORK_H_
#define BWOC_PEER_NETWORK_H_

#include <memory>
#include <vector>

#include "bwoc/core/transport.h"

namespace bwoc::peer {

class Network {
 public:
  void add(std::unique_ptr<EnvelopeTransport> transport);
  // nullptr when this build or process has no such transport.
  EnvelopeTransport* find(Via via) const;

 private:
  std::vector<std::unique_ptr<EnvelopeTransport>> transports_;
};

}  // namespace bwoc::peer

#endif  // BWOC_PEER_NETWORK_H_
