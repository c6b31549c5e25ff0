// The receiving side of a workspace: every check of spec §3 in order, then
// the one durable step that accepts an envelope.
//
// Guarantees:
// - Nothing is delivered before checks 1–9 pass; a refusal is logged with its
//   reason code (refusal_log.h) and its reason is never returned to a sender
//   by the transports.
// - An accepted envelope is in its agent's inbox exactly once, keyed by
//   (sender key, id), across every transport and process of the workspace,
//   and across crashes: the inbox line is written under the workspace's
//   accept lock (flock on .bwoc/state/accept.lock), and a line left by a
//   crashed process is indexed (or, if torn, repaired) before the next append.
// - `done` reports acceptance only after the line is on disk. Appends that
//   arrive together share one fdatasync (group commit).
// - Check 8 also refuses an envelope older than the seen-id store's horizon
//   (replay_guard.h), so that raising a max_age never lets a replay in.
#ifndef BWOC_CORE_RECEIVER_H_
#define BWOC_CORE_RECEIVER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bwoc/core/envelope.h"
#include "bwoc/core/result.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/workspace.h"

namespace bwoc {

struct Delivery {
  enum class Outcome {
    accepted,   // new, and now on disk
    duplicate,  // an exact repeat of an envelope accepted earlier (reason: replayed)
    refused,    // a check failed: see `refusal`
    denied,     // every check passed, and policy said no: see `policy`
    failed,     // the node could not store it (disk full, I/O error): see `error`
  };
  Outcome outcome = Outcome::refused;
  std::optional<Refusal> refusal;
  std::string policy;  // denied: why ("rate_limited", "recipient", ...), for the local log
  std::optional<Error> error;
  // Set once checks 1–3 passed.
  std::shared_ptr<const Envelope> envelope;
  // The sender's alias in routes.toml ("self" for this workspace), once check 4 passed.
  std::string peer;
  // accepted: when it was stored; duplicate: when the original was.
  UnixMillis accepted_at = 0;

  bool delivered() const { return outcome == Outcome::accepted || outcome == Outcome::duplicate; }
};

std::string_view outcome_name(Delivery::Outcome outcome);

// Decides, after checks 1–9 passed, whether a new envelope may be delivered:
// nullopt for yes, or the policy's reason (spec §3: policy comes after the
// checks and refuses with the same silence).
using DeliveryPolicy =
    std::function<std::optional<std::string>(const Envelope& envelope, const std::string& peer)>;

struct ReceiverOptions {
  // The receiver's clock (check 8); tests and `envelope verify --now` set it.
  std::function<UnixMillis()> clock = now_millis;
  // How long an unchanged routes.toml is trusted before it is looked at again.
  std::int64_t routes_recheck_ms = 1000;
  // Policy applied to new envelopes (not to exact repeats); none by default.
  DeliveryPolicy policy;
  // Group commit: a batch is committed (one fdatasync for all of it) once no
  // envelope has joined it for `commit_lull`, or `max_commit_delay` after its
  // first arrived. Under light load an envelope waits one lull; once batches
  // are large (8 or more, a sign of load) the next one is committed when it is
  // full or at `max_commit_delay`, without looking for lulls.
  std::chrono::microseconds commit_lull{100};
  std::chrono::microseconds max_commit_delay{2000};
  // A batch this large is committed without waiting.
  std::size_t max_batch = 256;

  // Sealed payloads and key rotation (issue 16), set by the inbound layer.
  // Whether `key` is this workspace's own now (its current key, or the
  // previous one during a rotation's grace period): checks 4 and 5. Unset:
  // the key identity.toml held when the receiver opened.
  std::function<bool(const PublicKey& key, UnixMillis now)> own_key;
  // Runs right after check 8, before check 9 and before anything is stored:
  // opens a sealed payload (into `envelope.opened`) or refuses the envelope.
  // `peer` is the sender's route, nullptr for this workspace itself.
  std::function<std::optional<Refusal>(Envelope& envelope, const PeerRoute* peer)> open;
};

class Receiver {
 public:
  static Result<std::unique_ptr<Receiver>> open(const Workspace& workspace, ReceiverOptions options = {});
  ~Receiver();  // commits what is pending, then stops the commit thread

  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  using Done = std::function<void(Delivery)>;

  // Runs checks 1–9 and delivers. `done` runs exactly once: at once for a
  // refusal, on the commit thread after the fdatasync for an acceptance.
  // `source` names where it came from, for the refusal log.
  void receive(std::string_view text, Via via, std::string_view source, Done done);
  // The same, for an envelope the caller has already put through checks 1–3
  // (parse_envelope), for example to look at its kind first. A refusal in
  // `parsed` is logged and answered like any other.
  void receive_parsed(Checked<Envelope> parsed, std::string text, Via via, std::string_view source, Done done);
  Delivery receive_sync(std::string_view text, Via via, std::string_view source);

  // Checks 1–9 against the current state, recording nothing (a dry run).
  Delivery check(std::string_view text, Via via);
  // Checks 1–9 and the policy for an envelope that is answered but never
  // stored (a read such as peer.status): nothing is recorded, a refusal is
  // logged like any other. The outcome is `accepted` when it may be answered.
  Delivery verify(Checked<Envelope> parsed, std::string_view text, Via via, std::string_view source);

  // Returns once everything submitted before the call is committed.
  void flush();

  const Workspace& workspace() const;
  // The pinned routes as last loaded.
  std::shared_ptr<const Routes> routes();
  // Reads routes.toml again now (after this node changed it: issue 16).
  void routes_changed();

  struct Stats {
    std::uint64_t accepted = 0, duplicates = 0, refused = 0, denied = 0, failed = 0, commits = 0;
  };
  Stats stats() const;

 private:
  struct Impl;
  explicit Receiver(std::unique_ptr<Impl> impl);
  void submit(std::shared_ptr<const Envelope> env, std::string text, Via via, std::string_view source,
              UnixMillis now, Delivery d, Done done);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bwoc

#endif  // BWOC_CORE_RECEIVER_H_
