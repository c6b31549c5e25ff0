// Fuzzes the sealed-payload reader and opener: the input is taken as a
// `sealed` member put into an envelope sealed to a known key, and as a whole
// envelope that may be sealed to it (the corpus holds the test vector, which
// opens, so the plaintext's strict parse is reached too). Property: no
// ciphertext but the one sealed ever opens.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bwoc/core/encoding.h"
#include "bwoc/core/seal.h"

namespace {

// RFC 7748 6.1 Bob: the recipient of tests/fixtures/sealed-vector.json.
const bwoc::SealSecretKey& recipient() {
  static const bwoc::SealSecretKey key = [] {
    auto raw = bwoc::hex_decode_lower("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    std::array<std::uint8_t, 32> bytes{};
    std::copy(raw->begin(), raw->end(), bytes.begin());
    return bwoc::SealSecretKey::from_bytes(bytes);
  }();
  return key;
}

const bwoc::Envelope& sealed_base() {
  static const bwoc::Envelope base = [] {
    bwoc::EnvelopeDraft d;
    d.kind = "message";
    d.from = "agent-a";
    d.to = "agent-b";
    d.payload = bwoc::json::Value::object({{"n", 1}});
    auto signer = bwoc::SecretKey::generate();
    d.aud = signer.public_key();
    (void)bwoc::seal_draft(d, signer.public_key(), recipient().public_key(), std::nullopt);
    return bwoc::sign(d, signer).value().envelope;
  }();
  return base;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const bwoc::SealSecretKey* secrets[] = {&recipient()};

  if (auto member = bwoc::json::parse(text, {bwoc::kMaxEnvelopeBytes, 8}); member.ok()) {
    bwoc::Envelope env = sealed_base();
    env.doc.set("sealed", *member);
    auto read = bwoc::parse_sealed(*member);
    if (bwoc::open_payload(env, secrets).ok()) {
      auto original = bwoc::parse_sealed(*sealed_base().doc.find("sealed"));
      // Only the very ciphertext that was sealed opens (other members may differ).
      if (!read.ok() || read->ct != original->ct || read->nonce != original->nonce || !(read->epk == original->epk)) {
        std::abort();
      }
    }
  }
  auto whole = bwoc::parse_envelope(text);
  if (whole.ok() && whole.value().sealed) {
    (void)bwoc::open_payload(whole.value(), secrets);
    (void)bwoc::reply_key_of(whole.value());
  }
  return 0;
}
