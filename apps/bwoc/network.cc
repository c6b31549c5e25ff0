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

peer::Network make_network(const Workspace& ws) { return make_network(ws, std::chrono::seconds(10)); }

peer::Network make_network(const Workspace& ws, std::chrono::milliseconds answer_timeout) {
  peer::Network network;
  network.add(std::make_unique<PathTransport>());
#ifdef BWOC_HAVE_A2A
  a2a::ClientOptions options;
  options.timeout = std::max<std::chrono::milliseconds>(answer_timeout, std::chrono::seconds(15));
  if (auto self = ws.public_key(); self.ok()) network.add(std::make_unique<a2a::A2aTransport>(*self, options));
#endif
#ifdef BWOC_HAVE_MQTT
  network.add(std::make_unique<mqtt::MqttTransport>(ws, answer_timeout));
#endif
  (void)ws;
  (void)answer_timeout;
  return network;
}

peer::AgentResolver make_agent_resolver(std::chrono::milliseconds timeout) {
  return [timeout](const PeerRoute& peer) -> Result<std::string> {
    if (peer.path) return peer::path_peer_agent(peer);
#ifdef BWOC_HAVE_A2A
    if (peer.url) {
      a2a::ClientOptions o;
      o.timeout = timeout;
      BWOC_ASSIGN_OR_RETURN(json::Value card, a2a::fetch_card(*peer.url, o));
      auto key = a2a::card_public_key(card);
      if (!key || !(*key == peer.pubkey)) {
        return Error(Errc::refused, "the agent card at " + *peer.url + " does not publish peer \"" + peer.key + "\"'s pinned key");
      }
      std::string agent = a2a::card_agent(card);
      if (!is_valid_agent_name(agent)) return Error(Errc::refused, "the agent card at " + *peer.url + " names no agent");
      return agent;
    }
#endif
    (void)timeout;
    return Error(Errc::invalid_argument, "name the peer's agent: " + peer.key + "/AGENT");
  };
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
