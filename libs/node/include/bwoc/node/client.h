// What a command needs to reach the workspace's peers: its key, its routes,
// the transports of this build, and, while it waits for an answer that comes
// back by path, its own drop folder taken through its node (requests to us
// found there are answered too, as the ingest service would).
#ifndef BWOC_NODE_CLIENT_H_
#define BWOC_NODE_CLIENT_H_

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "bwoc/core/inbound.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/workspace.h"
#include "bwoc/peer/ask.h"
#include "bwoc/peer/network.h"
#include "bwoc/peer/send.h"
#include "bwoc/peer/skills.h"

namespace bwoc::node {

class PathIngest;

// Safe to use from several threads at once (`bwoc mcp serve` asks many peers
// together): the drop folder is taken in by one of them at a time.
class Client {
 public:
  // `timeout`: how long a transport waits for a peer's answer.
  static Result<std::unique_ptr<Client>> open(const Workspace& ws,
                                              std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~Client();

  const Workspace& workspace() const { return ws_; }
  const Routes& routes() const { return routes_; }
  const SecretKey& key() const { return key_; }
  const peer::Network& network() const { return network_; }

  // The agent of ours that speaks: `chosen` when given (checked), else the
  // workspace's only agent, else the first one.
  Result<std::string> speaker(const std::string& chosen) const;

  Result<peer::SendResult> send(const peer::SendRequest& request);
  // A request with a signed answer, from `request.from` (default: speaker("")).
  Result<peer::AskResult> ask(peer::AskRequest request);
  // The same, signed by `key` instead of the workspace's current key (a
  // rotation is announced by the key it replaces).
  Result<peer::AskResult> ask_signed_by(peer::AskRequest request, const SecretKey& key);
  Result<peer::SkillAnswer> discover(peer::AskRequest request);
  Result<peer::SkillAnswer> call(peer::AskRequest request, const std::string& skill, json::Value input,
                                 const std::optional<std::string>& version);

 private:
  Client(Workspace ws, SecretKey key, Routes routes, std::chrono::milliseconds timeout);
  // One round of our own drop folder, through our node (opened on first use).
  Status pump();
  Status prepare(peer::AskRequest& request);

  Workspace ws_;
  SecretKey key_;
  Routes routes_;
  std::chrono::milliseconds timeout_;
  peer::Network network_;
  peer::AgentResolver agent_of_;
  std::mutex pump_mu_;  // guards inbound_ and ingest_
  std::unique_ptr<Inbound> inbound_;
  std::unique_ptr<PathIngest> ingest_;
};

}  // namespace bwoc::node

#endif  // BWOC_NODE_CLIENT_H_
