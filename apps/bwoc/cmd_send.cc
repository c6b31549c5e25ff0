// bwoc send: one signed envelope to an agent of a peer.
#include <CLI/CLI.hpp>

#include <iostream>

#include "bwoc/core/routes.h"
#include "bwoc/peer/send.h"
#include "cli.h"
#include "network.h"

namespace bwoc::cli {

void register_send(CLI::App& app, Context& ctx) {
  struct Options {
    std::string target, from, kind = "message";
    std::optional<std::string> payload, payload_file, re, via;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("send", "Sign an envelope and deliver it to an agent of a peer");
  cmd->footer(
      "The peer is reached by the first of its routes.toml entries' path, url and mqtt\n"
      "that works, unless --via says which. Over path the envelope lands in the peer's\n"
      "drop folder and is delivered when the peer ingests it; over A2A and MQTT the\n"
      "peer's signed receipt is verified.\n\n"
      "Example:\n"
      "  bwoc send beta/agent-b --from agent-a --kind feedback --payload '{\"score\":4}'");
  cmd->add_option("target", opts->target, "PEER/AGENT: a peer key from routes.toml and one of its agents")->required();
  cmd->add_option("--from", opts->from, "The agent of this workspace that speaks")->required();
  cmd->add_option("--kind", opts->kind, "Envelope kind (default: message)");
  cmd->add_option("--payload", opts->payload, "Payload JSON (default: {})");
  cmd->add_option("--payload-file", opts->payload_file, "Read the payload from a file, or - for stdin");
  cmd->add_option("--re", opts->re, "Id of the envelope this one answers");
  cmd->add_option("--via", opts->via, "Use this transport only: path, a2a or mqtt")
      ->check(CLI::IsMember({"path", "a2a", "url", "mqtt"}));
  cmd->add_flag("--json", opts->json, "Print JSON");
  cmd->callback([&ctx, opts] {
    ctx.command = "send";
    ctx.action = [&ctx, opts]() -> int {
      auto target = peer::split_peer_agent(opts->target);
      if (!target.ok()) return fail(ctx, target.error());
      auto ws = ctx.open_workspace();
      if (!ws.ok()) return fail(ctx, ws.error());
      auto routes = Routes::load(ws->routes_file(), ws->root());
      if (!routes.ok()) return fail(ctx, routes.error());
      auto payload = read_payload(opts->payload, opts->payload_file);
      if (!payload.ok()) return fail(ctx, payload.error());
      auto key = ws->load_secret_key();
      if (!key.ok()) return fail(ctx, key.error());
      peer::SendRequest req;
      req.peer = target->first;
      req.agent = target->second;
      req.from = opts->from;
      req.kind = opts->kind;
      req.payload = std::move(payload).value();
      req.re = opts->re;
      if (opts->via) req.via = via_from_name(*opts->via);
      peer::Network network = make_network(*ws);
      auto sent = peer::send(*ws, *key, *routes, req, network);
      if (!sent.ok()) return fail(ctx, sent.error());
      if (opts->json) {
        nlohmann::ordered_json out = {{"id", sent->id},
                                      {"to", opts->target},
                                      {"via", via_name(sent->report.via)},
                                      {"confirmed", sent->report.confirmed},
                                      {"detail", sent->report.detail}};
        if (sent->report.reply) out["receipt"] = nlohmann::ordered_json::parse(*sent->report.reply, nullptr, false);
        print_json(out);
        return 0;
      }
      std::cout << "sent " << sent->id << " to " << opts->target << " via " << via_name(sent->report.via) << ": "
                << sent->report.detail << "\n";
      for (const std::string& s : sent->skipped) std::cout << "  (skipped " << s << ")\n";
      if (sent->report.via == Via::path && !sent->report.confirmed) {
        std::cout << "  the peer delivers it to " << req.agent << "'s inbox when it ingests its drop folder\n";
      }
      return 0;
    };
  });
}

}  // namespace bwoc::cli
