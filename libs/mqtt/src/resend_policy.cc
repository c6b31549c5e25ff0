#include "bwoc/mqtt/resend_policy.h"

#include "bwoc/core/envelope.h"
#include "bwoc/core/log.h"
#include "bwoc/core/sent_log.h"

namespace bwoc::mqtt {

Result<ResendPolicy> ResendPolicy::load(const Workspace& ws) {
  BWOC_ASSIGN_OR_RETURN(Routes routes, Routes::load(ws.routes_file(), ws.root()));
  auto shared = std::make_shared<const Routes>(std::move(routes));
  auto self = ws.public_key();
  return ResendPolicy(shared, std::make_unique<TrustStore>(ws, shared, /*log_changes=*/false),
                      self.ok() ? std::optional<PublicKey>(*self) : std::nullopt);
}

std::optional<std::string> ResendPolicy::give_up(const SpoolEntry& entry, UnixMillis now) {
  auto envelope = parse_envelope(entry.envelope);
  if (!envelope.ok()) return "it is no longer a readable envelope";
  if (const json::Value* deadline = envelope.value().doc.find("deadline"); deadline != nullptr && deadline->is_string()) {
    auto at = parse_timestamp(deadline->as_string());
    if (at.ok() && now > *at) return "its deadline " + deadline->as_string() + " passed";
  }
  if (self_ && entry.peer_key == *self_) return std::nullopt;  // to ourselves
  // Only to a key a declared peer holds and has not revoked: a removed
  // peer's, a revoked one, or the old key of a peer declared again from a
  // new invite may be in other hands, and what is sealed to it they open.
  const PeerRoute* peer = routes_->find_by_pubkey(entry.peer_key);
  if (peer == nullptr) return "its peer was removed from routes.toml, or declared again from a new invite under another key";
  if (!routes_->may_send_to_key(entry.peer_key)) return "its peer's key was revoked";
  auto tier = trust_->tier_of(entry.peer_key, now);
  if (tier.ok() && *tier && **tier <= kUntrusted) return "its peer was lowered to UNTRUSTED";
  std::int64_t max_age = peer->max_age_ms.value_or(default_max_age_ms(Via::mqtt));
  if (now - envelope.value().ts > max_age) {
    return "it is older than the " + std::to_string(max_age / 1000) + " s the peer accepts";
  }
  return std::nullopt;
}

std::vector<SpoolEntry> still_worth_resending(const Workspace& ws, Spool& spool, std::vector<SpoolEntry> entries,
                                              std::size_t* given_up) {
  if (entries.empty()) return entries;
  auto policy = ResendPolicy::load(ws);
  if (!policy.ok()) {
    // Without routes nothing can be judged: resend, as before.
    log::warning("mqtt.resend_policy_unavailable", {{"error", policy.error().message()}});
    return entries;
  }
  UnixMillis now = now_millis();
  auto sent = SentLog::open(ws);
  std::vector<SpoolEntry> keep;
  for (SpoolEntry& e : entries) {
    std::optional<std::string> why = policy->give_up(e, now);
    if (!why) {
      keep.push_back(std::move(e));
      continue;
    }
    log::warning("mqtt.spool_gave_up", {{"id", e.id}, {"from", e.from}, {"to", e.to}, {"why", *why}});
    if (Status st = spool.remove(e.id, *why); !st.ok()) {
      log::warning("mqtt.spool_remove_failed", {{"id", e.id}, {"error", st.error().message()}});
    }
    if (sent.ok()) {
      SentRecord r;
      r.id = e.id;
      r.via = Via::mqtt;
      r.state = SentState::failed;
      r.detail = "given up from the MQTT spool: " + *why;
      (void)sent->record(r);
    }
    if (given_up != nullptr) ++*given_up;
  }
  return keep;
}

}  // namespace bwoc::mqtt
