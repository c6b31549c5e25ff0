#include "bwoc/node/node.h"

#include "bwoc/core/peer_kinds.h"
#include "bwoc/core/trust.h"
#include "bwoc/skill/kinds.h"
#ifdef BWOC_HAVE_A2A
#include "bwoc/a2a/card.h"
#endif

namespace bwoc::node {

Result<std::unique_ptr<Inbound>> open_inbound(const Workspace& ws, InboundOptions options) {
  std::size_t runs = options.workers;
  BWOC_ASSIGN_OR_RETURN(std::unique_ptr<Inbound> inbound, Inbound::open(ws, std::move(options)));
  add_peer_kinds(*inbound);
  skill::HostOptions hosts;
  hosts.max_concurrent_runs = runs;
  skill::add_skill_kinds(*inbound, std::move(hosts));
  return inbound;
}

Result<json::Value> public_agent_card(const Workspace& ws, const std::string& agent, const std::string& base_url) {
#ifdef BWOC_HAVE_A2A
  BWOC_ASSIGN_OR_RETURN(a2a::CardInfo info, a2a::card_info_for(ws, agent, base_url));
  BWOC_ASSIGN_OR_RETURN(auto host, skill::SkillHost::open(ws, agent));
  BWOC_ASSIGN_OR_RETURN(json::Value offer, host->discovery(kUntrusted));
  info.skills = a2a::card_skills(offer);
  return a2a::agent_card(info);
#else
  (void)ws, (void)agent, (void)base_url;
  return Error(Errc::unavailable, "this build of bwoc has no A2A transport");
#endif
}

}  // namespace bwoc::node
