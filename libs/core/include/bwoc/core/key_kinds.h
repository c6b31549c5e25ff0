// Key rotation and revocation, as kinds of the inbound layer: they work
// over every transport, like any envelope.
//
//   key.rotate {"new_key", "new_key_sig", "seal_key"?, "seal_key_sig"?, "grace_s"}
//       signed (the envelope) by the peer's pinned key, and `new_key_sig` by
//       the new key over rotation_statement(old, new): both keys agree. The
//       receiver re-pins the peer (routes.toml, as `peer add` writes it) and
//       accepts the old key for grace_s more seconds (at most 30 days).
//       Answered with key.rotate.result.
//   key.revoke {"revoked": <the envelope's own key>}
//       signed by the key it revokes: whoever holds a leaked key can only
//       lock himself out. The receiver refuses that key at once and marks
//       the peer as needing a new invite. Answered with key.revoke.result.
//
// Both are stored (the inbox keeps the record); a forged one (a statement
// that does not verify, a key that is not the one pinned) is answered with
// an error and changes nothing.
#ifndef BWOC_CORE_KEY_KINDS_H_
#define BWOC_CORE_KEY_KINDS_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "bwoc/core/inbound.h"
#include "bwoc/core/json.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/seal.h"

namespace bwoc {

inline constexpr std::string_view kKeyRotateKind = "key.rotate";
inline constexpr std::string_view kKeyRevokeKind = "key.revoke";
// The longest grace period a receiver grants a rotated key.
inline constexpr std::int64_t kMaxKeyGraceMs = 30LL * 86'400'000;
// What `bwoc trust rotate` asks for by default: as long as a store-and-forward
// envelope signed just before the rotation may still arrive.
inline constexpr std::int64_t kDefaultKeyGraceMs = 7LL * 86'400'000;

// What the new key signs: "bwoc-key-rotate-v1\n" || old key text || "\n" || new key text.
std::string rotation_statement(const PublicKey& old_key, const PublicKey& new_key);

// The payload of a key.rotate from `old_key` to `new_key`.
json::Value rotation_payload(const PublicKey& old_key, const SecretKey& new_key,
                             const std::optional<SealPublicKey>& seal_key, const std::optional<Signature>& seal_key_sig,
                             std::int64_t grace_ms);
json::Value revocation_payload(const PublicKey& revoked);

void add_key_kinds(Inbound& inbound);

}  // namespace bwoc

#endif  // BWOC_CORE_KEY_KINDS_H_
