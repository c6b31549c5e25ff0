// One node of a workspace: the inbound layer (bwoc/core/inbound.h) with
// every kind this build of bwoc knows how to answer, ready for any transport.
#ifndef BWOC_NODE_NODE_H_
#define BWOC_NODE_NODE_H_

#include <memory>

#include "bwoc/core/inbound.h"
#include "bwoc/core/result.h"
#include "bwoc/core/workspace.h"
#include "bwoc/skill/host.h"

namespace bwoc::node {

// The inbound layer with the peer kinds (peer.status, peer.learn, feedback)
// and the skill kinds (skill.discover, skill.call) registered.
Result<std::unique_ptr<Inbound>> open_inbound(const Workspace& ws, InboundOptions options = {});

// The public A2A agent card `bwoc a2a serve` would serve for `agent` at
// `base_url` (with the skills open to tier 0). Errc::unavailable when this
// build has no A2A transport.
Result<json::Value> public_agent_card(const Workspace& ws, const std::string& agent, const std::string& base_url);

// What a skill host of this build runs skills with (the chat-completions
// client for SKILL.md skills among it), for hosts outside the inbound layer
// (`bwoc mcp serve` running our own skills).
skill::HostOptions skill_host_options(const Workspace& ws, std::size_t max_concurrent_runs = 8);

}  // namespace bwoc::node

#endif  // BWOC_NODE_NODE_H_
