#include "bwoc/core/trust.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <set>

#include "bwoc/core/append_log.h"
#include "bwoc/core/files.h"
#include "bwoc/core/log.h"

namespace bwoc {

namespace {

constexpr std::size_t kMaxStateBytes = 8u << 20;
constexpr std::size_t kMaxGoals = 10'000;
constexpr std::size_t kMaxKeyResults = 100;
constexpr std::size_t kMaxTextBytes = 2'000;
// 1 (no "version" member): "tier" was the tier that held, goals included, and
// a goal stepped it down on its end. 2: "base" and each goal's "lift".
constexpr int kStateVersion = 2;

struct KeyState {
  std::string peer;
  std::optional<int> base;         // the tier without goals; unset: what routes.toml declares
  std::optional<int> legacy_tier;  // version 1 only, until migrated
  int consecutive = 0;
  int total = 0;
};

int as_int(const json::Value* v, int fallback) {
  if (v == nullptr || !v->is_number() || !v->is_safe_integer()) return fallback;
  // A hand-edited file may hold any integer JSON allows: it must not overflow an int.
  return static_cast<int>(std::clamp(v->as_number(), double{std::numeric_limits<int>::min()},
                                     double{std::numeric_limits<int>::max()}));
}
std::string as_text(const json::Value* v) { return v != nullptr && v->is_string() ? v->as_string() : std::string(); }

}  // namespace

struct TrustStore::State {
  std::map<std::string, KeyState> keys;  // by key text
  std::vector<Goal> goals;
  int next_goal = 1;
  std::vector<json::Value> audit;  // lines to append once the state is written
};

std::string_view tier_name(int tier) {
  switch (tier) {
    case kUntrusted: return "UNTRUSTED";
    case kKnown: return "KNOWN";
    case kInternal: return "INTERNAL";
    case kPrivileged: return "PRIVILEGED";
  }
  return "?";
}

std::optional<int> parse_tier(std::string_view text) {
  if (text.size() == 1 && text[0] >= '0' && text[0] <= '3') return text[0] - '0';
  std::string upper;
  for (char c : text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (int t = kUntrusted; t <= kPrivileged; ++t) {
    if (upper == tier_name(t)) return t;
  }
  return std::nullopt;
}

json::Value goal_json(const Goal& g) {
  json::Value krs = json::Value::array();
  for (const KeyResult& kr : g.key_results) krs.push_back(json::Value::object({{"text", kr.text}, {"done", kr.done}}));
  json::Value out = json::Value::object({{"id", g.id},
                                         {"peer", g.peer},
                                         {"key", g.key},
                                         {"objective", g.objective},
                                         {"grant", g.grant},
                                         {"before", g.before},
                                         {"lift", g.lift},
                                         {"started", format_timestamp(g.started)},
                                         {"state", g.state},
                                         {"key_results", std::move(krs)}});
  if (g.expires) out.set("expires", format_timestamp(*g.expires));
  return out;
}

json::Value peer_trust_json(const PeerTrust& p) {
  return json::Value::object({{"peer", p.peer},
                              {"key", p.key},
                              {"tier", p.tier},
                              {"tier_name", std::string(tier_name(p.tier))},
                              {"declared", p.declared},
                              {"consecutive_failures", p.consecutive_failures},
                              {"total_failures", p.total_failures}});
}

namespace {

Result<Goal> goal_from_json(const json::Value& v) {
  Goal g;
  g.id = as_text(v.find("id"));
  g.peer = as_text(v.find("peer"));
  g.key = as_text(v.find("key"));
  g.objective = as_text(v.find("objective"));
  // A goal never lifts above INTERNAL, whatever a hand-edited file says.
  g.grant = std::clamp<int>(as_int(v.find("grant"), kKnown), kKnown, kInternal);
  g.before = std::clamp<int>(as_int(v.find("before"), kKnown), kUntrusted, kPrivileged);
  g.lift = std::clamp<int>(as_int(v.find("lift"), kUntrusted), kUntrusted, kInternal);
  g.state = as_text(v.find("state"));
  auto started = parse_timestamp(as_text(v.find("started")));
  if (g.id.empty() || g.key.empty() || !started.ok()) return Error(Errc::corrupt, "a goal without id, key or start");
  g.started = *started;
  if (const json::Value* e = v.find("expires"); e && e->is_string()) {
    auto t = parse_timestamp(e->as_string());
    if (!t.ok()) return Error(Errc::corrupt, "goal " + g.id + " has a bad expiry");
    g.expires = *t;
  }
  if (const json::Value* krs = v.find("key_results"); krs && krs->is_array()) {
    for (const json::Value& kr : krs->items()) {
      const json::Value* done = kr.find("done");
      g.key_results.push_back({as_text(kr.find("text")), done && done->is_bool() && done->as_bool()});
    }
  }
  return g;
}

int declared_tier(const PeerRoute& p) { return p.tier.value_or(kKnown); }

int declared_tier_of(const Routes* routes, const std::string& key_text) {
  auto key = PublicKey::from_text(key_text);
  const PeerRoute* route = routes != nullptr && key.ok() ? routes->find_by_pubkey(*key) : nullptr;
  return route != nullptr ? declared_tier(*route) : kKnown;
}

bool is_active_goal_of(const Goal& g, const std::string& key) { return g.state == "active" && g.key == key; }

Result<Goal*> find_goal(std::vector<Goal>& goals, std::string_view id) {
  auto it = std::find_if(goals.begin(), goals.end(), [&](const Goal& g) { return g.id == id; });
  if (it == goals.end()) return Error(Errc::not_found, "no goal \"" + std::string(id) + "\"");
  return &*it;
}

// The tier that holds: the base, raised to the lift of each active goal.
int tier_in(const std::map<std::string, KeyState>& keys, const std::vector<Goal>& goals, const std::string& key,
            int declared) {
  auto it = keys.find(key);
  int tier = it != keys.end() && it->second.base ? *it->second.base : declared;
  for (const Goal& g : goals) {
    if (is_active_goal_of(g, key)) tier = std::max(tier, g.lift);
  }
  return tier;
}

// Decay: the base and every active goal's lift come down to at most `tier`,
// so that ending one of those goals later cannot bring the old tier back.
void lower_to(std::map<std::string, KeyState>& keys, std::vector<Goal>& goals, const std::string& key, int declared,
              int tier) {
  KeyState& k = keys[key];
  k.base = std::min(k.base.value_or(declared), tier);
  for (Goal& g : goals) {
    if (is_active_goal_of(g, key)) g.lift = std::min(g.lift, tier);
  }
}

// Version 1 kept only the tier that held. Read so that nothing changes now and
// nothing rises later: goals that explain that tier lift it, and without them
// the peer falls back no higher than where the earliest of them found it.
void migrate_from_version_1(std::map<std::string, KeyState>& keys, std::vector<Goal>& goals, const Routes* routes) {
  std::set<std::string> with_goals;
  for (Goal& g : goals) {
    if (g.state == "active") with_goals.insert(g.key);
    g.lift = kUntrusted;
  }
  for (auto& [key, k] : keys) k.base = k.legacy_tier;
  for (const std::string& key : with_goals) {
    KeyState& k = keys[key];
    int held = k.legacy_tier.value_or(declared_tier_of(routes, key));
    int lowest_before = kPrivileged;
    bool explained = false;
    for (Goal& g : goals) {
      if (!is_active_goal_of(g, key)) continue;
      g.lift = std::min(g.grant, held);
      explained = explained || g.grant >= held;
      lowest_before = std::min(lowest_before, g.before);
    }
    if (explained) k.base = std::min(held, lowest_before);
  }
  for (auto& [key, k] : keys) k.legacy_tier.reset();
}

json::Value audit_line(UnixMillis now, const std::string& peer, const std::string& key, int from, int to,
                       std::string_view why) {
  return json::Value::object({{"ts", format_timestamp(now)},
                              {"peer", peer},
                              {"key", key},
                              {"from", from},
                              {"to", to},
                              {"why", std::string(why)}});
}

}  // namespace

Status TrustStore::update(UnixMillis now, const std::function<Result<bool>(State&)>& change) {
  BWOC_RETURN_IF_ERROR(ensure_directory(ws_.state_dir(), 0700));
  BWOC_ASSIGN_OR_RETURN(FileLock lock, FileLock::acquire(ws_.state_dir() / "trust.lock"));
  State state;
  auto text = read_file_bounded(state_file(), kMaxStateBytes);
  if (text.ok()) {
    auto doc = json::parse(*text, json::ParseLimits{kMaxStateBytes, 16});
    if (!doc.ok() || !doc->is_object()) {
      return Error(Errc::corrupt, state_file().string() + " does not parse; move it aside to start from routes.toml");
    }
    int version = as_int(doc->find("version"), 1);
    if (version > kStateVersion) {
      return Error(Errc::corrupt, state_file().string() + " was written by a newer bwoc (state version " +
                                      std::to_string(version) + ")");
    }
    if (const json::Value* keys = doc->find("keys"); keys && keys->is_object()) {
      for (const json::Member& m : keys->members()) {
        KeyState k;
        k.peer = as_text(m.value.find("peer"));
        const char* base_member = version == 1 ? "tier" : "base";
        if (const json::Value* t = m.value.find(base_member); t && t->is_number()) {
          (version == 1 ? k.legacy_tier : k.base) = std::clamp<int>(as_int(t, kKnown), kUntrusted, kPrivileged);
        }
        k.consecutive = as_int(m.value.find("consecutive_failures"), 0);
        k.total = as_int(m.value.find("total_failures"), 0);
        state.keys[m.name] = std::move(k);
      }
    }
    if (const json::Value* goals = doc->find("goals"); goals && goals->is_array()) {
      for (const json::Value& g : goals->items()) {
        BWOC_ASSIGN_OR_RETURN(Goal goal, goal_from_json(g));
        state.goals.push_back(std::move(goal));
      }
    }
    state.next_goal = std::max(1, as_int(doc->find("next_goal"), 1));
    if (version == 1) migrate_from_version_1(state.keys, state.goals, routes_.get());
  } else if (text.error().code() != Errc::not_found) {
    return text.error();
  }

  // Goals that ran out step their peer down before anything else reads a tier.
  bool changed = false;
  for (Goal& g : state.goals) {
    if (g.state != "active" || !g.expires || *g.expires > now) continue;
    int declared = declared_tier_of(routes_.get(), g.key);
    int from = tier_in(state.keys, state.goals, g.key, declared);
    g.state = "expired";
    g.lift = kUntrusted;
    int to = tier_in(state.keys, state.goals, g.key, declared);
    if (to != from) state.audit.push_back(audit_line(now, g.peer, g.key, from, to, "goal " + g.id + " expired"));
    changed = true;
  }

  BWOC_ASSIGN_OR_RETURN(bool write, change(state));
  if (!write && !changed) return Status();

  json::Value keys = json::Value::object();
  for (const auto& [key, k] : state.keys) {
    json::Value v = json::Value::object({{"peer", k.peer},
                                         {"consecutive_failures", k.consecutive},
                                         {"total_failures", k.total}});
    if (k.base) v.set("base", *k.base);
    // "tier" is what a bwoc that knows only version 1 reads.
    int declared = declared_tier_of(routes_.get(), key);
    int tier = tier_in(state.keys, state.goals, key, declared);
    if (k.base || tier != declared) v.set("tier", tier);
    keys.set(key, std::move(v));
  }
  json::Value goals = json::Value::array();
  for (const Goal& g : state.goals) goals.push_back(goal_json(g));
  json::Value doc = json::Value::object({{"version", kStateVersion},
                                         {"keys", std::move(keys)},
                                         {"goals", std::move(goals)},
                                         {"next_goal", state.next_goal}});
  BWOC_RETURN_IF_ERROR(write_file_atomic(state_file(), json::write_pretty(doc) + "\n", 0600));
  for (const json::Value& line : state.audit) {
    BWOC_RETURN_IF_ERROR(append_records(audit_file(), json::write(line) + "\n"));
    if (log_changes_) log::info("trust.changed", {{"peer", as_text(line.find("peer"))},
                                {"to", std::to_string(as_int(line.find("to"), 0))},
                                {"why", as_text(line.find("why"))}});
  }
  return Status();
}

Result<std::optional<int>> TrustStore::tier_of(const PublicKey& key, std::optional<UnixMillis> now) {
  BWOC_ASSIGN_OR_RETURN(PublicKey self, ws_.public_key());
  if (key == self) return std::optional<int>(kPrivileged);
  const PeerRoute* route = routes_ ? routes_->find_by_pubkey(key) : nullptr;
  if (route == nullptr) return std::optional<int>();
  std::optional<int> tier;
  BWOC_RETURN_IF_ERROR(update(now.value_or(clock_()), [&](State& s) -> Result<bool> {
    // By the pinned key: a rotated peer's previous key shares its state.
    tier = tier_in(s.keys, s.goals, route->pubkey.to_text(), declared_tier(*route));
    return false;
  }));
  return tier;
}

Status TrustStore::rename_key(const PublicKey& old_key, const PublicKey& new_key) {
  return update(clock_(), [&](State& s) -> Result<bool> {
    bool changed = false;
    if (auto it = s.keys.find(old_key.to_text()); it != s.keys.end()) {
      s.keys[new_key.to_text()] = it->second;
      s.keys.erase(it);
      changed = true;
    }
    for (Goal& g : s.goals) {
      if (g.key == old_key.to_text()) {
        g.key = new_key.to_text();
        changed = true;
      }
    }
    return changed;
  });
}

Result<std::vector<PeerTrust>> TrustStore::list(std::optional<UnixMillis> now) {
  std::vector<PeerTrust> out;
  BWOC_RETURN_IF_ERROR(update(now.value_or(clock_()), [&](State& s) -> Result<bool> {
    for (const PeerRoute& p : routes_ ? routes_->peers() : std::vector<PeerRoute>{}) {
      PeerTrust t;
      t.peer = p.key;
      t.key = p.pubkey.to_text();
      t.declared = declared_tier(p);
      t.tier = tier_in(s.keys, s.goals, t.key, t.declared);
      if (auto it = s.keys.find(t.key); it != s.keys.end()) {
        t.consecutive_failures = it->second.consecutive;
        t.total_failures = it->second.total;
      }
      out.push_back(std::move(t));
    }
    return false;
  }));
  return out;
}

Result<PeerTrust> TrustStore::set(std::string_view peer, int tier, std::string_view why) {
  const PeerRoute* route = routes_ ? routes_->find(peer) : nullptr;
  if (route == nullptr) return Error(Errc::not_found, "no peer \"" + std::string(peer) + "\" in routes.toml");
  if (tier < kUntrusted || tier > kPrivileged) return Error(Errc::invalid_argument, "a tier is 0 to 3");
  PeerTrust out;
  UnixMillis now = clock_();
  BWOC_RETURN_IF_ERROR(update(now, [&](State& s) -> Result<bool> {
    const std::string key = route->pubkey.to_text();
    int before = tier_in(s.keys, s.goals, key, declared_tier(*route));
    KeyState& k = s.keys[key];
    k.peer = route->key;
    k.base = tier;
    k.consecutive = 0;
    k.total = 0;
    // The operator's word stands: goals active now lift it no more.
    for (Goal& g : s.goals) {
      if (is_active_goal_of(g, key)) g.lift = kUntrusted;
    }
    s.audit.push_back(audit_line(now, route->key, key, before, tier, why));
    out = {route->key, route->pubkey.to_text(), declared_tier(*route), tier, 0, 0};
    return true;
  }));
  return out;
}

Result<std::optional<int>> TrustStore::record_outcome(const PublicKey& key, bool success, std::string_view side) {
  const PeerRoute* route = routes_ ? routes_->find_by_pubkey(key) : nullptr;
  if (route == nullptr) return std::optional<int>();
  std::optional<int> tier;
  UnixMillis now = clock_();
  BWOC_RETURN_IF_ERROR(update(now, [&](State& s) -> Result<bool> {
    const std::string key_text = key.to_text();
    int current = tier_in(s.keys, s.goals, key_text, declared_tier(*route));
    KeyState& k = s.keys[key_text];
    k.peer = route->key;
    tier = current;
    if (success) {
      if (k.consecutive == 0) return false;
      k.consecutive = 0;
      return true;
    }
    ++k.consecutive;
    ++k.total;
    int lowered = current;
    std::string why;
    if (k.total >= kDecayTotal) {
      lowered = kUntrusted;
      why = std::to_string(k.total) + " failed or refused calls in all (" + std::string(side) + ")";
    } else if (k.consecutive >= kDecayRun) {
      lowered = std::max<int>(kUntrusted, current - 1);
      why = std::to_string(k.consecutive) + " failed or refused calls in a row (" + std::string(side) + ")";
      k.consecutive = 0;
    }
    if (lowered != current) {
      lower_to(s.keys, s.goals, key_text, declared_tier(*route), lowered);
      s.audit.push_back(audit_line(now, route->key, key_text, current, lowered, why));
    }
    tier = lowered;
    return true;
  }));
  return tier;
}

Result<Goal> TrustStore::start_goal(std::string_view peer, std::string objective, int grant,
                                    std::optional<std::int64_t> expires_in_ms) {
  const PeerRoute* route = routes_ ? routes_->find(peer) : nullptr;
  if (route == nullptr) return Error(Errc::not_found, "no peer \"" + std::string(peer) + "\" in routes.toml");
  if (grant < kKnown || grant > kInternal) {
    return Error(Errc::invalid_argument, "a goal grants KNOWN (1) or INTERNAL (2); PRIVILEGED is set by hand with `bwoc trust set`");
  }
  if (objective.empty() || objective.size() > kMaxTextBytes || !json::is_valid_utf8(objective)) {
    return Error(Errc::invalid_argument, "the objective must be 1 to 2000 bytes of text");
  }
  if (expires_in_ms && *expires_in_ms <= 0) return Error(Errc::invalid_argument, "--expires must be a positive duration");
  Goal goal;
  UnixMillis now = clock_();
  BWOC_RETURN_IF_ERROR(update(now, [&](State& s) -> Result<bool> {
    if (s.goals.size() >= kMaxGoals) return Error(Errc::invalid_argument, "too many goals are kept; finish some first");
    const std::string key = route->pubkey.to_text();
    s.keys[key].peer = route->key;
    int current = tier_in(s.keys, s.goals, key, declared_tier(*route));
    goal.id = "g" + std::to_string(s.next_goal++);
    goal.peer = route->key;
    goal.key = key;
    goal.objective = std::move(objective);
    goal.grant = grant;
    goal.before = current;
    goal.lift = grant;
    goal.started = now;
    if (expires_in_ms) goal.expires = now + *expires_in_ms;
    s.goals.push_back(goal);
    int raised = tier_in(s.keys, s.goals, key, declared_tier(*route));
    if (raised != current) {
      s.audit.push_back(audit_line(now, route->key, key, current, raised, "goal " + goal.id + " started"));
    }
    return true;
  }));
  return goal;
}

Result<Goal> TrustStore::finish_goal(std::string_view id) {
  Goal out;
  UnixMillis now = clock_();
  BWOC_RETURN_IF_ERROR(update(now, [&](State& s) -> Result<bool> {
    BWOC_ASSIGN_OR_RETURN(Goal* it, find_goal(s.goals, id));
    if (it->state != "active") return Error(Errc::invalid_argument, "goal " + it->id + " is already " + it->state);
    int declared = declared_tier_of(routes_.get(), it->key);
    int from = tier_in(s.keys, s.goals, it->key, declared);
    it->state = "done";
    it->lift = kUntrusted;
    int to = tier_in(s.keys, s.goals, it->key, declared);
    if (to != from) s.audit.push_back(audit_line(now, it->peer, it->key, from, to, "goal " + it->id + " done"));
    out = *it;
    return true;
  }));
  return out;
}

Result<Goal> TrustStore::add_key_result(std::string_view id, std::string text) {
  if (text.empty() || text.size() > kMaxTextBytes || !json::is_valid_utf8(text)) {
    return Error(Errc::invalid_argument, "a key result must be 1 to 2000 bytes of text");
  }
  Goal out;
  BWOC_RETURN_IF_ERROR(update(clock_(), [&](State& s) -> Result<bool> {
    BWOC_ASSIGN_OR_RETURN(Goal* it, find_goal(s.goals, id));
    if (it->key_results.size() >= kMaxKeyResults) return Error(Errc::invalid_argument, "a goal has at most 100 key results");
    it->key_results.push_back({std::move(text), false});
    out = *it;
    return true;
  }));
  return out;
}

Result<Goal> TrustStore::tick_key_result(std::string_view id, std::size_t number) {
  Goal out;
  BWOC_RETURN_IF_ERROR(update(clock_(), [&](State& s) -> Result<bool> {
    BWOC_ASSIGN_OR_RETURN(Goal* it, find_goal(s.goals, id));
    if (number == 0 || number > it->key_results.size()) {
      return Error(Errc::not_found, "goal " + it->id + " has no key result " + std::to_string(number));
    }
    it->key_results[number - 1].done = true;
    out = *it;
    return true;
  }));
  return out;
}

Result<std::vector<Goal>> TrustStore::goals(std::optional<UnixMillis> now) {
  std::vector<Goal> out;
  BWOC_RETURN_IF_ERROR(update(now.value_or(clock_()), [&](State& s) -> Result<bool> {
    out = s.goals;
    return false;
  }));
  return out;
}

}  // namespace bwoc
