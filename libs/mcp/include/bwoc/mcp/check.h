// `bwoc mcp test` and `bwoc mcp config`: whether `mcp serve` is set up to work
// here, and what an MCP client needs to start it.
//
// The check asks every peer for its skills once (a discovery is a read: it
// runs nothing and stores nothing there), lists the tools a client would
// get, and looks at what our own skills need to run: the key, the sandbox
// for executable skills, the chat-completions endpoint's configuration for
// SKILL.md skills (read, not called). It calls no tool.
#ifndef BWOC_MCP_CHECK_H_
#define BWOC_MCP_CHECK_H_

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "bwoc/core/json.h"
#include "bwoc/core/result.h"
#include "bwoc/core/workspace.h"
#include "bwoc/mcp/catalogue.h"

namespace bwoc::mcp {

struct SetupCheck {
  std::string what;  // "key", "sandbox", "chat endpoint", "peer beta", ...
  bool ok = false;
  std::string detail;
};

struct SetupReport {
  std::string agent;
  std::vector<SetupCheck> checks;
  std::vector<Tool> tools;
  std::vector<PeerState> peers;
  std::size_t unfinished = 0;  // discoveries still running past their bound (see ServeEnd)
  bool ok() const;
};

Result<SetupReport> check_setup(const Workspace& ws, const std::string& agent, std::chrono::milliseconds timeout);

json::Value report_json(const SetupReport& report);

// {"mcpServers": {"bwoc-<workspace>": {"command": <bwoc>, "args": [...]}}}:
// what Claude Desktop, Cursor, VS Code and other MCP clients read to start
// `bwoc mcp serve` for `agent` of this workspace.
json::Value client_config(const Workspace& ws, const std::string& agent, const std::filesystem::path& bwoc_binary);

}  // namespace bwoc::mcp

#endif  // BWOC_MCP_CHECK_H_
