// One tools/call: our own skill through the skill host (the node's sandboxed
// runner), or a peer's through node::Client (signed, failover, verified),
// and the answer as an MCP CallToolResult. Every refusal a caller may be
// told is a tool error (isError) with text a model can act on; what a
// provider keeps private never reaches it, since only the provider's signed
// public answer ({"error": ...}) and our own transport errors are shown.
#ifndef BWOC_MCP_SRC_CALLS_H_
#define BWOC_MCP_SRC_CALLS_H_

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "bwoc/core/json.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/workspace.h"
#include "bwoc/mcp/catalogue.h"
#include "bwoc/mcp/server.h"
#include "bwoc/skill/host.h"

namespace bwoc::mcp {

class ToolCaller {
 public:
  ToolCaller(Workspace ws, SecretKey key, std::string agent, Catalogue& catalogue, std::chrono::milliseconds timeout,
             Deferral deferral);

  // The CallToolResult for `name` with `arguments` (an object).
  json::Value call(const std::string& name, const json::Value& arguments);

 private:
  json::Value call_local(const std::string& skill, json::Value input, bool wrap_output);
  json::Value call_remote(const std::string& peer, const std::string& agent, const std::string& skill,
                          json::Value input, bool wrap_output);
  Result<skill::SkillHost*> host();

  Workspace ws_;
  SecretKey key_;
  std::string agent_;
  Catalogue& catalogue_;
  std::chrono::milliseconds timeout_;
  Deferral deferral_;
  std::mutex host_mu_;
  std::unique_ptr<skill::SkillHost> host_;
};

// The tool that reads a deferred call's result; listed only when the
// server has a Deferral (async requests) to read it from.
inline constexpr std::string_view kResultTool = "bwoc_result";
json::Value result_tool_json();

// A CallToolResult that is a tool error with `text`.
json::Value tool_error(std::string text);

}  // namespace bwoc::mcp

#endif  // BWOC_MCP_SRC_CALLS_H_
