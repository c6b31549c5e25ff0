// A workspace's traffic as one timeline: envelopes in (the agents'
// inboxes), out (what this workspace sent, and what became of it), and
// refused (the refusal log), newest first. `bwoc status` shows the newest of
// each, and the dashboard's activity page follows them live.
//
// Everything here reads the files the node keeps and writes nothing. It
// reads files from their end, and only as far back as it needs: the cost
// depends on how much is shown, not on how long the inboxes have grown.
#ifndef BWOC_NODE_ACTIVITY_H_
#define BWOC_NODE_ACTIVITY_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bwoc/core/json.h"
#include "bwoc/core/result.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/core/workspace.h"

namespace bwoc::node {

struct EnvelopeEvent {
  enum class Direction { in, out, refused };
  Direction direction = Direction::in;
  UnixMillis at = 0;  // received, sent, refused
  Via via = Via::path;
  // The other workspace: its alias in routes.toml, "self", or "" when it is
  // not (or no longer) declared.
  std::string peer;
  std::string agent;         // ours: the recipient of what came in, the sender of what went out
  std::string remote_agent;  // theirs
  std::string kind, id;
  // What became of it. In: "accepted" (in the inbox, on disk). Out: "no
  // receipt yet" (sent, waiting for the peer's signed receipt). Refused: the
  // reason code of spec §3.
  std::string receipt;
};

std::string_view direction_name(EnvelopeEvent::Direction direction);
json::Value event_json(const EnvelopeEvent& event);

// The newest `limit` envelopes of every agent's inbox together, newest first.
Result<std::vector<EnvelopeEvent>> recent_inbound(const Workspace& ws, const Routes& routes, std::size_t limit);

// A record of envelopes this workspace sent: its newest `limit`, newest first.
using OutboundSource =
    std::function<Result<std::vector<EnvelopeEvent>>(const Workspace& ws, const Routes& routes, std::size_t limit)>;

// The records of sent envelopes this build keeps. Today that is the MQTT
// spool: envelopes published and still without their receipt ("no receipt
// yet"); once confirmed they leave it. A record of every delivery, on any
// transport, with its receipt, joins this list when there is one.
const std::vector<OutboundSource>& outbound_sources();
Result<std::vector<EnvelopeEvent>> recent_outbound(const Workspace& ws, const Routes& routes, std::size_t limit);

// The newest `limit` refusals, newest first.
Result<std::vector<EnvelopeEvent>> recent_refusals(const Workspace& ws, std::size_t limit);

// Refusals since a time, counted by reason (most frequent first).
struct RefusalCounts {
  std::vector<std::pair<std::string, std::size_t>> by_reason;
  std::size_t total = 0;
  // The log held more than the count reads (a flood): the figures are a floor.
  bool partial = false;
};
Result<RefusalCounts> count_refusals(const Workspace& ws, UnixMillis since);

// In, out and refused together: the newest `limit`, newest first.
Result<std::vector<EnvelopeEvent>> recent_activity(const Workspace& ws, const Routes& routes, std::size_t limit);

}  // namespace bwoc::node

#endif  // BWOC_NODE_ACTIVITY_H_
