// Skills as an agent declares them in agents/NAME/config.manifest.json:
//
//   "skills": [{
//     "name": "summarize", "version": "1.0.0",
//     "description": "...", "when_to_use": "...",
//     "input_schema": {...}, "output_schema": {...},      (JSON Schema draft 7)
//     "min_tier": 1, "visibility": "exposed",             (default: 1, hidden)
//     "run": ["skills/summarize.sh"],                     (private: argv, no shell)
//       or "instructions": "skills/summarize/SKILL.md"    (private: an LLM-backed skill, llm.h)
//     "timeout": "10s", "max_output_bytes": 1048576,      (private, optional)
//     "network": "none"                                   (private: "none", the default, or "open")
//   }]
//
// The contract (everything but `run`, `instructions`, `timeout`, `max_output_bytes` and `network`) is
// what callers may see; the private part and the manifest's location never
// leave the node. A skill without `visibility` is hidden until exposed.
// Loading refuses the whole list on the first problem, naming the file and
// the skill, like routes.toml: a typo in what peers may call must be loud.
#ifndef BWOC_SKILL_MANIFEST_H_
#define BWOC_SKILL_MANIFEST_H_

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "bwoc/core/json.h"
#include "bwoc/core/result.h"
#include "bwoc/core/workspace.h"
#include "bwoc/skill/runner.h"
#include "bwoc/skill/schema.h"

namespace bwoc::skill {

enum class Visibility { exposed, hidden };
std::string_view visibility_name(Visibility v);

struct Skill {
  // The contract.
  std::string name;
  std::string version;
  std::string description;
  std::string when_to_use;
  json::Value input_schema;
  json::Value output_schema;
  int min_tier = 1;
  Visibility visibility = Visibility::hidden;
  // The private part.
  std::vector<std::string> run;  // run[0] absolute, or relative to the agent's folder
  std::filesystem::path instructions;  // or: a SKILL.md whose body an LLM follows (absolute)
  std::chrono::milliseconds timeout{10'000};
  std::size_t max_output_bytes = 1u << 20;
  Network network = Network::none;  // no socket at all unless declared "open"
  // Compiled, and the contract's hash ("blake2b-256:" + hex of its JCS).
  Schema input;
  Schema output;
  std::string hash;
};

// [a-z][a-z0-9._-]{0,63}
bool is_valid_skill_name(std::string_view name);

// The skills of `agent`; an agent without a "skills" member has none.
Result<std::vector<Skill>> load_skills(const Workspace& ws, std::string_view agent);
// The same for a manifest already read: `agent_dir` resolves relative run
// paths, `where` names the manifest in errors.
Result<std::vector<Skill>> parse_skills(const json::Value& manifest, const std::filesystem::path& agent_dir,
                                        const std::string& where);

// What a caller sees of a skill (no private part).
json::Value contract_json(const Skill& skill);
// The hash of a set of skills: over their hashes in name order.
std::string set_hash(const std::vector<const Skill*>& skills);

// Rewrites the manifest with the skill's visibility changed (atomically; the
// rest of the document is kept, member order included).
Status set_visibility(const Workspace& ws, std::string_view agent, std::string_view skill, Visibility visibility);

}  // namespace bwoc::skill

#endif  // BWOC_SKILL_MANIFEST_H_
