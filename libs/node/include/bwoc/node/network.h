// The transports this build of bwoc can send over, and what the peer
// commands need of them: which agent a peer serves, and whether it answers.
#ifndef BWOC_NODE_NETWORK_H_
#define BWOC_NODE_NETWORK_H_

#include <chrono>

#include "bwoc/core/workspace.h"
#include "bwoc/peer/ask.h"
#include "bwoc/peer/network.h"
#include "bwoc/peer/reach.h"

namespace bwoc::node {

// Path, and A2A and MQTT when this build has them; a transport waits up to
// `answer_timeout` for a peer's answer before the next one is tried.
peer::Network make_network(const Workspace& ws, std::chrono::milliseconds answer_timeout = std::chrono::seconds(10));
// No transport yet (a command adds the one it was told to use), but every
// delivery through it is recorded in the workspace's outbound record
// (`bwoc sent`), as with make_network(): build every network here.
peer::Network empty_network(const Workspace& ws);

// The agent to address when a command names only the peer: the `agent` its
// [[peer]] table declares, else the first its export lists (path), else the
// one its agent card serves (url, the card's key checked), trying its
// transports in order.
peer::AgentResolver make_agent_resolver(std::chrono::milliseconds timeout);

// How `peer list` checks each transport in this build.
peer::Probers make_probers();

}  // namespace bwoc::node

#endif  // BWOC_NODE_NETWORK_H_
