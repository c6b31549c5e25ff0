// The workspace's records as JSON, one shape each: what `--json` prints
// and what the dashboard's API answers are built by these same functions,
// so that the two always agree.
#ifndef BWOC_NODE_VIEWS_H_
#define BWOC_NODE_VIEWS_H_

#include <string_view>

#include "bwoc/core/inbox.h"
#include "bwoc/core/json.h"
#include "bwoc/core/refusal_log.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/trust.h"
#include "bwoc/skill/manifest.h"

namespace bwoc::node {

// `bwoc inbox list --json`: one entry.
json::Value inbox_entry_json(const InboxEntry& entry);
// `bwoc inbox verify --json`.
json::Value inbox_verification_json(std::string_view agent, const InboxVerification& verification);
// `bwoc inbox refusals --json`: one record.
json::Value refusal_json(const RefusalRecord& record);

// `trust list --json`: each peer's tier and failure counts, and what holds
// for its key now (key_state in routes.h).
json::Value trust_list_json(const std::vector<PeerTrust>& peers, const Routes& routes, UnixMillis now);
// `bwoc skills list --json`: one skill of `agent`.
json::Value skill_listing_json(std::string_view agent, const skill::Skill& skill);

}  // namespace bwoc::node

#endif  // BWOC_NODE_VIEWS_H_
