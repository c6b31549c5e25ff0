// bwoc init: make a folder a workspace.
#include <CLI/CLI.hpp>

#include <iostream>

#include "bwoc/core/workspace.h"
#include "cli.h"

namespace bwoc::cli {

void register_init(CLI::App& app, Context& ctx) {
  struct Options {
    std::string dir = ".";
    std::optional<std::string> name;
    bool keygen = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("init", "Make a folder a bwoc workspace");
  cmd->footer(
      "Creates .bwoc/identity.toml, .bwoc/routes.toml (no peers yet, with an example),\n"
      ".bwoc/interconnect/shared.toml, the credential store, agents/, and a .gitignore\n"
      "that keeps the credential store and node state out of git.\n\n"
      "Example:\n  bwoc init ~/work/alpha --name alpha --keygen");
  cmd->add_option("dir", opts->dir, "Folder to initialize (default: the current folder)");
  cmd->add_option("-n,--name", opts->name, "Workspace name, [a-z0-9][a-z0-9._-]{0,63} (default: the folder's name)");
  cmd->add_flag("--keygen", opts->keygen, "Also make the workspace's key pair (as `bwoc trust --keygen`)");
  cmd->callback([&ctx, opts] {
    ctx.command = "init";
    ctx.action = [&ctx, opts]() -> int {
      std::string name;
      if (opts->name) {
        name = *opts->name;
      } else {
        std::error_code ec;
        name = std::filesystem::absolute(opts->dir, ec).lexically_normal().filename().string();
        if (name.empty()) name = std::filesystem::absolute(opts->dir, ec).lexically_normal().parent_path().filename().string();
        if (!is_valid_workspace_name(name)) {
          return usage(ctx, "the folder's name \"" + name + "\" is not a workspace name: give --name");
        }
      }
      auto ws = Workspace::init(opts->dir, name);
      if (!ws.ok()) return fail(ctx, ws.error());
      std::cout << "Initialized workspace \"" << ws->name() << "\" in " << ws->root().string() << "\n";
      if (opts->keygen) {
        auto key = ws->keygen(false);
        if (!key.ok()) return fail(ctx, key.error());
        std::cout << "  public key   " << key->to_text() << "\n"
                  << "  fingerprint  " << key->fingerprint() << "\n";
        std::cout << "Next: `bwoc agent add NAME`, then declare peers in .bwoc/routes.toml\n";
      } else {
        std::cout << "Next: `bwoc trust --keygen` to give it a key pair\n";
      }
      return 0;
    };
  });
}

}  // namespace bwoc::cli
