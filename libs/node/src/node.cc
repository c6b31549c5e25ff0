#include "bwoc/node/node.h"

#include "bwoc/core/key_kinds.h"
#include "bwoc/core/peer_kinds.h"
#include "bwoc/core/push_kinds.h"
#include "bwoc/core/request_kinds.h"
#include "bwoc/core/trust.h"
#ifdef BWOC_HAVE_A2A
#include "bwoc/a2a/chat.h"
#endif
#include "bwoc/skill/kinds.h"
#ifdef BWOC_HAVE_A2A
#include "bwoc/a2a/card.h"
#endif

namespace bwoc::node {

Result<std::unique_ptr<Inbound>> open_inbound(const Workspace& ws, InboundOptions options) {
  std::size_t runs = options.workers;
  // A workspace copied or checked out (the example, say) may lack them.
  BWOC_RETURN_IF_ERROR(ws.ensure_node_folders());
  BWOC_ASSIGN_OR_RETURN(std::unique_ptr<Inbound> inbound, Inbound::open(ws, std::move(options)));
  add_peer_kinds(*inbound);
  add_key_kinds(*inbound);
  add_request_kinds(*inbound);
  add_push_kinds(*inbound);
  skill::add_skill_kinds(*inbound, skill_host_options(ws, runs));
  return inbound;
}

Result<json::Value> public_agent_card(const Workspace& ws, const std::string& agent, const std::string& base_url) {
#ifdef BWOC_HAVE_A2A
  BWOC_ASSIGN_OR_RETURN(a2a::CardInfo info, a2a::card_info_for(ws, agent, base_url));
  BWOC_ASSIGN_OR_RETURN(auto host, skill::SkillHost::open(ws, agent));
  BWOC_ASSIGN_OR_RETURN(json::Value offer, host->discovery(kUntrusted));
  info.skills = a2a::card_skills(offer);
  BWOC_ASSIGN_OR_RETURN(SecretKey key, ws.load_secret_key());
  return a2a::sign_card(a2a::agent_card(info), key);
#else
  (void)ws, (void)agent, (void)base_url;
  return Error(Errc::unavailable, "this build of bwoc has no A2A transport");
#endif
}

skill::HostOptions skill_host_options(const Workspace& ws, std::size_t max_concurrent_runs) {
  skill::HostOptions hosts;
  hosts.max_concurrent_runs = max_concurrent_runs;
#ifdef BWOC_HAVE_A2A
  hosts.chat = [](const skill::ChatRequest& request) -> Result<std::string> {
    a2a::ChatPost post;
    post.base_url = request.endpoint->base_url;
    post.api_key = request.endpoint->api_key;
    post.body = request.body;
    post.timeout = request.timeout;
    // The reply's JSON around its content, and escapes that can double it.
    post.max_answer_bytes = 2 * request.endpoint->max_reply_bytes + 64 * 1024;
    return a2a::post_chat_completion(post);
  };
#endif
  (void)ws;
  return hosts;
}

}  // namespace bwoc::node
