// bwoc invite, bwoc peer add / remove: declaring peers without editing
// routes.toml by hand (which stays fully supported).
#include <iostream>

#include "bwoc/core/routes.h"
#include "bwoc/core/terminal_text.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/peer/invite.h"
#include "bwoc/peer/learn.h"
#include "bwoc/peer/reach.h"
#include "bwoc/peer/send.h"
#include "commands.h"
#include "network.h"
#ifdef BWOC_HAVE_A2A
#include "bwoc/a2a/client.h"
#endif

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
  if (Status st = peer::check_invite(invite); !st.ok()) return fail(ctx, st.error());
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

namespace {

// The declared peer `key`, reached by path (its folder is read) or by url
// (its node is asked, with a signed request).
Result<PeerRoute> readable_peer(const Workspace& ws, const std::string& key) {
  BWOC_ASSIGN_OR_RETURN(Routes routes, Routes::load(ws.routes_file(), ws.root()));
  const PeerRoute* p = routes.find(key);
  if (p == nullptr) return Error(Errc::not_found, "no peer \"" + key + "\" in routes.toml (see `bwoc peer list`)");
  if (!p->path && !p->url) {
    return Error(Errc::unavailable, "peer \"" + key + "\" is reached by MQTT only; status and documents are read by "
                                    "path or over A2A");
  }
  return *p;
}

// Over A2A: a signed request from one of our agents, answered by the node.
Result<json::Value> ask(const Workspace& ws, const PeerRoute& peer, const std::string& kind, json::Value payload,
                        const std::string& from_option, std::chrono::milliseconds timeout) {
#ifdef BWOC_HAVE_A2A
  std::string from = from_option;
  if (from.empty()) {
    std::vector<std::string> agents = ws.agents();
    if (agents.empty()) return Error(Errc::invalid_argument, "this workspace has no agent to ask from: `bwoc agent add`");
    from = agents.front();
  }
  BWOC_ASSIGN_OR_RETURN(SecretKey key, ws.load_secret_key());
  a2a::ClientOptions options;
  options.connect_timeout = timeout;
  options.timeout = timeout;
  options.max_answer_bytes = 4u << 20;
  return a2a::ask_peer(key, peer, from, kind, std::move(payload), options);
#else
  (void)ws, (void)payload, (void)from_option, (void)kind, (void)timeout;
  return Error(Errc::unavailable, "this build of bwoc has no A2A transport to reach " + peer.key);
#endif
}

// What status and learn start from: this workspace, the peer, the timeout.
struct Target {
  std::optional<Workspace> ws;
  std::optional<PeerRoute> peer;
  std::chrono::milliseconds timeout;
};

Result<Target> open_target(const Context& ctx, const PeerOptions& o) {
  Target t;
  BWOC_ASSIGN_OR_RETURN(Workspace ws, ctx.open_workspace());
  t.ws.emplace(std::move(ws));
  BWOC_ASSIGN_OR_RETURN(PeerRoute p, readable_peer(*t.ws, o.key));
  t.peer = std::move(p);
  BWOC_ASSIGN_OR_RETURN(t.timeout, millis(o.ask_timeout, "--timeout"));
  return t;
}

}  // namespace

int run_peer_status(Context& ctx, const PeerOptions& o) {
  auto target = open_target(ctx, o);
  if (!target.ok()) return fail(ctx, target.error());
  auto& [ws, p, timeout] = *target;
  auto summary = p->path ? peer::status_by_path(*p) : ask(*ws, *p, "peer.status", json::Value::object(), o.from, timeout);
  if (!summary.ok()) return fail(ctx, summary.error());
  std::string verified = format_timestamp(now_millis());
  if (o.json) {
    json::Value out = *summary;
    out.set("peer", o.key);
    out.set("verified", verified);
    print_json(out);
    return 0;
  }
  // Everything below is the peer's own text.
  auto str = [](const json::Value* v) { return v != nullptr && v->is_string() ? terminal_safe(v->as_string()) : std::string("?"); };
  std::cout << "peer " << o.key << " (workspace " << str(summary->find("workspace")) << "), key verified at " << verified
            << ", summary updated " << str(summary->find("updated")) << "\n";
  if (const json::Value* agents = summary->find("agents"); agents != nullptr && agents->is_array()) {
    std::string names;
    for (const auto& a : agents->items()) {
      if (a.is_string()) names += (names.empty() ? "" : ", ") + terminal_safe(a.as_string());
    }
    std::cout << "agents: " << (names.empty() ? "-" : names) << "\n";
  }
  if (const json::Value* teams = summary->find("teams"); teams != nullptr && teams->is_array()) {
    for (const auto& t : teams->items()) {
      if (!t.is_object()) continue;
      std::cout << "team " << str(t.find("name")) << ":\n";
      const json::Value* open = t.find("open_tasks");
      if (open == nullptr || !open->is_array() || open->items().empty()) std::cout << "  no open tasks\n";
      if (open != nullptr && open->is_array()) {
        for (const auto& task : open->items()) {
          if (!task.is_object()) continue;
          std::string who = str(task.find("claimed_by"));
          std::cout << "  " << str(task.find("id")) << "  " << str(task.find("state"))
                    << (who.empty() || who == "?" ? "" : " by " + who) << "  " << str(task.find("title")) << "\n";
        }
      }
    }
  }
  return 0;
}

int run_peer_learn(Context& ctx, const PeerOptions& o) {
  auto target = open_target(ctx, o);
  if (!target.ok()) return fail(ctx, target.error());
  auto& [ws, p, timeout] = *target;
  auto not_shared = [&](const std::string& name) {
    return fail(ctx, Error(Errc::not_found, "peer \"" + o.key + "\" shares no document \"" + name + "\""));
  };
  if (o.doc) {
    if (p->path) {
      auto text = peer::read_shared_by_path(*p, *o.doc);
      if (!text.ok()) return fail(ctx, text.error());
      print_document(*text);
      return 0;
    }
    auto answer = ask(*ws, *p, "peer.learn", json::Value::object({{"doc", *o.doc}}), o.from, timeout);
    if (!answer.ok()) return fail(ctx, answer.error());
    const json::Value* found = answer->find("found");
    const json::Value* text = answer->find("text");
    if (found == nullptr || !found->is_bool() || !found->as_bool() || text == nullptr || !text->is_string()) {
      return not_shared(*o.doc);
    }
    print_document(text->as_string());
    return 0;
  }
  Result<std::vector<peer::SharedInfo>> docs = std::vector<peer::SharedInfo>();
  if (p->path) {
    docs = peer::shared_by_path(*p);
  } else {
    auto answer = ask(*ws, *p, "peer.learn", json::Value::object(), o.from, timeout);
    if (!answer.ok()) return fail(ctx, answer.error());
    const json::Value* list = answer->find("docs");
    if (list != nullptr && list->is_array()) {
      for (const json::Value& d : list->items()) {
        const json::Value* name = d.find("name");
        const json::Value* description = d.find("description");
        const json::Value* modified = d.find("modified");
        if (name == nullptr || !name->is_string()) continue;
        peer::SharedInfo info{name->as_string(), description && description->is_string() ? description->as_string() : "", 0};
        if (modified && modified->is_string()) {
          if (auto t = parse_timestamp(modified->as_string()); t.ok()) info.modified = *t;
        }
        docs->push_back(std::move(info));
      }
    }
  }
  if (!docs.ok()) return fail(ctx, docs.error());
  if (o.json) {
    json::Value arr = json::Value::array();
    for (const auto& d : *docs) {
      arr.push_back(json::Value::object(
          {{"name", d.name}, {"description", d.description}, {"modified", format_timestamp(d.modified)}}));
    }
    print_json(arr);
    return 0;
  }
  if (docs->empty()) {
    std::cout << "peer " << o.key << " shares no documents\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : *docs) rows.push_back({d.name, format_timestamp(d.modified), d.description});
  print_table({"NAME", "MODIFIED", "DESCRIPTION"}, rows);
  return 0;
}

int run_peer_feedback(Context& ctx, const PeerOptions& o) {
  if (o.score < 1 || o.score > 5) return usage(ctx, "--score must be 1 to 5");
  if (o.comment.size() > 4000) return usage(ctx, "--comment is at most 4000 characters");
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  std::string from = o.from;
  if (from.empty()) {
    std::vector<std::string> agents = ws->agents();
    if (agents.size() != 1) return usage(ctx, "say which agent gives the feedback: --from AGENT");
    from = agents.front();
  }
  auto routes = Routes::load(ws->routes_file(), ws->root());
  if (!routes.ok()) return fail(ctx, routes.error());
  auto key = ws->load_secret_key();
  if (!key.ok()) return fail(ctx, key.error());
  peer::SendRequest req;
  req.peer = o.key;
  req.agent = o.agent;
  req.from = agent_name(from);
  req.kind = "feedback";
  req.payload = json::Value::object({{"score", o.score}, {"comment", o.comment}});
  peer::Network network = make_network(*ws);
  auto sent = peer::send(*ws, *key, *routes, req, network);
  if (!sent.ok()) return fail(ctx, sent.error());
  std::cout << "feedback " << sent->id << " to " << o.key << "/" << o.agent << " via " << via_name(sent->report.via)
            << ": " << terminal_safe(sent->report.detail) << "\n";
  return 0;
}

}  // namespace bwoc::cli
