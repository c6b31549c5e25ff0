// The caller's side of requests that outlive the call (docs/ENVELOPE.md,
// "Requests that outlive the call"): what this workspace asked of its
// peers, kept in the outbox (outbox.h) at .bwoc/state/requests/outbox.jsonl.
//
// A request is enqueued with no network on the way (the command returns at
// once); a courier (node/courier.h) signs a new envelope for each attempt,
// records its id here before it leaves, and delivers it. An answer counts
// only when it answers one of those attempts (`re`), from the key the
// attempt was addressed to, before the deadline, while the request is not
// settled; anything else is refused, logged, and changes nothing.
//
// The file is a log of events; a request's state is what they add up to, and
// the first final state wins, so two processes that take the same answer in
// agree on it. It is compacted (outbox.h) once most of its records belong to
// requests long settled: those are dropped, the rest kept as they were.
#ifndef BWOC_CORE_REQUESTS_H_
#define BWOC_CORE_REQUESTS_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bwoc/core/envelope.h"
#include "bwoc/core/json.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/outbox.h"
#include "bwoc/core/result.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/core/workspace.h"

namespace bwoc {

enum class RequestState { queued, delivered, working, done, failed, expired, cancelled };
std::string_view request_state_name(RequestState s);
bool is_final(RequestState s);

// The payload members that make a skill.call a request (and their bounds).
inline constexpr std::string_view kDeadlineMember = "deadline";
inline constexpr std::string_view kIdemMember = "idem";
inline constexpr std::size_t kMaxIdemLength = 128;
// The furthest deadline a request may have: what a provider keeps for it is
// kept that long at most.
inline constexpr std::int64_t kMaxRequestDeadlineMs = 30LL * 24 * 3600 * 1000;
// [A-Za-z0-9._:-]{1,128}
bool is_valid_idem(std::string_view idem);

struct RequestDraft {
  std::string peer;   // alias in routes.toml
  std::string agent;  // the peer's agent; "" lets the courier find it
  std::string from;   // our agent
  std::string skill;
  json::Value input = json::Value::object();
  std::optional<std::string> version;
  std::string idem;  // "" → the request's id
  UnixMillis deadline = 0;
  // No courier delivers it before then: a command that sends it itself
  // (`bwoc call`) has it until it gives up waiting.
  UnixMillis not_before = 0;
};

struct RequestEntry {
  std::string id;
  RequestDraft draft;
  UnixMillis created = 0;
  RequestState state = RequestState::queued;
  UnixMillis updated = 0;
  std::string reason;     // why it failed, expired or was cancelled
  std::string answer;     // the signed answer that settled it (done, failed), as JSON
  json::Value payload;    // what it says (opened, when it was sealed)
  std::string answer_id;  // that answer's envelope id
  std::string via;        // the transport of the last attempt
  unsigned attempts = 0;  // envelopes sent
  UnixMillis last_attempt = 0;
};

// What take_answer() made of an answer.
enum class AnswerVerdict { taken, not_ours, refused };

class RequestStore {
 public:
  // `read`: fold the file in now. A command that only enqueues skips it, so
  // that its cost does not grow with the file.
  static Result<std::unique_ptr<RequestStore>> open(const Workspace& ws, bool read = true);
  static std::filesystem::path file_of(const Workspace& ws);

  // Durable when it returns; the ids in the drafts' order. A draft with a key
  // (idem) already used for the same peer is the request made then (its id
  // again) when it asks the same, and refused when it asks other work.
  Result<std::vector<std::string>> enqueue(std::vector<RequestDraft> drafts, UnixMillis now = now_millis());

  // Reads what other processes appended since the last look.
  Status refresh();
  std::vector<RequestEntry> list();
  std::optional<RequestEntry> find(std::string_view id);
  // Every request not settled yet.
  std::vector<RequestEntry> pending();

  // An envelope about to leave for `id`: recorded (durably) before it goes,
  // so that its answer is recognised whenever and however it comes.
  struct Attempt {
    std::string request;
    std::string envelope_id;
    PublicKey aud;
    std::string via;
  };
  Status record_attempts(const std::vector<Attempt>& attempts, UnixMillis now = now_millis());

  // Settles or advances requests (a final state once set never changes).
  struct Change {
    std::string request;
    RequestState state;
    std::string reason;
    std::string answer;
    json::Value payload;
    std::string via;
    std::string answer_id;
  };
  Status record(const std::vector<Change>& changes, UnixMillis now = now_millis());

  // A verified answer (its signature checked against a pinned key, its
  // payload opened): the request it answers moves on when it is one of our
  // attempts, from the key that attempt was addressed to, before the
  // deadline, and the request is not settled. A refusal is logged. The
  // answer that settled it, met again by another way of ours (the command
  // that waited and the node that took it in), is not news: not_ours.
  Result<AnswerVerdict> take_answer(const Envelope& answer, std::string_view via, UnixMillis now = now_millis());

  // What take_answer() would make of `answer` now, recording nothing: the
  // request it would move (taken), or why it is refused (logged, once).
  struct Judgement {
    AnswerVerdict verdict = AnswerVerdict::not_ours;
    std::string reason;  // refused: why
    Change change;       // taken: what it would record (no `via`)
  };
  Result<Judgement> judge_answer(const Envelope& answer, UnixMillis now = now_millis());

  // What compaction drops: a request whose deadline passed, and which has
  // not changed, for longer than `keep_settled_ms` (no answer can count for
  // it any more, and its key may name new work: the provider has forgotten it
  // too). Compacted when at least `min_records` are in the file and at least
  // half of them are such requests'.
  struct Compaction {
    std::int64_t keep_settled_ms = 7LL * 24 * 3600 * 1000;
    std::size_t min_records = 4096;
  };
  // Returns how many requests were dropped (0: not worth it yet).
  Result<std::size_t> compact_if_worth(UnixMillis now, const Compaction& policy);
  Result<std::size_t> compact_if_worth() { return compact_if_worth(now_millis(), Compaction()); }
  Result<std::size_t> compact(UnixMillis now, std::int64_t keep_settled_ms);

  // Cancels what is not settled: one request, or every one for `peer`.
  Result<bool> cancel(std::string_view id, std::string_view reason, UnixMillis now = now_millis());
  Result<std::size_t> cancel_peer(std::string_view peer, std::string_view reason, UnixMillis now = now_millis());

 private:
  RequestStore(std::unique_ptr<Outbox> outbox, bool read) : outbox_(std::move(outbox)), read_(read) {}
  void apply(const json::Value& record);  // requires mu_
  // The request already made under `d`'s key to its peer when it is the same
  // work; an error when that key names other work.
  Result<std::optional<std::string>> made_under_key(const RequestDraft& d);
  Status refresh_locked();                // requires mu_
  void forget_all();                      // requires mu_
  // The requests compaction may drop now, and how many records they hold.
  std::pair<std::unordered_map<std::string, bool>, std::size_t> droppable(UnixMillis now, std::int64_t keep_ms);  // requires mu_

  std::unique_ptr<Outbox> outbox_;
  bool read_ = true;  // false: enqueue only, the file is never folded
  std::mutex mu_;
  Outbox::Position read_to_;
  std::map<std::string, RequestEntry> entries_;
  std::size_t records_ = 0;                                 // records folded
  std::unordered_map<std::string, std::size_t> records_of_;  // request id → its records
  struct AttemptOf {
    std::string request;
    PublicKey aud;
  };
  std::unordered_map<std::string, AttemptOf> attempts_;  // envelope id → its request
};

json::Value request_entry_json(const RequestEntry& e);

}  // namespace bwoc

#endif  // BWOC_CORE_REQUESTS_H_
