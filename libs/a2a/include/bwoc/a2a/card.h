// The A2A agent card of one bwoc agent: served at /.well-known/agent-card.json
// and /.well-known/agent.json, readable by A2A 1.0 clients (supportedInterfaces,
// with a 1.0 and a 0.3 JSON-RPC entry) and by 0.3 clients (protocolVersion,
// url, preferredTransport).
//
// It publishes the workspace's public key and declares the bwoc envelope as
// an A2A extension. The public card shows only what anyone may see: the
// agent's name and description, and skills open to tier 0.
#ifndef BWOC_A2A_CARD_H_
#define BWOC_A2A_CARD_H_

#include <string>
#include <string_view>

#include "bwoc/core/json.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/result.h"
#include "bwoc/core/seal.h"
#include "bwoc/core/workspace.h"

namespace bwoc::a2a {

// The URI of the A2A extension that carries bwoc envelopes (spec envelope-v1 §5).
inline constexpr std::string_view kEnvelopeExtensionUri = "urn:bwoc:a2a:envelope:v1";

struct CardInfo {
  std::string workspace;
  std::string agent;
  std::string description;
  std::string base_url;  // "http://127.0.0.1:8080": the card says <base_url>/a2a
  PublicKey public_key;
  // The X25519 key sealed payloads are sealed to, signed by public_key.
  std::optional<SealPublicKey> seal_key;
  std::optional<Signature> seal_key_sig;
  json::Value skills = json::Value::array();  // public skills, in A2A AgentSkill shape
  // The extended card only: the full skill contracts and their set's hash,
  // published in the bwoc extension's params.
  json::Value skill_contracts;
  std::string skill_set_hash;
  bool extended_card = true;  // GetExtendedAgentCard answers by the caller's verified tier
};

json::Value agent_card(const CardInfo& info);

// The card with A2A's `signatures` member: one RFC 7515 JWS, EdDSA with the
// workspace key, detached, over the RFC 8785 form of the card without
// `signatures` (protected header {"alg":"EdDSA","kid":<key>,"typ":"JOSE"}).
json::Value sign_card(json::Value card, const SecretKey& key);
// OK when one of the card's signatures is `key`'s over the card as it is;
// Errc::refused otherwise (none, or none that verifies).
Status verify_card_signature(const json::Value& card, const PublicKey& key);

// The skills of an offer (what the inbound layer says a tier may see: the
// payload of a skill.discover answer) as A2A AgentSkill objects.
json::Value card_skills(const json::Value& offer);

// Reads what the card says about an agent from its manifest (not its skills:
// those come from the node's offer).
Result<CardInfo> card_info_for(const Workspace& ws, std::string_view agent, std::string_view base_url);

}  // namespace bwoc::a2a

#endif  // BWOC_A2A_CARD_H_
