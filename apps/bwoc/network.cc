#include "network.h"

#include <memory>

#include "bwoc/core/drop_folder.h"
#ifdef BWOC_HAVE_A2A
#include "bwoc/a2a/client.h"
#endif
#ifdef BWOC_HAVE_MQTT
#include "bwoc/mqtt/publisher.h"
#endif

namespace bwoc::cli {

peer::Network make_network(const Workspace& ws) {
  peer::Network network;
  network.add(std::make_unique<PathTransport>());
#ifdef BWOC_HAVE_A2A
  if (auto self = ws.public_key(); self.ok()) network.add(std::make_unique<a2a::A2aTransport>(*self));
#endif
#ifdef BWOC_HAVE_MQTT
  network.add(std::make_unique<mqtt::MqttTransport>(ws));
#endif
  (void)ws;
  return network;
}

}  // namespace bwoc::cli
