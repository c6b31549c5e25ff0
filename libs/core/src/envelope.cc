#include "bwoc/core/envelope.h"

#include <algorithm>
#include <cmath>

#include "bwoc/core/jcs.h"

namespace bwoc {

namespace {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool name_tail(char c) { return lower_alnum(c) || c == '.' || c == '_' || c == '-'; }

Refusal malformed(std::string detail) { return Refusal{Reason::malformed, std::move(detail)}; }

// JCS writes an integral double below 1e21 as an integer literal, and receivers
// refuse integer literals beyond 2^53 - 1 (spec §2): such a number would make
// the canonical text unreadable, so the signer refuses it up front.
const json::Value* unsafe_integral_number(const json::Value& v) {
  if (v.is_number()) {
    double a = std::fabs(v.as_number());
    return a > 9007199254740991.0 && a < 1e21 && std::trunc(a) == a ? &v : nullptr;
  }
  if (v.is_array()) {
    for (const json::Value& item : v.items()) {
      if (const json::Value* bad = unsafe_integral_number(item)) return bad;
    }
  } else if (v.is_object()) {
    for (const json::Member& m : v.members()) {
      if (const json::Value* bad = unsafe_integral_number(m.value)) return bad;
    }
  }
  return nullptr;
}

int nesting_depth(const json::Value& v) {
  int deepest = 0;
  if (v.is_array()) {
    for (const json::Value& item : v.items()) deepest = std::max(deepest, nesting_depth(item));
    return deepest + 1;
  }
  if (v.is_object()) {
    for (const json::Member& m : v.members()) deepest = std::max(deepest, nesting_depth(m.value));
    return deepest + 1;
  }
  return 0;
}

// A required string member, or nullptr.
const std::string* string_member(const json::Value& doc, std::string_view name) {
  const json::Value* v = doc.find(name);
  return v != nullptr && v->is_string() ? &v->as_string() : nullptr;
}

}  // namespace

std::string_view reason_code(Reason reason) {
  switch (reason) {
    case Reason::malformed: return "malformed";
    case Reason::unsupported_version: return "unsupported_version";
    case Reason::unknown_sender: return "unknown_sender";
    case Reason::wrong_audience: return "wrong_audience";
    case Reason::unknown_recipient: return "unknown_recipient";
    case Reason::bad_signature: return "bad_signature";
    case Reason::stale: return "stale";
    case Reason::future: return "future";
    case Reason::replayed: return "replayed";
    case Reason::bad_seal: return "bad_seal";
    case Reason::unsealed: return "unsealed";
  }
  return "malformed";
}

bool is_valid_envelope_id(std::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool is_valid_kind(std::string_view kind) {
  if (kind.empty() || kind.size() > 64 || kind[0] < 'a' || kind[0] > 'z') return false;
  for (char c : kind.substr(1)) {
    if (!name_tail(c)) return false;
  }
  return true;
}

bool is_valid_agent_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || !lower_alnum(name[0])) return false;
  for (char c : name.substr(1)) {
    if (!name_tail(c)) return false;
  }
  return true;
}

const json::Value& Envelope::payload() const {
  if (opened) return *opened;
  if (const json::Value* p = doc.find("payload")) return *p;
  static const json::Value kNothing;
  return kNothing;
}

void Envelope::append_signed_bytes(std::string& out) const {
  out += sealed ? kSignedBytesPrefixV2 : kSignedBytesPrefix;
  jcs::canonicalize_without(doc, "sig", out);
}

Checked<Envelope> parse_envelope(std::string_view text) {
  // Check 1: size, UTF-8, JSON, depth, duplicate names.
  if (text.size() > kMaxEnvelopeBytes) {
    return malformed("envelope of " + std::to_string(text.size()) + " bytes is over 1 MiB");
  }
  auto parsed = json::parse(text, json::ParseLimits{kMaxEnvelopeBytes, kMaxEnvelopeDepth});
  if (!parsed.ok()) return malformed(parsed.error().message());
  return envelope_from_document(std::move(parsed).value());
}

Checked<Envelope> envelope_from_embedded(json::Value document, std::string_view text) {
  if (text.size() > kMaxEnvelopeBytes) return malformed("envelope over 1 MiB");
  if (json_depth(document) > kMaxEnvelopeDepth) return malformed("envelope nests deeper than 64");
  return envelope_from_document(std::move(document));
}

Checked<Envelope> envelope_from_document(json::Value document) {
  Envelope env;
  env.doc = std::move(document);
  const json::Value& doc = env.doc;
  if (!doc.is_object()) return malformed("an envelope is a JSON object");

  // Check 2: the version.
  const json::Value* v = doc.find("v");
  if (v == nullptr) return malformed("member \"v\" is missing");
  if (!v->is_number() || (v->as_number() != 1 && v->as_number() != kSealedVersion)) {
    return Refusal{Reason::unsupported_version, "\"v\" is not the integer 1 (or 2, sealed)"};
  }
  bool v2 = v->as_number() == kSealedVersion;

  // Check 3: every member of §1 with its type and form.
  const std::string* id = string_member(doc, "id");
  if (id == nullptr || !is_valid_envelope_id(*id)) return malformed("\"id\" is not 32 lowercase hex digits");
  env.id = *id;

  const std::string* kind = string_member(doc, "kind");
  if (kind == nullptr || !is_valid_kind(*kind)) return malformed("\"kind\" is missing or not [a-z][a-z0-9._-]{0,63}");
  env.kind = *kind;

  const std::string* from = string_member(doc, "from");
  if (from == nullptr || !is_valid_agent_name(*from)) return malformed("\"from\" is not an agent name");
  env.from = *from;

  const std::string* to = string_member(doc, "to");
  if (to == nullptr || !is_valid_agent_name(*to)) return malformed("\"to\" is not an agent name");
  env.to = *to;

  const std::string* ts = string_member(doc, "ts");
  if (ts == nullptr) return malformed("\"ts\" is missing");
  auto ts_ms = parse_timestamp(*ts);
  if (!ts_ms.ok()) return malformed("\"ts\" is not YYYY-MM-DDTHH:MM:SS.mmmZ");
  env.ts_text = *ts;
  env.ts = *ts_ms;

  const std::string* key = string_member(doc, "key");
  if (key == nullptr) return malformed("\"key\" is missing");
  auto key_parsed = PublicKey::from_text(*key);
  if (!key_parsed.ok()) return malformed("\"key\": " + key_parsed.error().message());
  env.key = *key_parsed;

  const std::string* aud = string_member(doc, "aud");
  if (aud == nullptr) return malformed("\"aud\" is missing");
  auto aud_parsed = PublicKey::from_text(*aud);
  if (!aud_parsed.ok()) return malformed("\"aud\": " + aud_parsed.error().message());
  env.aud = *aud_parsed;

  // `payload`, or a sealed one in its place; what is inside `sealed` is the
  // opener's to check (reason bad_seal), after the signature.
  // Version 1 carries `payload` (a `sealed` member there is one it does not
  // name); version 2 carries `sealed` and no `payload`.
  if (!v2) {
    if (doc.find("payload") == nullptr) return malformed("\"payload\" is missing");
  } else {
    const json::Value* sealed = doc.find("sealed");
    if (doc.find("payload") != nullptr) return malformed("a sealed (v2) envelope carries no \"payload\"");
    if (sealed == nullptr || !sealed->is_object()) return malformed("\"sealed\" is missing or not an object");
    env.sealed = true;
  }

  if (const json::Value* re = doc.find("re")) {
    if (!re->is_string() || !is_valid_envelope_id(re->as_string())) {
      return malformed("\"re\" is not an envelope id");
    }
    env.re = re->as_string();
  }

  const std::string* sig = string_member(doc, "sig");
  if (sig == nullptr) return malformed("\"sig\" is missing");
  auto sig_parsed = Signature::from_base64(*sig);
  if (!sig_parsed.ok()) return malformed("\"sig\": " + sig_parsed.error().message());
  env.sig = *sig_parsed;

  return env;
}

bool verify_signature(const Envelope& envelope, std::string& scratch) {
  scratch.clear();
  envelope.append_signed_bytes(scratch);
  return verify_signature(envelope.key, envelope.sig, scratch);
}

int json_depth(const json::Value& v) { return nesting_depth(v); }

namespace {

struct Signing {
  json::Value doc;  // without "sig"
  Signature sig;
  std::string text;
};

Result<Signing> sign_draft(const EnvelopeDraft& draft, const SecretKey& key) {
  if (!is_valid_kind(draft.kind)) {
    return Error(Errc::invalid_argument, "kind \"" + draft.kind + "\" is not [a-z][a-z0-9._-]{0,63}");
  }
  if (!is_valid_agent_name(draft.from)) {
    return Error(Errc::invalid_argument, "sender \"" + draft.from + "\" is not an agent name ([a-z0-9][a-z0-9._-]{0,63})");
  }
  if (!is_valid_agent_name(draft.to)) {
    return Error(Errc::invalid_argument, "recipient \"" + draft.to + "\" is not an agent name ([a-z0-9][a-z0-9._-]{0,63})");
  }
  if (draft.re && !is_valid_envelope_id(*draft.re)) {
    return Error(Errc::invalid_argument, "re \"" + *draft.re + "\" is not an envelope id (32 lowercase hex digits)");
  }
  if (draft.id && !is_valid_envelope_id(*draft.id)) {
    return Error(Errc::invalid_argument, "id \"" + *draft.id + "\" is not 32 lowercase hex digits");
  }
  BWOC_RETURN_IF_ERROR(check_sendable_payload(draft.payload));
  static constexpr std::string_view kNamed[] = {"v", "id", "kind", "from", "to", "ts",
                                                "key", "aud", "payload", "sealed", "re", "sig"};
  for (const json::Member& m : draft.extra) {
    for (std::string_view named : kNamed) {
      if (m.name == named) return Error(Errc::invalid_argument, "extra member \"" + m.name + "\" is a named member");
    }
  }

  json::Value doc = json::Value::object();
  json::Value::Object& members = doc.members();
  members.reserve(10 + draft.extra.size());
  members.push_back({"v", json::Value::number(draft.sealed ? kSealedVersion : 1)});
  members.push_back({"id", json::Value::string(draft.id ? *draft.id : random_id())});
  members.push_back({"kind", json::Value::string(draft.kind)});
  members.push_back({"from", json::Value::string(draft.from)});
  members.push_back({"to", json::Value::string(draft.to)});
  members.push_back({"ts", json::Value::string(format_timestamp(draft.ts ? *draft.ts : now_millis()))});
  members.push_back({"key", json::Value::string(key.public_key().to_text())});
  members.push_back({"aud", json::Value::string(draft.aud.to_text())});
  if (draft.sealed) {
    members.push_back({"sealed", *draft.sealed});
  } else {
    members.push_back({"payload", draft.payload});
  }
  if (draft.re) members.push_back({"re", json::Value::string(*draft.re)});
  for (const json::Member& m : draft.extra) members.push_back(m);

  std::string signed_bytes(draft.sealed ? kSignedBytesPrefixV2 : kSignedBytesPrefix);
  std::size_t sig_at = jcs::canonicalize_without(doc, "sig", signed_bytes);
  if (signed_bytes.size() + 100 > kMaxEnvelopeBytes) {
    return Error(Errc::invalid_argument, "the envelope would be larger than 1 MiB");
  }
  Signature sig = key.sign(signed_bytes);
  // The canonical text with "sig" is the signed text with "sig" put where it
  // sorts: one canonicalization, not two.
  std::string member = "\"sig\":\"" + sig.to_base64() + "\"";
  const std::size_t prefix = kSignedBytesPrefix.size();
  std::string text;
  text.reserve(signed_bytes.size() - prefix + member.size() + 1);
  text.append(signed_bytes, prefix, sig_at - prefix);
  if (signed_bytes[sig_at] == '}') {
    if (signed_bytes[sig_at - 1] != '{') text += ',';
    text += member;
  } else {
    text += member;
    text += ',';
  }
  text.append(signed_bytes, sig_at, std::string::npos);
  return Signing{std::move(doc), sig, std::move(text)};
}

}  // namespace

Status check_sendable_payload(const json::Value& payload) {
  if (nesting_depth(payload) > kMaxEnvelopeDepth - 1) {
    return Error(Errc::invalid_argument, "the payload nests deeper than " + std::to_string(kMaxEnvelopeDepth - 1) + " levels");
  }
  if (const json::Value* bad = unsafe_integral_number(payload)) {
    std::string text;
    json::write(*bad, text);
    return Error(Errc::invalid_argument, "the payload holds the number " + text +
                                             ", an integer beyond 2^53-1 that receivers refuse: send it as a string");
  }
  return ok_status();
}

Result<std::string> sign_envelope(const EnvelopeDraft& draft, const SecretKey& key) {
  BWOC_ASSIGN_OR_RETURN(Signing s, sign_draft(draft, key));
  return std::move(s.text);
}

Result<SignedEnvelope> sign(const EnvelopeDraft& draft, const SecretKey& key) {
  BWOC_ASSIGN_OR_RETURN(Signing s, sign_draft(draft, key));
  s.doc.set("sig", s.sig.to_base64());
  auto env = envelope_from_document(std::move(s.doc));
  if (!env.ok()) return Error(Errc::internal, "a signed envelope does not read back: " + env.refusal().detail);
  return SignedEnvelope{std::move(s.text), std::move(env).value()};
}

}  // namespace bwoc
