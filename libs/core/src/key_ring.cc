#include "bwoc/core/key_ring.h"

#include <sys/stat.h>

#include "bwoc/core/log.h"

namespace bwoc {

namespace {

std::string stamp_of(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return "";
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

bool WorkspaceKeys::is_own(const PublicKey& candidate, UnixMillis now) const {
  if (candidate == key.public_key()) return true;
  return previous && now < previous_until && candidate == previous->public_key();
}

const SecretKey& WorkspaceKeys::signer_for(const PublicKey& aud, UnixMillis now) const {
  if (previous && now < previous_until && aud == previous->public_key()) return *previous;
  return key;
}

std::vector<const SealSecretKey*> WorkspaceKeys::seal_secrets(UnixMillis now) const {
  std::vector<const SealSecretKey*> out;
  if (seal) out.push_back(&*seal);
  if (previous_seal && now < previous_until) out.push_back(&*previous_seal);
  return out;
}

Result<WorkspaceKeys> load_workspace_keys(const Workspace& ws) {
  BWOC_ASSIGN_OR_RETURN(SecretKey key, ws.load_secret_key());
  WorkspaceKeys out{std::move(key), std::nullopt, std::nullopt, std::nullopt, 0};
  // Without an X25519 key nothing sealed opens here; everything else works.
  if (auto seal = ws.load_seal_secret(); seal.ok()) out.seal = std::move(seal).value();
  const Identity& id = ws.identity();
  if (id.previous_public_key && id.previous_until) {
    if (auto previous = ws.load_previous_secret_key(); previous.ok()) {
      out.previous = std::move(previous).value();
      out.previous_until = *id.previous_until;
    }
    if (auto previous_seal = ws.load_previous_seal_secret(); previous_seal.ok()) {
      out.previous_seal = std::move(previous_seal).value();
    }
  }
  return out;
}

Result<std::unique_ptr<KeyRing>> KeyRing::open(const Workspace& ws, std::function<UnixMillis()> clock,
                                               std::int64_t recheck_ms) {
  std::unique_ptr<KeyRing> ring(new KeyRing(ws, std::move(clock), recheck_ms));
  ring->stamp_ = stamp_of(ws.identity_file());
  BWOC_ASSIGN_OR_RETURN(WorkspaceKeys keys, load_workspace_keys(ws));
  ring->keys_ = std::make_shared<const WorkspaceKeys>(std::move(keys));
  ring->checked_at_ = ring->clock_();
  return ring;
}

std::shared_ptr<const WorkspaceKeys> KeyRing::keys() {
  std::lock_guard lock(mu_);
  UnixMillis now = clock_();
  if (now - checked_at_ < recheck_ms_ && now >= checked_at_) return keys_;
  checked_at_ = now;
  std::string stamp = stamp_of(ws_.identity_file());
  if (stamp == stamp_) return keys_;
  // A rotation happened (or is half-way): keep the keys we have until the
  // new ones read back whole.
  auto reopened = Workspace::open(ws_.root());
  auto keys = reopened.ok() ? load_workspace_keys(*reopened) : Result<WorkspaceKeys>(reopened.error());
  if (!keys.ok()) {
    log::warning("keys.reload_failed", {{"error", keys.error().message()}});
    return keys_;
  }
  stamp_ = std::move(stamp);
  ws_ = std::move(reopened).value();
  keys_ = std::make_shared<const WorkspaceKeys>(std::move(keys).value());
  log::info("keys.reloaded", {{"key", keys_->key.public_key().fingerprint()}});
  return keys_;
}

std::optional<Refusal> open_received(Envelope& env, const PeerRoute* peer, const WorkspaceKeys& keys, UnixMillis now) {
  if (!env.sealed) {
    if (peer != nullptr && peer->seal == PeerRoute::Seal::required) {
      return Refusal{Reason::unsealed, "peer \"" + peer->key + "\" is declared seal = \"required\", and this envelope is not sealed"};
    }
    return std::nullopt;
  }
  std::vector<const SealSecretKey*> secrets = keys.seal_secrets(now);
  auto payload = open_payload(env, secrets);
  if (!payload.ok()) return Refusal{Reason::bad_seal, payload.error().message()};
  env.opened = std::make_shared<const json::Value>(std::move(payload).value());
  return std::nullopt;
}

void use_key_ring(ReceiverOptions& options, KeyRing& ring) {
  KeyRing* r = &ring;
  options.own_key = [r](const PublicKey& key, UnixMillis now) { return r->keys()->is_own(key, now); };
  std::function<UnixMillis()> clock = options.clock;
  options.open = [r, clock](Envelope& env, const PeerRoute* peer) { return open_received(env, peer, *r->keys(), clock()); };
}

}  // namespace bwoc
