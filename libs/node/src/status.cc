#include "bwoc/node/status.h"

#include <algorithm>
#include <map>
#include <memory>

#include "bwoc/node/network.h"
#include "bwoc/skill/manifest.h"

namespace bwoc::node {

namespace {

constexpr std::int64_t kDayMillis = 24 * 3600 * 1000;

json::Value service_json(const service::ServiceRecord& r) {
  json::Value v = service::state_json(r.state);
  v.set("liveness", std::string(service::liveness_name(r.liveness)));
  v.set("running", r.liveness == service::Liveness::running);
  return v;
}

json::Value peer_json(const PeerStatus& p) {
  json::Value transports = json::Value::array();
  for (Via via : p.transports) transports.push_back(std::string(via_name(via)));
  json::Value v = json::Value::object({{"key", p.key},
                                       {"name", p.name},
                                       {"transports", std::move(transports)},
                                       {"tier", p.tier},
                                       {"tier_name", std::string(tier_name(p.tier))},
                                       {"declared", p.declared},
                                       {"consecutive_failures", p.consecutive_failures},
                                       {"total_failures", p.total_failures}});
  if (p.last_seen) v.set("last_seen", format_timestamp(*p.last_seen));
  if (p.reach) {
    v.set("reachability", std::string(peer::state_name(p.reach->state)));
    v.set("probed", std::string(via_name(p.reach->via)));
    if (!p.reach->detail.empty()) v.set("detail", p.reach->detail);
  }
  return v;
}

json::Value events_json(const std::vector<EnvelopeEvent>& events) {
  json::Value out = json::Value::array();
  for (const EnvelopeEvent& e : events) out.push_back(event_json(e));
  return out;
}

}  // namespace

Result<WorkspaceStatus> collect_status(const Workspace& ws, const StatusOptions& o) {
  WorkspaceStatus s;
  s.name = ws.name();
  s.root = ws.root().string();
  s.at = o.now;
  auto problem = [&](const std::string& what, const Error& e) { s.problems.push_back(what + ": " + e.message()); };
  if (auto key = ws.public_key(); key.ok()) {
    s.public_key = key->to_text();
    s.fingerprint = key->fingerprint();
  } else {
    problem("key", key.error());
  }
  s.agents = ws.agents();

  if (auto services = service::read_states(ws); services.ok()) {
    s.services = std::move(services).value();
  } else {
    problem("services", services.error());
  }

  auto loaded = Routes::load(ws.routes_file(), ws.root());
  if (!loaded.ok()) problem("peers", loaded.error());
  auto routes = std::make_shared<const Routes>(loaded.ok() ? std::move(loaded).value() : Routes());

  if (auto in = recent_inbound(ws, *routes, o.recent); in.ok()) {
    s.recent_in = std::move(in).value();
  } else {
    problem("inboxes", in.error());
  }
  if (auto out = recent_outbound(ws, *routes, o.recent); out.ok()) {
    s.recent_out = std::move(out).value();
  } else {
    problem("sent envelopes", out.error());
  }

  TrustStore trust(ws, routes, false);
  // Without trust.json every peer has its declared tier and there is no
  // goal: nothing to read, and no lock file to make.
  std::error_code ec;
  const bool trust_kept = std::filesystem::exists(trust.state_file(), ec);
  std::map<std::string, PeerTrust> tiers;
  if (auto listed = trust_kept ? trust.list(o.now) : Result<std::vector<PeerTrust>>(std::vector<PeerTrust>());
      listed.ok()) {
    for (PeerTrust& t : *listed) tiers.emplace(t.peer, std::move(t));
  } else {
    problem("trust", listed.error());
  }
  std::map<std::string, UnixMillis> seen = peer::load_last_seen(ws);
  // An envelope a peer sent us is a sign of life too.
  for (const EnvelopeEvent& e : s.recent_in) {
    if (!e.peer.empty()) seen[e.peer] = std::max(seen[e.peer], e.at);
  }
  std::map<std::string, peer::Reach> reach;
  if (o.probe) {
    for (peer::Reach& r : peer::probe_peers(ws, *routes, make_probers(), o.probe_timeout)) {
      if (r.last_seen) seen[r.key] = std::max(seen[r.key], *r.last_seen);
      // What the probes saw is part of this status: it is as of after them
      // (else a peer seen just now would show as seen "in the future").
      if (r.last_seen) s.at = std::max(s.at, *r.last_seen);
      reach.emplace(r.key, std::move(r));
    }
  }
  for (const PeerRoute& route : routes->peers()) {
    PeerStatus p;
    p.key = route.key;
    p.name = route.name;
    p.transports = route.transports();
    if (auto t = tiers.find(route.key); t != tiers.end()) {
      p.tier = t->second.tier;
      p.declared = t->second.declared;
      p.consecutive_failures = t->second.consecutive_failures;
      p.total_failures = t->second.total_failures;
    } else {
      p.tier = p.declared = route.tier.value_or(kKnown);
    }
    if (auto t = seen.find(route.key); t != seen.end() && t->second > 0) p.last_seen = t->second;
    if (auto r = reach.find(route.key); r != reach.end()) p.reach = std::move(r->second);
    s.peers.push_back(std::move(p));
  }

  if (auto goals = trust_kept ? trust.goals(o.now) : Result<std::vector<Goal>>(std::vector<Goal>()); goals.ok()) {
    for (Goal& g : *goals) {
      if (g.state == "active") s.goals.push_back(std::move(g));
    }
  } else {
    problem("goals", goals.error());
  }

  // Read only when there is a file: status writes nothing.
  if (std::filesystem::exists(RequestStore::file_of(ws), ec)) {
    if (auto store = RequestStore::open(ws); store.ok()) {
      for (RequestEntry& e : (*store)->pending()) {
        if (e.draft.deadline > o.now) s.pending_requests.push_back(std::move(e));
      }
    } else {
      problem("requests", store.error());
    }
  }

  if (auto counts = count_refusals(ws, o.now - kDayMillis); counts.ok()) {
    s.refusals_24h = std::move(counts).value();
  } else {
    problem("refusals", counts.error());
  }

  for (const std::string& agent : s.agents) {
    auto skills = skill::load_skills(ws, agent);
    if (!skills.ok()) {
      problem("skills of " + agent, skills.error());
      continue;
    }
    for (const skill::Skill& k : *skills) {
      s.skills.push_back({agent, k.name, k.version, std::string(skill::visibility_name(k.visibility)), k.min_tier});
    }
  }
  if (auto calls = skill::call_stats(ws, o.skill_records); calls.ok()) {
    s.calls = std::move(calls).value();
  } else {
    problem("skill calls", calls.error());
  }
  return s;
}

json::Value status_json(const WorkspaceStatus& s) {
  json::Value services = json::Value::array();
  for (const auto& r : s.services) services.push_back(service_json(r));
  json::Value peers = json::Value::array();
  for (const PeerStatus& p : s.peers) peers.push_back(peer_json(p));
  json::Value goals = json::Value::array();
  for (const Goal& g : s.goals) goals.push_back(goal_json(g));
  json::Value reasons = json::Value::object();
  for (const auto& [reason, n] : s.refusals_24h.by_reason) reasons.set(reason, n);
  json::Value skills = json::Value::array();
  for (const SkillStatus& k : s.skills) {
    skills.push_back(json::Value::object({{"agent", k.agent},
                                          {"name", k.name},
                                          {"version", k.version},
                                          {"visibility", k.visibility},
                                          {"min_tier", k.min_tier}}));
  }
  json::Value agents = json::Value::array();
  for (const std::string& a : s.agents) agents.push_back(a);
  json::Value problems = json::Value::array();
  for (const std::string& p : s.problems) problems.push_back(p);
  json::Value out = json::Value::object({{"workspace", s.name}, {"root", s.root}});
  if (s.public_key) out.set("public_key", *s.public_key);
  if (s.fingerprint) out.set("fingerprint", *s.fingerprint);
  out.set("agents", std::move(agents));
  out.set("at", format_timestamp(s.at));
  out.set("services", std::move(services));
  out.set("peers", std::move(peers));
  out.set("goals", std::move(goals));
  out.set("envelopes", json::Value::object({{"in", events_json(s.recent_in)}, {"out", events_json(s.recent_out)}}));
  out.set("refusals_24h", json::Value::object({{"total", s.refusals_24h.total},
                                               {"partial", s.refusals_24h.partial},
                                               {"by_reason", std::move(reasons)}}));
  out.set("skills", std::move(skills));
  out.set("calls", skill::stats_json(s.calls));
  json::Value pending = json::Value::array();
  for (const RequestEntry& e : s.pending_requests) pending.push_back(request_entry_json(e));
  out.set("requests_pending", std::move(pending));
  out.set("problems", std::move(problems));
  return out;
}

}  // namespace bwoc::node
