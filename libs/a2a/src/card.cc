#include "bwoc/a2a/card.h"

#include "bwoc/core/files.h"
#include "bwoc/core/version.h"
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
