// `bwoc trust rotate` and `bwoc trust revoke`: a workspace changes its key
// and tells every declared peer, over whichever transport reaches it.
//
// Rotation makes new Ed25519 and X25519 pairs, keeps the old ones for the
// grace period (answers to what was addressed to them, sealed payloads in
// flight), and sends each peer a key.rotate (core/key_kinds.h) signed by the
// old key and carrying the new key's signature. Revocation sends each peer a
// key.revoke signed by the key it revokes, then makes a new key pair with no
// grace at all: peers need a new invite.
//
// A peer that cannot be reached now gets it when it is back: the envelope
// waits in its drop folder or in the MQTT spool, whose envelopes (signed by
// the old key, accepted through the grace period) are resent as they are.
#ifndef BWOC_NODE_KEY_CHANGE_H_
#define BWOC_NODE_KEY_CHANGE_H_

#include <chrono>
#include <string>
#include <vector>

#include "bwoc/core/result.h"
#include "bwoc/core/workspace.h"

namespace bwoc::node {

struct PeerNotice {
  std::string peer;
  bool confirmed = false;  // its signed answer came back
  std::string detail;      // how, or why not yet
};

struct KeyChange {
  PublicKey old_key;
  PublicKey new_key;
  UnixMillis grace_until = 0;  // rotation: when the old key stops being accepted
  std::vector<PeerNotice> peers;
};

Result<KeyChange> rotate_key(Workspace& ws, std::int64_t grace_ms, std::chrono::milliseconds timeout);
Result<KeyChange> revoke_key(Workspace& ws, std::chrono::milliseconds timeout);

}  // namespace bwoc::node

#endif  // BWOC_NODE_KEY_CHANGE_H_
