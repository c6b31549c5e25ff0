// The agents' inbox files as the receiver writes them: for each agent, its
// inbox.jsonl as an append-only log (append_log.h) and the mark up to which
// this process has indexed it.
//
// An inbox is the record of acceptance, shared by every process of the
// workspace; the lines another process appended, or a crash left, are found
// here (index_tail) and put into the seen index before anything is decided
// or appended. This is the one place that indexes an inbox's tail: the
// commit (which also cuts a torn last line, keeping it in .bwoc/state/torn/
// and logging a torn_line refusal) and the dry run (which writes nothing).
//
// Not thread-safe: the receiver calls it under its mutex and the accept lock
// (exclusive, or shared for index_tail_readonly), except sync(), which only
// the commit thread calls.
#ifndef BWOC_CORE_SRC_INBOX_FILES_H_
#define BWOC_CORE_SRC_INBOX_FILES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bwoc/core/append_log.h"
#include "bwoc/core/refusal_log.h"
#include "bwoc/core/replay_guard.h"
#include "bwoc/core/result.h"
#include "bwoc/core/workspace.h"

namespace bwoc {

class InboxFiles {
 public:
  InboxFiles(const Workspace& ws, RefusalLog& refusals) : ws_(ws), refusals_(refusals) {}

  struct Tail {
    std::uint64_t end = 0;  // where the inbox ends: the next line goes here
    bool found = false;     // lines were indexed that this process did not write: sync before marking past them
  };

  // Under the exclusive lock: opens `agent`'s inbox (again, if it was moved
  // or rotated), cuts a torn last line, and indexes the lines after its mark:
  // each envelope whose ts is at or after `horizon` goes into `index` and
  // `found`.
  Result<Tail> index_tail(const std::string& agent, UnixMillis horizon, UnixMillis now, SeenIndex& index,
                          std::vector<SeenEntry>& found);
  // The same for a dry run, under the shared lock: complete lines only;
  // nothing is written, cut or opened for writing.
  void index_tail_readonly(const std::string& agent, UnixMillis horizon, UnixMillis now, SeenIndex& index,
                           std::vector<SeenEntry>& found);

  // Appends a batch's lines after index_tail(), in the same hold of the
  // lock, with one write; on failure none of them is left in the file.
  Status append(const std::string& agent, std::string_view lines);
  // fdatasync of the inbox: needs no lock.
  Status sync(const std::string& agent);
  // After a failed sync, under the lock again: cuts the lines written at
  // `from` (ending at `to`) off and syncs, so that lines never acknowledged
  // cannot surface after a crash. When that is not possible (another
  // process appended after them, or the disk fails again) the inbox takes
  // no more deliveries from this process: it is not known what is on disk.
  void take_back(const std::string& agent, std::uint64_t from, std::uint64_t to);

  // Where each inbox is indexed up to (in memory; the seen log keeps them).
  std::map<std::string, InboxMark>& marks() { return marks_; }
  // The mark of `agent`'s inbox file as this process has it open.
  InboxMark mark_at(const std::string& agent, std::uint64_t offset) const;

 private:
  struct Agent {
    std::optional<AppendLog> log;
    std::optional<Error> broken;  // set when what is on disk is not known
  };
  Result<Agent*> open(const std::string& agent);

  Workspace ws_;
  RefusalLog& refusals_;
  std::map<std::string, Agent> agents_;
  std::map<std::string, InboxMark> marks_;
};

}  // namespace bwoc

#endif  // BWOC_CORE_SRC_INBOX_FILES_H_
