// `bwoc peer list`: every declared peer, and whether it can be reached now.
//
// Peers are probed concurrently, each with the same short timeout, so that
// fifty peers with ten dead answer in about one timeout. A probe checks more
// than an open port: a path peer's folder must hold a workspace with the
// pinned key, a url peer's agent card must publish the pinned key. When a
// peer is reached the time is kept (.bwoc/state/peers-seen.json), so that an
// unreachable peer shows when it was last seen.
#ifndef BWOC_PEER_REACH_H_
#define BWOC_PEER_REACH_H_

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bwoc/core/result.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/core/workspace.h"

namespace bwoc::peer {

// Checks that `peer` answers on one transport, within `timeout`.
using Prober = std::function<Status(const PeerRoute& peer, std::chrono::milliseconds timeout)>;

struct Probers {
  Prober path;  // always available: see probe_path()
  Prober url;   // set when this build has the A2A transport
  Prober mqtt;  // set when this build has the MQTT transport
};

// A path peer: its folder holds a workspace whose key is the pinned one.
Status probe_path(const PeerRoute& peer, std::chrono::milliseconds timeout);

struct Reach {
  enum class State { reachable, unreachable, unknown };
  std::string key, name;
  Via via = Via::path;  // the transport probed (the first the route lists)
  std::string target;   // its folder, URL or broker and topic
  State state = State::unknown;
  std::string detail;   // why not, when unreachable or unknown
  std::optional<UnixMillis> last_seen;
};

std::string_view state_name(Reach::State state);

// When each peer was last reached by a probe (`peer list`, `status
// --probe`), by alias; read only, nothing is probed.
std::map<std::string, UnixMillis> load_last_seen(const Workspace& ws);

std::vector<Reach> probe_peers(const Workspace& ws, const Routes& routes, const Probers& probers,
                               std::chrono::milliseconds timeout);

}  // namespace bwoc::peer

#endif  // BWOC_PEER_REACH_H_
