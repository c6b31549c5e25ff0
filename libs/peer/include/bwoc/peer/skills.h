// The caller side of skills: discover what a peer's agent offers, call one
// skill, on whatever transports the peer's route gives (with failover).
//
// Every call is metered (side "caller"). Decay in our own trust store blames
// the provider only for what it provably did: a signed answer that its skill
// failed or timed out counts against it, a signed result for it; a refusal
// of our call (it was right to refuse), a slow answer, no answer, or one
// that does not verify (anyone on the way could forge that) count for
// nobody. A run of refusals is pointed out to us instead, since the
// provider's decay may have lowered our tier there.
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
  std::string outcome;  // as metered (metering.h)
  // Set when our latest calls to this peer were refused several times in a
  // row: "your last 3 calls to beta were refused; beta may have lowered your tier".
  std::string refusals_note;
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
