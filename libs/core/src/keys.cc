#include "bwoc/core/keys.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>
#include <vector>

#include "bwoc/core/encoding.h"
#include "bwoc/core/files.h"

namespace bwoc {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSeedLinePrefix = "ed25519-seed:";
constexpr std::size_t kMaxKeyFileBytes = 4096;

std::string mode_text(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

}  // namespace

std::string PublicKey::to_text() const { return std::string(kKeyPrefix) + base64_encode(bytes); }

Result<PublicKey> PublicKey::from_text(std::string_view text) {
  if (text.substr(0, kKeyPrefix.size()) != kKeyPrefix) {
    return Error(Errc::invalid_argument, "a public key is written \"ed25519:<base64>\"");
  }
  auto raw = base64_decode(text.substr(kKeyPrefix.size()));
  if (!raw) return Error(Errc::invalid_argument, "the public key is not canonical base64");
  if (raw->size() != 32) {
    return Error(Errc::invalid_argument,
                 "the public key has " + std::to_string(raw->size()) + " bytes, not 32");
  }
  PublicKey k;
  std::copy(raw->begin(), raw->end(), k.bytes.begin());
  return k;
}

std::string PublicKey::fingerprint() const {
  crypto_init();
  std::uint8_t digest[32];
  crypto_generichash(digest, sizeof digest, bytes.data(), bytes.size(), nullptr, 0);
  std::string hex = hex_encode(std::span<const std::uint8_t>(digest, 8));
  return hex.substr(0, 4) + "-" + hex.substr(4, 4) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4);
}

std::array<std::uint8_t, 32> blake2b_256(std::string_view bytes) {
  crypto_init();
  std::array<std::uint8_t, 32> out{};
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                     nullptr, 0);
  return out;
}

std::string Signature::to_base64() const { return base64_encode(bytes); }

Result<Signature> Signature::from_base64(std::string_view text) {
  auto raw = base64_decode(text);
  if (!raw) return Error(Errc::invalid_argument, "the signature is not canonical base64");
  if (raw->size() != 64) {
    return Error(Errc::invalid_argument,
                 "the signature has " + std::to_string(raw->size()) + " bytes, not 64");
  }
  Signature s;
  std::copy(raw->begin(), raw->end(), s.bytes.begin());
  return s;
}

SecretKey SecretKey::generate() {
  crypto_init();
  SecretKey k;
  crypto_sign_keypair(k.public_.bytes.data(), k.secret_.data());
  return k;
}

SecretKey SecretKey::from_seed(std::span<const std::uint8_t, 32> seed) {
  crypto_init();
  SecretKey k;
  crypto_sign_seed_keypair(k.public_.bytes.data(), k.secret_.data(), seed.data());
  return k;
}

SecretKey::SecretKey(SecretKey&& other) noexcept : secret_(other.secret_), public_(other.public_) {
  sodium_memzero(other.secret_.data(), other.secret_.size());
}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    secret_ = other.secret_;
    public_ = other.public_;
    sodium_memzero(other.secret_.data(), other.secret_.size());
  }
  return *this;
}

SecretKey::~SecretKey() { sodium_memzero(secret_.data(), secret_.size()); }

Signature SecretKey::sign(std::string_view message) const {
  Signature sig;
  crypto_sign_detached(sig.bytes.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), secret_.data());
  return sig;
}

std::array<std::uint8_t, 32> SecretKey::derive(std::string_view purpose) const {
  std::array<std::uint8_t, 32> out{};
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(purpose.data()), purpose.size(),
                     secret_.data(), 32);
  return out;
}

bool verify_signature(const PublicKey& key, const Signature& sig, std::string_view message) {
  crypto_init();
  return crypto_sign_verify_detached(sig.bytes.data(), reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), key.bytes.data()) == 0;
}

Status write_secret_key_file(const fs::path& file, const SecretKey& key, bool replace) {
  // libsodium's 64-byte secret key is the 32-byte seed followed by the public key.
  return write_secret_bytes_file(file, kSeedLinePrefix, std::span<const std::uint8_t, 32>(key.secret_.data(), 32), replace);
}

Status write_secret_bytes_file(const fs::path& file, std::string_view line_prefix,
                               std::span<const std::uint8_t, 32> secret, bool replace) {
  BWOC_RETURN_IF_ERROR(ensure_directory(file.parent_path(), 0700));
  std::error_code ec;
  if (!replace && fs::exists(fs::symlink_status(file, ec))) {
    return Error(Errc::already_exists,
                 "a secret key already exists at " + file.string() + ": use --force to replace it");
  }
  std::string content;
  content.reserve(256);  // one buffer, so no stale copy of the secret is left in freed memory
  content += "# bwoc workspace secret key. Never share, print or commit this file.\n";
  content += line_prefix;
  content += base64_encode(secret);
  content += '\n';
  Status st = write_file_atomic(file, content, 0600);
  sodium_memzero(content.data(), content.size());
  return st;
}

SecretBytes::~SecretBytes() { sodium_memzero(bytes.data(), bytes.size()); }

Result<SecretBytes> load_secret_bytes_file(const fs::path& file, std::string_view line_prefix) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) {
      return Error(Errc::not_found, "no secret key at " + file.string() + ": run `bwoc trust --keygen`");
    }
    return os_error("cannot open the secret key", file, errno);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return os_error("cannot stat", file, err);
  }
  struct stat dir_st {};
  bool dir_ok = ::stat(file.parent_path().c_str(), &dir_st) == 0;
  ::close(fd);
  if (!S_ISREG(st.st_mode)) {
    return Error(Errc::permission_denied, "the secret key " + file.string() + " is not a regular file");
  }
  if (st.st_uid != ::geteuid()) {
    return Error(Errc::permission_denied,
                 "the secret key " + file.string() + " belongs to another user: refusing to use it");
  }
  if ((st.st_mode & 077) != 0) {
    return Error(Errc::permission_denied,
                 "the secret key " + file.string() + " has mode " + mode_text(st.st_mode) +
                     " and others can read it: run `chmod 600 " + file.string() +
                     "`, and replace the key (`bwoc trust --keygen --force`) if anyone else may have read it");
  }
  if (dir_ok && (dir_st.st_mode & 022) != 0) {
    return Error(Errc::permission_denied,
                 "the credential store " + file.parent_path().string() + " has mode " +
                     mode_text(dir_st.st_mode) + " and others can write to it: run `chmod 700 " +
                     file.parent_path().string() + "`");
  }
  BWOC_ASSIGN_OR_RETURN(std::string content, read_file_bounded(file, kMaxKeyFileBytes));
  std::optional<std::vector<std::uint8_t>> raw;
  std::size_t pos = 0;
  while (pos < content.size()) {
    std::size_t eol = content.find('\n', pos);
    if (eol == std::string::npos) eol = content.size();
    std::string_view line(content.data() + pos, eol - pos);
    if (line.substr(0, line_prefix.size()) == line_prefix) {
      raw = base64_decode(line.substr(line_prefix.size()));
      break;
    }
    pos = eol + 1;
  }
  sodium_memzero(content.data(), content.size());
  if (!raw || raw->size() != 32) {
    if (raw) sodium_memzero(raw->data(), raw->size());
    return Error(Errc::corrupt, "the secret key file " + file.string() + " is not a bwoc key file");
  }
  SecretBytes out;
  std::copy(raw->begin(), raw->end(), out.bytes.begin());
  sodium_memzero(raw->data(), raw->size());
  return out;
}

Result<SecretKey> load_secret_key_file(const fs::path& file) {
  BWOC_ASSIGN_OR_RETURN(SecretBytes seed, load_secret_bytes_file(file, kSeedLinePrefix));
  return SecretKey::from_seed(seed.bytes);
}

}  // namespace bwoc
