// Metering: one line per skill call, on either side, in
// .bwoc/state/skill-calls.jsonl; `bwoc skills stats` reads it back.
#ifndef BWOC_SKILL_METERING_H_
#define BWOC_SKILL_METERING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "bwoc/core/json.h"
#include "bwoc/core/result.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/core/workspace.h"

namespace bwoc::skill {

struct CallRecord {
  UnixMillis ts = 0;
  std::string side;  // "provider": a peer called us; "caller": we called a peer
  std::string peer;
  std::string agent;  // our agent
  std::string skill;
  std::string version;
  double ms = 0;
  std::uint64_t bytes_in = 0, bytes_out = 0;
  // ok; refused by policy: unknown_skill, invalid_input, version_mismatch,
  // not_permitted; the skill's own doing: failed, timed_out; the node's:
  // busy; and on the caller's side: invalid_answer, no_answer, unreachable.
  std::string outcome;
};

// Whether an outcome is a refusal by the provider's policy (what the caller did).
bool is_policy_refusal(std::string_view outcome);

Status record_call(const Workspace& ws, const CallRecord& record);

struct CallStats {
  std::string key;  // the skill or the peer
  std::uint64_t calls = 0, errors = 0;
  double p50_ms = 0, p95_ms = 0, p99_ms = 0;
};

struct StatsReport {
  std::vector<CallStats> by_skill;  // "side:skill"
  std::vector<CallStats> by_peer;   // "side:peer"
  std::uint64_t records = 0;
};

// Reads the newest `max_records` calls (the file is read from its end, bounded).
Result<StatsReport> call_stats(const Workspace& ws, std::size_t max_records = 100'000);

json::Value stats_json(const StatsReport& report);

// How many of our latest calls to `peer` in a row it refused by policy (a
// success ends the run; outcomes that are nobody's doing do not).
Result<std::size_t> refused_in_a_row(const Workspace& ws, std::string_view peer);

}  // namespace bwoc::skill

#endif  // BWOC_SKILL_METERING_H_
