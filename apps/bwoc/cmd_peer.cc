// bwoc invite, bwoc peer add / remove: declaring peers without editing
// routes.toml by hand (which stays fully supported).
#include <iostream>

#include "bwoc/core/routes.h"
#include "bwoc/peer/invite.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/peer/reach.h"
#include "commands.h"
#include "network.h"

namespace bwoc::cli {

int run_invite(Context& ctx, const PeerOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto key = ws->public_key();
  if (!key.ok()) return fail(ctx, key.error());
  peer::Invite invite;
  invite.name = ws->name();
  invite.pubkey = *key;
  if (o.path) invite.path = std::filesystem::absolute(ws->root()).lexically_normal().string();
  if (o.url) invite.url = *o.url;
  if (o.mqtt_broker) invite.mqtt = MqttRoute{*o.mqtt_broker, o.mqtt_topic.value_or("bwoc/" + ws->name())};
  if (!invite.path && !invite.url && !invite.mqtt) {
    return usage(ctx, "say how peers reach this workspace: --path, --url URL or --mqtt-broker URL");
  }
  std::string code = peer::encode_invite(invite);
  // What we print must be what `peer add` accepts.
  if (auto check = peer::decode_invite(code); !check.ok()) return fail(ctx, check.error());
  if (o.json) {
    print_json(json::Value::object({{"code", code}, {"name", invite.name}, {"fingerprint", key->fingerprint()}}));
    return 0;
  }
  std::cout << code << "\n";
  std::cerr << "Give this code to the peer; it holds no secret. They should check that the fingerprint\n"
            << "`bwoc peer add` shows them is " << key->fingerprint() << ".\n";
  return 0;
}

int run_peer_add(Context& ctx, const PeerOptions& o) {
  auto invite = peer::decode_invite(o.code);
  if (!invite.ok()) return fail(ctx, invite.error());
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  std::string alias = o.key.empty() ? invite->name : o.key;
  if (Status st = peer::add_peer(*ws, *invite, alias); !st.ok()) return fail(ctx, st.error());
  std::string via;
  if (invite->path) via += " path";
  if (invite->url) via += " url";
  if (invite->mqtt) via += " mqtt";
  std::cout << "added peer \"" << alias << "\" (workspace " << invite->name << ", fingerprint "
            << invite->pubkey.fingerprint() << "), reached by" << via << "\n"
            << "compare the fingerprint with the one `bwoc trust show` prints in " << invite->name << "\n";
  return 0;
}

int run_peer_remove(Context& ctx, const PeerOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  if (Status st = peer::remove_peer(*ws, o.key); !st.ok()) return fail(ctx, st.error());
  std::cout << "removed peer \"" << o.key << "\": its envelopes are refused from now on (unknown_sender)\n";
  return 0;
}

int run_peer_list(Context& ctx, const PeerOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto routes = Routes::load(ws->routes_file(), ws->root());
  if (!routes.ok()) return fail(ctx, routes.error());
  auto timeout = millis(o.timeout, "--timeout");
  if (!timeout.ok()) return fail(ctx, timeout.error());
  if (timeout->count() < 1 || timeout->count() > 60'000) return usage(ctx, "--timeout must be between 1ms and 60s");
  std::vector<peer::Reach> reach = peer::probe_peers(*ws, *routes, make_probers(), *timeout);
  if (o.json) {
    json::Value arr = json::Value::array();
    for (const peer::Reach& r : reach) {
      json::Value v = json::Value::object({{"key", r.key},
                                           {"name", r.name},
                                           {"transport", std::string(via_name(r.via))},
                                           {"target", r.target},
                                           {"reachability", std::string(peer::state_name(r.state))}});
      if (!r.detail.empty()) v.set("detail", r.detail);
      if (r.last_seen) v.set("last_seen", format_timestamp(*r.last_seen));
      arr.push_back(std::move(v));
    }
    print_json(arr);
    return 0;
  }
  if (reach.empty()) {
    std::cout << "no peers declared: `bwoc peer add CODE` declares one (see `bwoc invite`)\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const peer::Reach& r : reach) {
    std::string state(peer::state_name(r.state));
    if (r.state != peer::Reach::State::reachable) {
      state += r.last_seen ? " (last seen " + format_timestamp(*r.last_seen) + ")" : " (never seen)";
    }
    rows.push_back({r.key, r.name.empty() ? "-" : r.name, std::string(via_name(r.via)), r.target, state});
  }
  print_table({"KEY", "NAME", "VIA", "TARGET", "REACHABILITY"}, rows);
  return 0;
}

}  // namespace bwoc::cli
