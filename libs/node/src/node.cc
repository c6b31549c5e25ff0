#include "bwoc/node/node.h"

#include "bwoc/core/key_kinds.h"
#include "bwoc/core/peer_kinds.h"
#include "bwoc/skill/kinds.h"

namespace bwoc::node {

Result<std::unique_ptr<Inbound>> open_inbound(const Workspace& ws, InboundOptions options) {
  std::size_t runs = options.workers;
  BWOC_ASSIGN_OR_RETURN(std::unique_ptr<Inbound> inbound, Inbound::open(ws, std::move(options)));
  add_peer_kinds(*inbound);
  add_key_kinds(*inbound);
  skill::HostOptions hosts;
  hosts.max_concurrent_runs = runs;
  skill::add_skill_kinds(*inbound, std::move(hosts));
  return inbound;
}

}  // namespace bwoc::node
