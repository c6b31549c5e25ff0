// The caller side of skills: discover what a peer's agent offers, call one
// skill, on whatever transport the peer's route gives. Every call is metered
// (side "caller") and counts for the provider's decay in our trust store: an
// answer that is an error, or none in time, is a failed call.
#ifndef BWOC_PEER_SKILLS_H_
#define BWOC_PEER_SKILLS_H_

#include <optional>
#include <string>

#include "bwoc/core/json.h"
#include "bwoc/peer/ask.h"

namespace bwoc::peer {

struct SkillAnswer {
  bool ok = false;      // a skill.result came back
  json::Value payload;  // the answer's payload: {"skill","version","output"} or {"error", ...}
  std::string error;    // the error's text, when not ok
  AskResult ask;
};

// `request.kind` and `request.payload` are filled in from `skill`, `input`, `version`.
Result<SkillAnswer> call_skill(const Workspace& ws, const SecretKey& key, const Routes& routes, AskRequest request,
                               const std::string& skill, json::Value input, const std::optional<std::string>& version,
                               const Network& network, const AgentResolver& agent_of);

Result<SkillAnswer> discover_skills(const Workspace& ws, const SecretKey& key, const Routes& routes, AskRequest request,
                                    const Network& network, const AgentResolver& agent_of);

}  // namespace bwoc::peer

#endif  // BWOC_PEER_SKILLS_H_
