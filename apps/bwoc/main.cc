// bwoc: a node that makes an agent workspace part of a network of workspaces.
#include <CLI/CLI.hpp>

#include <iostream>

#include "bwoc/core/result.h"
#include "cli.h"

namespace {

constexpr const char* kDescription =
    "bwoc makes an agent workspace a node in a network of workspaces.\n"
    "Every message is a signed envelope, verified before anything acts on it; it\n"
    "travels over a peer folder, A2A (JSON-RPC over HTTP) or MQTT.\n\n"
    "Start here:\n"
    "  bwoc demo                      two workspaces talking, in a temporary folder\n"
    "  bwoc init --name alpha         make this folder a workspace\n"
    "  bwoc trust --keygen            give it its Ed25519 key pair\n"
    "  bwoc agent add agent-a         add an agent (agents/agent-a/)\n"
    "  bwoc send PEER/AGENT --from agent-a --payload '{\"text\":\"hi\"}'\n\n"
    "The workspace is found from --workspace, $BWOC_WORKSPACE, or the nearest\n"
    "folder holding .bwoc/ above the current one.";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(kDescription, "bwoc");
  app.set_version_flag("--version", "bwoc 0.1.0 (envelope v1)");
  app.require_subcommand(1);
  app.fallthrough();
  app.get_formatter()->column_width(34);

  bwoc::cli::Context ctx;
  app.add_option("-w,--workspace", ctx.workspace, "The workspace folder (default: found from the current folder)")
      ->envname("BWOC_WORKSPACE");

  bwoc::cli::register_init(app, ctx);
  bwoc::cli::register_trust(app, ctx);
  bwoc::cli::register_agent(app, ctx);
  bwoc::cli::register_envelope(app, ctx);
  bwoc::cli::register_inbox(app, ctx);
  bwoc::cli::register_send(app, ctx);
  bwoc::cli::register_demo(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Name the subcommand the user was typing, so the hint points at its --help.
    std::string where;
    for (CLI::App* sub = &app; !sub->get_subcommands().empty();) {
      sub = sub->get_subcommands().front();
      where += (where.empty() ? "" : " ") + sub->get_name();
    }
    std::cerr << "bwoc" << (where.empty() ? "" : " " + where) << ": " << e.what() << " (see `bwoc"
              << (where.empty() ? "" : " " + where) << " --help`)\n";
    return 2;
  }
  if (!ctx.action) {
    std::cerr << app.help();
    return 2;
  }
  return ctx.action();
}
