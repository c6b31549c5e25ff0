// bwoc request, requests, result, request cancel: work that outlives the
// call (bwoc/core/requests.h, bwoc/node/courier.h).
#include <fstream>
#include <iostream>

#include "bwoc/core/request_ledger.h"
#include "bwoc/core/requests.h"
#include "bwoc/core/result_push.h"
#include "bwoc/core/terminal_text.h"
#include "bwoc/node/courier.h"
#include "bwoc/node/queued_work.h"
#include "bwoc/peer/send.h"
#include "bwoc/skill/manifest.h"
#include "commands.h"
#include "progress.h"

namespace bwoc::cli {

namespace {

// At most this many requests from one --inputs file.
constexpr std::size_t kMaxInputs = 100'000;

Result<std::vector<json::Value>> read_inputs(const RequestOptions& o) {
  std::vector<json::Value> inputs;
  if (o.inputs) {
    std::ifstream in(*o.inputs);
    if (!in) return Error(Errc::not_found, "--inputs: cannot read " + *o.inputs);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      if (inputs.size() == kMaxInputs) return Error(Errc::invalid_argument, "--inputs: more than 100000 lines");
      auto v = json::parse(line);
      if (!v.ok()) return Error(Errc::invalid_argument, "--inputs: line " + std::to_string(inputs.size() + 1) + ": " + v.error().message());
      inputs.push_back(std::move(v).value());
    }
    return inputs;
  }
  json::Value input = json::Value::object();
  if (o.input || o.input_file) {
    auto read = read_payload(o.input, o.input_file);
    if (!read.ok()) return Error(read.error().code(), "--input: " + read.error().message());
    input = std::move(read).value();
  }
  inputs.push_back(std::move(input));
  return inputs;
}

std::string when(UnixMillis t) { return t > 0 ? format_timestamp(t) : "-"; }

// What a settled request says, for the error line.
std::string settled_text(const RequestEntry& e) {
  std::string s = "request " + e.id + " " + std::string(request_state_name(e.state));
  if (!e.reason.empty()) s += ": " + e.reason;
  return s;
}

std::string pending_text(const RequestEntry& e) {
  std::string s = "still pending as " + e.id + " (" + std::string(request_state_name(e.state)) + ", " +
                  std::to_string(e.attempts) + (e.attempts == 1 ? " attempt" : " attempts");
  if (!e.via.empty()) s += ", last by " + e.via;
  return s + "): `bwoc result " + e.id + " --wait` picks it up; it is delivered while a service runs";
}

int print_outcome(Context& ctx, const RequestEntry& e, bool json_out) {
  if (json_out) {
    json::Value j = request_entry_json(e);
    if (!e.payload.is_null()) j.set("payload", e.payload);
    print_json(j);
    return e.state == RequestState::done ? 0 : 1;
  }
  if (e.state == RequestState::done) {
    const json::Value* output = e.payload.is_object() ? e.payload.find("output") : nullptr;
    print_json(output ? *output : json::Value());
    return 0;
  }
  if (!is_final(e.state)) return fail(ctx, Error(Errc::timeout, pending_text(e)));
  return fail(ctx, Error(Errc::refused, settled_text(e)));
}

}  // namespace

int run_request(Context& ctx, const RequestOptions& o) {
  if (o.target.empty() || o.skill.empty()) {
    return usage(ctx, "PEER and SKILL are required: bwoc request PEER[/AGENT] SKILL --input JSON");
  }
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  Result<std::pair<std::string, std::string>> target = std::make_pair(o.target, std::string());
  if (o.target.find('/') != std::string::npos) {
    target = peer::split_peer_agent(o.target);
    if (!target.ok()) return usage(ctx, target.error().message());
  } else if (!is_valid_peer_key(o.target)) {
    return usage(ctx, "\"" + o.target + "\" is not a peer key");
  }
  auto deadline = parse_duration(o.deadline);
  if (!deadline.ok() || *deadline <= 0 || *deadline > kMaxRequestDeadlineMs) {
    return usage(ctx, "--deadline: a duration such as 90s, 30m, 2d, at most 30d");
  }
  if (!skill::is_valid_skill_name(o.skill)) {
    return usage(ctx, "\"" + o.skill + "\" is not a skill name ([a-z][a-z0-9._-], at most 64)");
  }
  if (o.key && !is_valid_idem(*o.key)) return usage(ctx, "--key: 1 to 128 of A-Z a-z 0-9 . _ : -");
  if (o.key && o.inputs) return usage(ctx, "--key names one request: not with --inputs");
  auto inputs = read_inputs(o);
  if (!inputs.ok()) return fail(ctx, inputs.error());
  std::string from;
  if (o.from) {
    if (!ws->has_agent(*o.from)) return fail(ctx, Error(Errc::not_found, "no agent \"" + *o.from + "\" in this workspace"));
    from = *o.from;
  } else {
    auto agents = ws->agents();
    if (agents.empty()) return fail(ctx, Error(Errc::invalid_argument, "this workspace has no agent to ask from: `bwoc agent add NAME`"));
    from = agents.front();
  }
  auto routes = Routes::load(ws->routes_file(), ws->root());
  if (!routes.ok()) return fail(ctx, routes.error());
  const PeerRoute* route = routes->find(target->first);
  if (route == nullptr) {
    return fail(ctx, Error(Errc::not_found, "no peer \"" + target->first + "\" in routes.toml (see `bwoc peer list`)"));
  }
  if (Status revoked = refuse_if_revoked(*route); !revoked.ok()) return fail(ctx, revoked.error());
  UnixMillis now = now_millis();
  std::vector<RequestDraft> drafts;
  drafts.reserve(inputs->size());
  for (json::Value& input : *inputs) {
    RequestDraft d;
    d.peer = target->first;
    d.agent = target->second;
    d.from = from;
    d.skill = o.skill;
    d.input = std::move(input);
    d.version = o.version;
    d.idem = o.key.value_or("");
    d.deadline = now + *deadline;
    drafts.push_back(std::move(d));
  }
  auto store = RequestStore::open(*ws, /*read=*/false);
  if (!store.ok()) return fail(ctx, store.error());
  auto ids = (*store)->enqueue(std::move(drafts), now);
  if (!ids.ok()) return fail(ctx, ids.error());
  std::string out;
  for (const std::string& id : *ids) out += id + "\n";
  std::cout << out << std::flush;
  return 0;
}

void cancel_requests_to(const Workspace& ws, const std::string& peer, const std::string& why) {
  auto store = RequestStore::open(ws);
  auto cancelled = store.ok() ? (*store)->cancel_peer(peer, why) : Result<std::size_t>(store.error());
  if (!cancelled.ok()) {
    std::cerr << "bwoc: could not cancel the requests to \"" << terminal_safe(peer) << "\" now (they are at delivery): "
              << terminal_safe(cancelled.error().message()) << "\n";
  } else if (*cancelled > 0) {
    std::cout << "cancelled " << *cancelled << (*cancelled == 1 ? " pending request" : " pending requests") << " to \""
              << peer << "\" (" << why << ")\n";
  }
  // Results of its requests still to be pushed to it go too.
  auto pushes = PushStore::open(ws);
  auto purged = pushes.ok() ? (*pushes)->cancel_peer(peer, why) : Result<std::size_t>(pushes.error());
  if (!purged.ok()) {
    std::cerr << "bwoc: could not cancel the results waiting for \"" << terminal_safe(peer)
              << "\" now (they are at delivery): " << terminal_safe(purged.error().message()) << "\n";
  } else if (*purged > 0) {
    std::cout << "cancelled " << *purged << (*purged == 1 ? " result" : " results") << " waiting to be pushed to \""
              << peer << "\" (" << why << ")\n";
  }
}

std::optional<PublicKey> pinned_key_of(const Workspace& ws, const std::string& peer) {
  auto routes = Routes::load(ws.routes_file(), ws.root());
  if (!routes.ok()) return std::nullopt;
  const PeerRoute* route = routes->find(peer);
  if (route == nullptr) return std::nullopt;
  return route->pubkey;
}

void refuse_queued_work_of(const Workspace& ws, const std::string& peer, const PublicKey& key, const std::string& why) {
  auto refused = node::refuse_queued_requests(ws, key, peer, why);
  if (!refused.ok()) {
    std::cerr << "bwoc: could not refuse the requests \"" << terminal_safe(peer)
              << "\" queued here now (they are refused when taken in): " << terminal_safe(refused.error().message())
              << "\n";
  } else if (*refused > 0) {
    std::cout << "refused " << *refused << (*refused == 1 ? " request" : " requests") << " \"" << peer
              << "\" queued here (" << why << ")\n";
  }
}

int run_request_cancel(Context& ctx, const RequestOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  auto store = RequestStore::open(*ws);
  if (!store.ok()) return fail(ctx, store.error());
  auto cancelled = (*store)->cancel(o.id, "cancelled by hand");
  if (!cancelled.ok()) return fail(ctx, cancelled.error());
  auto e = (*store)->find(o.id);
  if (!*cancelled) {
    return fail(ctx, Error(Errc::refused, "request " + o.id + " is " + std::string(request_state_name(e->state)) + " already"));
  }
  std::cout << "cancelled " << o.id << "\n";
  return 0;
}

int run_requests(Context& ctx, const RequestOptions& o) {
  if (o.via && !o.deliver) return usage(ctx, "--via chooses the transport of --deliver: give both");
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  if (o.deliver) {
    node::CourierOptions co;
    if (o.via) {
      co.via = via_from_name(*o.via);
      if (!co.via) return usage(ctx, "--via: path, a2a or mqtt");
    }
    auto courier = node::Courier::open(*ws, co);
    if (!courier.ok()) return fail(ctx, courier.error());
    auto pass = (*courier)->pass(/*everything=*/true);
    if (!pass.ok()) return fail(ctx, pass.error());
    std::cerr << "bwoc requests: " << pass->sent << " sent, " << pass->answered << " answered, " << pass->unanswered
              << " not answered in time (the peer may be at work), " << pass->unreachable << " could not reach their peer, "
              << pass->waiting << " waiting, " << pass->settled << " expired or cancelled\n";
  }
  auto store = RequestStore::open(*ws);
  if (!store.ok()) return fail(ctx, store.error());
  std::vector<RequestEntry> all = (*store)->list();
  // What peers asked of this workspace, beside what it asked of them.
  auto asked_of_us = RequestLedger::list(*ws);
  if (!asked_of_us.ok()) return fail(ctx, asked_of_us.error());
  if (o.json) {
    json::Value arr = json::Value::array();
    for (const RequestEntry& e : all) {
      json::Value j = request_entry_json(e);
      j.set("direction", "outbound");
      arr.push_back(std::move(j));
    }
    for (const InboundWork& w : *asked_of_us) arr.push_back(inbound_work_json(w));
    print_json(arr);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const RequestEntry& e : all) {
    std::string note = e.reason;
    if (note.empty() && !e.via.empty()) note = "via " + e.via;
    rows.push_back({"out", e.id, e.draft.peer + (e.draft.agent.empty() ? "" : "/" + e.draft.agent), e.draft.skill,
                    std::string(request_state_name(e.state)), std::to_string(e.attempts), when(e.created),
                    when(e.updated), when(e.draft.deadline), note});
  }
  for (const InboundWork& w : *asked_of_us) {
    rows.push_back({"in", w.idem, w.peer, w.skill, w.state, "-", when(w.started), when(w.updated), when(w.deadline),
                    w.reason});
  }
  print_table({"DIR", "ID", "PEER", "SKILL", "STATE", "TRIES", "CREATED", "UPDATED", "DEADLINE", "NOTE"}, rows);
  return 0;
}

int run_result(Context& ctx, const RequestOptions& o) {
  auto ws = ctx.open_workspace();
  if (!ws.ok()) return fail(ctx, ws.error());
  if (o.wait) {
    only_problems_in_the_log();
    auto timeout = millis(o.wait->empty() ? "60s" : *o.wait, "--wait");
    if (!timeout.ok()) return fail(ctx, timeout.error());
    std::optional<Progress> shown;
    shown.emplace("waiting for request " + o.id);
    auto e = node::await_request(*ws, o.id, *timeout, [&](const node::RequestProgress& p) {
      std::string note = std::string(request_state_name(p.entry.state));
      if (!p.entry.via.empty()) note += " by " + p.entry.via;
      note += ", " + std::to_string(p.entry.attempts) + (p.entry.attempts == 1 ? " attempt" : " attempts");
      shown->note(note);
    });
    shown.reset();
    if (!e.ok()) return fail(ctx, e.error());
    return print_outcome(ctx, *e, o.json);
  }
  auto store = RequestStore::open(*ws);
  if (!store.ok()) return fail(ctx, store.error());
  auto e = (*store)->find(o.id);
  if (!e) return fail(ctx, Error(Errc::not_found, "no request \"" + o.id + "\" (see `bwoc requests`)"));
  return print_outcome(ctx, *e, o.json);
}

}  // namespace bwoc::cli
