// Requests that want a signed answer (skill.discover, skill.call), on any
// transport, from either side.
//
// Asking: the request is signed once and handed to the route's transports in
// order. A2A and MQTT bring the answer back with the delivery (it stands in
// for the receipt); over the path transport the peer's node answers into our
// drop folder (or by whatever route it has for us), so we ingest our own drop
// folder and watch our agent's inbox until the answer is there or the time is
// up. An answer counts only when it is signed by the pinned key, addressed to
// us, and answers this request (spec §3).
//
// Answering (path ingest): each skill request that reached an inbox gets the
// skill host's signed answer, delivered back to the asking peer by its route.
#ifndef BWOC_PEER_ASK_H_
#define BWOC_PEER_ASK_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bwoc/core/drop_folder.h"
#include "bwoc/core/envelope.h"
#include "bwoc/core/receiver.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/workspace.h"
#include "bwoc/peer/network.h"

namespace bwoc::peer {

class RequestAnswerer;

struct AskRequest {
  std::string peer;   // alias in routes.toml
  std::string agent;  // the peer's agent; "" lets `agent_of` decide
  std::string from;   // our agent
  std::string kind;
  json::Value payload;
  std::optional<Via> via;
  std::chrono::milliseconds timeout{30'000};
  // Over the path transport we ingest our own drop folder while we wait;
  // skill requests found there are answered by this, when given (else they
  // wait in the inbox unanswered).
  RequestAnswerer* answerer = nullptr;
};

struct AskResult {
  std::string text;  // the signed answer
  Envelope answer;
  Via via = Via::path;
  std::string agent;  // who answered
  std::chrono::microseconds elapsed{0};
};

// Finds the agent to address when the request names none (A2A: the agent
// its card serves; path: the agent the peer's export lists first).
using AgentResolver = std::function<Result<std::string>(const PeerRoute& peer)>;

Result<AskResult> ask(const Workspace& ws, const SecretKey& key, const Routes& routes, const AskRequest& request,
                      const Network& network, const AgentResolver& agent_of);

// The first agent a path peer's export lists.
Result<std::string> path_peer_agent(const PeerRoute& peer);

struct Answered {
  std::string id, peer, kind;
  bool sent = false;
  std::string detail;
};

// Answers the skill requests that ingests deliver into this workspace's
// inboxes: each gets its agent's skill host's signed answer, delivered back
// to the asking peer by its route. Logs what it did.
class RequestAnswerer {
 public:
  // `key` and `network` must outlive it.
  RequestAnswerer(const Workspace& ws, const SecretKey& key, const Network& network);
  ~RequestAnswerer();
  RequestAnswerer(const RequestAnswerer&) = delete;
  RequestAnswerer& operator=(const RequestAnswerer&) = delete;

  // Does nothing for envelopes that are not skill requests.
  void answer(const Delivery& delivery, const Routes& routes);

  // Ingests `receiver`'s drop folder (as ingest_drop_folder) and answers the
  // skill requests it delivered.
  Result<IngestReport> ingest(Receiver& receiver, IngestOptions options);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bwoc::peer

#endif  // BWOC_PEER_ASK_H_
