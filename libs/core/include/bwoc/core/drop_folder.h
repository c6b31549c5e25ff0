// The path transport: a peer workspace on this machine or a mounted file
// system, reached through its drop folder, .bwoc/drop/{tmp,new}/.
//
// Sender: writes the signed envelope in full into tmp/ under a name of its
// own making, fsyncs it, then renames it into new/ (as maildir does), so that
// an entry in new/ is always complete. It writes nowhere else in the peer:
// tmp/ and new/ are opened without following a symbolic link on the way from
// the peer's root, and the file is created and renamed through their
// descriptors, so a peer that plants a symlink gets a refusal, not a write
// outside its folder.
//
// Recipient (`bwoc inbox ingest`, and the services): takes entries from new/
// in bounded batches; reads an entry only if it is a regular file with one
// link, opened without following symlinks or blocking, and at most 1 MiB;
// anything else goes to .bwoc/quarantine/ unread. Accepted entries are
// removed once they are in the inbox; refused ones are quarantined.
#ifndef BWOC_CORE_DROP_FOLDER_H_
#define BWOC_CORE_DROP_FOLDER_H_

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "bwoc/core/inbound.h"
#include "bwoc/core/result.h"
#include "bwoc/core/transport.h"

namespace bwoc {

// Drops `envelope_text` into the drop folder of the workspace at `peer_root`.
// Returns the entry's path in new/.
Result<std::filesystem::path> drop_envelope(const std::filesystem::path& peer_root, std::string_view envelope_text);

class PathTransport : public EnvelopeTransport {
 public:
  Via via() const override { return Via::path; }
  Result<SendReport> deliver(const PeerRoute& peer, const SignedEnvelope& envelope,
                             std::chrono::milliseconds timeout) override;
};

struct IngestReport;

struct IngestOptions {
  std::size_t batch = 256;            // entries read and checked per round
  std::size_t max_entries = 0;        // stop after this many (0: until new/ is empty)
  std::size_t quarantine_limit = 1000;  // beyond this, refused entries are deleted, not kept
  // Called with each result that has an answer for the sender (the path
  // transport has no way back of its own: the caller sends it by the
  // sender's route).
  std::function<void(const InboundResult&)> on_answer;
  // Called after each batch with the report so far: for progress on a terminal.
  std::function<void(const IngestReport&)> on_batch;
};

struct IngestReport {
  std::size_t accepted = 0;
  std::size_t duplicates = 0;
  std::size_t refused = 0;
  std::size_t quarantined_unread = 0;  // not regular files, links, oversize
  std::size_t failed = 0;              // left in place to retry (the node could not store them)
  std::size_t deferred = 0;            // left in place to retry (rate limited, or the node busy)
  std::size_t answered = 0;            // answers handed to on_answer
  struct Item {
    std::string entry;
    Delivery::Outcome outcome;
    InboundResult::Disposition disposition;
    std::string reason;  // reason code when refused
    std::string id;      // envelope id when known
    std::string to;
  };
  std::vector<Item> items;
};

// Takes what is in new/ through the inbound layer, in bounded batches.
Result<IngestReport> ingest_drop_folder(Inbound& inbound, const IngestOptions& options = {});

}  // namespace bwoc

#endif  // BWOC_CORE_DROP_FOLDER_H_
