// Ed25519 keys and signatures (RFC 8032, pure Ed25519) through libsodium.
//
// A workspace has one key pair. The public key travels as "ed25519:" plus
// standard base64 (44 characters). The secret key lives in the workspace's
// credential store, a file of mode 0600 in a directory of mode 0700; loading
// refuses a file or directory that others can read or write, and a SecretKey
// wipes its memory when destroyed. Nothing here prints a secret.
#ifndef BWOC_CORE_KEYS_H_
#define BWOC_CORE_KEYS_H_

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "bwoc/core/random.h"  // random_id() and random_bytes(), for the callers that make keys and ids
#include "bwoc/core/result.h"

namespace bwoc {

inline constexpr std::string_view kKeyPrefix = "ed25519:";

struct PublicKey {
  std::array<std::uint8_t, 32> bytes{};

  // "ed25519:<base64>", the form used in envelopes, identity.toml and routes.toml.
  std::string to_text() const;
  // Accepts exactly that form with canonical base64 of 32 bytes.
  static Result<PublicKey> from_text(std::string_view text);
  // A short fingerprint for people to compare: four groups of four hex digits.
  std::string fingerprint() const;

  friend bool operator==(const PublicKey&, const PublicKey&) = default;
};

struct Signature {
  std::array<std::uint8_t, 64> bytes{};
  std::string to_base64() const;
  static Result<Signature> from_base64(std::string_view text);
};

class SecretKey {
 public:
  // A new key pair from the operating system's CSPRNG.
  static SecretKey generate();
  // The key pair for a 32-byte RFC 8032 seed (test vectors, key files).
  static SecretKey from_seed(std::span<const std::uint8_t, 32> seed);

  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  ~SecretKey();

  const PublicKey& public_key() const { return public_; }
  Signature sign(std::string_view message) const;

  // A 32-byte key for one purpose, derived from this secret (BLAKE2b keyed
  // with the seed): stable, and unguessable without the secret key.
  std::array<std::uint8_t, 32> derive(std::string_view purpose) const;

 private:
  friend Status write_secret_key_file(const std::filesystem::path&, const SecretKey&, bool);

  SecretKey() = default;
  std::array<std::uint8_t, 64> secret_{};  // libsodium's seed || public key
  PublicKey public_;
};

// True when `sig` is a valid Ed25519 signature of `message` by `key`.
bool verify_signature(const PublicKey& key, const Signature& sig, std::string_view message);

// Writes a secret key file (mode 0600, written in full, then renamed into
// place), creating its directory with mode 0700. Refuses to replace an existing
// file unless `replace` is true.
Status write_secret_key_file(const std::filesystem::path& file, const SecretKey& key, bool replace);

// Loads a secret key file after checking that only its owner can read it.
Result<SecretKey> load_secret_key_file(const std::filesystem::path& file);

// 32 secret bytes, wiped when they go.
struct SecretBytes {
  std::array<std::uint8_t, 32> bytes{};
  SecretBytes() = default;
  SecretBytes(const SecretBytes&) = default;
  SecretBytes& operator=(const SecretBytes&) = default;
  ~SecretBytes();
};
// The same file rules for any 32-byte secret, kept on a line
// "<line_prefix><base64>" (the X25519 key: "x25519-secret:").
Status write_secret_bytes_file(const std::filesystem::path& file, std::string_view line_prefix,
                               std::span<const std::uint8_t, 32> secret, bool replace);
Result<SecretBytes> load_secret_bytes_file(const std::filesystem::path& file, std::string_view line_prefix);

// BLAKE2b-256 of `bytes` (libsodium's generic hash): checksums and digests.
std::array<std::uint8_t, 32> blake2b_256(std::string_view bytes);

}  // namespace bwoc

#endif  // BWOC_CORE_KEYS_H_
