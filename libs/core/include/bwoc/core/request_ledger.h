// The provider's side of requests that outlive the call (docs/ENVELOPE.md,
// "Requests that outlive the call"): the one place that decides whether a
// request is executed, so that it runs exactly once per (caller key,
// idempotency key) across restarts, retries and every transport and process
// of the workspace.
//
// One append-only file, .bwoc/state/requests/ledger.jsonl, under a lock file
// every process takes to decide: a request is recorded as started (and
// synced) before it runs, and its answer (kind and payload) once it is
// done. A repeat gets the stored answer, re-signed for the envelope it came
// in, until the deadline; one that comes while the work is under way is
// told "working". Work that started in a process that is gone (killed) is
// never run again: its request is answered as failed, "Interrupted".
// Work from a caller no longer permitted (removed, or UNTRUSTED since it
// queued) is refused, and that is recorded too: a final state.
//
// The file is compacted (outbox.h) once most of its records belong to
// requests whose deadline passed more than `keep_past_deadline_ms` ago.
// Only then: a repeat after its deadline is expired whether remembered or
// not, so dropping it keeps "exactly once".
#ifndef BWOC_CORE_REQUEST_LEDGER_H_
#define BWOC_CORE_REQUEST_LEDGER_H_

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "bwoc/core/append_log.h"
#include "bwoc/core/files.h"
#include "bwoc/core/json.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/result.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/core/workspace.h"

namespace bwoc {

// The request members of a skill.call payload, when it has them.
struct RequestTerms {
  std::string idem;
  UnixMillis deadline = 0;
  std::string skill;  // for the record (bwoc requests)
  // What the key names: work_digest() of the agent asked, skill, version and
  // input. The same key for other work is refused, never answered with the
  // first work's result.
  std::string work;
  // Set by the provider, not the payload: the longest the work may take
  // here, answer included. Work that cannot end before the deadline is not
  // started (expired).
  std::int64_t longest_run_ms = 0;
};
// nullopt: a plain call (no `idem`); an error: members present but malformed.
// `agent`: the agent asked (the envelope's `to`), part of the work.
Result<std::optional<RequestTerms>> request_terms(const json::Value& payload, std::string_view agent = {});

// What a key names: a digest of the agent, the skill, the version and the
// input, the same for every spelling JSON allows of them (RFC 8785).
std::string work_digest(std::string_view agent, const json::Value& skill, const json::Value* version,
                        const json::Value* input);

// One piece of work asked of this workspace, as `bwoc requests` shows it.
struct InboundWork {
  std::string peer;  // the caller's alias when it came
  std::string skill;
  std::string idem;
  std::string state;  // working, interrupted, done, failed, expired, refused
  std::string reason;
  UnixMillis started = 0;
  UnixMillis updated = 0;
  UnixMillis deadline = 0;
};
json::Value inbound_work_json(const InboundWork& w);

struct LedgerOptions {
  std::int64_t keep_past_deadline_ms = 7LL * 24 * 3600 * 1000;
  std::size_t min_records = 4096;  // no compaction below
};

class RequestLedger {
 public:
  static Result<std::unique_ptr<RequestLedger>> open(const Workspace& ws, LedgerOptions options);
  static Result<std::unique_ptr<RequestLedger>> open(const Workspace& ws) { return open(ws, LedgerOptions()); }
  static std::filesystem::path file_of(const Workspace& ws);
  // Every piece of work the file remembers, oldest first (no lock: a reader
  // stops at the last whole record).
  static Result<std::vector<InboundWork>> list(const Workspace& ws);

  struct Decision {
    enum class What { run, stored, working, expired, interrupted, refused, other_work };
    What what = What::run;
    // stored: the answer to send again.
    std::string kind;
    json::Value payload;
  };
  // Decides (under the workspace-wide lock) what to do with a request from
  // `key`. `run` is durable when it returns: the caller runs the work and
  // then calls finish(). `other_work`: the key was used for other work
  // (another skill, version or input); nothing is recorded.
  // `peer`: the caller's alias, for the record.
  Result<Decision> begin(const PublicKey& key, const RequestTerms& terms, std::string_view peer = {},
                         UnixMillis now = now_millis());
  Status finish(const PublicKey& key, const RequestTerms& terms, std::string_view kind, const json::Value& payload,
                UnixMillis now = now_millis());
  // The caller may no longer ask: its work is refused, durably, unless it is
  // settled already (then nothing changes). Returns whether it was refused.
  Result<bool> refuse(const PublicKey& key, const RequestTerms& terms, std::string_view peer, std::string_view why,
                      UnixMillis now = now_millis());

  // Compacts when the dead records are at least half (after min_records).
  // Returns how many requests were dropped.
  Result<std::size_t> compact_if_worth(UnixMillis now = now_millis());

 private:
  RequestLedger(AppendLog log, FileLock lock, LedgerOptions options)
      : log_(std::move(log)), lock_(std::move(lock)), options_(options) {}
  Status catch_up();  // requires mu_ and the lock
  void forget_all();  // requires mu_
  // Forgets requests whose deadline has passed (any copy of them is expired
  // by its own signed deadline, remembered or not), when there are many.
  void forget_past(UnixMillis now);  // requires mu_
  Result<std::size_t> compact_locked(UnixMillis now);  // requires mu_ and the lock
  Status append_synced(const json::Value& record);     // requires mu_ and the lock
  static std::string tag_of(const PublicKey& key, std::string_view idem);

  struct Entry {
    bool done = false;
    bool expired = false;
    bool refused = false;
    UnixMillis deadline = 0;
    std::int64_t pid = 0;
    std::uint64_t process_start = 0;
    std::string work;
    std::string kind;
    json::Value payload;
  };
  // What compaction needs of every request in the file, forgotten or not.
  struct Tally {
    UnixMillis deadline = 0;
    std::size_t records = 0;
  };
  std::mutex mu_;
  AppendLog log_;
  FileLock lock_;
  LedgerOptions options_;
  std::uint64_t read_to_ = 0;
  std::unordered_map<std::string, Entry> entries_;
  std::unordered_map<std::string, Tally> tallies_;
  std::size_t records_ = 0;
  std::size_t forget_at_ = 1024;  // entries_ size that prompts the next forget_past()
  std::size_t compact_at_ = 0;    // records_ that prompt the next look at compaction
};

}  // namespace bwoc

#endif  // BWOC_CORE_REQUEST_LEDGER_H_
