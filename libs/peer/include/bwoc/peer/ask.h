// Requests that want a signed answer (peer.status, peer.learn,
// skill.discover, skill.call, …), on any transport.
//
// The request is signed once and handed to the route's transports in order
// (peer::deliver, with failover). A2A and MQTT bring the answer back with
// the delivery; over the path transport the peer's node answers into our
// drop folder (or by whatever route it has for us), so while we wait we
// ingest our own drop folder (`pump`) and watch our agent's inbox. An answer
// counts only when it is signed by the pinned key, addressed to us, and
// answers this request (spec §3).
#ifndef BWOC_PEER_ASK_H_
#define BWOC_PEER_ASK_H_

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bwoc/core/envelope.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/workspace.h"
#include "bwoc/peer/network.h"
#include "bwoc/peer/send.h"

namespace bwoc::peer {

struct AskRequest {
  std::string peer;   // alias in routes.toml
  std::string agent;  // the peer's agent; "" lets `agent_of` decide
  std::string from;   // our agent
  std::string kind;
  json::Value payload;
  std::optional<Via> via;
  std::vector<Via> skip;  // transports not to try (already tried another way)
  std::chrono::milliseconds timeout{30'000};
  SealMode seal = SealMode::automatic;  // send.h; the answer to a sealed request comes sealed
  // Takes one round of our own drop folder through our node, so that an
  // answer that came back by path reaches our inbox. Needed for path peers.
  std::function<Status()> pump;
  // Told of the signed request before it leaves (a request that outlives
  // the call records its attempt); an error stops it from leaving.
  std::function<Status(const Envelope& signed_request)> on_signed;
  // Passed on to deliver() (send.h): each transport as it is tried.
  std::function<void(Via via, std::size_t tried_before)> on_attempt;
  // Work that waits for its peer (a request): a refusal or an answer nobody
  // signed is the peer not reached (Errc::unavailable), never a verdict
  // (send.h, unsigned_refusal_passes).
  bool waits_for_peer = false;
};

// A peer's signed refusal ({"error": …} instead of the answer) in words
// for people. "Not permitted" means our tier there is too low for the
// request: it says how they raise it (`our_name` is this workspace's name).
std::string declined_message(std::string_view peer, std::string_view error, std::string_view our_name);

struct AskResult {
  std::string text;  // the signed answer
  Envelope answer;   // opened, when sealed: answer.payload() is what it says
  std::string request_id;
  Via via = Via::path;
  std::string agent;  // who answered
  std::vector<std::string> skipped;  // transports that failed first, and why
  std::chrono::microseconds elapsed{0};
};

// Finds the agent to address when the request names none.
using AgentResolver = std::function<Result<std::string>(const PeerRoute& peer)>;

Result<AskResult> ask(const Workspace& ws, const SecretKey& key, const Routes& routes, const AskRequest& request,
                      const Network& network, const AgentResolver& agent_of);

// The first agent a path peer's export lists.
Result<std::string> path_peer_agent(const PeerRoute& peer);

}  // namespace bwoc::peer

#endif  // BWOC_PEER_ASK_H_
