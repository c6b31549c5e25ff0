#include "api.h"

#include <array>
#include <memory>

#include "bwoc/core/inbox.h"
#include "bwoc/core/refusal_log.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/trust.h"
#include "bwoc/node/activity.h"
#include "bwoc/node/status.h"
#include "bwoc/node/views.h"
#include "bwoc/peer/invite.h"
#include "bwoc/skill/manifest.h"
#include "bwoc/skill/metering.h"

namespace bwoc::dashboard {

namespace {

constexpr std::array<std::string_view, 7> kReads = {"/api/status", "/api/activity", "/api/trust", "/api/goals",
                                                    "/api/skills", "/api/inbox",    "/api/refusals"};
constexpr std::array<std::string_view, 8> kChanges = {"/api/trust/set",   "/api/peer/remove",   "/api/goal/start",
                                                      "/api/goal/kr/add", "/api/goal/kr/done",  "/api/goal/done",
                                                      "/api/skills/expose", "/api/skills/hide"};
constexpr std::size_t kMaxListed = 10'000;

Error bad(const std::string& why) { return Error(Errc::invalid_argument, why); }

Result<std::string> text_field(const json::Value& body, const char* name) {
  const json::Value* v = body.find(name);
  if (v == nullptr || !v->is_string() || v->as_string().empty()) return bad(std::string("\"") + name + "\" is a text");
  return v->as_string();
}

// A tier or a number given as a JSON number or as text ("2", "INTERNAL").
Result<int> tier_field(const json::Value& body, const char* name) {
  const json::Value* v = body.find(name);
  std::optional<int> tier;
  if (v != nullptr && v->is_string()) tier = parse_tier(v->as_string());
  if (v != nullptr && v->is_safe_integer()) tier = parse_tier(std::to_string(static_cast<long long>(v->as_number())));
  if (!tier) return bad(std::string("\"") + name + "\" is a tier: 0-3 or UNTRUSTED, KNOWN, INTERNAL, PRIVILEGED");
  return *tier;
}

Result<std::size_t> limit_of(const Query& query, std::size_t fallback) {
  auto it = query.find("limit");
  if (it == query.end()) return fallback;
  const std::string& text = it->second;
  if (text.empty() || text.size() > 6 || text.find_first_not_of("0123456789") != std::string::npos) {
    return bad("limit is a number up to " + std::to_string(kMaxListed));
  }
  std::size_t n = std::stoul(text);
  if (n > kMaxListed) return bad("limit is a number up to " + std::to_string(kMaxListed));
  // 0 is "all" for the CLI; a page gets at most the bound.
  return n == 0 ? kMaxListed : n;
}

Result<std::shared_ptr<const Routes>> load_routes(const Workspace& ws) {
  BWOC_ASSIGN_OR_RETURN(Routes routes, Routes::load(ws.routes_file(), ws.root()));
  return std::make_shared<const Routes>(std::move(routes));
}

Result<TrustStore> open_trust(const Workspace& ws) {
  BWOC_ASSIGN_OR_RETURN(auto routes, load_routes(ws));
  return TrustStore(ws, std::move(routes), false);
}

}  // namespace

bool Api::is_read(std::string_view path) {
  for (std::string_view p : kReads) {
    if (p == path) return true;
  }
  return false;
}

bool Api::is_change(std::string_view path) {
  for (std::string_view p : kChanges) {
    if (p == path) return true;
  }
  return false;
}

Result<json::Value> activity_json(const Workspace& ws) {
  // A routes.toml with a mistake still leaves the activity to see (without
  // the peers' names): the overview names the mistake.
  auto routes = load_routes(ws);
  const Routes none;
  BWOC_ASSIGN_OR_RETURN(std::vector<node::EnvelopeEvent> events,
                        node::recent_activity(ws, routes.ok() ? **routes : none, kActivityEvents));
  json::Value list = json::Value::array();
  for (const node::EnvelopeEvent& e : events) list.push_back(node::event_json(e));
  return json::Value::object({{"events", std::move(list)}});
}

Result<json::Value> Api::read(std::string_view path, const Query& query) const {
  if (path == "/api/status") {
    node::StatusOptions options;
    auto probe = query.find("probe");
    options.probe = probe != query.end() && probe->second == "1";
    BWOC_ASSIGN_OR_RETURN(node::WorkspaceStatus status, node::collect_status(ws_, options));
    return node::status_json(status);
  }
  if (path == "/api/activity") return activity_json(ws_);
  if (path == "/api/trust") {
    BWOC_ASSIGN_OR_RETURN(auto routes, load_routes(ws_));
    TrustStore trust(ws_, routes, false);
    BWOC_ASSIGN_OR_RETURN(std::vector<PeerTrust> peers, trust.list());
    return node::trust_list_json(peers, *routes, now_millis());
  }
  if (path == "/api/goals") {
    BWOC_ASSIGN_OR_RETURN(TrustStore trust, open_trust(ws_));
    BWOC_ASSIGN_OR_RETURN(std::vector<Goal> goals, trust.goals());
    json::Value out = json::Value::array();
    for (const Goal& g : goals) out.push_back(goal_json(g));
    return out;
  }
  if (path == "/api/skills") {
    json::Value skills = json::Value::array();
    for (const std::string& agent : ws_.agents()) {
      BWOC_ASSIGN_OR_RETURN(std::vector<skill::Skill> declared, skill::load_skills(ws_, agent));
      for (const skill::Skill& s : declared) skills.push_back(node::skill_listing_json(agent, s));
    }
    BWOC_ASSIGN_OR_RETURN(skill::StatsReport stats, skill::call_stats(ws_));
    return json::Value::object({{"skills", std::move(skills)}, {"stats", skill::stats_json(stats)}});
  }
  if (path == "/api/inbox") {
    auto agent = query.find("agent");
    if (agent == query.end() || !ws_.has_agent(agent->second)) return Error(Errc::not_found, "no such agent");
    BWOC_ASSIGN_OR_RETURN(std::size_t limit, limit_of(query, 100));
    BWOC_ASSIGN_OR_RETURN(auto routes, load_routes(ws_));
    BWOC_ASSIGN_OR_RETURN(InboxListing listing, list_inbox(ws_, *routes, agent->second, limit));
    BWOC_ASSIGN_OR_RETURN(InboxVerification verification, verify_inbox(ws_, *routes, agent->second));
    json::Value entries = json::Value::array();
    for (const InboxEntry& e : listing.entries) entries.push_back(node::inbox_entry_json(e));
    return json::Value::object({{"agent", agent->second},
                                {"total", listing.total},
                                {"entries", std::move(entries)},
                                {"verification", node::inbox_verification_json(agent->second, verification)}});
  }
  if (path == "/api/refusals") {
    BWOC_ASSIGN_OR_RETURN(std::size_t limit, limit_of(query, 100));
    BWOC_ASSIGN_OR_RETURN(std::vector<RefusalRecord> records, read_refusal_log(ws_.refusal_log_file(), limit));
    json::Value out = json::Value::array();
    for (const RefusalRecord& r : records) out.push_back(node::refusal_json(r));
    return out;
  }
  return Error(Errc::not_found, "no such page");
}

Result<json::Value> Api::change(std::string_view path, const json::Value& body) const {
  if (!body.is_object()) return bad("the body is a JSON object");
  if (path == "/api/trust/set") {
    BWOC_ASSIGN_OR_RETURN(std::string peer, text_field(body, "peer"));
    BWOC_ASSIGN_OR_RETURN(int tier, tier_field(body, "tier"));
    BWOC_ASSIGN_OR_RETURN(TrustStore trust, open_trust(ws_));
    BWOC_ASSIGN_OR_RETURN(PeerTrust changed, trust.set(peer, tier, "set in the dashboard"));
    return peer_trust_json(changed);
  }
  if (path == "/api/peer/remove") {
    BWOC_ASSIGN_OR_RETURN(std::string peer, text_field(body, "peer"));
    BWOC_RETURN_IF_ERROR(peer::remove_peer(ws_, peer));
    return json::Value::object({{"removed", peer}});
  }
  if (path == "/api/goal/start") {
    BWOC_ASSIGN_OR_RETURN(std::string peer, text_field(body, "peer"));
    BWOC_ASSIGN_OR_RETURN(std::string objective, text_field(body, "objective"));
    BWOC_ASSIGN_OR_RETURN(int grant, tier_field(body, "grant"));
    std::optional<std::int64_t> expires;
    if (const json::Value* e = body.find("expires"); e != nullptr && e->is_string() && !e->as_string().empty()) {
      auto ms = parse_duration(e->as_string());
      if (!ms.ok()) return bad("expires: " + ms.error().message());
      expires = *ms;
    }
    BWOC_ASSIGN_OR_RETURN(TrustStore trust, open_trust(ws_));
    BWOC_ASSIGN_OR_RETURN(Goal goal, trust.start_goal(peer, std::move(objective), grant, expires));
    return goal_json(goal);
  }
  if (path == "/api/goal/kr/add" || path == "/api/goal/kr/done" || path == "/api/goal/done") {
    BWOC_ASSIGN_OR_RETURN(std::string id, text_field(body, "id"));
    BWOC_ASSIGN_OR_RETURN(TrustStore trust, open_trust(ws_));
    if (path == "/api/goal/done") {
      BWOC_ASSIGN_OR_RETURN(Goal goal, trust.finish_goal(id));
      return goal_json(goal);
    }
    if (path == "/api/goal/kr/add") {
      BWOC_ASSIGN_OR_RETURN(std::string text, text_field(body, "text"));
      BWOC_ASSIGN_OR_RETURN(Goal goal, trust.add_key_result(id, std::move(text)));
      return goal_json(goal);
    }
    const json::Value* number = body.find("number");
    if (number == nullptr || !number->is_safe_integer() || number->as_number() < 1) {
      return bad("\"number\" is a key result's number, from 1");
    }
    BWOC_ASSIGN_OR_RETURN(Goal goal, trust.tick_key_result(id, static_cast<std::size_t>(number->as_number())));
    return goal_json(goal);
  }
  if (path == "/api/skills/expose" || path == "/api/skills/hide") {
    BWOC_ASSIGN_OR_RETURN(std::string agent, text_field(body, "agent"));
    BWOC_ASSIGN_OR_RETURN(std::string name, text_field(body, "name"));
    auto visibility = path == "/api/skills/expose" ? skill::Visibility::exposed : skill::Visibility::hidden;
    BWOC_RETURN_IF_ERROR(skill::set_visibility(ws_, agent, name, visibility));
    return json::Value::object(
        {{"agent", agent}, {"name", name}, {"visibility", std::string(skill::visibility_name(visibility))}});
  }
  return Error(Errc::not_found, "no such change");
}

}  // namespace bwoc::dashboard
