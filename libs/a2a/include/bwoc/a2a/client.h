// Sending envelopes to peers over A2A, and checking what they answer.
//
// The client fetches the peer's agent card, checks that the key it publishes
// is the key pinned in routes.toml, sends the envelope in an A2A 1.0
// SendMessage, and accepts the delivery only with a receipt signed by that
// key, addressed to us, answering our envelope (spec §3). Answers are bounded
// in size and time; anything else is an error, never a silent success.
#ifndef BWOC_A2A_CLIENT_H_
#define BWOC_A2A_CLIENT_H_

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "bwoc/core/json.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/result.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/transport.h"

namespace bwoc::a2a {

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds timeout{15'000};
  std::size_t max_answer_bytes = 4u << 20;
};

// GETs <base_url>/.well-known/agent-card.json.
Result<json::Value> fetch_card(const std::string& base_url, const ClientOptions& options = {});

// The card at `peer`'s url, once it publishes the key pinned for the peer.
Result<json::Value> fetch_pinned_card(const PeerRoute& peer, const ClientOptions& options = {});

// The public key a card publishes in its bwoc extension, if any.
std::optional<PublicKey> card_public_key(const json::Value& card);
// The agent a card serves, named in its bwoc extension ("" if none).
std::string card_agent(const json::Value& card);
// The X25519 key a card publishes (params.sealKey), once `signer`'s
// signature over it (params.sealKeySig) verifies; nullopt otherwise.
std::optional<SealPublicKey> card_seal_key(const json::Value& card, const PublicKey& signer);

class A2aTransport : public EnvelopeTransport {
 public:
  // `self` is this workspace's key: receipts must be addressed to it.
  explicit A2aTransport(PublicKey self, ClientOptions options = {}) : self_(self), options_(options) {}
  Via via() const override { return Via::a2a; }
  Result<SendReport> deliver(const PeerRoute& peer, const SignedEnvelope& envelope,
                             std::chrono::milliseconds timeout) override;
  std::optional<SealPublicKey> advertised_seal_key(const PeerRoute& peer, std::chrono::milliseconds timeout) override;

 private:
  // The peer's card, checked, fetched at most once in a while: deciding to
  // seal and delivering both need it.
  Result<json::Value> pinned_card(const PeerRoute& peer, const ClientOptions& options);

  PublicKey self_;
  ClientOptions options_;
  std::mutex cards_mu_;
  std::map<std::string, std::pair<std::chrono::steady_clock::time_point, json::Value>> cards_;  // by url and key
};

}  // namespace bwoc::a2a

#endif  // BWOC_A2A_CLIENT_H_
