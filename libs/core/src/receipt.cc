#include "bwoc/core/receipt.h"

#include <sodium.h>

#include "bwoc/core/encoding.h"

namespace bwoc {

std::string derived_id(const SecretKey& node, std::string_view purpose, const PublicKey& sender,
                       std::string_view request_id) {
  std::array<std::uint8_t, 32> key = node.derive(purpose);
  std::string input;
  input.reserve(32 + request_id.size());
  input.append(reinterpret_cast<const char*>(sender.bytes.data()), sender.bytes.size());
  input.append(request_id);
  std::array<std::uint8_t, 16> out{};
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                     key.data(), key.size());
  sodium_memzero(key.data(), key.size());
  return hex_encode(out);
}

EnvelopeDraft answer_draft(const Envelope& request, std::string_view kind, json::Value payload) {
  EnvelopeDraft d;
  d.kind = std::string(kind);
  d.from = request.to;
  d.to = request.from;
  d.aud = request.key;
  d.re = request.id;
  d.payload = std::move(payload);
  return d;
}

Result<std::string> make_receipt(const SecretKey& node, const Envelope& request, UnixMillis accepted_at,
                                 const std::optional<SealPublicKey>& seal_to, const std::optional<SealPublicKey>& reply) {
  EnvelopeDraft d = answer_draft(request, kReceiptKind, json::Value::object({{"status", "accepted"}, {"agent", request.to}}));
  d.id = derived_id(node, "bwoc receipt id v1", request.key, request.id);
  d.ts = accepted_at;
  if (seal_to) {
    // Derived like the id, so that a repeated request gets the same bytes.
    auto seed_hex = hex_decode_lower(derived_id(node, "bwoc receipt seal v1", request.key, request.id) +
                                     derived_id(node, "bwoc receipt seal v1 (2)", request.key, request.id));
    std::array<std::uint8_t, 32> seed{};
    std::copy(seed_hex->begin(), seed_hex->end(), seed.begin());
    BWOC_RETURN_IF_ERROR(seal_draft(d, node.public_key(), *seal_to, reply, seal_seed_from(seed)));
    sodium_memzero(seed.data(), seed.size());
  }
  return sign_envelope(d, node);
}

Checked<Envelope> verify_answer(std::string_view text, const PublicKey& peer, const PublicKey& self,
                                std::string_view request_id, std::string_view expected_kind) {
  auto parsed = parse_envelope(text);
  if (!parsed.ok()) return parsed.refusal();
  Envelope env = std::move(parsed).value();
  if (!(env.key == peer)) return Refusal{Reason::unknown_sender, "the answer is signed by another key than the peer's"};
  if (!(env.aud == self)) return Refusal{Reason::wrong_audience, "the answer is addressed to another workspace"};
  if (!env.re || *env.re != request_id) return Refusal{Reason::malformed, "the answer does not answer this request"};
  if (!expected_kind.empty() && env.kind != expected_kind) {
    return Refusal{Reason::malformed, "the answer is a \"" + env.kind + "\", not a \"" + std::string(expected_kind) + "\""};
  }
  std::string scratch;
  if (!verify_signature(env, scratch)) return Refusal{Reason::bad_signature, "the answer's signature does not verify"};
  return env;
}

}  // namespace bwoc
