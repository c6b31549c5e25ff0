#include "bwoc/a2a/client.h"

#include "bwoc/a2a/card.h"
#include "bwoc/core/receipt.h"
#include "http.h"
#include "shapes.h"
#include "url.h"

namespace bwoc::a2a {

namespace {

HttpClientOptions http_options(const ClientOptions& o) {
  HttpClientOptions h;
  h.connect_timeout = o.connect_timeout;
  h.total_timeout = o.timeout;
  h.max_response_bytes = o.max_answer_bytes;
  return h;
}

// The JSON-RPC 1.0 endpoint a card names, if it is on the same origin as the
// URL the peer is declared with; otherwise <base>/a2a. (A card cannot send
// our envelopes to another host.)
std::string rpc_endpoint(const json::Value& card, const std::string& base_url) {
  auto base = parse_url(base_url);
  std::string fallback = join_url(base_url, "/a2a");
  const json::Value* interfaces = card.find("supportedInterfaces");
  if (!base.ok() || interfaces == nullptr || !interfaces->is_array()) return fallback;
  for (const json::Value& i : interfaces->items()) {
    const json::Value* url = i.find("url");
    const json::Value* binding = i.find("protocolBinding");
    const json::Value* version = i.find("protocolVersion");
    if (!url || !url->is_string() || !binding || !binding->is_string() || binding->as_string() != "JSONRPC" ||
        !version || !version->is_string() || version->as_string() != "1.0") {
      continue;
    }
    auto u = parse_url(url->as_string());
    if (u.ok() && u->origin() == base->origin()) return url->as_string();
  }
  return fallback;
}

}  // namespace

Result<json::Value> fetch_card(const std::string& base_url, const ClientOptions& options) {
  HttpCall call;
  call.url = join_url(base_url, "/.well-known/agent-card.json");
  call.headers.emplace_back("A2A-Version", "1.0");
  BWOC_ASSIGN_OR_RETURN(HttpResult r, http_call(call, http_options(options)));
  if (r.status != 200) {
    return Error(Errc::unavailable, "no agent card at " + call.url + " (HTTP " + std::to_string(r.status) + ")");
  }
  auto card = json::parse(r.body, json::ParseLimits{options.max_answer_bytes, 64});
  if (!card.ok() || !card->is_object()) {
    return Error(Errc::refused, "the agent card at " + call.url + " is not a JSON object");
  }
  return card;
}

std::optional<PublicKey> card_public_key(const json::Value& card) {
  const json::Value* caps = card.find("capabilities");
  const json::Value* exts = caps ? caps->find("extensions") : nullptr;
  if (exts == nullptr || !exts->is_array()) return std::nullopt;
  for (const json::Value& e : exts->items()) {
    const json::Value* uri = e.find("uri");
    if (!uri || !uri->is_string() || uri->as_string() != kEnvelopeExtensionUri) continue;
    const json::Value* params = e.find("params");
    const json::Value* key = params ? params->find("publicKey") : nullptr;
    if (key && key->is_string()) {
      auto pk = PublicKey::from_text(key->as_string());
      if (pk.ok()) return *pk;
    }
  }
  return std::nullopt;
}

Result<SendReport> A2aTransport::deliver(const PeerRoute& peer, const std::string& envelope_text,
                                         const Envelope& envelope) {
  if (!peer.url) return Error(Errc::unavailable, "peer \"" + peer.key + "\" has no url");
  const std::string& base = *peer.url;
  BWOC_ASSIGN_OR_RETURN(json::Value card, fetch_card(base, options_));
  auto published = card_public_key(card);
  if (!published) {
    return Error(Errc::refused, "the agent card at " + base + " does not publish a bwoc key: is it a bwoc node?");
  }
  if (!(*published == peer.pubkey)) {
    return Error(Errc::refused, "peer \"" + peer.key + "\" at " + base + " publishes the key " + published->to_text() +
                                    ", but routes.toml pins " + peer.pubkey.to_text() + ": not sending");
  }

  // The envelope goes in verbatim, as the value of a data part.
  std::string body = R"({"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":")" +
                     random_id() + R"(","role":"ROLE_USER","parts":[{"data":{"bwoc.envelope":)" + envelope_text +
                     R"(},"mediaType":"application/json"}],"extensions":[")" + std::string(kEnvelopeExtensionUri) +
                     R"("]}}})";
  HttpCall call;
  call.method = "POST";
  call.url = rpc_endpoint(card, base);
  call.headers = {{"Content-Type", "application/json"},
                  {"Accept", "application/json"},
                  {"A2A-Version", "1.0"},
                  {"A2A-Extensions", std::string(kEnvelopeExtensionUri)}};
  call.body = std::move(body);
  BWOC_ASSIGN_OR_RETURN(HttpResult r, http_call(call, http_options(options_)));
  if (r.status == 429) return Error(Errc::unavailable, "peer \"" + peer.key + "\" asks us to slow down (HTTP 429): retry later");
  if (r.status == 413) return Error(Errc::refused, "peer \"" + peer.key + "\" refused the request as too large (HTTP 413)");
  if (r.status != 200) {
    return Error(Errc::refused, "peer \"" + peer.key + "\" answered HTTP " + std::to_string(r.status));
  }
  auto answer = json::parse(r.body, json::ParseLimits{options_.max_answer_bytes, 80});
  if (!answer.ok() || !answer->is_object()) {
    return Error(Errc::refused, "peer \"" + peer.key + "\" answered with something that is not JSON-RPC");
  }
  if (const json::Value* err = answer->find("error")) {
    const json::Value* msg = err->find("message");
    return Error(Errc::refused, "peer \"" + peer.key + "\" answered with an error: " +
                                    (msg && msg->is_string() ? msg->as_string().substr(0, 200) : "(no message)"));
  }
  const json::Value* result = answer->find("result");
  const json::Value* task = result ? result->find("task") : nullptr;
  if (task == nullptr) {
    return Error(Errc::refused, "peer \"" + peer.key + "\" did not accept the envelope (it says no more, by design)");
  }
  // The receipt is in the task's artifact, as {"bwoc.envelope": …}.
  std::optional<std::string> receipt;
  if (const json::Value* artifacts = task->find("artifacts"); artifacts && artifacts->is_array()) {
    for (const json::Value& a : artifacts->items()) {
      const json::Value* found = envelope_in_parts(a);
      if (!receipt && found) receipt = found->is_string() ? found->as_string() : json::write(*found);
    }
  }
  if (!receipt) return Error(Errc::refused, "peer \"" + peer.key + "\" answered without a signed receipt");
  auto checked = verify_answer(*receipt, peer.pubkey, self_, envelope.id, kReceiptKind);
  if (!checked.ok()) {
    return Error(Errc::refused, "peer \"" + peer.key + "\"'s receipt is not valid (" +
                                    std::string(reason_code(checked.refusal().reason)) + ": " + checked.refusal().detail + ")");
  }
  SendReport report;
  report.via = Via::a2a;
  report.confirmed = true;
  report.reply = *receipt;
  const json::Value* task_id = task->find("id");
  report.detail = "delivered to " + envelope.to + "'s inbox; receipt " + checked.value().id + " verified" +
                  (task_id && task_id->is_string() ? " (task " + task_id->as_string() + ")" : "");
  return report;
}

}  // namespace bwoc::a2a
