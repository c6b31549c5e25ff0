#include "bwoc/peer/network.h"

namespace bwoc::peer {

void Network::add(std::unique_ptr<EnvelopeTransport> transport) { transports_.push_back(std::move(transport)); }

EnvelopeTransport* Network::find(Via via) const {
  for (const auto& t : transports_) {
    if (t->via() == via) return t.get();
  }
  return nullptr;
}

}  // namespace bwoc::peer
