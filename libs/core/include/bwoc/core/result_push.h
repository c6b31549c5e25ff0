// The provider's side of results that go back by themselves (docs/ENVELOPE.md,
// "Results pushed to the caller"): the answer to a request is also kept in
// an outbox of its own, .bwoc/state/requests/pushes.jsonl (outbox.h), and a
// courier (node/courier.h) delivers it to the caller, wrapped in a
// `request.outcome` envelope, over any of the caller's transports, until
// the caller's signed receipt for it comes back or the deadline passes.
//
// An answer the caller certainly has needs no push: one delivered into its
// folder or to its node when the path ingest sent it back is settled at once
// ("answered"). An answer that went back on the connection the request came
// by (A2A, MQTT) may have been lost with it: it is pushed after a grace
// period, once, and the receipt ends it; the caller's store refuses a second
// copy of an answer it holds, so nothing is taken twice.
#ifndef BWOC_CORE_RESULT_PUSH_H_
#define BWOC_CORE_RESULT_PUSH_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bwoc/core/keys.h"
#include "bwoc/core/outbox.h"
#include "bwoc/core/result.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/core/workspace.h"

namespace bwoc {

// The kind that carries a pushed answer: {"answer": <the signed answer>}.
// Not an answer kind itself, so that the caller's node sends a receipt for it.
inline constexpr std::string_view kOutcomeKind = "request.outcome";

// How long an answer sent back on the connection waits before it is pushed:
// time for the caller to have it, and for the path ingest to say it sent it.
inline constexpr std::int64_t kPushGraceMs = 2000;

enum class PushState { pending, answered, acknowledged, expired, cancelled };
std::string_view push_state_name(PushState s);

struct PushEntry {
  std::string id;      // the answer's envelope id
  std::string peer;    // the caller's alias
  PublicKey caller;    // the key the answer is addressed to
  std::string answer;  // the signed answer, as sent
  UnixMillis deadline = 0;
  UnixMillis not_before = 0;
  UnixMillis created = 0;
  UnixMillis updated = 0;
  PushState state = PushState::pending;
  std::string reason;
  unsigned attempts = 0;
  std::string via;  // of the last attempt
};

class PushStore {
 public:
  static Result<std::unique_ptr<PushStore>> open(const Workspace& ws);
  static std::filesystem::path file_of(const Workspace& ws);

  struct Draft {
    std::string peer;
    PublicKey caller;
    std::string answer;  // the signed answer text; its id names the push
    std::string answer_id;
    UnixMillis deadline = 0;
    UnixMillis not_before = 0;
  };
  Status enqueue(const Draft& draft, UnixMillis now = now_millis());

  Status refresh();
  std::vector<PushEntry> pending();
  std::vector<PushEntry> list();
  std::optional<PushEntry> find(std::string_view id);
  // The push an envelope of ours (an attempt) carried.
  std::optional<std::string> push_of_attempt(std::string_view envelope_id);

  // Recorded before the envelope leaves, so that a receipt that comes back
  // later (by path) is recognised.
  Status record_attempt(std::string_view id, std::string_view envelope_id, std::string_view via,
                        UnixMillis now = now_millis());
  // Moves a pending push to a final state; a settled one stays as it is.
  // Returns whether it moved.
  Result<bool> settle(std::string_view id, PushState state, std::string_view reason, UnixMillis now = now_millis());

  // Cancels every pending push to `peer` (removed, UNTRUSTED now); returns how many.
  Result<std::size_t> cancel_peer(std::string_view peer, std::string_view reason, UnixMillis now = now_millis());

  // Drops pushes settled and past their deadline for a week, once they are
  // at least half of at least `min_records` records (outbox.h).
  Result<std::size_t> compact_if_worth(UnixMillis now, std::size_t min_records);

 private:
  explicit PushStore(std::unique_ptr<Outbox> outbox) : outbox_(std::move(outbox)) {}
  void apply(const json::Value& record);  // requires mu_
  Status refresh_locked();                // requires mu_
  void forget_all();                      // requires mu_

  std::unique_ptr<Outbox> outbox_;
  std::mutex mu_;
  Outbox::Position read_to_;
  std::map<std::string, PushEntry> entries_;
  std::unordered_map<std::string, std::string> attempts_;  // envelope id → push
  std::size_t records_ = 0;
  std::unordered_map<std::string, std::size_t> records_of_;
};

json::Value push_entry_json(const PushEntry& e);

}  // namespace bwoc

#endif  // BWOC_CORE_RESULT_PUSH_H_
