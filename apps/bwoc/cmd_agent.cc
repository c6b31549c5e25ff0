// bwoc agent: the workspace's agents.
#include <CLI/CLI.hpp>

#include <iostream>

#include "bwoc/core/workspace.h"
#include "cli.h"

namespace bwoc::cli {

void register_agent(CLI::App& app, Context& ctx) {
  struct Options {
    std::string name;
    std::string description;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* agent = app.add_subcommand("agent", "Add and list the workspace's agents");
  agent->require_subcommand(1);

  CLI::App* add = agent->add_subcommand("add", "Add an agent: agents/NAME/config.manifest.json and memories/");
  add->add_option("name", opts->name, "Agent name, [a-z0-9][a-z0-9._-]{0,63}")->required();
  add->add_option("-d,--description", opts->description, "What the agent does");
  add->callback([&ctx, opts] {
    ctx.command = "agent add";
    ctx.action = [&ctx, opts]() -> int {
      auto ws = ctx.open_workspace();
      if (!ws.ok()) return fail(ctx, ws.error());
      Status st = ws->add_agent(opts->name, opts->description);
      if (!st.ok()) return fail(ctx, st.error());
      std::cout << "Added agent \"" << opts->name << "\": " << ws->manifest_file(opts->name).string() << "\n";
      return 0;
    };
  });

  CLI::App* list = agent->add_subcommand("list", "List the workspace's agents");
  list->add_flag("--json", opts->json, "Print JSON");
  list->callback([&ctx, opts] {
    ctx.command = "agent list";
    ctx.action = [&ctx, opts]() -> int {
      auto ws = ctx.open_workspace();
      if (!ws.ok()) return fail(ctx, ws.error());
      std::vector<std::string> agents = ws->agents();
      if (opts->json) {
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        for (const auto& a : agents) out.push_back({{"name", a}, {"inbox", ws->inbox_file(a).string()}});
        print_json(out);
        return 0;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& a : agents) rows.push_back({a, ws->inbox_file(a).lexically_relative(ws->root()).string()});
      print_table({"AGENT", "INBOX"}, rows);
      std::cout << agents.size() << " agent" << (agents.size() == 1 ? "" : "s") << " in \"" << ws->name() << "\"\n";
      return 0;
    };
  });
}

}  // namespace bwoc::cli
