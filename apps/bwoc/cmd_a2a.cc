// bwoc a2a: serve an agent over A2A, print its card, send to an A2A URL.
#include <iostream>

#include "bwoc/a2a/card.h"
#include "bwoc/a2a/client.h"
#include "bwoc/a2a/server.h"
#include "bwoc/core/routes.h"
#include "bwoc/node/network.h"
#include "bwoc/node/node.h"
#include "bwoc/peer/send.h"
#include "bwoc/core/terminal_text.h"
#include "bwoc/node/courier.h"
#include "commands.h"

namespace bwoc::cli {

namespace {

std::string normalized(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

int run_a2a_serve(Context& ctx, const A2aOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  a2a::ServeOptions so;
  so.agent = agent_name(o.agent);
  so.bind = o.bind;
  if (o.port < 0 || o.port > 65535) return usage(ctx, "--port must be 0 to 65535");
  so.port = static_cast<std::uint16_t>(o.port);
  so.public_url = o.public_url;
  so.threads = o.threads;
  so.limits.rate_per_address = o.rate_per_address;
  so.limits.burst_per_address = o.rate_per_address * 2;
  so.limits.max_connections = o.max_connections;
  so.limits.max_body_bytes = o.max_body;
  so.limits.body_budget_bytes = o.body_budget;
  so.limits.max_tasks = o.max_tasks;
  for (auto [text, field, name] : {std::tuple{&o.header_timeout, &so.limits.header_timeout, "--header-timeout"},
                                   std::tuple{&o.body_timeout, &so.limits.body_timeout, "--body-timeout"},
                                   std::tuple{&o.idle_timeout, &so.limits.idle_timeout, "--idle-timeout"},
                                   std::tuple{&o.drain_timeout, &so.limits.drain_timeout, "--drain-timeout"}}) {
    auto ms = millis(*text, name);
    if (!ms.ok()) return fail(ctx, ms.error());
    *field = *ms;
  }
  InboundOptions io;
  io.agent = so.agent;
  io.rate_per_key = o.rate_per_key;
  io.burst_per_key = o.rate_per_key * 2;
  service::block_stop_signals();
  auto inbound = node::open_inbound(*ws, io);
  if (!inbound.ok()) return fail(ctx, inbound.error());
  auto server = a2a::Server::start(*ws, so, **inbound);
  if (!server.ok()) return fail(ctx, server.error());
  // Requests of ours go out while the service runs (node/courier.h).
  node::CourierOptions courier_options;
  courier_options.pump = node::drop_folder_pump(*ws);  // answers that come back by path
  auto courier = node::CourierThread::start(*ws, courier_options);
  service::run(*ws, **server, std::chrono::seconds(60), [&] {
    std::cout << "bwoc a2a serve: " << ws->name() << "/" << so.agent << " listening on " << (*server)->base_url()
              << " (card: " << (*server)->base_url() << "/.well-known/agent-card.json)" << std::endl;
  });
  return 0;
}

int run_a2a_card(Context& ctx, const A2aOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  std::string base = o.public_url.empty() ? "http://" + o.bind + ":" + std::to_string(o.port) : o.public_url;
  auto card = node::public_agent_card(*ws, agent_name(o.agent), base);
  if (!card.ok()) return fail(ctx, card.error());
  print_json(*card);
  return 0;
}

int run_a2a_send(Context& ctx, const A2aOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  if (url_has_user_info(o.url)) return fail(ctx, url_user_info_error("the URL"));
  auto routes = Routes::load(ws->routes_file(), ws->root());
  if (!routes.ok()) return fail(ctx, routes.error());
  // Only a declared peer's key is trusted; a card alone never introduces one.
  const PeerRoute* declared = nullptr;
  for (const PeerRoute& p : routes->peers()) {
    if (p.url && normalized(*p.url) == normalized(o.url)) declared = &p;
  }
  if (declared == nullptr) {
    return fail(ctx, Error(Errc::not_found, "no peer in routes.toml has url = \"" + normalized(o.url) +
                                                "\": declare it (with its pinned pubkey) first"));
  }
  if (!ws->has_agent(o.from)) return fail(ctx, Error(Errc::not_found, "no agent \"" + o.from + "\" here to send from"));
  auto payload = read_payload(o.payload, o.payload_file);
  if (!payload.ok()) return fail(ctx, payload.error());
  auto key = ws->load_secret_key();
  if (!key.ok()) return fail(ctx, key.error());
  peer::SendRequest req;
  req.agent = o.to;
  req.from = o.from;
  req.kind = o.kind;
  req.payload = std::move(payload).value();
  req.via = Via::a2a;
  if (o.seal) req.seal = peer::SealMode::always;
  PeerRoute route = *declared;
  route.url = o.url;
  peer::Network network = node::empty_network(*ws);
  network.add(std::make_unique<a2a::A2aTransport>(key->public_key()));
  auto sent = peer::send_to(*ws, *key, route, req, network);
  if (!sent.ok()) return fail(ctx, sent.error());
  const std::string& id = sent->envelope.envelope.id;
  if (o.json) {
    json::Value out = json::Value::object({{"id", id}, {"detail", sent->report.detail}});
    if (sent->report.reply) out.set("receipt", *json::parse(*sent->report.reply));
    print_json(out);
    return 0;
  }
  std::cout << "sent " << id << " to " << declared->key << "/" << o.to << " at " << o.url << ": "
            << terminal_safe(sent->report.detail) << "\n";
  return 0;
}

}  // namespace bwoc::cli
