#include "bwoc/node/key_change.h"

#include "bwoc/core/key_kinds.h"
#include "bwoc/node/client.h"

namespace bwoc::node {

namespace {

// Sends `kind` with `payload` to every declared peer that is not revoked,
// signed by `signer`, and notes who confirmed.
void tell_peers(Client& client, const SecretKey& signer, std::string_view kind, const json::Value& payload,
                std::chrono::milliseconds timeout, KeyChange& out) {
  for (const PeerRoute& peer : client.routes().peers()) {
    if (peer.revoked) continue;
    peer::AskRequest request;
    request.peer = peer.key;
    request.kind = std::string(kind);
    request.payload = payload;
    request.timeout = timeout;
    PeerNotice notice{peer.key, false, ""};
    auto answer = client.ask_signed_by(request, signer);
    if (!answer.ok()) {
      notice.detail = answer.error().message();
    } else if (answer->answer.kind != std::string(kind) + ".result") {
      const json::Value* e = answer->answer.payload().find("error");
      notice.detail = "refused: " + (e && e->is_string() ? e->as_string().substr(0, 200) : answer->answer.kind);
    } else {
      notice.confirmed = true;
      notice.detail = "confirmed over " + std::string(via_name(answer->via));
    }
    out.peers.push_back(std::move(notice));
  }
}

}  // namespace

Result<KeyChange> rotate_key(Workspace& ws, std::int64_t grace_ms, std::chrono::milliseconds timeout) {
  if (grace_ms < 0 || grace_ms > kMaxKeyGraceMs) {
    return Error(Errc::invalid_argument, "the grace period is 0 to 30 days");
  }
  // Peers refuse a rotation while the previous one's grace period runs (the
  // key it replaced may still revoke it): say so before anything changes.
  if (const Identity& id = ws.identity(); id.previous_until && now_millis() < *id.previous_until) {
    return Error(Errc::refused, "the previous rotation's grace period runs until " +
                                    format_timestamp(*id.previous_until) +
                                    ": rotate again after it, or revoke this key (`bwoc trust revoke --force`)");
  }
  BWOC_ASSIGN_OR_RETURN(SecretKey old_key, ws.load_secret_key());
  BWOC_ASSIGN_OR_RETURN(Workspace::NextKeys next, ws.prepare_rotation());
  KeyChange out;
  out.old_key = old_key.public_key();
  json::Value payload = rotation_payload(old_key.public_key(), next.key, next.seal_key, next.seal_key_sig, grace_ms);
  {
    // Peers hear of the new key before it signs anything, so that nothing
    // signed by it reaches a peer that does not know it yet.
    BWOC_ASSIGN_OR_RETURN(auto client, Client::open(ws, timeout));
    tell_peers(*client, old_key, kKeyRotateKind, payload, timeout, out);
  }
  UnixMillis now = now_millis();
  BWOC_ASSIGN_OR_RETURN(out.new_key, ws.rotate(grace_ms, now));
  out.grace_until = now + grace_ms;
  return out;
}

Result<KeyChange> revoke_key(Workspace& ws, std::chrono::milliseconds timeout) {
  BWOC_ASSIGN_OR_RETURN(SecretKey revoked, ws.load_secret_key());
  KeyChange out;
  out.old_key = revoked.public_key();
  {
    BWOC_ASSIGN_OR_RETURN(auto client, Client::open(ws, timeout));
    tell_peers(*client, revoked, kKeyRevokeKind, revocation_payload(revoked.public_key()), timeout, out);
  }
  BWOC_ASSIGN_OR_RETURN(out.new_key, ws.keygen(/*force=*/true));
  return out;
}

}  // namespace bwoc::node
