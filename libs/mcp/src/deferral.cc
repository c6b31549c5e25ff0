#include <utility>

#include "bwoc/core/requests.h"
#include "bwoc/mcp/server.h"

namespace bwoc::mcp {

Deferral request_deferral(const Workspace& ws, std::string from_agent, std::chrono::milliseconds deadline) {
  Deferral d;
  d.defer = [ws, from_agent, deadline](const std::string& peer, const std::string& agent, const std::string& skill,
                                       const json::Value& input) -> Result<std::string> {
    RequestDraft draft;
    draft.peer = peer;
    draft.agent = agent;
    draft.from = from_agent;
    draft.skill = skill;
    draft.input = input;
    UnixMillis now = now_millis();
    draft.deadline = now + deadline.count();
    BWOC_ASSIGN_OR_RETURN(auto store, RequestStore::open(ws, /*read=*/false));
    BWOC_ASSIGN_OR_RETURN(auto ids, store->enqueue({std::move(draft)}, now));
    return ids.front();
  };
  d.result = [ws](const std::string& id) -> Result<json::Value> {
    BWOC_ASSIGN_OR_RETURN(auto store, RequestStore::open(ws));
    std::optional<RequestEntry> e = store->find(id);
    if (!e) return Error(Errc::not_found, "no request \"" + id + "\" in this workspace");
    switch (e->state) {
      case RequestState::done:
        return e->payload;  // the signed answer's payload, verified against the peer's key
      case RequestState::failed:
      case RequestState::expired:
      case RequestState::cancelled:
        return Error(Errc::refused, "request " + id + " is " + std::string(request_state_name(e->state)) +
                                        (e->reason.empty() ? "" : ": " + e->reason));
      default:
        break;
    }
    return Error(Errc::unavailable, "request " + id + " is " + std::string(request_state_name(e->state)) +
                                        " (not answered yet): ask again later");
  };
  return d;
}

}  // namespace bwoc::mcp
