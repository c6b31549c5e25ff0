#include "network.h"

#include <memory>

#include "bwoc/core/drop_folder.h"
#ifdef BWOC_HAVE_A2A
#include "bwoc/a2a/client.h"
#endif
#ifdef BWOC_HAVE_MQTT
#include "bwoc/mqtt/broker.h"
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

peer::Probers make_probers() {
  peer::Probers p;
  p.path = peer::probe_path;
#ifdef BWOC_HAVE_A2A
  p.url = [](const PeerRoute& peer, std::chrono::milliseconds timeout) -> Status {
    a2a::ClientOptions o;
    o.connect_timeout = timeout;
    o.timeout = timeout;
    o.max_answer_bytes = 1 << 20;
    BWOC_ASSIGN_OR_RETURN(json::Value card, a2a::fetch_card(*peer.url, o));
    auto key = a2a::card_public_key(card);
    if (!key) return Error(Errc::refused, "its agent card publishes no bwoc key");
    if (!(*key == peer.pubkey)) return Error(Errc::refused, "its agent card publishes another key than the pinned one");
    return ok_status();
  };
#endif
#ifdef BWOC_HAVE_MQTT
  p.mqtt = [](const PeerRoute& peer, std::chrono::milliseconds timeout) -> Status {
    BWOC_ASSIGN_OR_RETURN(mqtt::BrokerUrl url, mqtt::parse_broker_url(peer.mqtt->broker));
    return mqtt::probe_broker(url, timeout);
  };
#endif
  return p;
}

}  // namespace bwoc::cli
