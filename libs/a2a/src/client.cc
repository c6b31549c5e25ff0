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

namespace {

struct Answer {
  std::optional<std::string> text;  // the node's signed answer, verified; none for an envelope that has none
  std::string id;                   // its id
  std::string task_id;
};

}  // namespace

Result<json::Value> fetch_pinned_card(const PeerRoute& peer, const ClientOptions& options) {
  if (!peer.url) return Error(Errc::unavailable, "peer \"" + peer.key + "\" has no url");
  BWOC_RETURN_IF_ERROR(refuse_if_revoked(peer));
  const std::string& base = *peer.url;
  BWOC_ASSIGN_OR_RETURN(json::Value card, fetch_card(base, options));
  auto published = card_public_key(card);
  if (!published) {
    return Error(Errc::refused, "the agent card at " + base + " does not publish a bwoc key: is it a bwoc node?");
  }
  if (!(*published == peer.pubkey)) {
    return Error(Errc::refused, "peer \"" + peer.key + "\" at " + base + " publishes the key " + published->to_text() +
                                    ", but routes.toml pins " + peer.pubkey.to_text() + ": not sending");
  }
  // Nothing else on the card is used before its signature verifies with the pinned key.
  if (Status signed_by_peer = verify_card_signature(card, peer.pubkey); !signed_by_peer.ok()) {
    return Error(Errc::refused, "peer \"" + peer.key + "\" at " + base + ": " + signed_by_peer.error().message() +
                                    ": not using it");
  }
  return card;
}

namespace {

// Sends one envelope in a SendMessage and returns the node's signed answer,
// verified against the pinned key and our request.
Result<Answer> exchange(const PeerRoute& peer, const json::Value& card, const std::string& base,
                        const std::string& envelope_text, const Envelope& request, const ClientOptions& options) {
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
  BWOC_ASSIGN_OR_RETURN(HttpResult r, http_call(call, http_options(options)));
  if (r.status == 429) return Error(Errc::unavailable, "peer \"" + peer.key + "\" asks us to slow down (HTTP 429): retry later");
  if (r.status == 503) return Error(Errc::unavailable, "peer \"" + peer.key + "\" is busy (HTTP 503): retry later");
  if (r.status == 413) return Error(Errc::refused, "peer \"" + peer.key + "\" refused the request as too large (HTTP 413)");
  if (r.status >= 500) {
    // Not handled now (starting, stopping, a full disk): another way, or later, may work.
    return Error(Errc::unavailable, "peer \"" + peer.key + "\" answered HTTP " + std::to_string(r.status));
  }
  if (r.status != 200) {
    return Error(Errc::refused, "peer \"" + peer.key + "\" answered HTTP " + std::to_string(r.status));
  }
  auto answer = json::parse(r.body, json::ParseLimits{options.max_answer_bytes, 80});
  if (!answer.ok() || !answer->is_object()) {
    return Error(Errc::refused, "peer \"" + peer.key + "\" answered with something that is not JSON-RPC");
  }
  if (const json::Value* err = answer->find("error")) {
    const json::Value* msg = err->find("message");
    const json::Value* code = err->find("code");
    // An internal error (the node could not store or handle it now) is worth another way or a retry.
    bool transient = code != nullptr && code->is_number() && code->as_number() == -32603;
    return Error(transient ? Errc::unavailable : Errc::refused, "peer \"" + peer.key + "\" answered with an error: " +
                                    (msg && msg->is_string() ? msg->as_string().substr(0, 200) : "(no message)"));
  }
  const json::Value* result = answer->find("result");
  const json::Value* task = result ? result->find("task") : nullptr;
  if (task == nullptr) {
    return Error(Errc::refused, refused_by_peer(peer.key));
  }
  // The answer is in the task's artifact, as {"bwoc.envelope": …}.
  std::optional<std::string> signed_answer;
  if (const json::Value* artifacts = task->find("artifacts"); artifacts && artifacts->is_array()) {
    for (const json::Value& a : artifacts->items()) {
      const json::Value* found = envelope_in_parts(a);
      if (!signed_answer && found) signed_answer = found->is_string() ? found->as_string() : json::write(*found);
    }
  }
  Answer out;
  const json::Value* task_id = task->find("id");
  if (task_id && task_id->is_string()) out.task_id = task_id->as_string();
  if (!signed_answer) return out;  // accepted, with nothing to answer (a receipt of ours, say)
  // From the key we asked, for the key we asked with (spec §3).
  auto checked = verify_answer(*signed_answer, request.aud, request.key, request.id);
  if (!checked.ok()) {
    return Error(Errc::refused, "peer \"" + peer.key + "\"'s answer is not valid (" +
                                    std::string(reason_code(checked.refusal().reason)) + ": " + checked.refusal().detail + ")");
  }
  out.text = std::move(*signed_answer);
  out.id = checked.value().id;
  return out;
}

}  // namespace

std::string card_agent(const json::Value& card) {
  const json::Value* caps = card.find("capabilities");
  const json::Value* exts = caps ? caps->find("extensions") : nullptr;
  if (exts == nullptr || !exts->is_array()) return "";
  for (const json::Value& e : exts->items()) {
    const json::Value* uri = e.find("uri");
    const json::Value* params = e.find("params");
    const json::Value* a = params ? params->find("agent") : nullptr;
    if (uri && uri->is_string() && uri->as_string() == kEnvelopeExtensionUri && a && a->is_string()) return a->as_string();
  }
  return "";
}

std::optional<SealPublicKey> card_seal_key(const json::Value& card, const PublicKey& signer) {
  const json::Value* caps = card.find("capabilities");
  const json::Value* exts = caps ? caps->find("extensions") : nullptr;
  if (exts == nullptr || !exts->is_array()) return std::nullopt;
  for (const json::Value& e : exts->items()) {
    const json::Value* uri = e.find("uri");
    const json::Value* params = e.find("params");
    if (!uri || !uri->is_string() || uri->as_string() != kEnvelopeExtensionUri || params == nullptr) continue;
    const json::Value* key = params->find("sealKey");
    const json::Value* sig = params->find("sealKeySig");
    if (key == nullptr || !key->is_string() || sig == nullptr || !sig->is_string()) return std::nullopt;
    auto k = SealPublicKey::from_text(key->as_string());
    auto g = Signature::from_base64(sig->as_string());
    if (!k.ok() || !g.ok() || !verify_seal_key(signer, *k, *g)) return std::nullopt;
    return *k;
  }
  return std::nullopt;
}

Result<json::Value> A2aTransport::pinned_card(const PeerRoute& peer, const ClientOptions& options) {
  constexpr auto kFresh = std::chrono::seconds(30);
  std::string slot = peer.url.value_or("") + " " + peer.pubkey.to_text();
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(cards_mu_);
    if (auto it = cards_.find(slot); it != cards_.end() && now - it->second.first < kFresh) return it->second.second;
  }
  BWOC_ASSIGN_OR_RETURN(json::Value card, fetch_pinned_card(peer, options));
  std::lock_guard lock(cards_mu_);
  if (cards_.size() > 1024) cards_.clear();
  cards_[slot] = {now, card};
  return card;
}

std::optional<SealPublicKey> A2aTransport::advertised_seal_key(const PeerRoute& peer, std::chrono::milliseconds timeout) {
  if (!peer.url) return std::nullopt;
  ClientOptions options = options_;
  options.timeout = std::min(options.timeout, timeout);
  options.connect_timeout = std::min(options.connect_timeout, timeout);
  auto card = pinned_card(peer, options);
  if (!card.ok()) return std::nullopt;
  return card_seal_key(*card, peer.pubkey);
}

Result<SendReport> A2aTransport::deliver(const PeerRoute& peer, const SignedEnvelope& envelope,
                                         std::chrono::milliseconds timeout) {
  if (!peer.url) return Error(Errc::unavailable, "peer \"" + peer.key + "\" has no url");
  const std::string& base = *peer.url;
  ClientOptions options = options_;
  options.timeout = std::min(options.timeout, timeout);
  options.connect_timeout = std::min(options.connect_timeout, timeout);
  BWOC_ASSIGN_OR_RETURN(json::Value card, pinned_card(peer, options));
  const Envelope& env = envelope.envelope;
  BWOC_ASSIGN_OR_RETURN(Answer a, exchange(peer, card, base, envelope.text, env, options));
  SendReport report;
  report.via = Via::a2a;
  report.confirmed = true;  // a task came back: the node accepted it
  report.reply = a.text;
  report.detail = !a.text ? "delivered to " + env.to + " at " + base
                          : "delivered to " + env.to + "; answer " + a.id + " verified" +
                                (a.task_id.empty() ? "" : " (task " + a.task_id + ")");
  return report;
}

}  // namespace bwoc::a2a
