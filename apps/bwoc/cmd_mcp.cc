// bwoc mcp serve, test, config: this workspace's and its peers' skills as MCP tools.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "bwoc/core/terminal_text.h"
#include "bwoc/mcp/check.h"
#include "bwoc/mcp/server.h"
#include "cmd_mcp.h"

namespace bwoc::cli {

namespace {

// The workspace, and the agent --agent names (default: the first).
Result<std::pair<Workspace, std::string>> open_for(const Context& ctx, const McpOptions& o) {
  BWOC_ASSIGN_OR_RETURN(Workspace ws, ctx.open_workspace());
  std::string agent;
  if (o.agent) {
    agent = agent_name(*o.agent);
    if (!ws.has_agent(agent)) return Error(Errc::not_found, "no agent \"" + agent + "\" in this workspace");
  } else {
    BWOC_ASSIGN_OR_RETURN(agent, mcp::default_agent(ws));
  }
  return std::pair{std::move(ws), std::move(agent)};
}

}  // namespace

// Prints `mcp test`'s report; returns the exit code.
// Prints `mcp test`'s report; returns the exit code.
static int print_setup(const mcp::SetupReport& r, const Workspace& ws, const std::string& agent, bool json);

int run_mcp_serve(Context& ctx, const McpOptions& o) {
  auto opened = open_for(ctx, o);
  if (!opened.ok()) return fail(ctx, opened.error());
  auto& [ws, agent] = *opened;
  mcp::ServeOptions options;
  options.catalogue.agent = agent;
  for (auto [text, name, out] : {std::tuple{&o.refresh, "--refresh", &options.catalogue.refresh},
                                 std::tuple{&o.list_wait, "--list-wait", &options.catalogue.list_wait},
                                 std::tuple{&o.discover_timeout, "--discover-timeout", &options.catalogue.discover_timeout},
                                 std::tuple{&o.call_timeout, "--call-timeout", &options.call_timeout},
                                 std::tuple{&o.progress_interval, "--progress-interval", &options.progress_interval}}) {
    auto ms = millis(*text, name);
    if (!ms.ok()) return fail(ctx, ms.error());
    if (ms->count() <= 0) return usage(ctx, std::string(name) + " must be more than 0");
    *out = *ms;
  }
  options.catalogue.retry = std::min(options.catalogue.refresh, options.catalogue.retry);
  options.deferral = mcp::request_deferral(ws, agent);
  auto end = mcp::serve(ws, options, STDIN_FILENO, STDOUT_FILENO);
  if (!end.ok()) return fail(ctx, end.error());
  if (end->unfinished > 0) {
    // Calls or discoveries still running belong to threads that cannot be
    // stopped from here, and their client is gone: end without waiting, and
    // without static destructors pulling what they use from under them.
    std::fflush(nullptr);
    std::_Exit(0);
  }
  return 0;
}

int run_mcp_test(Context& ctx, const McpOptions& o) {
  auto opened = open_for(ctx, o);
  if (!opened.ok()) return fail(ctx, opened.error());
  auto& [ws, agent] = *opened;
  auto timeout = millis(o.timeout, "--timeout");
  if (!timeout.ok()) return fail(ctx, timeout.error());
  auto report = mcp::check_setup(ws, agent, *timeout);
  if (!report.ok()) return fail(ctx, report.error());
  int rc = print_setup(*report, ws, agent, o.json);
  if (report->unfinished > 0) {
    std::fflush(nullptr);
    std::_Exit(rc);  // as in run_mcp_serve: a discovery still runs on its own thread
  }
  return rc;
}

static int print_setup(const mcp::SetupReport& r, const Workspace& ws, const std::string& agent, bool json) {
  const mcp::SetupReport* report = &r;
  if (json) {
    print_json(mcp::report_json(*report));
    return report->ok() ? 0 : 1;
  }
  std::cout << "bwoc mcp serve for " << ws.name() << ", speaking as " << agent << ":\n";
  std::vector<std::vector<std::string>> checks;
  for (const mcp::SetupCheck& c : report->checks) checks.push_back({c.ok ? "ok" : "FAIL", c.what, terminal_safe(c.detail)});
  print_table({"", "CHECK", "DETAIL"}, checks);
  std::cout << "\n";
  if (report->tools.empty()) {
    std::cout << "no tools: expose a skill (`bwoc skills expose NAME`) or declare peers that offer some\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const mcp::Tool& t : report->tools) {
      const json::Value* d = t.contract.find("description");
      std::string description = d && d->is_string() ? d->as_string() : "";
      if (description.size() > 50) description = description.substr(0, 47) + "...";
      rows.push_back({t.name, t.owner == "self" ? "self/" + t.agent : t.owner + "/" + t.agent,
                      t.stale ? "stale" : "ok", terminal_safe(description)});
    }
    print_table({"TOOL", "FROM", "STATE", "DESCRIPTION"}, rows);
  }
  std::size_t failed = 0;
  for (const mcp::SetupCheck& c : report->checks) failed += c.ok ? 0 : 1;
  std::cout << "\n" << report->tools.size() << (report->tools.size() == 1 ? " tool" : " tools") << ", "
            << (failed == 0 ? "every check passed" : std::to_string(failed) + " of " +
                                                         std::to_string(report->checks.size()) + " checks failed")
            << " (no tool was called)\n";
  return failed == 0 ? 0 : 1;
}

int run_mcp_config(Context& ctx, const McpOptions& o) {
  auto opened = open_for(ctx, o);
  if (!opened.ok()) return fail(ctx, opened.error());
  auto& [ws, agent] = *opened;
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) self = "bwoc";
  print_json(mcp::client_config(ws, agent, self));
  return 0;
}

}  // namespace bwoc::cli
