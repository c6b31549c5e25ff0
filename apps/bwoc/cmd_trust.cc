// bwoc trust: the workspace's key pair.
#include <CLI/CLI.hpp>

#include <iostream>

#include "bwoc/core/workspace.h"
#include "cli.h"

namespace bwoc::cli {

void register_trust(CLI::App& app, Context& ctx) {
  struct Options {
    bool keygen = false;
    bool force = false;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* trust = app.add_subcommand("trust", "The workspace's key pair: make it, show it");
  trust->require_subcommand(0, 1);
  trust->footer(
      "  bwoc trust --keygen      make the Ed25519 key pair: the secret key goes to the\n"
      "                           credential store (.bwoc/credentials/, mode 0600), the\n"
      "                           public key to .bwoc/identity.toml\n"
      "  bwoc trust show          print the name, public key and fingerprint to share\n\n"
      "Replacing a key (--force) breaks every peer that pinned the old one.");
  trust->add_flag("--keygen", opts->keygen, "Make the workspace's key pair");
  trust->add_flag("--force", opts->force, "With --keygen: replace an existing key");
  trust->callback([&ctx, opts, trust] {
    if (!trust->get_subcommands().empty()) return;
    ctx.command = "trust";
    ctx.action = [&ctx, opts]() -> int {
      if (!opts->keygen) return usage(ctx, "say what to do: --keygen, or a subcommand such as `show`");
      auto ws = ctx.open_workspace();
      if (!ws.ok()) return fail(ctx, ws.error());
      auto key = ws->keygen(opts->force);
      if (!key.ok()) return fail(ctx, key.error());
      std::cout << "Made the key pair of workspace \"" << ws->name() << "\"\n"
                << "  public key   " << key->to_text() << "\n"
                << "  fingerprint  " << key->fingerprint() << "\n"
                << "  secret key   " << ws->secret_key_file().string() << " (mode 0600; never share it)\n";
      return 0;
    };
  });

  CLI::App* show = trust->add_subcommand("show", "Print this workspace's name, public key and fingerprint");
  show->add_flag("--json", opts->json, "Print JSON");
  show->callback([&ctx, opts] {
    ctx.command = "trust show";
    ctx.action = [&ctx, opts]() -> int {
      auto ws = ctx.open_workspace();
      if (!ws.ok()) return fail(ctx, ws.error());
      auto key = ws->public_key();
      if (!key.ok()) return fail(ctx, key.error());
      if (opts->json) {
        print_json({{"name", ws->name()}, {"public_key", key->to_text()}, {"fingerprint", key->fingerprint()},
                    {"root", ws->root().string()}});
        return 0;
      }
      std::cout << "workspace    " << ws->name() << "\n"
                << "public key   " << key->to_text() << "\n"
                << "fingerprint  " << key->fingerprint() << "\n";
      return 0;
    };
  });
}

}  // namespace bwoc::cli
