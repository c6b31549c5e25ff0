// The provider side of skills: what a node does with a verified
// `skill.discover` or `skill.call` envelope, on every transport.
//
// Requests reach the host only after spec §3's checks 1–9 passed, so the
// peer is declared and its key verified; the tier used is that key's tier in
// the trust store, never anything in the payload.
//
//   skill.discover {}                     → skill.discover.result
//       {"agent", "skills": [contract + "hash"], "set_hash"}: exposed skills
//       whose min_tier the caller's tier reaches
//   skill.call {"skill", "input", "version"?} → skill.result {"skill", "version", "output"}
//                                           or error {"error": ...}
//
// A hidden skill, a missing one and one above the caller's tier all get
// {"error":"Unknown skill"}, byte for byte, by the same code path. Input is
// validated before anything runs and output after; a failure inside a skill
// is {"error":"Skill failed"} (its stderr, exit status and paths go to the
// local log only). Every call is metered and counts for decay.
#ifndef BWOC_SKILL_HOST_H_
#define BWOC_SKILL_HOST_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "bwoc/core/envelope.h"
#include "bwoc/core/json.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/result.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/core/workspace.h"
#include "bwoc/skill/llm.h"
#include "bwoc/skill/manifest.h"

namespace bwoc::skill {

inline constexpr std::string_view kDiscoverKind = "skill.discover";
inline constexpr std::string_view kDiscoverResultKind = "skill.discover.result";
inline constexpr std::string_view kCallKind = "skill.call";
inline constexpr std::string_view kResultKind = "skill.result";
inline constexpr std::string_view kErrorKind = "error";
inline constexpr std::string_view kUnknownSkill = "Unknown skill";
// What the provider's metering records as the skill of a call to a skill it
// does not have (the name asked for is the caller's text).
inline constexpr std::string_view kNoSuchSkillMetered = "(no such skill)";

bool is_skill_request(std::string_view kind);

struct HostOptions {
  std::size_t max_concurrent_runs = 8;
  // The routes a tier is looked up in; by default routes.toml as loaded at open().
  std::function<std::shared_ptr<const Routes>()> routes;
  // How SKILL.md skills reach their chat-completions endpoint (llm.h); unset,
  // they fail ("Skill failed") and the log says why.
  ChatCompletion chat;
};

// Signs an answer to the request being answered: its kind and payload.
using AnswerSigner = std::function<Result<std::string>(std::string_view kind, json::Value payload)>;

class SkillHost {
 public:
  static Result<std::unique_ptr<SkillHost>> open(const Workspace& ws, std::string agent, HostOptions options = {});
  ~SkillHost();

  // The skills a caller of `tier` may see, as skill.discover answers them.
  Result<json::Value> discovery(int tier);

  // The signed answer to a verified request from `peer` (its alias), whose
  // tier now is `tier` (-1: none). Blocks while a skill runs; safe to call
  // from several threads. A request answered before (the same key and id)
  // gets the very answer it got then; a `repeat` (the receiver's duplicate)
  // is never run again.
  //
  // Decay blames the caller only for what it did: a call refused by policy
  // (an unknown, hidden or above-tier skill, input that fails the schema, a
  // version that does not exist) counts against it, a success resets its
  // run, and a skill that fails, times out or finds the node busy counts for
  // nobody: that is this node's doing.
  //
  // `stop` (the transport canceled the work) ends a running skill at once,
  // everything it started killed; its answer says "Skill canceled".
  //
  // `not_after` (0: none): the run ends by then, and does not start when it
  // could not get a turn in time (the node is busy).
  Result<std::string> respond(const Envelope& request, const std::string& peer, int tier, bool repeat,
                              const AnswerSigner& sign, std::stop_token stop = {}, UnixMillis not_after = 0);

  // The longest a skill.call may run here: its skill's time limit, when the
  // caller of `tier` may call it (nullopt: it would be refused unrun).
  std::optional<std::chrono::milliseconds> longest_run(const Envelope& request, int tier);

  // An answer given earlier to (key, id), if it is still kept.
  std::optional<std::string> earlier_answer(const PublicKey& key, std::string_view id);

  const std::string& agent() const;

 private:
  struct Impl;
  explicit SkillHost(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bwoc::skill

#endif  // BWOC_SKILL_HOST_H_
