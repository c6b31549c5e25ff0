#include "bwoc/core/key_kinds.h"

#include <algorithm>

#include "bwoc/core/log.h"
#include "bwoc/core/routes_edit.h"
#include "bwoc/core/trust.h"

namespace bwoc {

namespace {

constexpr std::string_view kRotationStatementPrefix = "bwoc-key-rotate-v1\n";

const std::string* text_member(const json::Value& v, std::string_view name) {
  const json::Value* m = v.find(name);
  return m != nullptr && m->is_string() ? &m->as_string() : nullptr;
}

struct Rotation {
  PublicKey next;
  std::optional<SealPublicKey> seal_key;
  std::optional<Signature> seal_key_sig;
  std::int64_t grace_ms = 0;
};

// What a key.rotate says, once both keys agree; an error's text is what its
// sender is told.
Result<Rotation> read_rotation(const Envelope& env) {
  auto refuse = [](std::string why) { return Error(Errc::refused, "Invalid key rotation: " + why); };
  const json::Value& p = env.payload();
  const std::string* next = text_member(p, "new_key");
  const std::string* next_sig = text_member(p, "new_key_sig");
  const json::Value* grace = p.find("grace_s");
  if (next == nullptr || next_sig == nullptr || grace == nullptr || !grace->is_number() || !grace->is_safe_integer() ||
      grace->as_number() < 0) {
    return refuse("{\"new_key\", \"new_key_sig\", \"grace_s\"} are required");
  }
  auto key = PublicKey::from_text(*next);
  auto sig = Signature::from_base64(*next_sig);
  if (!key.ok() || !sig.ok()) return refuse("new_key or new_key_sig is not in its form");
  if (*key == env.key) return refuse("the new key is the old one");
  // The new key's owner agrees to replace the old one (the envelope's
  // signature is the old key's agreement).
  if (!verify_signature(*key, *sig, rotation_statement(env.key, *key))) return refuse("new_key_sig does not verify");
  Rotation r;
  r.next = *key;
  r.grace_ms = std::min<std::int64_t>(static_cast<std::int64_t>(grace->as_number()) * 1000, kMaxKeyGraceMs);
  const std::string* seal = text_member(p, "seal_key");
  const std::string* seal_sig = text_member(p, "seal_key_sig");
  if (seal != nullptr && seal_sig != nullptr) {
    auto s = SealPublicKey::from_text(*seal);
    auto g = Signature::from_base64(*seal_sig);
    if (!s.ok() || !g.ok() || !verify_seal_key(r.next, *s, *g)) return refuse("seal_key is not signed by the new key");
    r.seal_key = *s;
    r.seal_key_sig = *g;
  }
  return r;
}

}  // namespace

std::string rotation_statement(const PublicKey& old_key, const PublicKey& new_key) {
  return std::string(kRotationStatementPrefix) + old_key.to_text() + "\n" + new_key.to_text();
}

json::Value rotation_payload(const PublicKey& old_key, const SecretKey& new_key,
                             const std::optional<SealPublicKey>& seal_key, const std::optional<Signature>& seal_key_sig,
                             std::int64_t grace_ms) {
  json::Value p = json::Value::object(
      {{"new_key", new_key.public_key().to_text()},
       {"new_key_sig", new_key.sign(rotation_statement(old_key, new_key.public_key())).to_base64()},
       {"grace_s", static_cast<double>(grace_ms / 1000)}});
  if (seal_key && seal_key_sig) {
    p.set("seal_key", seal_key->to_text());
    p.set("seal_key_sig", seal_key_sig->to_base64());
  }
  return p;
}

json::Value revocation_payload(const PublicKey& revoked) {
  return json::Value::object({{"revoked", revoked.to_text()}});
}

void add_key_kinds(Inbound& inbound) {
  Inbound* node = &inbound;

  KindHandler rotate;
  rotate.blocking = true;  // it rewrites routes.toml: not on the commit thread
  rotate.admit = [node](const Envelope& env) -> std::optional<std::string> {
    auto r = read_rotation(env);
    if (!r.ok()) return r.error().message();
    auto routes = node->routes();
    const PeerRoute* peer = routes ? routes->find_by_pubkey(env.key) : nullptr;
    // Only the key pinned now may hand over; a previous key in its grace
    // period may not rotate again.
    if (peer == nullptr || !(peer->pubkey == env.key)) return std::string("Invalid key rotation: not signed by the pinned key");
    // Nor may the pinned key while the one it replaced is in its grace
    // period: that key can still revoke it (someone who rotated with a
    // leaked key), and a second rotation would leave it no key to revoke.
    if (peer->previous_pubkey && peer->previous_until && node->now() < *peer->previous_until) {
      return std::string("Invalid key rotation: the previous rotation's grace period runs until ") +
             format_timestamp(*peer->previous_until);
    }
    if (const PeerRoute* other = routes->find_by_pubkey(r->next); other != nullptr && other != peer) {
      return std::string("Invalid key rotation: the new key is another peer's");
    }
    return std::nullopt;
  };
  rotate.act = [node](const InboundRequest& req) -> Result<std::optional<std::string>> {
    BWOC_ASSIGN_OR_RETURN(Rotation r, read_rotation(req.envelope));
    UnixMillis now = now_millis();
    UnixMillis until = now + r.grace_ms;
    if (req.peer != "self") {
      BWOC_RETURN_IF_ERROR(repin_peer(node->workspace(), req.peer, r.next, r.seal_key, r.seal_key_sig, until, now));
      node->routes_changed();
      TrustStore trust(node->workspace(), node->routes(), true);
      if (Status st = trust.rename_key(req.envelope.key, r.next); !st.ok()) {
        log::warning("key.trust_not_moved", {{"peer", req.peer}, {"error", st.error().message()}});
      }
      log::info("key.rotated", {{"peer", req.peer}, {"from", req.envelope.key.fingerprint()},
                                {"to", r.next.fingerprint()}, {"until", format_timestamp(until)}});
    }
    BWOC_ASSIGN_OR_RETURN(std::string answer,
                          node->sign_answer(req.envelope, std::string(kKeyRotateKind) + ".result",
                                            json::Value::object({{"status", "re-pinned"}, {"key", r.next.to_text()}})));
    return std::optional<std::string>(std::move(answer));
  };
  inbound.add_kind(std::string(kKeyRotateKind), std::move(rotate));

  KindHandler revoke;
  revoke.blocking = true;
  revoke.admit = [](const Envelope& env) -> std::optional<std::string> {
    const std::string* revoked = text_member(env.payload(), "revoked");
    if (revoked == nullptr || *revoked != env.key.to_text()) {
      return std::string("Invalid key revocation: a key revokes itself ({\"revoked\": <the envelope's key>})");
    }
    return std::nullopt;
  };
  revoke.act = [node](const InboundRequest& req) -> Result<std::optional<std::string>> {
    if (req.peer != "self") {
      BWOC_RETURN_IF_ERROR(revoke_peer_key(node->workspace(), req.peer, req.envelope.key, now_millis()));
      node->routes_changed();
      log::warning("key.revoked", {{"peer", req.peer}, {"key", req.envelope.key.fingerprint()}});
    }
    BWOC_ASSIGN_OR_RETURN(std::string answer,
                          node->sign_answer(req.envelope, std::string(kKeyRevokeKind) + ".result",
                                            json::Value::object({{"status", "revoked"}})));
    return std::optional<std::string>(std::move(answer));
  };
  inbound.add_kind(std::string(kKeyRevokeKind), std::move(revoke));
}

}  // namespace bwoc
