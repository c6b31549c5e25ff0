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

// What a skill host of this build runs skills with (the chat-completions
// client for SKILL.md skills among it), for hosts outside the inbound layer
// (`bwoc mcp serve` running our own skills).
skill::HostOptions skill_host_options(const Workspace& ws, std::size_t max_concurrent_runs = 8);

}  // namespace bwoc::node

#endif  // BWOC_NODE_NODE_H_
