// The transports this build of bwoc can use, for sending.
#ifndef BWOC_APPS_BWOC_NETWORK_H_
#define BWOC_APPS_BWOC_NETWORK_H_

#include "bwoc/core/workspace.h"
#include "bwoc/peer/ask.h"
#include "bwoc/peer/network.h"
#include "bwoc/peer/reach.h"

namespace bwoc::cli {

peer::Network make_network(const Workspace& ws);
// The same, waiting up to `answer_timeout` for a peer's answer.
peer::Network make_network(const Workspace& ws, std::chrono::milliseconds answer_timeout);
// The agent to address when a command names only the peer: the one its
// agent card serves (url peers, the card's key checked), or the first its
// export lists (path peers).
peer::AgentResolver make_agent_resolver(std::chrono::milliseconds timeout);
// How `peer list` checks each transport in this build.
peer::Probers make_probers();

}  // namespace bwoc::cli

#endif  // BWOC_APPS_BWOC_NETWORK_H_
