// The kinds every node answers about itself: what a declared peer may read
// of this workspace, and the feedback it may give.
//
//   peer.status {}            → peer.status.result: the status summary (export.h)
//   peer.learn  {}            → peer.learn.result {"docs": [{name, description, modified}]}
//   peer.learn  {"doc": NAME} → peer.learn.result {"doc", "found": true, "text"} or {"doc", "found": false}
//   feedback {"score": 1..5, "comment"?}: stored and receipted; anything else
//                                 is answered "Invalid feedback" and not stored
//
// peer.status and peer.learn are reads (never stored) for tier KNOWN and up;
// below, the sender gets "Not permitted". A name that is not shared and a
// file that is missing or no longer safe answer the same ("found": false).
#ifndef BWOC_CORE_PEER_KINDS_H_
#define BWOC_CORE_PEER_KINDS_H_

#include <string_view>

#include "bwoc/core/inbound.h"

namespace bwoc {

inline constexpr std::string_view kPeerStatusKind = "peer.status";
inline constexpr std::string_view kPeerLearnKind = "peer.learn";
inline constexpr std::string_view kFeedbackKind = "feedback";
inline constexpr std::size_t kMaxSharedDocBytes = 1 << 20;
inline constexpr std::size_t kMaxFeedbackCommentBytes = 4000;

void add_peer_kinds(Inbound& inbound);

}  // namespace bwoc

#endif  // BWOC_CORE_PEER_KINDS_H_
