// Reading what a peer publishes: its status summary (agents, teams and open
// tasks, shared documents) and the documents on its allowlist.
//
// Over the path transport the peer's folder is read directly, and only two
// things in it: .bwoc/export/status.json, which the peer's bwoc keeps
// current, and the files its .bwoc/interconnect/shared.toml lists, each
// checked to stay inside the peer's workspace. The folder must hold the
// workspace whose key is pinned for the peer. Nothing is ever written there.
#ifndef BWOC_PEER_LEARN_H_
#define BWOC_PEER_LEARN_H_

#include <string>
#include <vector>

#include "bwoc/core/json.h"
#include "bwoc/core/result.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/shares.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/core/workspace.h"

namespace bwoc::peer {

using SharedInfo = SharedFile;

inline constexpr std::size_t kMaxSharedDocBytes = 1 << 20;

// The workspace at a path peer's folder, once its key is the pinned one.
Result<Workspace> open_path_peer(const PeerRoute& peer);

Result<json::Value> status_by_path(const PeerRoute& peer);
Result<std::vector<SharedInfo>> shared_by_path(const PeerRoute& peer);
// A document on the peer's allowlist; a name that is not on it and a file
// that is missing get the same error. At most kMaxSharedDocBytes.
Result<std::string> read_shared_by_path(const PeerRoute& peer, const std::string& name);

}  // namespace bwoc::peer

#endif  // BWOC_PEER_LEARN_H_
