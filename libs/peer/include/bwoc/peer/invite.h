// Invite codes: how one workspace tells another who it is and how to reach
// it, in a form that survives being pasted into a chat.
//
//   bwoc1<base64url(JSON || checksum)>
//
// The JSON holds the workspace name, its public key and its endpoints (a
// path on a shared disk, an A2A URL, an MQTT broker and topic root), never a
// secret. The checksum is the first 4 bytes of BLAKE2b-256 of the JSON, so a
// truncated or altered code is told apart from a code of another format.
// A code carries no trust by itself: adding one pins the key it holds, which
// the operator should compare (the fingerprint) with the peer's own.
#ifndef BWOC_PEER_INVITE_H_
#define BWOC_PEER_INVITE_H_

#include <optional>
#include <string>
#include <string_view>

#include "bwoc/core/keys.h"
#include "bwoc/core/result.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/workspace.h"

namespace bwoc::peer {

struct Invite {
  std::string name;
  PublicKey pubkey;
  // The agent that answers for the workspace (peer status, an MQTT-only
  // peer's requests); a peer names another as PEER/AGENT.
  std::optional<std::string> agent;
  // Its X25519 key for sealed payloads, with the signature of `pubkey` over it.
  std::optional<SealPublicKey> seal_key;
  std::optional<Signature> seal_key_sig;
  std::optional<std::string> path;  // absolute
  std::optional<std::string> url;
  std::optional<MqttRoute> mqtt;
};

inline constexpr std::string_view kInvitePrefix = "bwoc1";
inline constexpr std::size_t kMaxInviteCode = 4096;

// Whether `invite` may be given out: the same rules as a routes.toml entry,
// and no user name or password in its URLs (the code says it holds no
// secret). decode_invite() applies them to every code it reads.
Status check_invite(const Invite& invite);
std::string encode_invite(const Invite& invite);
// Errors (Errc::invalid_argument) say whether the code is of another
// format, damaged (truncated or altered), or holds something invalid.
Result<Invite> decode_invite(std::string_view code);

// The [[peer]] table that declares `invite` under `alias`, as routes.toml text.
std::string peer_table(const Invite& invite, const std::string& alias);

// Appends a peer to routes.toml, keeping everything already in it (comments,
// order, formatting) byte for byte. Refuses an alias or key already declared.
Status add_peer(const Workspace& ws, const Invite& invite, const std::string& alias);
// Removes the [[peer]] table of `alias`, and nothing else.
Status remove_peer(const Workspace& ws, const std::string& alias);

}  // namespace bwoc::peer

#endif  // BWOC_PEER_INVITE_H_
