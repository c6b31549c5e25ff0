// bwoc send: one signed envelope to an agent of a peer.
#include <iostream>

#include "bwoc/node/client.h"
#include "bwoc/core/terminal_text.h"
#include "bwoc/peer/send.h"
#include "commands.h"

namespace bwoc::cli {

int run_send(Context& ctx, const SendOptions& o) {
  auto target = peer::split_peer_agent(o.target);
  if (!target.ok()) return fail(ctx, target.error());
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto payload = read_payload(o.payload, o.payload_file);
  if (!payload.ok()) return fail(ctx, payload.error());
  auto client = node::Client::open(*ws);
  if (!client.ok()) return fail(ctx, client.error());
  peer::SendRequest req;
  req.peer = target->first;
  req.agent = target->second;
  req.from = o.from;
  req.kind = o.kind;
  req.payload = std::move(payload).value();
  req.re = o.re;
  if (o.seal) req.seal = peer::SealMode::always;
  if (o.via) {
    req.via = via_from_name(*o.via);
    if (!req.via) return usage(ctx, "--via is path, a2a or mqtt");
  }
  auto timeout = millis(o.timeout, "--timeout");
  if (!timeout.ok()) return fail(ctx, timeout.error());
  req.timeout = *timeout;
  auto sent = (*client)->send(req);
  if (!sent.ok()) return fail(ctx, sent.error());
  const std::string& id = sent->envelope.envelope.id;
  if (o.json) {
    json::Value skipped = json::Value::array();
    for (const std::string& k : sent->skipped) skipped.push_back(k);
    json::Value out = json::Value::object({{"id", id},
                                           {"skipped", std::move(skipped)},
                                           {"to", o.target},
                                           {"via", via_name(sent->report.via)},
                                           {"confirmed", sent->report.confirmed},
                                           {"sealed", sent->envelope.envelope.sealed},
                                           {"detail", sent->report.detail}});
    if (sent->report.reply) {
      auto receipt = json::parse(*sent->report.reply);
      if (receipt.ok()) out.set("receipt", std::move(receipt).value());
    }
    print_json(out);
    return 0;
  }
  std::cout << (sent->envelope.envelope.sealed ? "sent sealed " : "sent ") << id << " to " << o.target << " via "
            << via_name(sent->report.via) << ": " << terminal_safe(sent->report.detail) << "\n";
  for (const std::string& s : sent->skipped) std::cout << "  (tried first: " << terminal_safe(s) << ")\n";
  if (sent->report.via == Via::path && !sent->report.confirmed) {
    std::cout << "  the peer delivers it to " << req.agent << "'s inbox when it ingests its drop folder\n";
  }
  return 0;
}

}  // namespace bwoc::cli
