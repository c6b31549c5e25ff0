// `bwoc status`: what a workspace is and does, on one screen. Its identity,
// the services that run for its agents (from the state they publish), its
// peers with their tiers and when they were last seen, the active goals,
// the newest envelopes in and out, the refusals of the last day by reason,
// and its skills' calls.
//
// It reads the workspace's own files and probes nothing, unless asked
// (`probe`): then every peer is probed as `peer list` does. A part that
// cannot be read (a routes.toml with a mistake, say) is reported in
// `problems` and the rest is still shown.
#ifndef BWOC_NODE_STATUS_H_
#define BWOC_NODE_STATUS_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "bwoc/core/json.h"
#include "bwoc/core/requests.h"
#include "bwoc/core/result.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/service_state.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/core/trust.h"
#include "bwoc/core/workspace.h"
#include "bwoc/node/activity.h"
#include "bwoc/peer/reach.h"
#include "bwoc/skill/metering.h"

namespace bwoc::node {

struct StatusOptions {
  bool probe = false;
  std::chrono::milliseconds probe_timeout{2'000};
  std::size_t recent = 10;  // envelopes in, and out, shown
  // The skill calls the statistics read, newest first.
  std::size_t skill_records = 5'000;
  UnixMillis now = now_millis();
};

struct PeerStatus {
  std::string key, name;
  std::vector<Via> transports;  // in the order they are tried
  int tier = kKnown;
  int declared = kKnown;
  int consecutive_failures = 0, total_failures = 0;
  // When it was last reached by a probe, or last sent us an envelope that
  // is among the newest in the inboxes.
  std::optional<UnixMillis> last_seen;
  std::optional<peer::Reach> reach;  // with `probe`
};

struct SkillStatus {
  std::string agent, name, version, visibility;
  int min_tier = kKnown;
};

struct WorkspaceStatus {
  std::string name;
  std::string root;
  std::optional<std::string> public_key, fingerprint;
  std::vector<std::string> agents;
  std::vector<service::ServiceRecord> services;
  std::vector<PeerStatus> peers;
  std::vector<Goal> goals;  // active ones
  std::vector<EnvelopeEvent> recent_in, recent_out;
  RefusalCounts refusals_24h;
  // Async requests of ours not settled yet (bwoc requests), oldest first.
  std::vector<RequestEntry> pending_requests;
  std::vector<SkillStatus> skills;
  skill::StatsReport calls;
  UnixMillis at = 0;
  // "routes.toml: …": what could not be read, and why.
  std::vector<std::string> problems;
};

Result<WorkspaceStatus> collect_status(const Workspace& ws, const StatusOptions& options = {});

// `bwoc status --json`.
json::Value status_json(const WorkspaceStatus& status);

}  // namespace bwoc::node

#endif  // BWOC_NODE_STATUS_H_
