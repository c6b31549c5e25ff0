#include "bwoc/node/network.h"

#include <memory>

#include "bwoc/core/drop_folder.h"
#ifdef BWOC_HAVE_A2A
#include "bwoc/a2a/client.h"
#endif
#ifdef BWOC_HAVE_MQTT
#include "bwoc/mqtt/broker.h"
#include "bwoc/mqtt/publisher.h"
#endif

namespace bwoc::node {

peer::Network empty_network(const Workspace& ws) {
  peer::Network network;
  if (auto sent = SentLog::open(ws); sent.ok()) network.set_sent_log(std::move(sent).value());
  return network;
}

peer::Network make_network(const Workspace& ws, std::chrono::milliseconds answer_timeout) {
  peer::Network network = empty_network(ws);
  network.add(std::make_unique<PathTransport>());
#ifdef BWOC_HAVE_A2A
  a2a::ClientOptions options;
  options.timeout = std::max<std::chrono::milliseconds>(answer_timeout, std::chrono::seconds(15));
  if (auto self = ws.public_key(); self.ok()) network.add(std::make_unique<a2a::A2aTransport>(*self, options));
#endif
#ifdef BWOC_HAVE_MQTT
  mqtt::MqttTransportOptions mqtt_options;
  mqtt_options.receipt_timeout = answer_timeout;
  network.add(std::make_unique<mqtt::MqttTransport>(ws, mqtt_options));
#endif
  (void)ws;
  (void)answer_timeout;
  return network;
}

peer::AgentResolver make_agent_resolver(std::chrono::milliseconds timeout) {
  return [timeout](const PeerRoute& peer) -> Result<std::string> {
    if (peer.agent) return *peer.agent;
    std::vector<std::string> tried;
    std::optional<Errc> failure;
    auto note = [&](std::string_view how, const Error& e) {
      tried.push_back(std::string(how) + ": " + e.message());
      // A peer that shows the wrong key is a refusal, whatever else failed.
      if (!failure || e.code() == Errc::refused) failure = e.code();
    };
    if (peer.path) {
      auto agent = peer::path_peer_agent(peer);
      if (agent.ok()) return agent;
      note("path", agent.error());
    }
#ifdef BWOC_HAVE_A2A
    if (peer.url) {
      a2a::ClientOptions o;
      o.timeout = timeout;
      o.connect_timeout = timeout;
      auto card = a2a::fetch_pinned_card(peer, o);
      if (card.ok()) {
        std::string agent = a2a::card_agent(*card);
        if (is_valid_agent_name(agent)) return agent;
        note("url", Error(Errc::refused, "the agent card names no agent"));
      } else {
        note("url", card.error());
      }
    }
#endif
    (void)timeout;
    std::string how = "name the peer's agent as " + peer.key + "/AGENT, or declare agent = \"NAME\" in its [[peer]] table";
    if (tried.size() == 1) return Error(*failure, tried.front().substr(tried.front().find(": ") + 2));
    if (!failure) return Error(Errc::invalid_argument, how);
    std::string why;
    for (const std::string& t : tried) why += (why.empty() ? "" : "; ") + t;
    return Error(*failure, "cannot tell which agent to address (" + why + "): " + how);
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
    BWOC_RETURN_IF_ERROR(a2a::fetch_pinned_card(peer, o));
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

}  // namespace bwoc::node
