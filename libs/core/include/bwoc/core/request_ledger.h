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
};
// nullopt: a plain call (no `idem`); an error: members present but malformed.
Result<std::optional<RequestTerms>> request_terms(const json::Value& payload);

class RequestLedger {
 public:
  static Result<std::unique_ptr<RequestLedger>> open(const Workspace& ws);

  struct Decision {
    enum class What { run, stored, working, expired, interrupted };
    What what = What::run;
    // stored: the answer to send again.
    std::string kind;
    json::Value payload;
  };
  // Decides (under the workspace-wide lock) what to do with a request from
  // `key`. `run` is durable when it returns: the caller runs the work and
  // then calls finish().
  Result<Decision> begin(const PublicKey& key, const RequestTerms& terms, UnixMillis now = now_millis());
  Status finish(const PublicKey& key, const RequestTerms& terms, std::string_view kind, const json::Value& payload,
                UnixMillis now = now_millis());

 private:
  RequestLedger(AppendLog log, FileLock lock) : log_(std::move(log)), lock_(std::move(lock)) {}
  Status catch_up();  // requires mu_ and the lock
  // Forgets requests whose deadline has passed (any copy of them is expired
  // by its own signed deadline, remembered or not), when there are many.
  void forget_past(UnixMillis now);  // requires mu_
  static std::string tag_of(const PublicKey& key, std::string_view idem);

  struct Entry {
    bool done = false;
    bool expired = false;
    UnixMillis deadline = 0;
    std::int64_t pid = 0;
    std::uint64_t process_start = 0;
    std::string kind;
    json::Value payload;
  };
  std::mutex mu_;
  AppendLog log_;
  FileLock lock_;
  std::uint64_t read_to_ = 0;
  std::unordered_map<std::string, Entry> entries_;
  std::size_t forget_at_ = 1024;  // entries_ size that prompts the next forget_past()
};

}  // namespace bwoc

#endif  // BWOC_CORE_REQUEST_LEDGER_H_
