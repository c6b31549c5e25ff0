#include "bwoc/peer/learn.h"

#include "bwoc/core/export.h"
#include "bwoc/core/files.h"
#include "bwoc/core/shares.h"

namespace bwoc::peer {

Result<Workspace> open_path_peer(const PeerRoute& peer) {
  if (!peer.path) return Error(Errc::unavailable, "peer \"" + peer.key + "\" has no path");
  BWOC_RETURN_IF_ERROR(refuse_if_revoked(peer));
  auto ws = Workspace::open_peer(*peer.path);
  if (!ws.ok() && ws.error().code() == Errc::permission_denied) {
    return Error(Errc::refused, "peer \"" + peer.key + "\": " + ws.error().message());
  }
  if (!ws.ok()) return Error(Errc::unavailable, "peer \"" + peer.key + "\": no workspace at " + peer.path->string());
  auto key = ws->public_key();
  if (!key.ok() || !(*key == peer.pubkey)) {
    return Error(Errc::refused, "peer \"" + peer.key + "\": the workspace at " + peer.path->string() +
                                    " does not have the pinned key: refusing to read it");
  }
  return std::move(ws).value();
}

Result<json::Value> status_by_path(const PeerRoute& peer) {
  BWOC_ASSIGN_OR_RETURN(Workspace ws, open_path_peer(peer));
  auto summary = read_export(ws);
  if (!summary.ok() && summary.error().code() == Errc::not_found) {
    return Error(Errc::unavailable, "peer \"" + peer.key + "\" has not published a status yet (its bwoc writes "
                                    ".bwoc/export/status.json when its agents, tasks or shared documents change)");
  }
  return summary;
}

Result<std::vector<SharedInfo>> shared_by_path(const PeerRoute& peer) {
  BWOC_ASSIGN_OR_RETURN(Workspace ws, open_path_peer(peer));
  return shared_files(ws);
}

Result<std::string> read_shared_by_path(const PeerRoute& peer, const std::string& name) {
  BWOC_ASSIGN_OR_RETURN(Workspace ws, open_path_peer(peer));
  auto text = read_share(ws, name, kMaxSharedDocBytes);
  if (!text.ok()) {
    if (text.error().code() == Errc::not_found) {
      return Error(Errc::not_found, "peer \"" + peer.key + "\" shares no document \"" + name + "\"");
    }
    return text.error();
  }
  return text;
}

}  // namespace bwoc::peer
