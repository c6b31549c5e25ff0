// Trust tiers: who may do what, decided by the verified signing key.
//
//   0 UNTRUSTED   ping only; sees no skills
//   1 KNOWN       discovers and calls exposed skills (a declared peer's default)
//   2 INTERNAL
//   3 PRIVILEGED  set by hand only (`bwoc trust set`), never by a goal
//
// A declared peer starts at the tier its routes.toml entry gives; changes
// live in .bwoc/state/trust.json (never by rewriting routes.toml), and each
// one is a line in .bwoc/state/trust-audit.jsonl. An undeclared key has no
// tier at all. This workspace's own key is PRIVILEGED.
//
// A peer's tier is its base (what holds without goals: declared, set by
// hand, lowered by decay) raised to the lift of each of its active goals.
// A goal's lift starts at its grant; `trust set` drops the lift of every goal
// active at that moment to nothing, and decay lowers every lift with the tier.
// So ending or expiring a goal only ever takes its own lift away: it never
// raises a tier, and neither a hand-set tier nor decay since the goal began
// is undone by it (docs/SKILLS.md states the rules). Decay counts calls that
// passed every receiver check and then failed or were refused: 3 in a row
// lower a peer one tier, 10 in all lower it to UNTRUSTED; a success resets
// the run. Every change happens under .bwoc/state/trust.lock, so concurrent
// processes (a2a serve, mqtt subscribe, ingest) neither lose nor double one.
#ifndef BWOC_CORE_TRUST_H_
#define BWOC_CORE_TRUST_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bwoc/core/json.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/result.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/core/workspace.h"

namespace bwoc {

enum Tier : int { kUntrusted = 0, kKnown = 1, kInternal = 2, kPrivileged = 3 };
std::string_view tier_name(int tier);
// "0".."3" or a name ("known", "INTERNAL", ...).
std::optional<int> parse_tier(std::string_view text);

inline constexpr int kDecayRun = 3;     // consecutive failures that lower one tier
inline constexpr int kDecayTotal = 10;  // failures in all that lower to UNTRUSTED

struct PeerTrust {
  std::string peer;  // alias in routes.toml
  std::string key;   // ed25519:...
  int declared = kKnown;   // what routes.toml says
  int tier = kKnown;       // what holds now
  int consecutive_failures = 0;
  int total_failures = 0;
};

struct KeyResult {
  std::string text;
  bool done = false;
};

struct Goal {
  std::string id;  // "g1", "g2", ...
  std::string peer;
  std::string key;
  std::string objective;
  int grant = kKnown;
  int before = kKnown;  // the tier it had when the goal started
  int lift = kKnown;    // while active: the tier it holds the peer at (its grant, lowered by decay, 0 after `trust set`)
  UnixMillis started = 0;
  std::optional<UnixMillis> expires;
  std::string state = "active";  // active, done, expired
  std::vector<KeyResult> key_results;
};

class TrustStore {
 public:
  // `log_changes`: each change is also a "trust.changed" log line (services);
  // the audit file gets it either way.
  TrustStore(Workspace ws, std::shared_ptr<const Routes> routes, bool log_changes = true)
      : ws_(std::move(ws)), routes_(std::move(routes)), log_changes_(log_changes) {}

  // What "now" is for every change and read without an explicit time (tests
  // drive expiries with it instead of waiting).
  void set_clock(std::function<UnixMillis()> clock) { clock_ = std::move(clock); }

  // The tier of a verified key: nullopt for a key that is not declared.
  // Applies goal expiries first.
  Result<std::optional<int>> tier_of(const PublicKey& key, std::optional<UnixMillis> now = std::nullopt);

  Result<std::vector<PeerTrust>> list(std::optional<UnixMillis> now = std::nullopt);
  // By hand: any tier, PRIVILEGED included. Resets the failure counts.
  Result<PeerTrust> set(std::string_view peer, int tier, std::string_view why = "set by hand");

  // Decay: one call from (or to) `key` that failed or was refused, or succeeded.
  // Returns the tier after it; nullopt for an undeclared key.
  Result<std::optional<int>> record_outcome(const PublicKey& key, bool success, std::string_view side);

  // A peer's key was rotated: its tier, counts and goals follow it.
  Status rename_key(const PublicKey& old_key, const PublicKey& new_key);

  Result<Goal> start_goal(std::string_view peer, std::string objective, int grant, std::optional<std::int64_t> expires_in_ms);
  Result<Goal> finish_goal(std::string_view id);
  Result<Goal> add_key_result(std::string_view id, std::string text);
  Result<Goal> tick_key_result(std::string_view id, std::size_t number);  // 1-based
  Result<std::vector<Goal>> goals(std::optional<UnixMillis> now = std::nullopt);

  std::filesystem::path state_file() const { return ws_.state_dir() / "trust.json"; }
  std::filesystem::path audit_file() const { return ws_.state_dir() / "trust-audit.jsonl"; }

 private:
  struct State;
  // Runs `change` on the state under the lock, writing it back when it returns true.
  Status update(UnixMillis now, const std::function<Result<bool>(State&)>& change);

  Workspace ws_;
  std::shared_ptr<const Routes> routes_;
  bool log_changes_ = true;
  std::function<UnixMillis()> clock_ = now_millis;
};

json::Value goal_json(const Goal& goal);
json::Value peer_trust_json(const PeerTrust& peer);

}  // namespace bwoc

#endif  // BWOC_CORE_TRUST_H_
