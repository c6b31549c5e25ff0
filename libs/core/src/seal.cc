#include "bwoc/core/seal.h"

#include <sodium.h>

#include <algorithm>

#include "bwoc/core/encoding.h"
#include "bwoc/core/jcs.h"

namespace bwoc {

namespace {

constexpr std::string_view kSealKeyStatementPrefix = "bwoc-seal-key-v1\n";
constexpr std::string_view kSealedLabel = "bwoc-sealed-v1";
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == 24);
static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == 32);

const unsigned char* u8(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// Wipes what it holds when it goes.
template <std::size_t N>
struct Wiped {
  std::array<std::uint8_t, N> bytes{};
  ~Wiped() { sodium_memzero(bytes.data(), bytes.size()); }
  std::uint8_t* data() { return bytes.data(); }
};

// key = BLAKE2b-256(key = shared, label || epk || rcpt)
void derive_key(const std::uint8_t* shared, const SealPublicKey& epk, const SealPublicKey& rcpt, std::uint8_t* out) {
  std::string input(kSealedLabel);
  input.append(reinterpret_cast<const char*>(epk.bytes.data()), 32);
  input.append(reinterpret_cast<const char*>(rcpt.bytes.data()), 32);
  crypto_generichash(out, 32, u8(input), input.size(), shared, 32);
}

Error bad(const std::string& why) { return Error(Errc::invalid_argument, why); }

}  // namespace

std::string SealPublicKey::to_text() const { return std::string(kSealKeyPrefix) + base64_encode(bytes); }

Result<SealPublicKey> SealPublicKey::from_text(std::string_view text) {
  if (text.substr(0, kSealKeyPrefix.size()) != kSealKeyPrefix) {
    return bad("an X25519 key is written \"x25519:<base64>\"");
  }
  auto raw = base64_decode(text.substr(kSealKeyPrefix.size()));
  if (!raw || raw->size() != 32) return bad("an X25519 key is 32 bytes in canonical base64");
  SealPublicKey k;
  std::copy(raw->begin(), raw->end(), k.bytes.begin());
  return k;
}

SealSecretKey SealSecretKey::generate() {
  crypto_init();
  SealSecretKey k;
  randombytes_buf(k.secret_.data(), k.secret_.size());
  crypto_scalarmult_base(k.public_.bytes.data(), k.secret_.data());
  return k;
}

SealSecretKey SealSecretKey::from_bytes(std::span<const std::uint8_t, 32> secret) {
  crypto_init();
  SealSecretKey k;
  std::copy(secret.begin(), secret.end(), k.secret_.begin());
  crypto_scalarmult_base(k.public_.bytes.data(), k.secret_.data());
  return k;
}

SealSecretKey::SealSecretKey(SealSecretKey&& other) noexcept : secret_(other.secret_), public_(other.public_) {
  sodium_memzero(other.secret_.data(), other.secret_.size());
}

SealSecretKey& SealSecretKey::operator=(SealSecretKey&& other) noexcept {
  if (this != &other) {
    secret_ = other.secret_;
    public_ = other.public_;
    sodium_memzero(other.secret_.data(), other.secret_.size());
  }
  return *this;
}

SealSecretKey::~SealSecretKey() { sodium_memzero(secret_.data(), secret_.size()); }

std::string seal_key_statement(const PublicKey& signer, const SealPublicKey& seal_key) {
  return std::string(kSealKeyStatementPrefix) + signer.to_text() + "\n" + seal_key.to_text();
}

Signature sign_seal_key(const SecretKey& signer, const SealPublicKey& seal_key) {
  return signer.sign(seal_key_statement(signer.public_key(), seal_key));
}

bool verify_seal_key(const PublicKey& signer, const SealPublicKey& seal_key, const Signature& sig) {
  return verify_signature(signer, sig, seal_key_statement(signer, seal_key));
}

std::string sealed_associated_data(std::string_view id, std::string_view kind, std::string_view from,
                                   std::string_view to, const PublicKey& key, const PublicKey& aud) {
  std::string ad(kSealedLabel);
  for (std::string_view part : {id, kind, from, to}) {
    ad += '\n';
    ad += part;
  }
  ad += '\n';
  ad += key.to_text();
  ad += '\n';
  ad += aud.to_text();
  return ad;
}

SealSeed seal_seed_from(std::span<const std::uint8_t, 32> secret) {
  crypto_init();
  SealSeed seed;
  constexpr std::string_view kEphemeral = "bwoc sealed ephemeral v1";
  constexpr std::string_view kNonce = "bwoc sealed nonce v1";
  crypto_generichash(seed.ephemeral_secret.data(), 32, u8(kEphemeral), kEphemeral.size(), secret.data(), 32);
  crypto_generichash(seed.nonce.data(), 24, u8(kNonce), kNonce.size(), secret.data(), 32);
  return seed;
}

Result<json::Value> seal_bytes(std::string_view plaintext, std::string_view associated_data,
                               const SealPublicKey& recipient, const std::optional<SealPublicKey>& reply,
                               const std::optional<SealSeed>& seed) {
  crypto_init();
  Wiped<32> ephemeral;
  std::array<std::uint8_t, 24> nonce{};
  if (seed) {
    ephemeral.bytes = seed->ephemeral_secret;
    nonce = seed->nonce;
  } else {
    randombytes_buf(ephemeral.data(), 32);
    randombytes_buf(nonce.data(), nonce.size());
  }
  SealPublicKey epk;
  crypto_scalarmult_base(epk.bytes.data(), ephemeral.data());
  Wiped<32> shared;
  if (crypto_scalarmult(shared.data(), ephemeral.data(), recipient.bytes.data()) != 0) {
    return bad("the recipient's X25519 key is not a usable key (a point of small order)");
  }
  Wiped<32> key;
  derive_key(shared.data(), epk, recipient, key.data());
  std::vector<std::uint8_t> ct(plaintext.size() + kTagBytes);
  unsigned long long ct_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(ct.data(), &ct_len, u8(plaintext), plaintext.size(),
                                             u8(associated_data), associated_data.size(), nullptr, nonce.data(),
                                             key.data());
  ct.resize(static_cast<std::size_t>(ct_len));
  json::Value sealed = json::Value::object({{"alg", std::string(kSealAlg)},
                                            {"rcpt", recipient.to_text()},
                                            {"epk", epk.to_text()},
                                            {"nonce", base64_encode(nonce)},
                                            {"ct", base64_encode(ct)}});
  if (reply) sealed.set("reply", reply->to_text());
  return sealed;
}

Status seal_draft(EnvelopeDraft& draft, const PublicKey& signer, const SealPublicKey& recipient,
                  const std::optional<SealPublicKey>& reply, const std::optional<SealSeed>& seed) {
  if (draft.sealed) return ok_status();
  BWOC_RETURN_IF_ERROR(check_sendable_payload(draft.payload));
  if (!draft.id) draft.id = random_id();
  std::string ad = sealed_associated_data(*draft.id, draft.kind, draft.from, draft.to, signer, draft.aud);
  std::string plaintext = jcs::canonicalize(draft.payload);
  auto sealed = seal_bytes(plaintext, ad, recipient, reply, seed);
  sodium_memzero(plaintext.data(), plaintext.size());
  if (!sealed.ok()) return sealed.error();
  draft.sealed = std::move(sealed).value();
  draft.payload = json::Value();
  return ok_status();
}

Result<SealedMember> parse_sealed(const json::Value& sealed) {
  if (!sealed.is_object()) return bad("\"sealed\" is not an object");
  auto text = [&](std::string_view name) -> const std::string* {
    const json::Value* v = sealed.find(name);
    return v != nullptr && v->is_string() ? &v->as_string() : nullptr;
  };
  const std::string* alg = text("alg");
  if (alg == nullptr) return bad("\"sealed.alg\" is missing");
  if (*alg != kSealAlg) return bad("\"sealed.alg\" names an algorithm this bwoc does not know");
  SealedMember m;
  for (auto [name, field] : {std::pair{"rcpt", &m.rcpt}, std::pair{"epk", &m.epk}}) {
    const std::string* t = text(name);
    if (t == nullptr) return bad(std::string("\"sealed.") + name + "\" is missing");
    auto key = SealPublicKey::from_text(*t);
    if (!key.ok()) return bad(std::string("\"sealed.") + name + "\": " + key.error().message());
    *field = *key;
  }
  if (const json::Value* r = sealed.find("reply")) {
    if (!r->is_string()) return bad("\"sealed.reply\" is not a string");
    auto key = SealPublicKey::from_text(r->as_string());
    if (!key.ok()) return bad("\"sealed.reply\": " + key.error().message());
    m.reply = *key;
  }
  const std::string* nonce = text("nonce");
  auto nonce_raw = nonce ? base64_decode(*nonce) : std::nullopt;
  if (!nonce_raw || nonce_raw->size() != m.nonce.size()) return bad("\"sealed.nonce\" is not 24 bytes in base64");
  std::copy(nonce_raw->begin(), nonce_raw->end(), m.nonce.begin());
  const std::string* ct = text("ct");
  if (ct == nullptr || ct->size() > kMaxEnvelopeBytes) return bad("\"sealed.ct\" is missing or too large");
  auto ct_raw = base64_decode(*ct);
  if (!ct_raw || ct_raw->size() < kTagBytes) return bad("\"sealed.ct\" is not base64 of at least 16 bytes");
  m.ct = std::move(*ct_raw);
  return m;
}

Result<std::string> open_bytes(const SealedMember& sealed, std::string_view associated_data,
                               const SealSecretKey& secret) {
  crypto_init();
  Wiped<32> shared;
  if (crypto_scalarmult(shared.data(), secret.secret().data(), sealed.epk.bytes.data()) != 0) {
    return bad("\"sealed.epk\" is not a usable key (a point of small order)");
  }
  Wiped<32> key;
  derive_key(shared.data(), sealed.epk, sealed.rcpt, key.data());
  std::string plaintext(sealed.ct.size() - kTagBytes, '\0');
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(plaintext.data()), &len, nullptr,
                                                 sealed.ct.data(), sealed.ct.size(), u8(associated_data),
                                                 associated_data.size(), sealed.nonce.data(), key.data()) != 0) {
    return bad("the sealed payload does not open (altered, or sealed for another key or envelope)");
  }
  plaintext.resize(static_cast<std::size_t>(len));
  return plaintext;
}

Result<json::Value> open_payload(const Envelope& envelope, std::span<const SealSecretKey* const> secrets) {
  const json::Value* member = envelope.doc.find("sealed");
  if (member == nullptr) return bad("the envelope is not sealed");
  BWOC_ASSIGN_OR_RETURN(SealedMember sealed, parse_sealed(*member));
  const SealSecretKey* secret = nullptr;
  for (const SealSecretKey* s : secrets) {
    if (s != nullptr && s->public_key() == sealed.rcpt) secret = s;
  }
  if (secret == nullptr) return bad("sealed for an X25519 key this workspace does not hold");
  std::string ad = sealed_associated_data(envelope.id, envelope.kind, envelope.from, envelope.to, envelope.key,
                                          envelope.aud);
  BWOC_ASSIGN_OR_RETURN(std::string plaintext, open_bytes(sealed, ad, *secret));
  // The payload sits at depth 2 of its envelope, as a plain one does.
  auto payload = json::parse(plaintext, json::ParseLimits{kMaxEnvelopeBytes, kMaxEnvelopeDepth - 1});
  sodium_memzero(plaintext.data(), plaintext.size());
  if (!payload.ok()) return bad("the opened payload is not valid JSON: " + payload.error().message());
  return payload;
}

std::optional<SealPublicKey> reply_key_of(const Envelope& envelope) {
  if (!envelope.sealed) return std::nullopt;
  const json::Value* member = envelope.doc.find("sealed");
  const json::Value* reply = member ? member->find("reply") : nullptr;
  if (reply == nullptr || !reply->is_string()) return std::nullopt;
  auto key = SealPublicKey::from_text(reply->as_string());
  if (!key.ok()) return std::nullopt;
  return *key;
}

}  // namespace bwoc
