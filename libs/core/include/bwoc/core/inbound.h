// The one inbound layer: what a node does with an envelope, whatever
// transport carried it.
//
// A transport hands the bytes it received to Inbound::receive() and sends
// back whatever the result says, framed its own way (an A2A task, an MQTT
// Response Topic, a drop into the asker's folder). Everything in between is
// decided here, once for every transport:
//
//   1. the receiver's checks 1–9 (receiver.h); a refusal is logged and the
//      sender learns nothing;
//   2. this node's policy: the agent it serves, the rate per key, the kind's
//      lowest tier (below it: a signed "Not permitted");
//   3. the kind's action, registered once with add_kind(): stored kinds are
//      in the inbox exactly once before they act (unless their admit hook
//      refuses them first), reads are checked and answered but never stored;
//   4. the answer, signed and bound to the request (`re`, `aud` = the
//      sender's key): the kind's own, or a receipt for a stored envelope.
//
// A kind nobody registered is stored and answered with a receipt (message,
// feedback, anything an agent invents). Answers themselves (receipts,
// errors, *.result) are stored but never answered, so two nodes cannot echo
// each other forever.
#ifndef BWOC_CORE_INBOUND_H_
#define BWOC_CORE_INBOUND_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <stop_token>
#include <string_view>

#include "bwoc/core/envelope.h"
#include "bwoc/core/json.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/receiver.h"
#include "bwoc/core/result.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/workspace.h"

namespace bwoc {

class WorkQueue;
struct WorkspaceKeys;

// One verified request, as a kind's action sees it. A sealed envelope's
// payload is opened by then: `envelope.payload()` is what was sealed.
struct InboundRequest {
  const Envelope& envelope;
  const std::string& peer;  // the sender's alias in routes.toml, or "self"
  int tier;                 // the sender's tier now (trust.h); -1 when it has none
  bool repeat;              // an exact repeat of a stored envelope (its action ran before)
  Via via;
  // Set when the transport that carried the request cancelled it (see
  // Progress): a long action may stop early; its answer is not delivered.
  std::stop_token stop = {};
};

// What one kind of envelope means to this node.
struct KindHandler {
  // Stored kinds are in the inbox exactly once before the action runs;
  // reads are checked (1–9) and answered, never stored.
  bool stored = true;
  // The lowest tier whose envelopes of this kind are acted on. Below it the
  // sender gets a signed error, "Not permitted", and the action never runs.
  // nullopt: every declared peer; the action decides (skills do).
  std::optional<int> min_tier;
  // The action may block (it runs a skill): it runs on the node's workers.
  bool blocking = false;
  // Checked before a new envelope of a stored kind is stored (an exact
  // repeat is not checked again): a reason refuses it, and nothing is stored
  // and no action runs. The reason is sent back as a signed error, except to
  // an answer (is_answer_kind), which is never answered: it is refused
  // silently (the hook logs why; the transport counts it as refused).
  std::function<std::optional<std::string>(const Envelope& envelope)> admit;
  // The signed answer to send back; nullopt sends a receipt (stored kinds)
  // or nothing (reads).
  std::function<Result<std::optional<std::string>>(const InboundRequest& request)> act;
};

struct InboundResult {
  enum class Disposition {
    answered,      // `answer` holds the signed answer to send back
    stored,        // in the inbox; send back receipt(delivery) (made on the caller's thread)
    silent,        // accepted; nothing to send back (an answer, a receipt)
    not_accepted,  // refused by a check or by the agent filter: say nothing more
    rate_limited,  // the admission hook said wait: the transport's "slow down"
    busy,          // every worker busy and the queue full: try again later
    failed,        // the node could not store it: try again later
    cancelled,     // the transport cancelled the action before it ran (Progress): nothing to send
  };
  Disposition disposition = Disposition::not_accepted;
  Delivery delivery;
  std::string answer;
  bool stored = false;  // the envelope is (now, or from before) in the inbox
};

std::string_view disposition_name(InboundResult::Disposition d);

struct InboundOptions {
  // The agent this endpoint serves; envelopes for others are not accepted.
  // Empty: every agent of the workspace (the path ingest).
  std::string agent;
  // New envelopes a second from one verified key (exact repeats are free),
  // and how many may come at once; beyond, rate_limited. 0: unlimited.
  double rate_per_key = 0;
  double burst_per_key = 0;
  // Workers for blocking actions, and how many actions may wait for one.
  std::size_t workers = 8;
  std::size_t max_queued = 256;
  // When the queue is full: wait for room (store-and-forward transports,
  // which then stop reading) instead of answering busy.
  bool wait_when_busy = false;
  // Passed on to the receiver.
  std::function<UnixMillis()> clock = now_millis;
  std::int64_t routes_recheck_ms = 1000;
};

// For transports that can show a sender its request while the answer is
// still to come (an A2A task): what becomes of an accepted delivery of a
// stored kind whose action runs later, on a worker. Reads, and transports
// that pass none, get `done` alone.
struct Progress {
  // The action is queued: `done` brings its answer later. `stop` cancels it:
  // an action not started yet never runs (`done` says cancelled), a running
  // one sees InboundRequest::stop. Called on the thread that queued it, so
  // it may come after `started`, or even after `done`: a transport goes by
  // whichever comes last.
  std::function<void(const Delivery& delivery, std::stop_source stop)> queued;
  // The action starts, on a worker.
  std::function<void()> started;
};

class Inbound {
 public:
  static Result<std::unique_ptr<Inbound>> open(const Workspace& ws, InboundOptions options = {});
  ~Inbound();  // finishes the actions under way, then stops the receiver
  Inbound(const Inbound&) = delete;
  Inbound& operator=(const Inbound&) = delete;

  // Registers what `kind` means. Register every kind before the first receive().
  void add_kind(std::string kind, KindHandler handler);
  // What this node offers a caller of `tier` (its skills), for transports
  // that publish it in their own form (the A2A agent card). Set by whoever
  // registers the skill kinds; unset, nothing is offered.
  void set_offer(std::function<Result<json::Value>(int tier)> offer);
  Result<json::Value> offer(int tier) const;

  using Done = std::function<void(InboundResult)>;
  // Runs everything above. `done` runs exactly once: at once for a refusal
  // or a read, on the commit thread once a stored envelope is on disk, on a
  // worker for a blocking action.
  void receive(std::string_view text, Via via, std::string_view source, Done done, Progress progress = {});
  // The same for an envelope inside a larger document the strict parser
  // already read (A2A): `document` is the envelope's value, `text` its JSON.
  void receive_document(json::Value document, std::string text, Via via, std::string_view source, Done done,
                        Progress progress = {});
  InboundResult receive_sync(std::string_view text, Via via, std::string_view source);

  // The receipt for a stored envelope (spec §3: the same bytes for a repeat).
  Result<std::string> receipt(const Delivery& delivery) const;
  // A signed answer to `request`, of `kind` with `payload`, from its
  // recipient agent; sealed back when the request was sealed.
  Result<std::string> sign_answer(const Envelope& request, std::string_view kind, json::Value payload) const;
  // An id derived from this node's key, `purpose` and a request (receipt.h):
  // stable for the request, unpredictable to anyone else (A2A task ids).
  std::string derive_id(std::string_view purpose, const PublicKey& sender, std::string_view request_id) const;

  // Checks 1–9 and the agent filter, recording nothing (for transports that
  // authenticate a read of their own with a signed envelope).
  Delivery check(std::string_view text, Via via);
  // The tier of a verified key now; nullopt for an undeclared key.
  std::optional<int> tier_of(const PublicKey& key);

  // Returns once every envelope received so far is decided and every action
  // started so far has finished.
  void flush();

  const Workspace& workspace() const;
  const std::string& agent() const;
  // This workspace's key now (it follows a rotation), and its whole key ring.
  PublicKey public_key() const;
  std::shared_ptr<const WorkspaceKeys> keys() const;
  std::shared_ptr<const Routes> routes();
  // The time by this node's clock (InboundOptions::clock).
  UnixMillis now() const;
  // routes.toml was just changed by this node (a re-pin, a revocation):
  // read it again now, not at the next interval.
  void routes_changed();
  Receiver::Stats receiver_stats() const;

 private:
  struct Impl;
  explicit Inbound(std::unique_ptr<Impl> impl);
  void dispatch(Checked<Envelope> parsed, std::string text, Via via, std::string_view source, Done done,
                Progress progress);
  std::unique_ptr<Impl> impl_;
};

// The error every refused request gets when the policy allows no more.
inline constexpr std::string_view kNotPermitted = "Not permitted";
inline constexpr std::string_view kErrorKind = "error";

// Whether `kind` is an answer (receipt, error, *.result): never answered back.
bool is_answer_kind(std::string_view kind);

}  // namespace bwoc

#endif  // BWOC_CORE_INBOUND_H_
