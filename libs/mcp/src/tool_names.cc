#include "tool_names.h"

#include <algorithm>

#include "bwoc/core/encoding.h"
#include "bwoc/core/keys.h"
#include "bwoc/skill/manifest.h"

namespace bwoc::mcp {

std::string tool_name(std::string_view owner, std::string_view skill) {
  std::string name = std::string(owner) + std::string(kSeparator) + std::string(skill);
  if (name.size() <= kMaxToolName) return name;
  std::string tag = hex_encode(blake2b_256(name)).substr(0, 12);
  return name.substr(0, kMaxToolName - tag.size() - 1) + "-" + tag;
}

bool is_legal_tool_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxToolName) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

std::optional<ToolAddress> parse_tool_name(std::string_view name, const std::vector<std::string>& owners) {
  std::optional<ToolAddress> best;
  for (const std::string& owner : owners) {
    std::string prefix = owner + std::string(kSeparator);
    if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) continue;
    if (best && best->owner.size() >= owner.size()) continue;
    std::string_view skill = name.substr(prefix.size());
    if (!skill::is_valid_skill_name(skill)) continue;
    best = ToolAddress{owner, std::string(skill)};
  }
  return best;
}

}  // namespace bwoc::mcp
