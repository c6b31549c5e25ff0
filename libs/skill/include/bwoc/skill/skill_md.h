// A SKILL.md (the format Claude Code and other agent tools share) as a
// black-box skill: YAML front matter between "---" lines, then the body.
//
//   ---
//   name: headline                      [a-z][a-z0-9._-]{0,63}
//   description: Writes a headline      what callers see
//   when_to_use: ...                    optional, for callers
//   version: 1.0.0                      optional (default 1.0.0)
//   input_schema: {...}                 optional JSON Schema draft 7 (YAML or JSON);
//   output_schema: {...}                  default {"text": string} in, {"text": string} out
//   ---
//   The instructions: the LLM's system prompt. They stay on this machine.
//
// Other members of the standard front matter (license, allowed-tools,
// metadata, compatibility) are read and ignored; anything else is refused, so
// that a misspelt schema is never silently dropped.
#ifndef BWOC_SKILL_SKILL_MD_H_
#define BWOC_SKILL_SKILL_MD_H_

#include <filesystem>
#include <string>

#include "bwoc/core/json.h"
#include "bwoc/core/result.h"
#include "bwoc/core/workspace.h"

namespace bwoc::skill {

inline constexpr std::size_t kMaxSkillMdBytes = 256 * 1024;

struct SkillMd {
  std::filesystem::path file;  // the SKILL.md read
  std::string name;
  std::string version = "1.0.0";
  std::string description;
  std::string when_to_use;
  json::Value input_schema;
  json::Value output_schema;
  std::string instructions;  // the body: private
};

// Reads DIR/SKILL.md (or the file itself when given one). Errors name the file.
Result<SkillMd> read_skill_md(const std::filesystem::path& dir_or_file);

// The public contract of a SKILL.md as discovery shows it (no instructions),
// with its hash, for `bwoc skills wrap`. Errors when a schema does not compile.
Result<json::Value> skill_md_contract(const SkillMd& md, int min_tier = 1);

// Declares it in `agent`'s manifest as an LLM-backed skill: the contract,
// "instructions" (the SKILL.md's path, relative to the agent's folder when
// inside it) and a timeout; hidden until exposed. A skill of that name that
// is LLM-backed already is replaced (keeping its visibility and min_tier);
// an executable skill of that name is an error.
struct AddedSkill {
  bool replaced = false;
  std::string visibility;
};
Result<AddedSkill> add_skill_md(const Workspace& ws, const std::string& agent, const SkillMd& md);

}  // namespace bwoc::skill

#endif  // BWOC_SKILL_SKILL_MD_H_
