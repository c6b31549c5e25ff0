// Work a peer queued with this workspace that has not run yet: its requests
// waiting in our drop folder. When the peer is removed, lowered to
// UNTRUSTED, or loses the goal that let it ask, each is refused at once in
// the provider's ledger (request_ledger.h), with a log line, so that `bwoc
// requests` shows it final; the entries themselves are left for the ingest,
// which refuses them again (an undeclared sender, or the ledger's refusal).
#ifndef BWOC_NODE_QUEUED_WORK_H_
#define BWOC_NODE_QUEUED_WORK_H_

#include <cstddef>
#include <string>

#include "bwoc/core/keys.h"
#include "bwoc/core/result.h"
#include "bwoc/core/workspace.h"

namespace bwoc::node {

// Returns how many requests were refused. Only envelopes whose signature
// verifies with `key` count: nobody else can have work refused in its name.
Result<std::size_t> refuse_queued_requests(const Workspace& ws, const PublicKey& key, const std::string& peer,
                                           const std::string& why);

}  // namespace bwoc::node

#endif  // BWOC_NODE_QUEUED_WORK_H_
