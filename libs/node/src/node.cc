#include "bwoc/node/node.h"

#include "bwoc/core/peer_kinds.h"
#ifdef BWOC_HAVE_A2A
#include "bwoc/a2a/chat.h"
#endif
#include "bwoc/skill/kinds.h"

namespace bwoc::node {

Result<std::unique_ptr<Inbound>> open_inbound(const Workspace& ws, InboundOptions options) {
  std::size_t runs = options.workers;
  BWOC_ASSIGN_OR_RETURN(std::unique_ptr<Inbound> inbound, Inbound::open(ws, std::move(options)));
  add_peer_kinds(*inbound);
  skill::add_skill_kinds(*inbound, skill_host_options(ws, runs));
  return inbound;
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
