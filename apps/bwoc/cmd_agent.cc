// bwoc agent: the workspace's agents.
#include <iostream>

#include "bwoc/core/workspace.h"
#include "commands.h"

namespace bwoc::cli {

int run_agent_add(Context& ctx, const AgentOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  Status st = ws->add_agent(o.name, o.description);
  if (!st.ok()) return fail(ctx, st.error());
  std::cout << "Added agent \"" << o.name << "\": " << ws->manifest_file(o.name).string() << "\n";
  return 0;
}

int run_agent_list(Context& ctx, const AgentOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  std::vector<std::string> agents = ws->agents();
  if (o.json) {
    json::Value out = json::Value::array();
    for (const auto& a : agents) {
      out.push_back(json::Value::object({{"name", a}, {"inbox", ws->inbox_file(a).string()}}));
    }
    print_json(out);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : agents) rows.push_back({a, ws->inbox_file(a).lexically_relative(ws->root()).string()});
  print_table({"AGENT", "INBOX"}, rows);
  std::cout << agents.size() << " agent" << (agents.size() == 1 ? "" : "s") << " in \"" << ws->name() << "\"\n";
  return 0;
}

}  // namespace bwoc::cli
