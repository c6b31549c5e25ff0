// MCP tool names for skills: stable (the same skill of the same peer always
// gets the same name) and legal for MCP clients, whose SDK accepts
// [A-Za-z0-9._-]{1,128}.
//
//   self__word-count     a skill of our own agent
//   beta__word-count     skill word-count of peer beta (routes.toml's alias)
//
// Peer aliases and skill names are already made of those characters; a name
// that would pass 128 characters is cut and given a hash of the whole, so two
// long names never meet.
#ifndef BWOC_MCP_SRC_TOOL_NAMES_H_
#define BWOC_MCP_SRC_TOOL_NAMES_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bwoc::mcp {

inline constexpr std::string_view kSelf = "self";
inline constexpr std::string_view kSeparator = "__";
inline constexpr std::size_t kMaxToolName = 128;

std::string tool_name(std::string_view owner, std::string_view skill);

bool is_legal_tool_name(std::string_view name);

struct ToolAddress {
  std::string owner;  // "self" or a peer's alias
  std::string skill;
};

// Reads "<owner>__<skill>" back, for a tool that is not listed (a hidden
// skill, or one the cache has not seen yet): the owner is the longest of
// `owners` (declared aliases and "self") that the name starts with.
std::optional<ToolAddress> parse_tool_name(std::string_view name, const std::vector<std::string>& owners);

}  // namespace bwoc::mcp

#endif  // BWOC_MCP_SRC_TOOL_NAMES_H_
