// Sending one signed envelope to an agent of a declared peer.
//
// The envelope is signed once, so every transport tried carries the same id
// and the peer's replay guard makes a retry harmless. Transports are tried in
// the route's order (path, url, mqtt) unless `via` names one; a transport
// that cannot reach the peer (Errc::unavailable) passes to the next, any other
// failure (a refused or unverifiable receipt) stops.
#ifndef BWOC_PEER_SEND_H_
#define BWOC_PEER_SEND_H_

#include <optional>
#include <string>
#include <vector>

#include "bwoc/core/envelope.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/transport.h"
#include "bwoc/core/workspace.h"
#include "bwoc/peer/network.h"

namespace bwoc::peer {

struct SendRequest {
  std::string peer;   // alias in routes.toml
  std::string agent;  // the peer's agent
  std::string from;   // our agent
  std::string kind = "message";
  json::Value payload;
  std::optional<std::string> re;
  std::optional<Via> via;
};

struct SendResult {
  std::string envelope_text;
  std::string id;
  SendReport report;
  // Transports tried before the one that worked, and why they did not.
  std::vector<std::string> skipped;
};

// "PEER/AGENT" → {peer, agent}.
Result<std::pair<std::string, std::string>> split_peer_agent(std::string_view target);

Result<SendResult> send(const Workspace& ws, const SecretKey& key, const Routes& routes, const SendRequest& request,
                        const Network& network);

// Delivers an already signed envelope (same rules as send()).
Result<SendResult> deliver(const PeerRoute& peer, const std::string& envelope_text, std::optional<Via> via,
                           const Network& network);

}  // namespace bwoc::peer

#endif  // BWOC_PEER_SEND_H_
