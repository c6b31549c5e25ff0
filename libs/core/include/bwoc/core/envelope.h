// The bwoc envelope, version 1 (shared/spec/envelope-v1.md): its shape, what
// is signed, and the receiver checks that need nothing but the envelope.
//
// parse_envelope() runs checks 1–3 of spec §3 in order; verify_signature()
// is check 7. The checks that need the workspace (pinned keys, audience,
// recipient, age, replay) are in receiver.h. A refusal carries its reason code
// and a detail for the local log; neither is ever sent to the sender.
#ifndef BWOC_CORE_ENVELOPE_H_
#define BWOC_CORE_ENVELOPE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "bwoc/core/json.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/result.h"
#include "bwoc/core/timestamp.h"

namespace bwoc {

inline constexpr std::size_t kMaxEnvelopeBytes = std::size_t{1} << 20;
inline constexpr int kMaxEnvelopeDepth = 64;
inline constexpr std::string_view kSignedBytesPrefix = "bwoc-envelope-v1\n";
// Version 2 is version 1 with `sealed` in place of `payload` (seal.h; spec
// v1 §1: payload is "absent only when a later version's encrypted member
// replaces it"). A v1-only receiver refuses it as unsupported_version.
inline constexpr std::string_view kSignedBytesPrefixV2 = "bwoc-envelope-v2\n";
inline constexpr int kSealedVersion = 2;

// The reason codes of spec §3, in check order, then the inbound layer's own
// for sealed payloads (docs/ENVELOPE.md): a sealed payload that does not
// open, and an unsealed envelope from a peer declared `seal = "required"`.
enum class Reason : std::uint8_t {
  malformed,
  unsupported_version,
  unknown_sender,
  wrong_audience,
  unknown_recipient,
  bad_signature,
  stale,
  future,
  replayed,
  bad_seal,
  unsealed,
};

std::string_view reason_code(Reason reason);

struct Refusal {
  Reason reason;
  std::string detail;  // for the local log only
};

// A value that passed the checks so far, or the refusal that stopped it.
template <class T>
class [[nodiscard]] Checked {
 public:
  Checked(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Checked(Refusal refusal) : v_(std::move(refusal)) {}  // NOLINT: implicit by design
  bool ok() const { return v_.index() == 0; }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Refusal& refusal() const { return std::get<1>(v_); }

 private:
  std::variant<T, Refusal> v_;
};

// Syntax rules of spec §1.
bool is_valid_envelope_id(std::string_view id);
bool is_valid_kind(std::string_view kind);
bool is_valid_agent_name(std::string_view name);

// An envelope that passed checks 1–3: every member of §1 is present with its
// type and form. `doc` keeps every member as received, named or not.
struct Envelope {
  json::Value doc;
  std::string id;
  std::string kind;
  std::string from;
  std::string to;
  std::string ts_text;
  UnixMillis ts = 0;
  PublicKey key;
  PublicKey aud;
  Signature sig;
  std::optional<std::string> re;
  // It carries `sealed` (seal.h) instead of `payload`: version 2.
  bool sealed = false;
  // A sealed envelope's payload, once opened (by the receiving node's
  // inbound layer, or by the asker that gets it as an answer).
  std::shared_ptr<const json::Value> opened;

  // The payload: the `payload` member, or the opened sealed one (null while
  // a sealed envelope is not opened).
  const json::Value& payload() const;

  // "bwoc-envelope-v1\n" (v2: "bwoc-envelope-v2\n") || JCS(the envelope
  // without "sig"), appended to `out`.
  void append_signed_bytes(std::string& out) const;
};

// Checks 1–3: size, UTF-8, JSON, depth and duplicate names; the version (1,
// or 2 for a sealed envelope); the type and form of every member.
Checked<Envelope> parse_envelope(std::string_view text);

// Checks 2–3 on a document the strict parser already read (check 1 is the
// caller's: size, depth and what the parser enforces).
Checked<Envelope> envelope_from_document(json::Value document);

// Checks 1–3 for an envelope found inside a larger document that the strict
// parser has already read (A2A): its compact `text` and its depth within the
// envelope's own bounds, then envelope_from_document().
Checked<Envelope> envelope_from_embedded(json::Value document, std::string_view text);

// How deeply a value nests (a scalar is 0, an empty object 1).
int json_depth(const json::Value& v);

// Check 7. `scratch` is reused to hold the signed bytes (no allocation when warm).
bool verify_signature(const Envelope& envelope, std::string& scratch);

// What a sender fills in; sign_envelope() adds v, key, ts, id (unless given) and sig.
struct EnvelopeDraft {
  std::string kind;
  std::string from;
  std::string to;
  PublicKey aud;
  json::Value payload;
  // Set by seal_draft() (seal.h): sent as `sealed` instead of `payload`.
  std::optional<json::Value> sealed;
  std::optional<std::string> re;
  std::optional<std::string> id;  // default: 16 random bytes
  std::optional<UnixMillis> ts;   // default: now
  json::Value::Object extra;      // further members, signed like the rest
};

// What a sender may put in a payload: nested at most 63 deep, and no
// integer beyond 2^53 - 1 (which receivers refuse, spec §2).
Status check_sendable_payload(const json::Value& payload);

// Returns the envelope as canonical JSON text (JCS, "sig" included).
Result<std::string> sign_envelope(const EnvelopeDraft& draft, const SecretKey& key);

// A signed envelope: the text that travels, and what it says.
struct SignedEnvelope {
  std::string text;
  Envelope envelope;
};
// The same as sign_envelope(), with the envelope as read back from what was
// signed, so that no sender parses its own text again.
Result<SignedEnvelope> sign(const EnvelopeDraft& draft, const SecretKey& key);

}  // namespace bwoc

#endif  // BWOC_CORE_ENVELOPE_H_
