// bwoc invite, bwoc peer add / remove: declaring peers without editing
// routes.toml by hand (which stays fully supported).
#include <algorithm>
#include <cctype>
#include <iostream>

#include "bwoc/core/peer_kinds.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/terminal_text.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/node/client.h"
#include "bwoc/node/network.h"
#include "bwoc/peer/invite.h"
#include "bwoc/peer/learn.h"
#include "bwoc/peer/reach.h"
#include "bwoc/peer/send.h"
#include "commands.h"
#include "progress.h"

namespace bwoc::cli {

int run_invite(Context& ctx, const PeerOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto key = ws->public_key();
  if (!key.ok()) return fail(ctx, key.error());
  peer::Invite invite;
  invite.name = ws->name();
  invite.pubkey = *key;
  // Peers that add this code seal what they send here by default.
  invite.seal_key = ws->identity().seal_key;
  invite.seal_key_sig = ws->identity().seal_key_sig;
  if (o.agent.empty()) {
    std::vector<std::string> agents = ws->agents();
    if (agents.size() == 1) invite.agent = agents.front();
  } else {
    std::string agent = agent_name(o.agent);
    if (!ws->has_agent(agent)) return fail(ctx, Error(Errc::not_found, "no agent \"" + agent + "\" in this workspace"));
    invite.agent = agent;
  }
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

namespace {

// The invite a peer needs from us: by the same ways it offered to be reached.
std::string invite_command_for(const peer::Invite& theirs) {
  std::string command = "bwoc invite";
  if (theirs.path) command += " --path";
  if (theirs.url) command += " --url URL";
  if (theirs.mqtt) command += " --mqtt-broker " + shell_word(theirs.mqtt->broker);
  return command;
}

}  // namespace

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
            << "compare the fingerprint with the one `bwoc trust show` prints in " << invite->name << "\n"
            << "next: " << invite->name << " adds this workspace too: give them the code `"
            << terminal_safe(invite_command_for(*invite))
            << "` prints here, for their `bwoc peer add CODE`\n";
  return 0;
}

int run_peer_remove(Context& ctx, const PeerOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  std::optional<PublicKey> key = pinned_key_of(*ws, o.key);  // before it goes
  if (Status st = peer::remove_peer(*ws, o.key); !st.ok()) return fail(ctx, st.error());
  std::cout << "removed peer \"" << o.key << "\": its envelopes are refused from now on (unknown_sender)\n";
  cancel_requests_to(*ws, o.key, "peer removed");
  if (key) refuse_queued_work_of(*ws, o.key, *key, "peer removed");
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
  std::vector<peer::Reach> reach;
  {
    std::size_t n = routes->peers().size();
    Progress probing(n == 0 ? "" : "probing " + std::to_string(n) + (n == 1 ? " peer" : " peers"));
    reach = peer::probe_peers(*ws, *routes, node::make_probers(), *timeout);
  }
  if (o.json) {
    json::Value arr = json::Value::array();
    for (const peer::Reach& r : reach) {
      json::Value v = json::Value::object({{"key", r.key},
                                           {"name", r.name},
                                           {"transport", std::string(via_name(r.via))},
                                           {"target", r.target},
                                           {"reachability", std::string(peer::state_name(r.state))}});
      if (!r.detail.empty()) v.set("detail", r.detail);
      if (const PeerRoute* route = routes->find(r.key)) v.set("key_state", key_state(*route, now_millis()));
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
    const PeerRoute* route = routes->find(r.key);
    rows.push_back({r.key, r.name.empty() ? "-" : r.name, std::string(via_name(r.via)), r.target, state,
                    route ? key_state(*route, now_millis()) : "pinned"});
  }
  print_table({"KEY", "NAME", "VIA", "TARGET", "REACHABILITY", "PINNED KEY"}, rows);
  return 0;
}

namespace {

// What a declared peer publishes, by the first of its transports that
// works, in routes.toml's order. By path its folder is read (the export its
// bwoc keeps, its shared files: nothing else, and nothing is written
// there); by url or mqtt a signed request goes to its node, which answers
// with a signed <kind>.result of the very same content.
struct PeerRead {
  json::Value payload;
  std::string how;  // "read from its folder", "over a2a (path: …)"
};

Result<PeerRead> read_peer(const Context& ctx, const PeerOptions& o, std::string_view kind, json::Value payload,
                           const std::function<Result<json::Value>(const PeerRoute&)>& from_folder) {
  BWOC_ASSIGN_OR_RETURN(Workspace ws, ctx.open_workspace());
  BWOC_ASSIGN_OR_RETURN(std::chrono::milliseconds timeout, millis(o.ask_timeout, "--timeout"));
  BWOC_ASSIGN_OR_RETURN(auto client, node::Client::open(ws, timeout));
  const PeerRoute* route = client->routes().find(o.key);
  if (route == nullptr) return Error(Errc::not_found, "no peer \"" + o.key + "\" in routes.toml (see `bwoc peer list`)");
  if (kind == kPeerLearnKind && !route->allowlist) {
    return Error(Errc::refused, "peer \"" + o.key + "\" is declared with allowlist = false: none of its shared "
                                "documents is read (set allowlist = true in routes.toml to read them)");
  }
  peer::AskRequest request;
  request.peer = o.key;
  request.from = o.from;
  request.kind = std::string(kind);
  request.payload = std::move(payload);
  request.timeout = timeout;
  if (o.seal) request.seal = peer::SealMode::always;
  if (o.via) {
    request.via = via_from_name(*o.via);
    if (!request.via) return Error(Errc::invalid_argument, "--via is path, a2a or mqtt");
    if (*request.via == Via::path && !route->path) {
      return Error(Errc::invalid_argument, "peer \"" + o.key + "\" declares no path in routes.toml");
    }
  }
  std::string path_failed;
  // A sealed request goes to the peer's node; its folder is read only in clear.
  if (route->path && !o.seal && (!request.via || *request.via == Via::path)) {
    auto read = from_folder(*route);
    if (read.ok()) return PeerRead{std::move(read).value(), "read from its folder"};
    if (read.error().code() != Errc::unavailable || request.via || (!route->url && !route->mqtt)) return read.error();
    path_failed = "path: " + read.error().message();
    request.skip.push_back(Via::path);
  }
  BWOC_ASSIGN_OR_RETURN(peer::AskResult asked, client->ask(request));
  if (asked.answer.kind != std::string(kind) + ".result") {
    const json::Value* e = asked.answer.payload().find("error");
    return Error(Errc::refused, peer::declined_message(o.key, e && e->is_string() ? terminal_safe(e->as_string().substr(0, 200))
                                                                                  : asked.answer.kind, ws.name()));
  }
  if (!path_failed.empty()) asked.skipped.insert(asked.skipped.begin(), path_failed);
  std::string how = "over " + std::string(via_name(asked.via));
  if (!asked.skipped.empty()) how += " (" + peer::describe_skipped(asked.skipped) + ")";
  return PeerRead{asked.answer.payload(), how};
}

}  // namespace

int run_peer_status(Context& ctx, const PeerOptions& o) {
  auto read = read_peer(ctx, o, kPeerStatusKind, json::Value::object(), peer::status_by_path);
  if (!read.ok()) return fail(ctx, read.error());
  const json::Value& summary = read->payload;
  std::string verified = format_timestamp(now_millis());
  if (o.json) {
    json::Value out = summary;
    out.set("peer", o.key);
    out.set("verified", verified);
    print_json(out);
    return 0;
  }
  // Everything below is the peer's own text.
  auto str = [](const json::Value* v) {
    return v != nullptr && v->is_string() ? terminal_safe(v->as_string()) : std::string("?");
  };
  std::cout << "peer " << o.key << " (workspace " << str(summary.find("workspace")) << "), " << read->how
            << ", key verified at " << verified << ", summary updated " << str(summary.find("updated")) << "\n";
  if (const json::Value* agents = summary.find("agents"); agents != nullptr && agents->is_array()) {
    std::string names;
    for (const auto& a : agents->items()) {
      if (a.is_string()) names += (names.empty() ? "" : ", ") + terminal_safe(a.as_string());
    }
    std::cout << "agents: " << (names.empty() ? "-" : names) << "\n";
  }
  if (const json::Value* teams = summary.find("teams"); teams != nullptr && teams->is_array()) {
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
  if (o.doc) {
    auto from_folder = [&](const PeerRoute& p) -> Result<json::Value> {
      auto text = peer::read_shared_by_path(p, *o.doc);
      if (!text.ok()) {
        if (text.error().code() != Errc::not_found) return text.error();
        return json::Value::object({{"doc", *o.doc}, {"found", false}});
      }
      return json::Value::object({{"doc", *o.doc}, {"found", true}, {"text", std::move(text).value()}});
    };
    auto read = read_peer(ctx, o, kPeerLearnKind, json::Value::object({{"doc", *o.doc}}), from_folder);
    if (!read.ok()) return fail(ctx, read.error());
    const json::Value* found = read->payload.find("found");
    const json::Value* text = read->payload.find("text");
    if (found == nullptr || !found->is_bool() || !found->as_bool() || text == nullptr || !text->is_string()) {
      return fail(ctx, Error(Errc::not_found, "peer \"" + o.key + "\" shares no document \"" + *o.doc + "\""));
    }
    print_document(text->as_string());
    return 0;
  }
  auto from_folder = [](const PeerRoute& p) -> Result<json::Value> {
    BWOC_ASSIGN_OR_RETURN(std::vector<peer::SharedInfo> docs, peer::shared_by_path(p));
    json::Value list = json::Value::array();
    for (const auto& d : docs) {
      list.push_back(json::Value::object(
          {{"name", d.name}, {"description", d.description}, {"modified", format_timestamp(d.modified)}}));
    }
    return json::Value::object({{"docs", std::move(list)}});
  };
  auto read = read_peer(ctx, o, kPeerLearnKind, json::Value::object(), from_folder);
  if (!read.ok()) return fail(ctx, read.error());
  std::vector<peer::SharedInfo> docs;
  if (const json::Value* list = read->payload.find("docs"); list != nullptr && list->is_array()) {
    for (const json::Value& d : list->items()) {
      const json::Value* name = d.find("name");
      const json::Value* description = d.find("description");
      const json::Value* modified = d.find("modified");
      if (name == nullptr || !name->is_string()) continue;
      peer::SharedInfo info{name->as_string(), description && description->is_string() ? description->as_string() : "", 0};
      if (modified && modified->is_string()) {
        if (auto t = parse_timestamp(modified->as_string()); t.ok()) info.modified = *t;
      }
      docs.push_back(std::move(info));
    }
  }
  if (o.json) {
    json::Value arr = json::Value::array();
    for (const auto& d : docs) {
      arr.push_back(json::Value::object(
          {{"name", d.name}, {"description", d.description}, {"modified", format_timestamp(d.modified)}}));
    }
    print_json(arr);
    return 0;
  }
  if (docs.empty()) {
    std::cout << "peer " << o.key << " shares no documents (" << read->how << ")\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : docs) {
    rows.push_back({terminal_safe(d.name), format_timestamp(d.modified), terminal_safe(d.description)});
  }
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
  auto client = node::Client::open(*ws);
  if (!client.ok()) return fail(ctx, client.error());
  peer::SendRequest req;
  req.peer = o.key;
  req.agent = o.agent;
  req.from = agent_name(from);
  req.kind = std::string(kFeedbackKind);
  req.payload = json::Value::object({{"score", o.score}, {"comment", o.comment}});
  if (o.seal) req.seal = peer::SealMode::always;
  auto sent = (*client)->send(req);
  if (!sent.ok()) return fail(ctx, sent.error());
  std::cout << "feedback " << sent->envelope.envelope.id << " to " << o.key << "/" << o.agent << " via "
            << via_name(sent->report.via) << ": " << terminal_safe(sent->report.detail) << "\n";
  return 0;
}

}  // namespace bwoc::cli
