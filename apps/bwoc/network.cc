#include "network.h"

#include <memory>

#include "bwoc/core/drop_folder.h"

namespace bwoc::cli {

peer::Network make_network(const Workspace& ws) {
  (void)ws;
  peer::Network network;
  network.add(std::make_unique<PathTransport>());
  return network;
}

}  // namespace bwoc::cli
