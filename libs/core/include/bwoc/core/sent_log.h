// The outbound record: every envelope this workspace sends, by any command
// and over any transport, with what became of it, for `bwoc sent`.
//
//   .bwoc/state/sent.jsonl   one record a line (append_log.h)
//
// The one send path (libs/peer deliver()) writes a record when a delivery
// ends; a receipt that comes later (an MQTT envelope confirmed from the
// spool) or a spooled envelope given up writes another for the same id. A
// reader folds them: the newest record of an id says its state, the first
// says what it was. Records are for people and are not synced: a crash may
// lose the last few, never an envelope.
//
// Bounded: once the file would pass kRotateBytes it becomes sent.jsonl.1
// (replacing the previous one) and a new one starts, so at most twice that
// is kept (about 20,000 sends at 200 bytes a record), and reads look at both.
#ifndef BWOC_CORE_SENT_LOG_H_
#define BWOC_CORE_SENT_LOG_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bwoc/core/json.h"
#include "bwoc/core/result.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/core/workspace.h"

namespace bwoc {

enum class SentState {
  sent,              // handed to a transport; no receipt (yet)
  receipt_verified,  // the peer's signed receipt or answer verified
  refused,           // the peer (or its broker) refused it
  failed,            // no transport reached the peer, or it was given up
};
std::string_view sent_state_name(SentState state);  // "sent", "receipt verified", "refused", "failed"
std::optional<SentState> sent_state_from_name(std::string_view name);

struct SentRecord {
  std::string id;
  std::string kind;  // empty in a record that only updates the state
  std::string from;  // our agent
  std::string to;    // "PEER/AGENT"
  std::optional<Via> via;
  SentState state = SentState::sent;
  UnixMillis at = 0;
  std::string detail;  // what happened, for people
  UnixMillis first_at = 0;  // when it was first recorded (set by the fold)
};

class SentLog {
 public:
  static constexpr std::uint64_t kRotateBytes = 4u << 20;

  static std::filesystem::path file_of(const Workspace& ws) { return ws.state_dir() / "sent.jsonl"; }
  // Makes nothing yet: the file is made by the first record.
  static Result<SentLog> open(const Workspace& ws);

  // Appends one record (not synced).
  Status record(const SentRecord& record) const;

  // One record per envelope, its newest state, newest first, at most `limit`.
  static Result<std::vector<SentRecord>> read(const Workspace& ws, std::size_t limit);

 private:
  struct Impl;
  explicit SentLog(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

json::Value sent_record_json(const SentRecord& record);

}  // namespace bwoc

#endif  // BWOC_CORE_SENT_LOG_H_
