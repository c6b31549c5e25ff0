#include "bwoc/a2a/card.h"

#include "bwoc/core/encoding.h"
#include "bwoc/core/files.h"
#include "bwoc/core/jcs.h"
#include "bwoc/core/version.h"
#include "bwoc/core/routes.h"
#include "url.h"

namespace bwoc::a2a {

json::Value agent_card(const CardInfo& info) {
  std::string rpc_url = join_url(info.base_url, "/a2a");
  json::Value params = json::Value::object({{"envelopeVersion", 1},
                                           {"workspace", info.workspace},
                                           {"agent", info.agent},
                                           {"publicKey", info.public_key.to_text()},
                                           {"fingerprint", info.public_key.fingerprint()}});
  // Sealed payloads: clients seal to this key (signed by publicKey).
  if (info.seal_key && info.seal_key_sig) {
    params.set("sealKey", info.seal_key->to_text());
    params.set("sealKeySig", info.seal_key_sig->to_base64());
  }
  if (!info.skill_contracts.is_null()) {
    params.set("skills", info.skill_contracts);
    params.set("skillSetHash", info.skill_set_hash);
  }
  json::Value extension = json::Value::object(
      {{"uri", std::string(kEnvelopeExtensionUri)},
       {"description",
        "Messages carry a bwoc envelope (Ed25519-signed, RFC 8785 canonical JSON) in a data part "
        "{\"bwoc.envelope\": ...}; the node answers with its own signed receipt in the task's artifact."},
       {"required", false},
       {"params", std::move(params)}});
  return json::Value::object({
      {"name", info.workspace + "/" + info.agent},
      {"description", info.description.empty() ? "A bwoc agent" : info.description},
      {"version", std::string(kVersion)},
      {"supportedInterfaces",
       json::Value::array({json::Value::object({{"url", rpc_url}, {"protocolBinding", "JSONRPC"}, {"protocolVersion", "1.0"}}),
                           json::Value::object({{"url", rpc_url}, {"protocolBinding", "JSONRPC"}, {"protocolVersion", "0.3"}})})},
      // A2A 0.3 reads these three.
      {"protocolVersion", "0.3.0"},
      {"url", rpc_url},
      {"preferredTransport", "JSONRPC"},
      {"provider", json::Value::object({{"organization", info.workspace}, {"url", info.base_url}})},
      {"capabilities", json::Value::object({{"streaming", true},
                                            {"pushNotifications", false},
                                            {"extendedAgentCard", info.extended_card},
                                            {"extensions", json::Value::array({extension})}})},
      {"defaultInputModes", json::Value::array({"application/json", "text/plain"})},
      {"defaultOutputModes", json::Value::array({"application/json"})},
      {"skills", info.skills},
  });
}

namespace {

// JWS signing input: BASE64URL(protected) "." BASE64URL(JCS(card without signatures)).
std::string signing_input(const json::Value& card, std::string_view protected_b64) {
  std::string canonical;
  jcs::canonicalize_without(card, "signatures", canonical);
  std::string input(protected_b64);
  input += '.';
  input += base64url_encode(as_bytes(canonical));
  return input;
}

}  // namespace

json::Value sign_card(json::Value card, const SecretKey& key) {
  std::string header = json::write(json::Value::object(
      {{"alg", "EdDSA"}, {"kid", key.public_key().to_text()}, {"typ", "JOSE"}}));
  std::string protected_b64 = base64url_encode(as_bytes(header));
  Signature sig = key.sign(signing_input(card, protected_b64));
  card.set("signatures", json::Value::array({json::Value::object(
                             {{"protected", protected_b64}, {"signature", base64url_encode(sig.bytes)}})}));
  return card;
}

Status verify_card_signature(const json::Value& card, const PublicKey& key) {
  const json::Value* signatures = card.find("signatures");
  if (signatures == nullptr || !signatures->is_array() || signatures->items().empty()) {
    return Error(Errc::refused, "the agent card is not signed");
  }
  for (const json::Value& s : signatures->items()) {
    const json::Value* protected_b64 = s.find("protected");
    const json::Value* signature = s.find("signature");
    if (protected_b64 == nullptr || !protected_b64->is_string() || signature == nullptr || !signature->is_string()) continue;
    auto header_bytes = base64url_decode(protected_b64->as_string());
    auto sig_bytes = base64url_decode(signature->as_string());
    if (!header_bytes || !sig_bytes || sig_bytes->size() != 64) continue;
    auto header = json::parse(std::string_view(reinterpret_cast<const char*>(header_bytes->data()), header_bytes->size()),
                              json::ParseLimits{4096, 4});
    const json::Value* alg = header.ok() ? header->find("alg") : nullptr;
    if (alg == nullptr || !alg->is_string() || alg->as_string() != "EdDSA") continue;
    Signature sig;
    std::copy(sig_bytes->begin(), sig_bytes->end(), sig.bytes.begin());
    if (verify_signature(key, sig, signing_input(card, protected_b64->as_string()))) return ok_status();
  }
  return Error(Errc::refused, "the agent card's signature does not verify with the pinned key");
}

json::Value card_skills(const json::Value& offer) {
  json::Value out = json::Value::array();
  const json::Value* skills = offer.find("skills");
  if (skills == nullptr || !skills->is_array()) return out;
  auto text = [](const json::Value& c, std::string_view name) {
    const json::Value* v = c.find(name);
    return v != nullptr && v->is_string() ? v->as_string() : std::string();
  };
  for (const json::Value& c : skills->items()) {
    std::string name = text(c, "name");
    if (name.empty()) continue;
    std::string description = text(c, "description");
    std::string when = text(c, "when_to_use");
    out.push_back(json::Value::object(
        {{"id", name},
         {"name", name},
         {"description", when.empty() ? description : description + " When to use: " + when},
         {"tags", json::Value::array({"bwoc-skill", "version:" + text(c, "version")})},
         {"inputModes", json::Value::array({"application/json"})},
         {"outputModes", json::Value::array({"application/json"})}}));
  }
  return out;
}

Result<CardInfo> card_info_for(const Workspace& ws, std::string_view agent, std::string_view base_url) {
  if (!ws.has_agent(agent)) {
    return Error(Errc::not_found, "no agent \"" + std::string(agent) + "\" in workspace \"" + ws.name() + "\"");
  }
  // The card is public: a password in its URL would be given to everyone.
  if (url_has_user_info(base_url)) return url_user_info_error("--public-url");
  BWOC_ASSIGN_OR_RETURN(PublicKey key, ws.public_key());
  CardInfo info;
  info.workspace = ws.name();
  info.agent = std::string(agent);
  info.base_url = std::string(base_url);
  info.public_key = key;
  info.seal_key = ws.identity().seal_key;
  info.seal_key_sig = ws.identity().seal_key_sig;
  // The extended card lists what the caller's tier may call; the public one,
  // only skills open to tier 0.
  info.extended_card = true;
  auto text = read_file_bounded(ws.manifest_file(agent), 1 << 20);
  if (text.ok()) {
    auto manifest = json::parse(*text);
    if (manifest.ok()) {
      if (const json::Value* d = manifest->find("description"); d && d->is_string()) info.description = d->as_string();
    }
  }
  return info;
}

}  // namespace bwoc::a2a
