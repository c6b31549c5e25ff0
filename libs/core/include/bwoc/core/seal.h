// Sealed payloads: an envelope's payload encrypted to the recipient
// workspace only (docs/ENVELOPE.md, "Sealed payloads").
//
// Each workspace has an X25519 key pair beside its Ed25519 one; the public
// half is published signed by the Ed25519 key (seal_key_statement). A sealed
// envelope carries `sealed` instead of `payload`:
//
//   {"alg": "x25519-blake2b-xchacha20poly1305", "rcpt": "x25519:…",
//    "epk": "x25519:…", "reply": "x25519:…", "nonce": "<24 bytes>", "ct": "…"}
//
//   shared = X25519(ephemeral secret, rcpt)           (a fresh key per envelope)
//   key    = BLAKE2b-256(key = shared, "bwoc-sealed-v1" || epk || rcpt)
//   ct     = XChaCha20-Poly1305(key, nonce, JCS(payload), ad)
//   ad     = "bwoc-sealed-v1\n" id \n kind \n from \n to \n key \n aud
//
// The Ed25519 signature covers the sealed form, so a receiver refuses a
// tampered envelope (checks 1–9) before it decrypts anything; the associated
// data binds the ciphertext to the envelope's id, kind, agents and both
// workspace keys, so that it cannot be lifted into another envelope.
#ifndef BWOC_CORE_SEAL_H_
#define BWOC_CORE_SEAL_H_

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "bwoc/core/envelope.h"
#include "bwoc/core/json.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/result.h"

namespace bwoc {

inline constexpr std::string_view kSealKeyPrefix = "x25519:";
inline constexpr std::string_view kSealAlg = "x25519-blake2b-xchacha20poly1305";

struct SealPublicKey {
  std::array<std::uint8_t, 32> bytes{};

  // "x25519:<base64>", as in identity.toml, routes.toml, invites and the card.
  std::string to_text() const;
  static Result<SealPublicKey> from_text(std::string_view text);

  friend bool operator==(const SealPublicKey&, const SealPublicKey&) = default;
};

class SealSecretKey {
 public:
  static SealSecretKey generate();
  static SealSecretKey from_bytes(std::span<const std::uint8_t, 32> secret);
  SealSecretKey(const SealSecretKey&) = delete;
  SealSecretKey& operator=(const SealSecretKey&) = delete;
  SealSecretKey(SealSecretKey&& other) noexcept;
  SealSecretKey& operator=(SealSecretKey&& other) noexcept;
  ~SealSecretKey();

  const SealPublicKey& public_key() const { return public_; }
  std::span<const std::uint8_t, 32> secret() const { return secret_; }

 private:
  SealSecretKey() = default;
  std::array<std::uint8_t, 32> secret_{};
  SealPublicKey public_;
};

// The statement an Ed25519 key signs to publish its workspace's X25519 key:
// "bwoc-seal-key-v1\n" || <ed25519 key text> || "\n" || <x25519 key text>.
std::string seal_key_statement(const PublicKey& signer, const SealPublicKey& seal_key);
Signature sign_seal_key(const SecretKey& signer, const SealPublicKey& seal_key);
bool verify_seal_key(const PublicKey& signer, const SealPublicKey& seal_key, const Signature& sig);

// The associated data of a sealed envelope (see above).
std::string sealed_associated_data(std::string_view id, std::string_view kind, std::string_view from,
                                   std::string_view to, const PublicKey& key, const PublicKey& aud);

// Deterministic sealing, for test vectors and for answers that must be the
// same bytes when repeated (receipts): the ephemeral secret and the nonce.
struct SealSeed {
  std::array<std::uint8_t, 32> ephemeral_secret{};
  std::array<std::uint8_t, 24> nonce{};
};
// A seed derived from 32 secret bytes (a node key's derive()).
SealSeed seal_seed_from(std::span<const std::uint8_t, 32> secret);

// The `sealed` member for `plaintext` (the payload's JCS text).
Result<json::Value> seal_bytes(std::string_view plaintext, std::string_view associated_data,
                               const SealPublicKey& recipient, const std::optional<SealPublicKey>& reply,
                               const std::optional<SealSeed>& seed = std::nullopt);

// Turns a draft's payload into its sealed form, for `recipient`, answers to
// be sealed to `reply`. The draft gets an id now if it has none (the
// associated data binds it); `signer` is the key that will sign it.
Status seal_draft(EnvelopeDraft& draft, const PublicKey& signer, const SealPublicKey& recipient,
                  const std::optional<SealPublicKey>& reply, const std::optional<SealSeed>& seed = std::nullopt);

// A `sealed` member, read: every field in its form. Errors say what is wrong.
struct SealedMember {
  SealPublicKey rcpt;
  SealPublicKey epk;
  std::optional<SealPublicKey> reply;
  std::array<std::uint8_t, 24> nonce{};
  std::vector<std::uint8_t> ct;  // ciphertext and its 16-byte tag
};
Result<SealedMember> parse_sealed(const json::Value& sealed);

// Decrypts: the plaintext bytes, or an error when they do not open with
// `secret` under `associated_data`.
Result<std::string> open_bytes(const SealedMember& sealed, std::string_view associated_data,
                               const SealSecretKey& secret);

// Opens a sealed envelope's payload with whichever of `secrets` its `rcpt`
// names: the payload, read as strictly as an envelope is (spec §2). An
// error's message is for the local log (reason code bad_seal).
Result<json::Value> open_payload(const Envelope& envelope, std::span<const SealSecretKey* const> secrets);

// The key answers to `envelope` are sealed to: its `sealed.reply`, if any.
std::optional<SealPublicKey> reply_key_of(const Envelope& envelope);

}  // namespace bwoc

#endif  // BWOC_CORE_SEAL_H_
