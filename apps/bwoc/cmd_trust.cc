// bwoc trust: the workspace's key pair, and its peers' tiers; bwoc goal.
#include <iostream>

#include "bwoc/core/key_kinds.h"
#include "bwoc/core/trust.h"
#include "bwoc/node/key_change.h"
#include "bwoc/core/workspace.h"
#include "bwoc/node/views.h"
#include "commands.h"

namespace bwoc::cli {

int run_trust_keygen(Context& ctx, const TrustOptions& o) {
  if (!o.keygen) return usage(ctx, "say what to do: --keygen, or a subcommand such as `show`");
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto key = ws->keygen(o.force);
  if (!key.ok()) return fail(ctx, key.error());
  std::cout << "Made the key pair of workspace \"" << ws->name() << "\"\n"
            << "  public key   " << key->to_text() << "\n"
            << "  fingerprint  " << key->fingerprint() << "\n"
            << "  secret key   " << ws->secret_key_file().string() << " (mode 0600; never share it)\n";
  return 0;
}

int run_trust_show(Context& ctx, const TrustOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto key = ws->public_key();
  if (!key.ok()) return fail(ctx, key.error());
  const Identity& id = ws->identity();
  if (o.json) {
    json::Value out = json::Value::object({{"name", ws->name()},
                                           {"public_key", key->to_text()},
                                           {"fingerprint", key->fingerprint()},
                                           {"root", ws->root().string()}});
    if (id.seal_key && id.seal_key_sig) {
      out.set("seal_key", id.seal_key->to_text());
      out.set("seal_key_sig", id.seal_key_sig->to_base64());
    }
    if (id.previous_public_key && id.previous_until) {
      out.set("previous_public_key", id.previous_public_key->to_text());
      out.set("previous_until", format_timestamp(*id.previous_until));
    }
    print_json(out);
    return 0;
  }
  std::cout << "workspace    " << ws->name() << "\n"
            << "public key   " << key->to_text() << "\n"
            << "fingerprint  " << key->fingerprint() << "\n";
  if (id.seal_key && id.seal_key_sig) {
    std::cout << "seal key     " << id.seal_key->to_text() << "\n"
              << "  signed     " << id.seal_key_sig->to_base64() << "\n";
  } else {
    std::cout << "seal key     none: run `bwoc trust --keygen` to make one\n";
  }
  if (id.previous_public_key && id.previous_until) {
    std::cout << "previous key " << id.previous_public_key->fingerprint() << ", still honoured until "
              << format_timestamp(*id.previous_until) << "\n";
  }
  return 0;
}

namespace {

Result<TrustStore> open_trust(const Context& ctx) {
  BWOC_ASSIGN_OR_RETURN(Workspace ws, ctx.open_workspace());
  BWOC_ASSIGN_OR_RETURN(Routes routes, Routes::load(ws.routes_file(), ws.root()));
  return TrustStore(ws, std::make_shared<const Routes>(std::move(routes)), false);
}

void print_goal(const Goal& g) {
  std::cout << g.id << "  " << g.peer << "  " << g.state << "  grant " << g.grant << " (" << tier_name(g.grant)
            << "), was " << g.before << "  started " << format_timestamp(g.started);
  if (g.expires) std::cout << ", expires " << format_timestamp(*g.expires);
  std::cout << "\n    " << g.objective << "\n";
  for (std::size_t i = 0; i < g.key_results.size(); ++i) {
    std::cout << "    " << (i + 1) << ". [" << (g.key_results[i].done ? "x" : " ") << "] " << g.key_results[i].text << "\n";
  }
}

}  // namespace


int run_trust_list(Context& ctx, const TrustOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto routes = Routes::load(ws->routes_file(), ws->root());
  if (!routes.ok()) return fail(ctx, routes.error());
  TrustStore trust(*ws, std::make_shared<const Routes>(*routes), false);
  auto peers = trust.list();
  if (!peers.ok()) return fail(ctx, peers.error());
  UnixMillis now = now_millis();
  auto state_of = [&](const PeerTrust& p) {
    const PeerRoute* route = routes->find(p.peer);
    return route ? key_state(*route, now) : std::string("pinned");
  };
  if (o.json) {
    print_json(node::trust_list_json(*peers, *routes, now));
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const PeerTrust& p : *peers) {
    rows.push_back({p.peer, std::to_string(p.tier) + " " + std::string(tier_name(p.tier)),
                    std::to_string(p.declared), std::to_string(p.consecutive_failures) + " in a row, " +
                                                    std::to_string(p.total_failures) + " in all",
                    state_of(p)});
  }
  if (rows.empty()) {
    std::cout << "no peers declared\n";
    return 0;
  }
  print_table({"PEER", "TIER", "DECLARED", "FAILED CALLS", "KEY"}, rows);
  return 0;
}

namespace {

void print_notices(const node::KeyChange& change) {
  std::size_t confirmed = 0;
  for (const node::PeerNotice& n : change.peers) {
    std::cout << "  " << n.peer << ": " << (n.confirmed ? "" : "not confirmed yet: ") << n.detail << "\n";
    if (n.confirmed) ++confirmed;
  }
  std::cout << confirmed << " of " << change.peers.size() << " peers confirmed";
  if (confirmed < change.peers.size()) {
    std::cout << "; the others get it when they are back (their drop folder, the MQTT spool)";
  }
  std::cout << "\n";
}

}  // namespace

int run_trust_rotate(Context& ctx, const TrustOptions& o) {
  auto grace = millis(o.grace, "--grace");
  if (!grace.ok()) return fail(ctx, grace.error());
  if (grace->count() > kMaxKeyGraceMs) return usage(ctx, "--grace is at most 30d");
  auto timeout = millis(o.timeout, "--timeout");
  if (!timeout.ok()) return fail(ctx, timeout.error());
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto change = node::rotate_key(*ws, grace->count(), *timeout);
  if (!change.ok()) return fail(ctx, change.error());
  std::cout << "Rotated the key of workspace \"" << ws->name() << "\"\n"
            << "  new key      " << change->new_key.to_text() << " (" << change->new_key.fingerprint() << ")\n"
            << "  old key      " << change->old_key.fingerprint() << ", still honoured until "
            << format_timestamp(change->grace_until) << "\n";
  print_notices(*change);
  return 0;
}

int run_trust_revoke(Context& ctx, const TrustOptions& o) {
  if (!o.force) {
    return usage(ctx, "revoking the key makes every peer refuse it at once and need a new invite: add --force");
  }
  auto timeout = millis(o.timeout, "--timeout");
  if (!timeout.ok()) return fail(ctx, timeout.error());
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto change = node::revoke_key(*ws, *timeout);
  if (!change.ok()) return fail(ctx, change.error());
  std::cout << "Revoked key " << change->old_key.fingerprint() << " of workspace \"" << ws->name() << "\"\n"
            << "  new key      " << change->new_key.to_text() << " (" << change->new_key.fingerprint() << ")\n"
            << "  every peer needs a new invite: `bwoc invite`\n";
  print_notices(*change);
  return 0;
}

int run_trust_set(Context& ctx, const TrustOptions& o) {
  auto tier = parse_tier(o.tier);
  if (!tier) return usage(ctx, "\"" + o.tier + "\" is not a tier: 0-3 or UNTRUSTED, KNOWN, INTERNAL, PRIVILEGED");
  auto trust = open_trust(ctx);
  if (!trust.ok()) return fail(ctx, trust.error());
  auto p = trust->set(o.peer, *tier);
  if (!p.ok()) return fail(ctx, p.error());
  std::cout << "Peer \"" << p->peer << "\" is now tier " << p->tier << " (" << tier_name(p->tier) << ")\n";
  if (p->tier <= kUntrusted) {
    if (auto ws = ctx.open_workspace(); ws.ok()) {
      cancel_requests_to(*ws, p->peer, "peer lowered to UNTRUSTED");
      if (auto key = pinned_key_of(*ws, p->peer)) refuse_queued_work_of(*ws, p->peer, *key, "peer lowered to UNTRUSTED");
    }
  }
  return 0;
}

int run_goal_start(Context& ctx, const GoalOptions& o) {
  auto grant = parse_tier(o.grant);
  if (!grant) return usage(ctx, "--grant is 1/KNOWN or 2/INTERNAL");
  std::optional<std::int64_t> expires;
  if (o.expires) {
    auto ms = parse_duration(*o.expires);
    if (!ms.ok()) return usage(ctx, "--expires: " + ms.error().message());
    expires = *ms;
  }
  auto trust = open_trust(ctx);
  if (!trust.ok()) return fail(ctx, trust.error());
  auto g = trust->start_goal(o.peer, o.objective, *grant, expires);
  if (!g.ok()) return fail(ctx, g.error());
  if (o.json) {
    print_json(goal_json(*g));
    return 0;
  }
  std::cout << "Goal " << g->id << " started: \"" << g->peer << "\" is tier " << std::max(g->grant, g->before)
            << " until it is done" << (g->expires ? " or expires at " + format_timestamp(*g->expires) : std::string())
            << "\n";
  return 0;
}

int run_goal_done(Context& ctx, const GoalOptions& o) {
  auto trust = open_trust(ctx);
  if (!trust.ok()) return fail(ctx, trust.error());
  auto g = trust->finish_goal(o.id);
  if (!g.ok()) return fail(ctx, g.error());
  auto tier = trust->list();
  std::cout << "Goal " << g->id << " done";
  bool untrusted_now = false;
  if (tier.ok()) {
    for (const PeerTrust& p : *tier) {
      if (p.peer != g->peer) continue;
      std::cout << ": \"" << p.peer << "\" is tier " << p.tier << " (" << tier_name(p.tier) << ")";
      untrusted_now = p.tier <= kUntrusted;
    }
  }
  std::cout << "\n";
  // The goal was all that let us work with it: what waits for it goes, and
  // its work queued here is refused, as when it is lowered by hand (a goal
  // that expires is caught by the courier, and by the ingest).
  if (untrusted_now) {
    if (auto ws = ctx.open_workspace(); ws.ok()) {
      std::string why = "goal " + g->id + " ended: peer is UNTRUSTED now";
      cancel_requests_to(*ws, g->peer, why);
      if (auto key = pinned_key_of(*ws, g->peer)) refuse_queued_work_of(*ws, g->peer, *key, why);
    }
  }
  return 0;
}

int run_goal_list(Context& ctx, const GoalOptions& o) {
  auto trust = open_trust(ctx);
  if (!trust.ok()) return fail(ctx, trust.error());
  auto goals = trust->goals();
  if (!goals.ok()) return fail(ctx, goals.error());
  if (o.json) {
    json::Value out = json::Value::array();
    for (const Goal& g : *goals) out.push_back(goal_json(g));
    print_json(out);
    return 0;
  }
  if (goals->empty()) std::cout << "no goals yet (bwoc goal start PEER --objective TEXT --grant TIER)\n";
  for (const Goal& g : *goals) print_goal(g);
  return 0;
}

int run_goal_kr_add(Context& ctx, const GoalOptions& o) {
  auto trust = open_trust(ctx);
  if (!trust.ok()) return fail(ctx, trust.error());
  auto g = trust->add_key_result(o.id, o.text);
  if (!g.ok()) return fail(ctx, g.error());
  print_goal(*g);
  return 0;
}

int run_goal_kr_done(Context& ctx, const GoalOptions& o) {
  auto trust = open_trust(ctx);
  if (!trust.ok()) return fail(ctx, trust.error());
  auto g = trust->tick_key_result(o.id, o.number);
  if (!g.ok()) return fail(ctx, g.error());
  print_goal(*g);
  return 0;
}

}  // namespace bwoc::cli
