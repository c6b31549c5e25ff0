// `bwoc mcp serve`: an MCP server over stdio (JSON-RPC 2.0, one message a
// line) that offers the catalogue's tools (catalogue.h) to an MCP client: an
// editor, a desktop assistant, any agent framework.
//
//   initialize                 protocol version negotiated (kProtocolVersions), tools with listChanged
//   tools/list                 from the catalogue, never waiting on the network past its bound
//   tools/call                 our own skill through the node's skill host, in its sandbox; a
//                              peer's through node::Client: signed, over its transports with failover,
//                              the answer verified. The result is the skill's output as
//                              structuredContent and as text; "Unknown skill", refused input, a
//                              timeout and an offline peer are tool errors (isError) with clear text
//   notifications/progress     while a call runs, when the client sent a progressToken
//   notifications/tools/list_changed   whenever the catalogue's tools change
//
// Everything read from the input is bounded: a line past `max_line_bytes` is
// answered with a parse error and skipped without being held in memory,
// JSON nesting is limited, calls at once are limited; anything malformed
// gets a JSON-RPC error answer, never a crash. Requests before initialize
// are refused (except ping). The server ends when its input ends.
#ifndef BWOC_MCP_SERVER_H_
#define BWOC_MCP_SERVER_H_

#include <array>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "bwoc/core/json.h"
#include "bwoc/core/result.h"
#include "bwoc/core/workspace.h"
#include "bwoc/mcp/catalogue.h"

namespace bwoc::mcp {

// The versions this server speaks, newest first: the first is the current
// @modelcontextprotocol/sdk's LATEST_PROTOCOL_VERSION.
inline constexpr std::array<std::string_view, 4> kProtocolVersions = {"2025-11-25", "2025-06-18", "2025-03-26",
                                                                       "2024-11-05"};

// A call its peer could not take now (offline): `defer` queues it and returns
// a handle, and the `bwoc_result` tool reads its result with `result`. Unset,
// such a call is a tool error that says it was not made.
struct Deferral {
  std::function<Result<std::string>(const std::string& peer, const std::string& agent, const std::string& skill,
                                    const json::Value& input)>
      defer;
  std::function<Result<json::Value>(const std::string& handle)> result;
};

// Offline calls as async requests of this workspace (the outbox that
// `bwoc requests` lists, delivered by its services or `requests --deliver`),
// asked by `from_agent`, given up after `deadline`.
Deferral request_deferral(const Workspace& ws, std::string from_agent,
                          std::chrono::milliseconds deadline = std::chrono::hours(24));

struct ServeOptions {
  CatalogueOptions catalogue;  // catalogue.agent: our agent ("" is the workspace's only or first)
  std::chrono::milliseconds call_timeout{60'000};
  std::chrono::milliseconds progress_interval{1'000};
  std::size_t max_line_bytes = 4u << 20;
  int max_depth = 64;
  std::size_t max_calls = 16;  // tools/call at once; beyond, a tool error "Busy"
  std::chrono::milliseconds drain{2'000};  // at the end of input, how long calls under way may finish
  Deferral deferral;
};

struct ServeEnd {
  std::uint64_t messages = 0;
  // Calls and discoveries still running on threads of their own when the
  // server returned: the process should end at once (std::_Exit), without
  // running the static destructors they may still use.
  std::size_t unfinished = 0;
};

// Serves until `in_fd` ends. `out_fd` carries only protocol messages; logs go to stderr.
Result<ServeEnd> serve(const Workspace& ws, ServeOptions options, int in_fd, int out_fd);

// The agent `mcp serve` speaks for when none is named.
Result<std::string> default_agent(const Workspace& ws);

}  // namespace bwoc::mcp

#endif  // BWOC_MCP_SERVER_H_
