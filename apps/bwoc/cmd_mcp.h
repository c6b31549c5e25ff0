// The options and actions of `bwoc mcp serve / test / config` (main.cc
// declares them in declare_mcp).
#ifndef BWOC_APPS_BWOC_CMD_MCP_H_
#define BWOC_APPS_BWOC_CMD_MCP_H_

#include <optional>
#include <string>

#include "cli.h"

namespace bwoc::cli {

struct McpOptions {
  std::optional<std::string> agent;
  std::string refresh = "30s", list_wait = "1s", call_timeout = "60s", discover_timeout = "10s";
  std::string progress_interval = "1s";
  std::string timeout = "10s";  // mcp test
  bool json = false;
};
int run_mcp_serve(Context& ctx, const McpOptions& o);
int run_mcp_test(Context& ctx, const McpOptions& o);
int run_mcp_config(Context& ctx, const McpOptions& o);

}  // namespace bwoc::cli

#endif  // BWOC_APPS_BWOC_CMD_MCP_H_
