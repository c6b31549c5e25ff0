// Sending one signed envelope to an agent of a declared peer.
//
// The envelope is signed once, so every transport tried carries the same id
// and the peer's replay guard makes a retry harmless. Transports are tried in
// the route's order (path, url, mqtt) unless `via` names one; a transport
// that cannot reach the peer (refused, unreachable) or gets no answer in time
// passes to the next; any other failure (a refused or unverifiable answer)
// stops.
#ifndef BWOC_PEER_SEND_H_
#define BWOC_PEER_SEND_H_

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bwoc/core/envelope.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/transport.h"
#include "bwoc/core/workspace.h"
#include "bwoc/peer/network.h"

namespace bwoc::peer {

// Whether an envelope's payload is sealed to the peer (seal.h):
// `automatic` seals when the peer's X25519 key is known (routes.toml, its
// invite, its agent card) or its route says seal = "required"; `always`
// (--seal) fails rather than send in clear; `never` is refused for a peer
// that requires sealing.
enum class SealMode { automatic, always, never };

struct SendRequest {
  std::string peer;   // alias in routes.toml
  std::string agent;  // the peer's agent
  std::string from;   // our agent
  std::string kind = "message";
  json::Value payload;
  std::optional<std::string> re;
  std::optional<Via> via;
  std::chrono::milliseconds timeout{30'000};
  SealMode seal = SealMode::automatic;
};

struct SendResult {
  SignedEnvelope envelope;  // what was sent
  SendReport report;        // from the transport that carried it
  // Transports tried before the one that worked, and why they did not.
  std::vector<std::string> skipped;
};

// "PEER/AGENT" → {peer, agent}.
Result<std::pair<std::string, std::string>> split_peer_agent(std::string_view target);

// Signs and delivers to the peer `request.peer` names in `routes`.
Result<SendResult> send(const Workspace& ws, const SecretKey& key, const Routes& routes, const SendRequest& request,
                        const Network& network);
// The same to a route given whole (a declared peer seen another way, or this
// workspace itself); `request.peer` is not looked up.
Result<SendResult> send_to(const Workspace& ws, const SecretKey& key, const PeerRoute& route,
                           const SendRequest& request, const Network& network);

struct DeliverOptions {
  std::optional<Via> via;                      // this transport only
  std::vector<Via> skip;                       // transports already tried another way
  std::chrono::milliseconds timeout{30'000};   // for every attempt together
  // A request: only an answer counts. A2A and MQTT bring it back with the
  // delivery; over the path transport it comes later into our own drop
  // folder, and `await_path_answer` waits for it (until the deadline). Its
  // Errc::timeout or Errc::unavailable passes to the next transport.
  bool want_answer = false;
  std::function<Result<std::optional<std::string>>(const SendReport& dropped,
                                                   std::chrono::steady_clock::time_point deadline)>
      await_path_answer;
  // Told as each transport is tried: which, and how many were tried before
  // it (a command shows it while it waits).
  std::function<void(Via via, std::size_t tried_before)> on_attempt;
  // For work that waits for its peer (a request): a refusal nobody signed
  // (an HTTP status, a body that is not JSON-RPC, an answer that does not
  // verify) may come from anything between us and the peer, so it passes
  // to the next transport like a peer that cannot be reached, and ends as
  // Errc::unavailable. Only what the peer signs settles such work.
  bool unsigned_refusal_passes = false;
};

// Delivers a signed envelope by the route's transports in order (or `via`
// alone). Each gets an equal share of the time left; one that cannot reach
// the peer, or gets no answer in its share, passes to the next with the same
// envelope, and the peer's replay guard keeps delivery exactly once.
Result<SendResult> deliver(const PeerRoute& peer, const SignedEnvelope& envelope, const DeliverOptions& options,
                           const Network& network);

// The X25519 key to seal to for `peer` under `mode`, or nullopt to send in
// clear; an error when `mode` or the route demands sealing and no key is known.
Result<std::optional<SealPublicKey>> seal_key_for(const PeerRoute& peer, SealMode mode, const Network& network,
                                                  std::chrono::milliseconds timeout);
// Seals `draft` to `peer` when seal_key_for() says so (answers are to be
// sealed back to this workspace's X25519 key). True when it sealed.
Result<bool> seal_for(const Workspace& ws, EnvelopeDraft& draft, const PublicKey& signer, const PeerRoute& peer,
                      SealMode mode, const Network& network, std::chrono::milliseconds timeout);
// Opens a sealed answer with this workspace's X25519 keys. An answer to a
// sealed request must be sealed too: an error otherwise.
Status open_answer(const Workspace& ws, Envelope& answer, bool request_sealed);

// "path: cannot reach …; url: …", for messages.
std::string describe_skipped(const std::vector<std::string>& skipped);

}  // namespace bwoc::peer

#endif  // BWOC_PEER_SEND_H_
