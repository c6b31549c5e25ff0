#include "bwoc/node/node.h"

#include "bwoc/core/peer_kinds.h"
#include "bwoc/skill/kinds.h"

namespace bwoc::node {

Result<std::unique_ptr<Inbound>> open_inbound(const Workspace& ws, InboundOptions options) {
  std::size_t runs = options.workers;
  // A workspace copied or checked out (the example, say) may lack them.
  BWOC_RETURN_IF_ERROR(ws.ensure_node_folders());
  BWOC_ASSIGN_OR_RETURN(std::unique_ptr<Inbound> inbound, Inbound::open(ws, std::move(options)));
  add_peer_kinds(*inbound);
  skill::HostOptions hosts;
  hosts.max_concurrent_runs = runs;
  skill::add_skill_kinds(*inbound, std::move(hosts));
  return inbound;
}

}  // namespace bwoc::node
