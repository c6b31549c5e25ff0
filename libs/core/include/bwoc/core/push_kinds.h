// Pushed results in the inbound layer (result_push.h), both ends:
// - the caller takes a `request.outcome` in: the answer inside must verify,
//   come from the key that sent it and be addressed to this workspace; then
//   the request store takes it (once) or refuses it, and the node's receipt
//   tells the provider it arrived;
// - the provider takes a receipt in that answers one of its pushes (it came
//   back by path, later): the push is acknowledged, and `bwoc sent` says so.
#ifndef BWOC_CORE_PUSH_KINDS_H_
#define BWOC_CORE_PUSH_KINDS_H_

#include "bwoc/core/inbound.h"

namespace bwoc {

void add_push_kinds(Inbound& inbound);

}  // namespace bwoc

#endif  // BWOC_CORE_PUSH_KINDS_H_
