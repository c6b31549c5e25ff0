// The keys a running node signs, opens and recognises itself with: the
// workspace's current Ed25519 and X25519 pairs and, during the grace period
// of a rotation (`bwoc trust rotate`), the previous ones.
//
// A KeyRing reloads them when identity.toml changes, so that a service that
// keeps running through a rotation follows it: answers to an envelope
// addressed to the previous key are signed with the previous key (the asker
// checks that an answer comes from the key it asked), and what was sealed to
// the previous X25519 key still opens, until the grace period ends.
#ifndef BWOC_CORE_KEY_RING_H_
#define BWOC_CORE_KEY_RING_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "bwoc/core/envelope.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/receiver.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/result.h"
#include "bwoc/core/seal.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/core/workspace.h"

namespace bwoc {

struct WorkspaceKeys {
  SecretKey key;
  std::optional<SealSecretKey> seal;
  std::optional<SecretKey> previous;
  std::optional<SealSecretKey> previous_seal;
  UnixMillis previous_until = 0;

  // This workspace's key now: the current one, or the previous one in its grace period.
  bool is_own(const PublicKey& candidate, UnixMillis now) const;
  // The key that signs what answers an envelope addressed to `aud`.
  const SecretKey& signer_for(const PublicKey& aud, UnixMillis now) const;
  // The X25519 secrets sealed payloads may be sealed to.
  std::vector<const SealSecretKey*> seal_secrets(UnixMillis now) const;
};

// Reads them from the workspace's identity.toml and credential store.
Result<WorkspaceKeys> load_workspace_keys(const Workspace& ws);

class KeyRing {
 public:
  static Result<std::unique_ptr<KeyRing>> open(const Workspace& ws, std::function<UnixMillis()> clock = now_millis,
                                               std::int64_t recheck_ms = 1000);
  // The keys as they are now (identity.toml looked at once a recheck interval).
  std::shared_ptr<const WorkspaceKeys> keys();

 private:
  KeyRing(Workspace ws, std::function<UnixMillis()> clock, std::int64_t recheck_ms)
      : ws_(std::move(ws)), clock_(std::move(clock)), recheck_ms_(recheck_ms) {}
  Workspace ws_;
  std::function<UnixMillis()> clock_;
  std::int64_t recheck_ms_;
  std::mutex mu_;
  std::shared_ptr<const WorkspaceKeys> keys_;
  UnixMillis checked_at_ = 0;
  std::string stamp_;  // identity.toml's inode, size and mtime when last read
};

// What a receiver does right after check 8 (ReceiverOptions::open): opens a
// sealed payload with this workspace's X25519 keys (bad_seal when it does
// not open), and refuses an unsealed envelope from a peer declared
// seal = "required" (unsealed). `peer` is nullptr for this workspace itself.
std::optional<Refusal> open_received(Envelope& envelope, const PeerRoute* peer, const WorkspaceKeys& keys,
                                     UnixMillis now);

// Points a receiver's own_key and open hooks at `ring`, which must outlive it.
void use_key_ring(ReceiverOptions& options, KeyRing& ring);

}  // namespace bwoc

#endif  // BWOC_CORE_KEY_RING_H_
