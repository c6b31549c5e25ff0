// Changes to one [[peer]] table of routes.toml made by the node itself
// (key rotation and revocation), written the way `bwoc peer add` writes:
// under .bwoc/state/routes.lock, every other byte of the file kept as it
// was, the result read back before it replaces the file.
#ifndef BWOC_CORE_ROUTES_EDIT_H_
#define BWOC_CORE_ROUTES_EDIT_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bwoc/core/keys.h"
#include "bwoc/core/result.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/seal.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/core/workspace.h"

namespace bwoc {

// The lines of `text` that make up `peer`'s table, [first, last): its
// header, its fields, and the comment `bwoc peer add` wrote above it, but
// not the comments above the next table.
std::pair<std::size_t, std::size_t> peer_table_lines(const std::vector<std::string>& lines, const PeerRoute& peer);
std::vector<std::string> split_lines(std::string_view text);

// Re-pins a peer after a verified rotation: `pubkey` becomes `next` (and its
// X25519 key, when given), the key it replaces stays accepted as
// previous_pubkey until `until`, and a comment keeps its fingerprint.
// Nothing changes when `next` is already pinned (a repeat).
Status repin_peer(const Workspace& ws, const std::string& alias, const PublicKey& next,
                  const std::optional<SealPublicKey>& seal_key, const std::optional<Signature>& seal_key_sig,
                  UnixMillis until, UnixMillis now);

// After a verified revocation of `key`, its pinned key or the previous one
// in its grace period: the peer is marked revoked and needs a new invite.
// A revoked previous key revokes the key it rotated to as well, since a
// rotation is only as good as the key that signed it.
Status revoke_peer_key(const Workspace& ws, const std::string& alias, const PublicKey& key, UnixMillis now);

}  // namespace bwoc

#endif  // BWOC_CORE_ROUTES_EDIT_H_
